package e2e

// Session 12 review (A) of session 11's free list of C request buffers
// (request.go, getCBuf/putCBuf): a request's C layout (the SAPI's strings
// and the $_SERVER table PHP reads lazily: getenv(), a $_SERVER first used
// in a file compiled later) now comes from 4 KB buffers that are reused
// instead of freed. TestFinishRequestKeepsRequestData runs with
// MALLOC_PERTURB_, which turns the free list off; this is the same check
// with it on: after fastcgi_finish_request() the script goes on while
// other requests are laid out in reused buffers on the other PHP threads
// (the single binary; the shared-libphp build has one), and what the
// script reads must still be its own request's, for a layout from the
// free list and for one too large for it (malloc'd apart).

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestSpecAudit12aFinishRequestKeepsPooledRequestData(t *testing.T) {
	for _, mode := range []string{"request", "worker"} {
		t.Run(mode, func(t *testing.T) { testFinishKeepsPooledData(t, mode == "worker") })
	}
}

func testFinishKeepsPooledData(t *testing.T, worker bool) {
	root := t.TempDir()
	dir := t.TempDir()
	must(t, os.WriteFile(filepath.Join(root, "late.php"), []byte(`<?php
echo "answered";
fastcgi_finish_request();
$go = $_GET['dir'] . '/go';
for ($i = 0; $i < 500 && !file_exists($go); $i++) { usleep(20000); }
file_put_contents($_GET['dir'] . '/seen-' . $_GET['n'], getenv('REQUEST_URI') . "|" . getenv('HTTP_X_MARK') . "|" . include __DIR__ . '/after.php');
`), 0o644))
	// Compiled after fastcgi_finish_request(): $_SERVER is built then,
	// from the request's C layout (auto_globals_jit).
	must(t, os.WriteFile(filepath.Join(root, "after.php"), []byte(`<?php
return $_SERVER['QUERY_STRING'] . "|" . strlen($_SERVER['HTTP_X_BIG'] ?? '');
`), 0o644))
	must(t, os.WriteFile(filepath.Join(root, "other.php"), []byte(`<?php echo getenv('HTTP_X_MARK');`), 0o644))
	cfg := "[php]\nworkers = 2\n"
	if worker {
		// Each request runs its script in a worker (the C layout is then
		// held until the worker's next ephpm_handle_request).
		must(t, os.WriteFile(filepath.Join(root, "worker.php"), []byte(`<?php
while (ephpm_handle_request(function () { include __DIR__ . '/' . basename(parse_url($_SERVER['REQUEST_URI'], PHP_URL_PATH)); })) {}
`), 0o644))
		cfg += "mode = \"worker\"\nworker_script = \"worker.php\"\n"
	}
	s := start(t, root, cfg)

	client := &http.Client{Timeout: 30 * time.Second}
	// n=0: a layout from the free list; n=1: one of more than 4 KB.
	for n, big := range []int{0, 6000} {
		uri := fmt.Sprintf("/late.php?dir=%s&n=%d", dir, n)
		h := map[string]string{"X-Mark": "mark-AAAAAAAA"}
		if big > 0 {
			h["X-Big"] = strings.Repeat("b", big)
		}
		r := s.request(t, "GET", uri, nil, h)
		expectStatus(t, r, 200, "late.php")
		if r.Body != "answered" {
			t.Fatalf("late.php answered %q", r.Body)
		}
		// Requests laid out while the script waits, small and large ones,
		// each checking it reads its own header.
		var wg sync.WaitGroup
		var mu sync.Mutex
		var wrong []string
		for i := 0; i < 60; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				req, _ := http.NewRequest("GET", s.URL+"/other.php?dir="+strings.Repeat("z", len(dir))+fmt.Sprintf("&n=%d", n), nil)
				mark := fmt.Sprintf("mark-%08d", i)
				req.Header.Set("X-Mark", mark)
				if i%3 == 0 {
					req.Header.Set("X-Big", strings.Repeat("c", 5000))
				}
				resp, err := client.Do(req)
				if err != nil {
					return
				}
				b := make([]byte, 64)
				k, _ := resp.Body.Read(b)
				resp.Body.Close()
				if string(b[:k]) != mark {
					mu.Lock()
					wrong = append(wrong, fmt.Sprintf("%s read %q", mark, b[:k]))
					mu.Unlock()
				}
			}(i)
		}
		// (On one PHP thread, the shared-libphp build, they wait for it.)
		time.Sleep(500 * time.Millisecond)
		must(t, os.WriteFile(filepath.Join(dir, "go"), nil, 0o644))
		wg.Wait()
		var seen []byte
		for i := 0; i < 200; i++ {
			if b, err := os.ReadFile(filepath.Join(dir, fmt.Sprintf("seen-%d", n))); err == nil && len(b) > 0 {
				seen = b
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		os.Remove(filepath.Join(dir, "go"))
		want := fmt.Sprintf("%s|mark-AAAAAAAA|dir=%s&n=%d|%d", uri, dir, n, big)
		if string(seen) != want {
			t.Errorf("big=%d: after fastcgi_finish_request() the script read %q, want its own request's %q", big, seen, want)
		}
		if len(wrong) > 0 {
			t.Errorf("big=%d: requests read another request's data: %v", big, wrong)
		}
	}
}
