package e2e

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestSpecAudit9CLIFarTTLs: SPEC sections 1, 7 and 8: `ephpm php --config`
// reaches the server's store and "the PHP functions ... map onto these with
// the same results". Inside the server a TTL past what a Go Duration holds
// (9999999999 s, PHP_INT_MAX) is kept as asked since the far-expiry work;
// from `ephpm php --config` (the RESP client) and from `ephpm php` alone
// (its local store) it was still cut to 292 years (ttl 9223372036), so
// the same call gave another TTL depending on where it ran.
func TestSpecAudit9CLIFarTTLs(t *testing.T) {
	root := t.TempDir()
	must(t, os.WriteFile(filepath.Join(root, "ttl.php"), []byte(`<?php echo json_encode([
		ephpm_kv_ttl("set"), ephpm_kv_ttl("expire"), ephpm_kv_ttl("setnx"), ephpm_kv_ttl("max")]);`), 0o644))
	s := start(t, root, "[kv.resp]\nsocket = \"kv.sock\"\n")
	cfg := filepath.Join(s.Dir, "ephpm.toml")

	const write = `ephpm_kv_set("set", "v", 9999999999);
		ephpm_kv_set("expire", "v"); ephpm_kv_expire("expire", 9999999999);
		ephpm_kv_setnx("setnx", "v", 9999999999);
		ephpm_kv_set("max", "v", PHP_INT_MAX);
		echo json_encode([ephpm_kv_ttl("set"), ephpm_kv_ttl("expire"), ephpm_kv_ttl("setnx"), ephpm_kv_ttl("max")]);`
	php := func(args ...string) []int64 {
		t.Helper()
		out, err := exec.Command(binPath, append([]string{"php"}, args...)...).Output()
		if err != nil {
			t.Fatalf("ephpm php %v: %v (%s)", args, err, out)
		}
		var ttls []int64
		if err := json.Unmarshal([]byte(strings.TrimSpace(string(out))), &ttls); err != nil {
			t.Fatalf("ephpm php %v: %v: %q", args, err, out)
		}
		return ttls
	}
	check := func(where string, ttls []int64) {
		t.Helper()
		for i, name := range []string{"set", "expire", "setnx"} {
			// Seconds may pass between the write and the read.
			if ttls[i] > 9999999999 || ttls[i] < 9999999999-30 {
				t.Errorf("%s: ttl of %q after a TTL of 9999999999 s: %d", where, name, ttls[i])
			}
		}
		// PHP_INT_MAX s ends at int64's last ms (about 9.2e15 s from now).
		if ttls[3] < 9_000_000_000_000_000/1000 {
			t.Errorf("%s: ttl after a TTL of PHP_INT_MAX s: %d, want about 9.2e15", where, ttls[3])
		}
	}

	check("ephpm php alone (its local store)", php("-r", write))
	check("ephpm php --config", php("--config", cfg, "-r", write))
	// The server's own PHP reads what the CLI wrote: the same TTLs.
	r := s.get(t, "/ttl.php")
	expectStatus(t, r, 200, "ttl.php")
	var inServer []int64
	if err := json.Unmarshal([]byte(r.Body), &inServer); err != nil {
		t.Fatalf("%v: %s", err, r.Body)
	}
	check("PHP in the server, after ephpm php --config wrote", inServer)
}
