package e2e

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

// TestFinishRequestKeepsRequestData: after fastcgi_finish_request() the
// client has its response and Serve has returned, but the script goes on
// and PHP still reads the request through the SAPI (getenv() of request
// variables, the body drain at shutdown). The request's C memory used to
// be freed when Serve returned: the requests that arrived meanwhile (laid
// out in C memory of the same size) could then be what the script read.
// Now it stays until PHP is done with the request.
func TestFinishRequestKeepsRequestData(t *testing.T) {
	root := t.TempDir()
	dir := t.TempDir()
	must(t, os.WriteFile(filepath.Join(root, "late.php"), []byte(`<?php
echo "answered";
fastcgi_finish_request();
$go = $_GET['dir'] . '/go';
for ($i = 0; $i < 500 && !file_exists($go); $i++) { usleep(20000); }
file_put_contents($_GET['dir'] . '/seen', getenv('REQUEST_URI') . "|" . getenv('HTTP_X_MARK') . "|" . getenv('QUERY_STRING'));
`), 0o644))
	must(t, os.WriteFile(filepath.Join(root, "other.php"), []byte(`<?php echo "other";`), 0o644))
	// glibc fills freed memory with a pattern (MALLOC_PERTURB_), so a read
	// of the freed request shows even when nothing reused it.
	s := start(t, root, "[php]\nworkers = 2\n", "MALLOC_PERTURB_=165")

	uri := "/late.php?dir=" + dir
	r := s.request(t, "GET", uri, nil, map[string]string{"X-Mark": "mark-AAAAAAAA"})
	expectStatus(t, r, 200, "late.php")
	if r.Body != "answered" {
		t.Fatalf("late.php answered %q", r.Body)
	}
	// Requests laid out in memory of the same size while the script waits.
	var wg sync.WaitGroup
	client := &http.Client{Timeout: 30 * time.Second}
	for i := 0; i < 40; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			req, _ := http.NewRequest("GET", s.URL+"/other.php?dir="+strings.Repeat("z", len(dir)), nil)
			req.Header.Set("X-Mark", fmt.Sprintf("mark-%08d", i))
			if resp, err := client.Do(req); err == nil {
				resp.Body.Close()
			}
		}(i)
	}
	time.Sleep(300 * time.Millisecond)
	must(t, os.WriteFile(filepath.Join(dir, "go"), nil, 0o644))
	wg.Wait()
	var seen []byte
	for i := 0; i < 200; i++ {
		if b, err := os.ReadFile(filepath.Join(dir, "seen")); err == nil && len(b) > 0 {
			seen = b
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	want := uri + "|mark-AAAAAAAA|dir=" + dir
	if string(seen) != want {
		t.Errorf("after fastcgi_finish_request() the script read %q, want its own request's %q", seen, want)
	}
}
