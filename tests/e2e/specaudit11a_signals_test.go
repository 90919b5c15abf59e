package e2e

// Crash audit (session 11, A): a script's pcntl_signal() and the server's
// signals. Debian's PHP loads pcntl in the server too. pcntl_signal()
// installs a process-wide handler and pcntl resets the signal to SIG_DFL
// at request end, so before the fix one request calling
// pcntl_signal(SIGUSR1, ...) made the next log rotation (SIGUSR1) kill the
// whole server at once, and pcntl_signal(SIGTERM, ...) swallowed a SIGTERM
// sent during the request and made the next one kill the process without
// the graceful shutdown (in-flight requests cut off). Now the server keeps
// its handlers and the script gets a warning.

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestSpecAudit11aPcntlSignalLeavesTheServerSignalsAlone(t *testing.T) {
	root := t.TempDir()
	must(t, os.WriteFile(filepath.Join(root, "ok.txt"), []byte("ok"), 0o644))
	must(t, os.WriteFile(filepath.Join(root, "has.php"), []byte(`<?php echo function_exists('pcntl_signal') ? 'yes' : 'no';`), 0o644))
	must(t, os.WriteFile(filepath.Join(root, "sig.php"), []byte(`<?php
foreach ([SIGUSR1, SIGHUP, SIGTERM, SIGINT] as $s) {
    var_dump(pcntl_signal($s, function () { echo "php handler\n"; }));
}
usleep((int)($_GET['sleep'] ?? 0) * 1000);
echo "done\n";
`), 0o644))
	s := start(t, root, "")
	if r := s.get(t, "/has.php"); r.Body != "yes" {
		t.Skip("this PHP has no pcntl")
	}
	r := s.get(t, "/sig.php")
	expectStatus(t, r, 200, "sig.php")
	if !strings.HasSuffix(r.Body, "done\n") {
		t.Fatalf("sig.php: %q", r.Body)
	}
	if !s.LogHas("pcntl_signal(): Signal 10 belongs to the server") {
		t.Errorf("no warning in the log:\n%s", tail(s.Log(), 2000))
	}
	// Log rotation after that request: the server reopens its logs and serves.
	must(t, s.cmd.Process.Signal(syscall.SIGUSR1))
	time.Sleep(300 * time.Millisecond)
	if s.Exited() {
		t.Fatalf("SIGUSR1 after a request that called pcntl_signal killed the server:\n%s", tail(s.Log(), 2000))
	}
	if r := s.get(t, "/ok.txt"); r.Body != "ok" {
		t.Fatalf("after SIGUSR1: %d %q", r.Status, r.Body)
	}
	// SIGTERM while such a request runs: a graceful shutdown that lets the
	// request finish.
	type result struct {
		body string
		err  error
	}
	done := make(chan result, 1)
	go func() {
		resp, err := http.Get(s.URL + "/sig.php?sleep=1500")
		if err != nil {
			done <- result{err: err}
			return
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		done <- result{string(b), err}
	}()
	deadline := time.Now().Add(10 * time.Second)
	for strings.Count(s.Log(), "Signal 10 belongs") < 2 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	must(t, s.cmd.Process.Signal(syscall.SIGTERM))
	res := <-done
	if res.err != nil || !strings.HasSuffix(res.body, "done\n") {
		t.Errorf("the request in flight at SIGTERM: %v %q", res.err, res.body)
	}
	select {
	case <-s.exited:
	case <-time.After(30 * time.Second):
		t.Fatalf("SIGTERM did not stop the server:\n%s", tail(s.Log(), 2000))
	}
	if !strings.Contains(s.Log(), "shutting down") || !strings.Contains(s.Log(), "ephpm stopped") {
		t.Errorf("not a graceful shutdown:\n%s", tail(s.Log(), 3000))
	}
	if code := s.cmd.ProcessState.ExitCode(); code != 0 {
		t.Errorf("exit status %d after SIGTERM", code)
	}
}

// pcntl_fork() in a server request forked the whole multi-threaded server:
// the child's output went to the client instead of the parent's, the
// child hung in its first call into Go holding the listening socket, and
// the server answered nothing more. Now it fails (-1, a warning).
func TestSpecAudit11aPcntlForkFailsInTheServer(t *testing.T) {
	root := t.TempDir()
	must(t, os.WriteFile(filepath.Join(root, "ok.txt"), []byte("ok"), 0o644))
	must(t, os.WriteFile(filepath.Join(root, "has.php"), []byte(`<?php echo function_exists('pcntl_fork') ? 'yes' : 'no';`), 0o644))
	must(t, os.WriteFile(filepath.Join(root, "fork.php"), []byte(`<?php
$pid = pcntl_fork();
if ($pid === 0) { echo "child\n"; exit(0); }
if ($pid > 0) { pcntl_waitpid($pid, $st); }
echo "parent $pid\n";
`), 0o644))
	s := start(t, root, "")
	if r := s.get(t, "/has.php"); r.Body != "yes" {
		t.Skip("this PHP has no pcntl")
	}
	c := &http.Client{Timeout: 15 * time.Second}
	resp, err := c.Get(s.URL + "/fork.php")
	if err != nil {
		t.Fatalf("fork.php: %v\n%s", err, tail(s.Log(), 2000))
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "parent -1\n" {
		t.Errorf("fork.php: %q, want the parent's output with pcntl_fork() = -1", b)
	}
	if !s.LogHas("pcntl_fork(): Not available in the server") {
		t.Errorf("no warning in the log")
	}
	resp, err = c.Get(s.URL + "/ok.txt")
	if err != nil {
		t.Fatalf("after fork.php the server does not answer: %v", err)
	}
	resp.Body.Close()
}
