package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestScriptWorkingDirectory pins what a request-mode script sees as its
// working directory on the thread-safe build, where PHP gives each thread
// a virtual one: its own directory (resolved through symlinks) while it
// runs, whatever chdir() it makes itself, and the directory the request
// started in for its shutdown functions. ephpm sets the script's directory
// from PHP's realpath cache once the thread knows it (sapi.c,
// ephpm_chdir_script_dir), so the first request on a thread and the later
// ones take different paths: many requests, all alike.
func TestScriptWorkingDirectory(t *testing.T) {
	root := t.TempDir()
	sub := filepath.Join(root, "sub")
	must(t, os.MkdirAll(sub, 0o755))
	writeFile(t, filepath.Join(sub, "cwd.php"), `<?php
register_shutdown_function(function () { echo "|", getcwd(); });
$start = getcwd();
$rel = is_file('cwd.php');
chdir('/');
echo json_encode(['zts' => PHP_ZTS, 'start' => $start, 'rel' => $rel, 'dir' => __DIR__, 'after' => getcwd()]);
`)
	must(t, os.Symlink(sub, filepath.Join(root, "link")))
	s := start(t, root, "[php]\nworkers = 2\n")
	procCwd, err := filepath.EvalSymlinks(s.Dir)
	must(t, err)
	realSub, err := filepath.EvalSymlinks(sub)
	must(t, err)

	for i := 0; i < 12; i++ {
		path := "/sub/cwd.php"
		if i%3 == 2 {
			path = "/link/cwd.php" // the same directory through a symlink
		}
		r := s.get(t, path)
		expectStatus(t, r, 200, path)
		body, shutdownCwd, ok := strings.Cut(r.Body, "|")
		if !ok {
			t.Fatalf("%s: no shutdown output in %q", path, r.Body)
		}
		var got struct {
			ZTS               int
			Start, Dir, After string
			Rel               bool
		}
		must(t, json.Unmarshal([]byte(body), &got))
		if got.ZTS == 0 {
			t.Skip("non-thread-safe PHP: ephpm tells PHP not to chdir (one process-wide directory)")
		}
		if got.Start != realSub || !got.Rel {
			t.Errorf("request %d %s: getcwd() %q (relative file found: %v), want the script's directory %q", i, path, got.Start, got.Rel, realSub)
		}
		if got.After != "/" {
			t.Errorf("request %d %s: after chdir('/') getcwd() = %q", i, path, got.After)
		}
		if shutdownCwd != procCwd {
			t.Errorf("request %d %s: shutdown function's getcwd() = %q, want the directory the request started in %q", i, path, shutdownCwd, procCwd)
		}
	}
}
