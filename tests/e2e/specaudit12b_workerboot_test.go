package e2e

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A worker script whose boot never reaches ephpm_handle_request() (an
// endless loop, a long sleep) is bounded by max_execution_time as PHP
// applies it to the script's run: the run is ended, counted as a boot
// failure, the request queued behind it is answered (503) instead of
// waiting forever, and the next boot that gets through serves. Before,
// no limit was armed outside a request: the request hung and the thread
// stayed in the loop for good.
func TestSpecAudit12bWorkerBootStuckIsEnded(t *testing.T) {
	root := t.TempDir()
	count := filepath.Join(t.TempDir(), "boots")
	// Boot 1 spins, boot 2 sleeps, boot 3 serves. One PHP thread, so the
	// count file is never written by two boots at once.
	must(t, os.WriteFile(filepath.Join(root, "worker.php"), []byte(fmt.Sprintf(`<?php
$n = (int)@file_get_contents(%[1]q) + 1;
file_put_contents(%[1]q, (string)$n);
if ($n == 1) { while (true) {} }
if ($n == 2) { sleep(1000); }
while (ephpm_handle_request(function () use ($n) { echo "served by boot $n"; })) {}
`, count)), 0o644))
	s := start(t, root, "[php]\nmode = \"worker\"\nworker_script = \"worker.php\"\nworkers = 1\nworker_count = 1\nmax_execution_time = 2\n",
		"EPHPM_SERVER__METRICS__LISTEN=127.0.0.1:0")
	mURL := metricsURL(t, s)

	// Sent while boot 1 spins: answered once it is ended (2 s), not held.
	c := &http.Client{Timeout: 20 * time.Second}
	t0 := time.Now()
	resp, err := c.Get(s.URL + "/")
	if err != nil {
		t.Fatalf("a request queued behind a boot that never returns got no answer in 20 s: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != 503 {
		t.Errorf("a request queued behind a stuck boot: %d after %v, want 503", resp.StatusCode, time.Since(t0))
	}

	poll(t, 20*time.Second, "a good boot serves", func() (bool, string) {
		r, err := c.Get(s.URL + "/")
		if err != nil {
			return false, err.Error()
		}
		defer r.Body.Close()
		var b strings.Builder
		buf := make([]byte, 256)
		n, _ := r.Body.Read(buf)
		b.Write(buf[:n])
		return r.StatusCode == 200 && b.String() == "served by boot 3", fmt.Sprintf("%d %q", r.StatusCode, b.String())
	})
	m := scrape(t, mURL+"/metrics")
	if v := m[`ephpm_php_worker_restarts_total{cause="boot_failure"}`]; v != 2 {
		t.Errorf("boot failures counted: %v, want 2 (the spinning and the sleeping boot)", v)
	}
	if v := m["ephpm_php_worker_boots_total"]; v != 3 {
		t.Errorf("worker boots: %v, want 3", v)
	}
	if n := strings.Count(s.Log(), "ran past max_execution_time before taking a request"); n != 2 {
		t.Errorf("log lines naming the boot's time limit: %d, want 2", n)
	}
}

// Every worker's boot hangs (both threads of the static build): requests
// get a 503 in bounded time, and SIGTERM stops the server within the time
// limit of the boot in progress, not after the drain (30 s) plus PHP's
// shutdown wait (30 s + 5 s) it took before.
func TestSpecAudit12bWorkerBootStuckShutdown(t *testing.T) {
	root := t.TempDir()
	must(t, os.WriteFile(filepath.Join(root, "worker.php"), []byte(`<?php
sleep(1000);
while (ephpm_handle_request(function () { echo "never"; })) {}
`), 0o644))
	s := start(t, root, "[php]\nmode = \"worker\"\nworker_script = \"worker.php\"\nworkers = 2\nmax_execution_time = 3\n")
	c := &http.Client{Timeout: 20 * time.Second}
	resp, err := c.Get(s.URL + "/")
	if err != nil {
		t.Fatalf("a request while every boot hangs got no answer in 20 s: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != 503 {
		t.Errorf("a request while every boot hangs: %d, want 503", resp.StatusCode)
	}
	t0 := time.Now()
	s.cmd.Process.Signal(sigterm)
	select {
	case <-s.exited:
	case <-time.After(25 * time.Second):
		t.Fatalf("SIGTERM with a worker stuck in its boot: still running after 25 s")
	}
	if took := time.Since(t0); took > 15*time.Second {
		t.Errorf("SIGTERM with a worker stuck in its boot took %v", took)
	}
	if code := s.cmd.ProcessState.ExitCode(); code != 0 {
		t.Errorf("exit status %d after SIGTERM, want 0", code)
	}
}
