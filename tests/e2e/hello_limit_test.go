package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Go arms max_execution_time before PHP starts a request, with the value
// PHP reported at the start of that thread's previous request; PHP calls
// into Go at its own start only when its value differs (sapi.c, worker.c).
// A worker script that sets its own limit at boot makes every request
// start from that value, not php.ini's: the first request after a boot
// differs from what Go armed (php.ini's 30 s, reported by the boot), the
// one after a request that finished matches it. Both must stop at 1 s.
func TestWorkerBootTimeLimitAppliesToEveryRequest(t *testing.T) {
	root := filepath.Join(t.TempDir(), "public")
	if err := os.MkdirAll(root, 0o755); err != nil {
		t.Fatal(err)
	}
	script := `<?php
ini_set('max_execution_time', '1');
while (ephpm_handle_request(function () {
    if (isset($_GET['spin'])) {
        $t = microtime(true);
        while (microtime(true) - $t < 8) {
        }
        echo "ran to the end";
        return;
    }
    echo "limit=" . ini_get('max_execution_time');
})) {
}
`
	if err := os.WriteFile(filepath.Join(root, "worker.php"), []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	s := start(t, root, "[php]\nmode = \"worker\"\nworker_script = \"worker.php\"\nworkers = 1\nmax_execution_time = 30\n[server.timeouts]\nrequest = 60\n")

	spin := func(what string) {
		t.Helper()
		began := time.Now()
		r := s.get(t, "/?spin=1")
		took := time.Since(began)
		if r.Status != 500 || strings.Contains(r.Body, "ran to the end") {
			t.Errorf("%s: status %d body %q, want 500 from the 1 s limit", what, r.Status, r.Body)
		}
		// 1 s, not 8 s (the loop) or 30 s (php.ini): generous for a
		// loaded machine, far below both.
		if took > 6*time.Second {
			t.Errorf("%s: took %v, want about 1 s", what, took)
		}
	}
	// First request of the run: Go armed php.ini's 30 s, PHP says 1.
	spin("first request after boot")
	// The timeout restarted the worker; a request that finishes teaches
	// Go the boot's value, so the next one is armed with 1 s from Go.
	if r := s.get(t, "/"); r.Status != 200 || r.Body != "limit=1" {
		t.Fatalf("plain request: status %d body %q, want 200 limit=1", r.Status, r.Body)
	}
	spin("request after a finished one")
	if !s.LogHas("Maximum execution time of 1 second") {
		t.Errorf("log lacks PHP's timeout message naming 1 second:\n%s", s.Log())
	}
}
