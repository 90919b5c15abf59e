package e2e

// Session 12 review (A) of session 11's signal guard (signalguard.c): in
// the server pcntl_signal() keeps the server's handlers and warns, but
// `ephpm php` has php-cli's signals. A script's handlers must run there as
// in php: dispatched by pcntl_signal_dispatch() or asynchronously, for
// signals the script sends itself (posix_kill, pcntl_alarm) and for
// signals from outside, with no warning. (The single binary is built
// without pcntl: the test skips there.)

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestSpecAudit12aPhpCliPcntlSignalWorksAsInPHP(t *testing.T) {
	dir := t.TempDir()
	if code, out, _ := (cliRun{dir: dir}).php(t, "-r", `echo function_exists('pcntl_signal') ? 'yes' : 'no';`); code != 0 || out != "yes" {
		t.Skip("this PHP has no pcntl")
	}
	self := filepath.Join(dir, "self.php")
	must(t, os.WriteFile(self, []byte(`<?php
pcntl_async_signals($argv[1] === 'async');
$got = [];
foreach ([SIGUSR1, SIGUSR2, SIGHUP, SIGTERM, SIGINT, SIGALRM] as $s) {
    if (!pcntl_signal($s, function ($sig) use (&$got) { $got[] = $sig; })) { echo "refused $s\n"; }
}
posix_kill(getmypid(), SIGUSR1);
posix_kill(getmypid(), SIGTERM);
posix_kill(getmypid(), SIGHUP);
pcntl_alarm(1);
for ($t = microtime(true); microtime(true) - $t < 1.5 && count($got) < 4; ) {
    usleep(10000);
    if ($argv[1] !== 'async') { pcntl_signal_dispatch(); }
}
echo "got ", implode(",", $got), "\n";
`), 0o644))
	for _, mode := range []string{"dispatch", "async"} {
		code, out, errOut := cliRun{dir: dir}.php(t, self, mode)
		if code != 0 || out != "got 10,15,1,14\n" || errOut != "" {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want the handlers of SIGUSR1, SIGTERM, SIGHUP, SIGALRM called, as php does", mode, code, out, errOut)
		}
	}

	// Signals from outside, to the process (any of its threads may take
	// them): each reaches the script's handler; SIGTERM's handler exits 3.
	outside := filepath.Join(dir, "outside.php")
	must(t, os.WriteFile(outside, []byte(`<?php
pcntl_async_signals(true);
$n = 0;
pcntl_signal(SIGUSR1, function () use (&$n) { $n++; });
pcntl_signal(SIGTERM, function () use (&$n) { echo "term after $n\n"; exit(3); });
echo "ready\n";
for ($t = microtime(true); microtime(true) - $t < 20; ) { usleep(1000); }
echo "not stopped\n";
`), 0o644))
	cmd := exec.Command(binPath, "php", outside)
	var stdout, stderr bytes.Buffer
	pr, pw, err := os.Pipe()
	must(t, err)
	cmd.Stdout, cmd.Stderr = pw, &stderr
	must(t, cmd.Start())
	pw.Close()
	t.Cleanup(func() { cmd.Process.Kill() })
	ready := make([]byte, 6)
	if _, err := pr.Read(ready); err != nil || string(ready) != "ready\n" {
		t.Fatalf("outside.php did not start: %q %v %s", ready, err, stderr.String())
	}
	const usr1 = 10
	for i := 0; i < usr1; i++ {
		must(t, cmd.Process.Signal(syscall.SIGUSR1))
		time.Sleep(30 * time.Millisecond) // (signals of one kind pending at once merge)
	}
	time.Sleep(100 * time.Millisecond)
	must(t, cmd.Process.Signal(syscall.SIGTERM))
	err = cmd.Wait()
	rest, _ := io.ReadAll(pr) // (the process is gone: EOF)
	stdout.Write(rest)
	if code := cmd.ProcessState.ExitCode(); code != 3 || !strings.Contains(stdout.String(), "term after 10\n") {
		t.Errorf("signals from outside: exit %d (%v), stdout %q, stderr %q; want the SIGTERM handler's exit 3 after 10 SIGUSR1", code, err, stdout.String(), stderr.String())
	}
}
