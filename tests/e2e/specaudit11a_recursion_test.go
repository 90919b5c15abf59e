package e2e

// Crash audit (session 11, A): recursion cycles with no internal function
// in them, and recursion on a Fiber's stack. PHP 8.2 calls __toString,
// __get/__set/__isset, ArrayAccess's offset methods, a foreach's Iterator
// methods, __clone and __destruct from C (zend_call_function), so a cycle
// through them ((string)$this inside __toString) recursed on the C
// stack until the guard page: SIGSEGV, and the whole server, or ephpm php,
// was gone, every request in it with it. Session 10's stack guard only
// checked internal function calls on the thread's own stack, so neither
// these cycles nor an array_map cycle inside a Fiber (whose stack PHP
// mmaps apart) were caught. Now every such call throws PHP 8.3's "Maximum
// call stack size of N bytes reached" Error near the end of the stack it
// runs on: catchable; uncaught, that request ends with a 500 and the
// server keeps serving.

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// cyclesPHP runs the cycle named by ?case= (argv[1] in the CLI); with
// ?catch (argv[2] == "catch") it catches the Error and prints it.
const cyclesPHP = `<?php
if (!function_exists('cycle11')) {
    class TS11 { function __toString(): string { return (string)$this; } }
    class GET11 { function __get($n) { return $this->{$n . 'x'}; } }
    class SET11 { function __set($n, $v) { $this->{$n . 'x'} = $v; } }
    class ISSET11 { function __isset($n) { return isset($this->{$n . 'y'}); } }
    class OG11 implements ArrayAccess {
        function offsetGet($o): mixed { return $this[$o + 1]; }
        function offsetSet($o, $v): void { $this[$o + 1] = $v; }
        function offsetExists($o): bool { return isset($this[$o + 1]); }
        function offsetUnset($o): void { unset($this[$o + 1]); }
    }
    class IT11 implements Iterator {
        function current(): mixed { foreach ($this as $v) {} return 1; }
        function key(): mixed { return 0; }
        function next(): void {}
        function rewind(): void {}
        function valid(): bool { return true; }
    }
    class DS11 { function __construct(public int $n) {} function __destruct() { $x = new DS11($this->n + 1); } }
    class CL11 { function __clone() { $x = clone $this; } }
    function cycle11(string $c) {
        switch ($c) {
            case 'tostring': echo new TS11; break;
            case 'get': echo (new GET11)->a; break;
            case 'set': $s = new SET11; $s->a = 1; break;
            case 'isset': var_dump(isset((new ISSET11)->a)); break;
            case 'offsetget': echo (new OG11)[0]; break;
            case 'offsetset': $o = new OG11; $o[0] = 1; break;
            case 'offsetexists': var_dump(isset((new OG11)[0])); break;
            case 'iterator': foreach (new IT11 as $v) {} break;
            case 'destruct': new DS11(0); break;
            case 'clone': $k = clone new CL11; break;
            case 'fiber_internal':
                $f = new Fiber(function () { $g = function ($n) use (&$g) { return array_map($g, [$n + 1]); }; $g(0); });
                $f->start();
                break;
            case 'fiber_tostring': $f = new Fiber(function () { echo new TS11; }); $f->start(); break;
            default: echo "unknown case $c\n";
        }
    }
}
$case = PHP_SAPI === 'cli' ? ($argv[1] ?? '') : ($_GET['case'] ?? '');
$catch = PHP_SAPI === 'cli' ? (($argv[2] ?? '') === 'catch') : isset($_GET['catch']);
if ($catch) {
    try { cycle11($case); } catch (Error $e) { echo "caught: ", $e->getMessage(), "\n"; }
    echo "after\n";
    return;
}
cycle11($case);
`

var cycleCases = []string{"tostring", "get", "set", "isset", "offsetget", "offsetset", "offsetexists",
	"iterator", "destruct", "clone", "fiber_internal", "fiber_tostring"}

func checkCaught(t *testing.T, what, out string) {
	t.Helper()
	if !strings.Contains(out, "caught: Maximum call stack size of ") || !strings.HasSuffix(strings.TrimRight(out, "\n"), "after") {
		t.Errorf("%s: want the Error caught and the script going on, got %.300q", what, out)
	}
}

func TestSpecAudit11aRecursionCyclesEndTheRequestNotTheServer(t *testing.T) {
	root := t.TempDir()
	must(t, os.WriteFile(filepath.Join(root, "cycles.php"), []byte(cyclesPHP), 0o644))
	must(t, os.WriteFile(filepath.Join(root, "ok.txt"), []byte("ok"), 0o644))
	must(t, os.WriteFile(filepath.Join(root, "worker.php"), []byte(`<?php
while (ephpm_handle_request(function () { require __DIR__ . '/cycles.php'; })) {}
`), 0o644))
	for _, mode := range []string{"request", "worker"} {
		t.Run(mode, func(t *testing.T) {
			extra := ""
			if mode == "worker" {
				extra = "[php]\nmode = \"worker\"\nworker_script = \"worker.php\"\n"
			}
			s := start(t, root, extra)
			for _, c := range cycleCases {
				r := s.get(t, "/cycles.php?catch=1&case="+c)
				if s.Exited() {
					t.Fatalf("%s: the server died:\n%.3000s", c, tail(s.Log(), 3000))
				}
				expectStatus(t, r, 200, c+" caught")
				checkCaught(t, c, r.Body)
				expectStatus(t, s.get(t, "/cycles.php?case="+c), 500, c+" uncaught")
				if r := s.get(t, "/ok.txt"); r.Status != 200 || r.Body != "ok" {
					t.Fatalf("%s: after the recursion: %d %q", c, r.Status, r.Body)
				}
			}
			if !s.LogHas("Uncaught Error: Maximum call stack size") {
				t.Errorf("the log has no fatal error line")
			}
		})
	}
	t.Run("ephpm_php", func(t *testing.T) {
		c := cliRun{dir: root}
		for _, k := range cycleCases {
			code, out, errOut := c.php(t, "cycles.php", k, "catch")
			if code != 0 {
				t.Errorf("%s caught: exit %d, stderr %.500q", k, code, errOut)
			}
			checkCaught(t, "ephpm php "+k, out)
			code, _, errOut = c.php(t, "-d", "display_errors=0", "-d", "log_errors=1", "cycles.php", k)
			if code != 255 || !strings.Contains(errOut, "Maximum call stack size") {
				t.Errorf("%s uncaught: want exit 255 and the error on stderr, got %d %.500q", k, code, errOut)
			}
		}
	})
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}
