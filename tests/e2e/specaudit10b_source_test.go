package e2e

// Spec audit (session 10, B): SPEC 4 "PHP source is never sent as a static
// file". .pht (a PHP handler extension of older Debian/Ubuntu Apache
// configurations, still found in uploads filters' deny lists) and .phpt
// (PHP's and PHPUnit's test files: PHP source in sections, shipped in
// vendor packages) were sent as text; the other PHP extensions were
// already refused with 403.

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSpecAudit10bPHPSourceExtensions(t *testing.T) {
	root := t.TempDir()
	src := []byte("<?php $secret = 'db-password-123'; echo 'ran';")
	must(t, os.WriteFile(filepath.Join(root, "index.php"), src, 0o644))
	names := []string{"shell.pht", "Shell.PHT", "bug.phpt", "bug.phpt~", "bug.phpt.bak"}
	for _, name := range names {
		must(t, os.WriteFile(filepath.Join(root, name), src, 0o644))
	}
	must(t, os.WriteFile(filepath.Join(root, "notes.phtx"), []byte("plain"), 0o644))
	s := start(t, root, "")
	for _, name := range names {
		r := s.get(t, "/"+name)
		if r.Status != 403 || strings.Contains(r.Body, "db-password") {
			t.Errorf("GET /%s: %d %q, want 403 without the source", name, r.Status, r.Body)
		}
	}
	if r := s.get(t, "/notes.phtx"); r.Status != 200 || r.Body != "plain" {
		t.Errorf("GET /notes.phtx: %d %q, want 200 with the file", r.Status, r.Body)
	}
}
