package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestOnlyServerSectionWorks: SPEC 3, "every key has a default, so a file
// with only [server] works", also where the default document root
// (./public next to the file) does not exist yet: `ephpm config check`
// accepts the file and `ephpm serve` starts, warns naming the key, answers
// 404 and serves the root once it is created, as nginx does for a missing
// root. A root the file names that does not exist stays an error naming
// the line.
func TestOnlyServerSectionWorks(t *testing.T) {
	dir := t.TempDir()
	only := filepath.Join(dir, "only.toml")
	must(t, os.WriteFile(only, []byte("[server]\n"), 0o644))
	check := exec.Command(binPath, "config", "check", "--config", only)
	check.Dir = dir
	out, err := check.CombinedOutput()
	if err != nil {
		t.Fatalf("config check of a file with only [server]: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "server.document_root") || !strings.Contains(string(out), "does not exist") {
		t.Errorf("config check did not warn of the missing default root:\n%s", out)
	}

	// serve needs a free port: the same file with only listen added.
	cfg := filepath.Join(dir, "ephpm.toml")
	must(t, os.WriteFile(cfg, []byte("[server]\nlisten = \"127.0.0.1:0\"\n"), 0o644))
	s := startArgs(t, dir, "--config", cfg)
	if !s.LogHas("server.document_root") {
		t.Errorf("no warning naming server.document_root in the log:\n%s", s.Log())
	}
	expectStatus(t, s.get(t, "/"), 404, "GET / with no document root")
	expectStatus(t, s.get(t, "/index.php"), 404, "GET /index.php with no document root")
	must(t, os.Mkdir(filepath.Join(dir, "public"), 0o755))
	must(t, os.WriteFile(filepath.Join(dir, "public", "index.php"), []byte(`<?php echo "root is here";`), 0o644))
	r := s.get(t, "/")
	expectStatus(t, r, 200, "GET / once public/index.php exists")
	if !strings.Contains(string(r.Body), "root is here") {
		t.Errorf("GET / once the root exists: %q", r.Body)
	}

	named := filepath.Join(dir, "named.toml")
	must(t, os.WriteFile(named, []byte("[server]\ndocument_root = \"./nope\"\n"), 0o644))
	check = exec.Command(binPath, "config", "check", "--config", named)
	check.Dir = dir
	out, err = check.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "named.toml:2: server.document_root:") {
		t.Errorf("a missing root named in the file: err %v\n%s", err, out)
	}
}
