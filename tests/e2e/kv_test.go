package e2e

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
)

var summaryRe = regexp.MustCompile(`(?m)^(\d+) passed, (\d+) failed$`)

// expectAllPassed checks a PHP-side check script's report.
func expectAllPassed(t *testing.T, r response, what string) {
	t.Helper()
	m := summaryRe.FindStringSubmatch(r.Body)
	if r.Status != 200 || m == nil {
		t.Fatalf("%s: status %d, no summary line:\n%s", what, r.Status, r.Body)
	}
	if m[2] != "0" || m[1] == "0" {
		t.Fatalf("%s:\n%s", what, r.Body)
	}
	t.Logf("%s: %s", what, strings.TrimSpace(m[0]))
}

func TestKVFunctionsFromPHP(t *testing.T) {
	s := start(t, fixtureRoot(t), "")
	expectAllPassed(t, s.get(t, "/kv_functions.php?flush=1"), "kv_functions.php")
}

func TestKVSharedAcrossRequests(t *testing.T) {
	s := start(t, fixtureRoot(t), "")
	r := s.get(t, "/kv.php?op=set&key=shared&value=hello")
	if !strings.Contains(r.Body, `"result":true`) {
		t.Fatalf("set: %s", r.Body)
	}
	if r := s.get(t, "/kv.php?op=get&key=shared"); !strings.Contains(r.Body, `"result":"hello"`) {
		t.Fatalf("the value did not survive into the next request: %s", r.Body)
	}
}

func TestKVConcurrentIncrementsAreExact(t *testing.T) {
	s := start(t, fixtureRoot(t), "")
	const clients, each = 8, 50
	var wg sync.WaitGroup
	errs := make(chan error, clients*each)
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				resp, err := http.Get(s.URL + "/kv.php?op=incr&key=counter")
				if err != nil {
					errs <- err
					return
				}
				resp.Body.Close()
				if resp.StatusCode != 200 {
					errs <- fmt.Errorf("status %d", resp.StatusCode)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	r := s.get(t, "/kv.php?op=get&key=counter")
	if want := fmt.Sprintf(`"result":"%d"`, clients*each); !strings.Contains(r.Body, want) {
		t.Errorf("counter = %s, want %s", r.Body, want)
	}
}

func TestKVSetnxOneWinner(t *testing.T) {
	s := start(t, fixtureRoot(t), "")
	const n = 16
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins := 0
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			resp, err := http.Get(fmt.Sprintf("%s/kv.php?op=setnx&key=race&value=w%d", s.URL, i))
			if err != nil {
				t.Error(err)
				return
			}
			var b strings.Builder
			buf := make([]byte, 256)
			n, _ := resp.Body.Read(buf)
			b.Write(buf[:n])
			resp.Body.Close()
			if strings.Contains(b.String(), `"result":true`) {
				mu.Lock()
				wins++
				mu.Unlock()
			}
		}(i)
	}
	wg.Wait()
	if wins != 1 {
		t.Errorf("%d setnx callers won, want exactly 1", wins)
	}
}

func TestKVMemoryLimitNoEviction(t *testing.T) {
	root := fixtureRoot(t)
	must(t, os.WriteFile(filepath.Join(root, "fill.php"), []byte(`<?php
$ok = 0; $refused = 0;
for ($i = 0; $i < 2000; $i++) {
    if (ephpm_kv_set("fill:$i", str_repeat('v', 1000))) { $ok++; } else { $refused++; }
}
$first = ephpm_kv_get("fill:0");
echo json_encode(['ok' => $ok, 'refused' => $refused, 'first_kept' => $first !== null,
    'replace_refused' => ephpm_kv_set("fill:0", str_repeat('w', 5000)),
    'old_value_kept' => ephpm_kv_get("fill:0") === $first]);
`), 0o644))
	s := start(t, root, "[kv]\nmemory_limit = \"256KB\"\neviction_policy = \"noeviction\"\n")
	m := decodeJSON(t, s.get(t, "/fill.php"))
	ok, refused := m["ok"].(float64), m["refused"].(float64)
	if ok < 100 || ok > 262 || refused < 1700 {
		t.Errorf("256 KB limit with 1 KB values: %v stored, %v refused", ok, refused)
	}
	if m["first_kept"] != true || m["replace_refused"] != false || m["old_value_kept"] != true {
		t.Errorf("noeviction: %v", m)
	}

	s2 := start(t, root, "[kv]\nmemory_limit = \"256KB\"\neviction_policy = \"allkeys-lru\"\n")
	m = decodeJSON(t, s2.get(t, "/fill.php"))
	if m["refused"].(float64) != 0 {
		t.Errorf("allkeys-lru refused writes: %v", m)
	}
}
