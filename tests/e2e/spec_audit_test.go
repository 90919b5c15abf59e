package e2e

// Findings of the spec audit (session 8) against the real binary: each test
// pins one statement of SPEC.md the binary did not keep.

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestSpecAuditRedisDownFlushAllFails: SPEC section 9, "when Redis cannot be
// reached a call returns its failure value (null, false, -2) within
// command_timeout". ephpm_kv_flush_all returned true with Redis down, in the
// server and in `ephpm php --config` (the same store), so a deploy's cache
// clear "succeeded" without removing anything.
func TestSpecAuditRedisDownFlushAllFails(t *testing.T) {
	root := t.TempDir()
	// Nobody listens on the port: every call fails with connection refused.
	down := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	cfg := fmt.Sprintf("[kv]\nbackend = \"redis\"\n\n[kv.redis]\naddresses = [%q]\ncommand_timeout = \"300ms\"\n", down)
	code := `var_export([ephpm_kv_flush_all(), ephpm_kv_get("k"), ephpm_kv_set("k", "v"), ephpm_kv_ttl("k")]);`
	must(t, os.WriteFile(filepath.Join(root, "flush.php"), []byte("<?php "+code), 0o644))
	want := "array (\n  0 => false,\n  1 => NULL,\n  2 => false,\n  3 => -2,\n)"

	s := start(t, root, cfg)
	r := s.get(t, "/flush.php")
	expectStatus(t, r, 200, "flush.php")
	if r.Body != want {
		t.Errorf("server, Redis down: [flush_all, get, set, ttl] = %s, want %s", r.Body, want)
	}

	cfgPath := filepath.Join(t.TempDir(), "ephpm.toml")
	must(t, os.WriteFile(cfgPath, []byte(fmt.Sprintf("[server]\ndocument_root = %q\n", root)+cfg), 0o644))
	cmd := exec.Command(binPath, "php", "--config", cfgPath, "-d", "display_errors=0", "-r", code)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("ephpm php --config: %v (stdout %q)", err, out)
	}
	if got := strings.TrimSpace(string(out)); got != want {
		t.Errorf("ephpm php --config, Redis down: [flush_all, get, set, ttl] = %s, want %s", got, want)
	}
}
