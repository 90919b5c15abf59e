package e2e

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Deep recursion through an internal function (array_map calling the
// function that calls array_map) recursed on the PHP thread's C stack until
// its guard page: SIGSEGV, and the whole server was gone (php-fpm loses one
// worker). internal/phpembed/stackguard.c throws PHP 8.3's "Maximum call
// stack size ... reached" Error first: the script may catch it, uncaught
// it ends that request with a 500, and the server keeps serving.
const recursePHP = `<?php
function g($n) { return array_map('g', [$n + 1]); }
if (isset($_GET['catch']) || (PHP_SAPI === 'cli' && ($argv[1] ?? '') === 'catch')) {
    try { g(0); } catch (Error $e) { echo get_class($e), ': ', $e->getMessage(), "\n"; }
    echo "after\n";
    return;
}
g(0);
`

func TestDeepInternalRecursionEndsTheRequestNotTheServer(t *testing.T) {
	root := t.TempDir()
	must(t, os.WriteFile(filepath.Join(root, "recurse.php"), []byte(recursePHP), 0o644))
	must(t, os.WriteFile(filepath.Join(root, "ok.txt"), []byte("ok"), 0o644))
	{
		s := start(t, root, "[server]\nlisten = \"127.0.0.1:0\"\n")
		r := s.get(t, "/recurse.php?catch=1")
		if r.Status != 200 || !strings.Contains(r.Body, "Error: Maximum call stack size of ") || !strings.Contains(r.Body, "after") {
			t.Fatalf("caught recursion: %d %.300q", r.Status, r.Body)
		}
		for i := 0; i < 2; i++ {
			expectStatus(t, s.get(t, "/recurse.php"), 500, "uncaught recursion")
			if r := s.get(t, "/ok.txt"); r.Status != 200 || r.Body != "ok" {
				t.Fatalf("after the recursion: %d %q", r.Status, r.Body)
			}
		}
		if !s.LogHas("Maximum call stack size") {
			t.Errorf("log has no fatal error line")
		}
		s.Stop()
		if s.Exited() && strings.Contains(s.Log(), "SIGSEGV") {
			t.Fatalf("server crashed: %s", s.Log())
		}
	}
	script := filepath.Join(root, "recurse.php")
	out, err := exec.Command(binPath, "php", script, "catch").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "Error: Maximum call stack size of ") {
		t.Fatalf("ephpm php, caught: %v %.300q", err, out)
	}
	out, err = exec.Command(binPath, "php", script).CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 255 || !strings.Contains(string(out), "Maximum call stack size") {
		t.Fatalf("ephpm php, uncaught: want exit 255 and the error, got %v %.300q", err, out)
	}
}
