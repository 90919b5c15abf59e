package e2e

// Spec audit (session 10, A): PHP code running inside a Fiber (PHP 8.1+,
// used by Revolt, AMPHP, ReactPHP's async) may call everything a script
// may call. SPEC section 1: the ephpm_kv_* functions "never a crash";
// section 5: output, flush(), header(), error logging; COMMON's bar: bad
// input never crashes the server. Before the fix, a Fiber's C stack is
// not the thread stack Go knows, so a call from C into Go made there
// (echoing more than the output buffer, flush(), ob_flush(), a warning
// logged, error_log(), and ephpm_kv_* calls when Go's callback path needs
// the system stack) ended the whole process with Go's "fatal error:
// morestack on g0": the server and every request in it, or `ephpm php`.

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// fiberProbe does, inside a Fiber (and a Fiber nested in it), each kind of
// call that reaches Go, and prints what it saw; "DONE" last.
const fiberProbe = `<?php
$log = [];
$f = new Fiber(function () use (&$log) {
    // More than PHP's output buffer: written through the SAPI while in the fiber.
    echo str_repeat('e', 200000), "\n";
    flush();
    ob_start(); echo "ob\n"; ob_end_flush();
    error_log('fiber error_log line');
    echo @$undefinedA; // silenced: no log call
    trigger_error('fiber warning', E_USER_WARNING);
    for ($i = 0; $i < 300; $i++) {
        ephpm_kv_set("fiber:$i", str_repeat('v', $i), 60);
        $log['get'] = ephpm_kv_get("fiber:$i") === str_repeat('v', $i);
        $log['incr'] = ephpm_kv_incr('fiber:ctr');
        $log['miss'] = ephpm_kv_get("fiber:none:$i");
    }
    $log['del_prefix'] = ephpm_kv_del_prefix('fiber:');
    $inner = new Fiber(function () use (&$log) {
        echo str_repeat('n', 100000), "\n";
        $log['inner'] = ephpm_kv_setnx('fiber:inner', 'x') && ephpm_kv_get('fiber:inner') === 'x';
        Fiber::suspend(1);
        $log['inner2'] = ephpm_kv_del('fiber:inner');
    });
    $inner->start();
    $v = Fiber::suspend('suspended');
    $inner->resume();
    $log['resumed'] = $v;
    echo str_repeat('r', 100000), "\n";
    flush();
});
$first = $f->start();
$f->resume('back');
$log['first'] = $first;
echo json_encode($log), "\nDONE\n";
`

const fiberProbeWant = `{"get":true,"incr":300,"miss":null,"del_prefix":301,"inner":true,"inner2":1,"resumed":"back","first":"suspended"}`

func checkFiberOutput(t *testing.T, what, out string) {
	t.Helper()
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if len(lines) < 2 || lines[len(lines)-1] != "DONE" {
		t.Fatalf("%s: the script did not finish (%d bytes of output, last: %.200q)", what, len(out), out[max(0, len(out)-200):])
	}
	if got := lines[len(lines)-2]; got != fiberProbeWant {
		t.Errorf("%s: got %s\nwant %s", what, got, fiberProbeWant)
	}
	for _, w := range []string{strings.Repeat("e", 200000), strings.Repeat("n", 100000), strings.Repeat("r", 100000), "ob"} {
		if !strings.Contains(out, w+"\n") {
			t.Errorf("%s: output written in the fiber is missing (%.20s... x%d)", what, w, len(w))
		}
	}
}

func TestSpecAudit10aFibersCallIntoTheServer(t *testing.T) {
	root := t.TempDir()
	must(t, os.WriteFile(filepath.Join(root, "fiber.php"), []byte(fiberProbe), 0o644))
	must(t, os.WriteFile(filepath.Join(root, "ok.php"), []byte("<?php echo 'alive';"), 0o644))
	for _, mode := range []string{"request", "worker"} {
		t.Run(mode, func(t *testing.T) {
			extra := ""
			if mode == "worker" {
				// A worker script whose whole request loop runs inside a
				// Fiber, as an event-loop-based app's would, each request's
				// handler in a Fiber of its own (the probe nests two more).
				must(t, os.WriteFile(filepath.Join(root, "fworker.php"), []byte(`<?php
$loop = new Fiber(function () {
    while (ephpm_handle_request(function () {
        $f = new Fiber(function () { require __DIR__ . '/fiber.php'; });
        $f->start();
    })) {}
});
$loop->start();
`), 0o644))
				extra = "[php]\nmode = \"worker\"\nworker_script = \"fworker.php\"\n"
			}
			s := start(t, root, extra)
			for i := 0; i < 3; i++ {
				r := s.get(t, "/fiber.php")
				expectStatus(t, r, 200, "fiber.php")
				checkFiberOutput(t, "server request", string(r.Body))
			}
			if s.Exited() {
				t.Fatalf("the server died:\n%.3000s", s.Log())
			}
			if mode == "request" {
				r := s.get(t, "/ok.php")
				if string(r.Body) != "alive" {
					t.Errorf("after the fiber requests: %d %q", r.Status, r.Body)
				}
			}
			if !s.LogHas("fiber error_log line") || !s.LogHas("fiber warning") {
				t.Errorf("the messages logged inside the fiber are not in the server log:\n%.3000s", s.Log())
			}
		})
	}
	t.Run("ephpm_php", func(t *testing.T) {
		c := cliRun{dir: root}
		start := time.Now()
		code, out, errOut := c.php(t, "-d", "log_errors=1", "-d", "display_errors=0", "fiber.php")
		if code != 0 {
			t.Fatalf("exit %d after %v, stderr:\n%.3000s", code, time.Since(start), errOut)
		}
		checkFiberOutput(t, "ephpm php", out)
	})
}
