package e2e

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// Published values (issue 16): hot keys are answered by C from a copy the
// store publishes; these tests check, through real PHP, that no write
// (from PHP, from RESP, by expiry or eviction) leaves a stale copy.

func TestKVPublishedEveryWriteShows(t *testing.T) {
	s := start(t, fixtureRoot(t), "")
	expectAllPassed(t, s.get(t, "/kv_published.php?op=check"), "kv_published.php")
}

func TestKVPublishedEvictionAgreesWithExists(t *testing.T) {
	s := start(t, fixtureRoot(t), "[kv]\nmemory_limit = \"1MB\"\n")
	expectAllPassed(t, s.get(t, "/kv_published.php?op=check&evict=1"), "kv_published.php evict")
}

// Writes over RESP (Go code, no PHP thread involved) retire the copy.
func TestKVPublishedSeesRESPWrites(t *testing.T) {
	s := start(t, fixtureRoot(t), "[kv.resp]\nlisten = \"127.0.0.1:0\"\n")
	m := respListenRe.FindStringSubmatch(s.Log())
	if m == nil {
		t.Fatalf("no RESP listen line in the log:\n%s", s.Log())
	}
	c := dialRaw(t, m[1])
	cmd := func(args ...string) string {
		t.Helper()
		var b strings.Builder
		fmt.Fprintf(&b, "*%d\r\n", len(args))
		for _, a := range args {
			fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
		}
		line, err := c.roundTrip(b.String())
		if err != nil || strings.HasPrefix(line, "-") {
			t.Fatalf("%q: %q %v", args, line, err)
		}
		if strings.HasPrefix(line, "$") && line != "$-1\r\n" { // the bulk's body
			if _, err := c.r.ReadString('\n'); err != nil {
				t.Fatal(err)
			}
		}
		return line
	}
	get := func(op, key string) any {
		t.Helper()
		r := s.get(t, "/kv_published.php?op="+op+"&key="+url.QueryEscape(key))
		var out struct{ Result any }
		if err := json.Unmarshal([]byte(r.Body), &out); err != nil {
			t.Fatalf("%s: %v", r.Body, err)
		}
		return out.Result
	}
	for _, w := range []struct {
		name  string
		write []string
		want  any
	}{
		{"SET", []string{"SET", "k", "new"}, "new"},
		{"APPEND", []string{"APPEND", "k", "!"}, "41!"},
		{"INCR", []string{"INCR", "k"}, "42"},
		{"DEL", []string{"DEL", "k"}, nil},
		{"GETDEL", []string{"GETDEL", "k"}, nil},
		{"EXPIRE", []string{"EXPIRE", "k", "100"}, "41"},
		{"FLUSHALL", []string{"FLUSHALL"}, nil},
	} {
		cmd("SET", "k", "41")
		if got := get("hot", "k"); got != "41" {
			t.Fatalf("%s: before: %v", w.name, got)
		}
		cmd(w.write...)
		if got := get("hot", "k"); got != w.want {
			t.Errorf("%s: PHP reads %v after the RESP write, want %v", w.name, got, w.want)
		}
	}
	// PEXPIRE to 1 ms: gone for PHP at once after.
	cmd("SET", "k", "41")
	get("hot", "k")
	cmd("PEXPIRE", "k", "1")
	time.Sleep(5 * time.Millisecond)
	if got := get("hot", "k"); got != nil {
		t.Errorf("PEXPIRE 1: PHP reads %v", got)
	}
}

// One PHP thread writes 1, 2, 3 ... while three read on other threads: a
// reader never sees the key go backwards or a value never written.
func TestZTSPublishedReadsNeverGoBackwards(t *testing.T) {
	s := start(t, fixtureRoot(t), "[php]\nworkers = 4\n")
	requireZTS(t, s)
	s.get(t, "/kv_published.php?op=write&n=1")
	for _, r := range oneWriterThreeReaders(t, s, "/kv_published.php?op=write&n=100000", "/kv_published.php?op=read&n=300000") {
		var got struct{ Last, Backwards, Bad int }
		if err := json.Unmarshal([]byte(r.Body), &got); err != nil {
			t.Fatalf("%s: %v", r.Body, err)
		}
		if got.Backwards != 0 || got.Bad != 0 || got.Last == 0 {
			t.Errorf("reader: %+v", got)
		}
		t.Logf("reader: %+v", got)
	}
}

// oneWriterThreeReaders runs one request to writeURL and three to readURL
// at once (four PHP threads) and returns the readers' responses, the
// writer's and the readers' checked to be 200.
func oneWriterThreeReaders(t *testing.T, s *server, writeURL, readURL string) []response {
	t.Helper()
	var wg sync.WaitGroup
	out := make([]response, 4)
	for i := range out {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			if i == 0 {
				out[i] = s.get(t, writeURL)
			} else {
				out[i] = s.get(t, readURL)
			}
		}(i)
	}
	wg.Wait()
	expectStatus(t, out[0], 200, "writer")
	for _, r := range out[1:] {
		expectStatus(t, r, 200, "reader")
	}
	return out[1:]
}
