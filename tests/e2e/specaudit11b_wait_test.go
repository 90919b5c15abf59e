package e2e

// Spec audit (session 11, B): issue 11 has `ephpm php --config` keep every
// KV function's result, ephpm_kv_wait included. ephpm_kv_wait with a
// negative $last_version (no version is ever negative, so it differs from
// the key's and the answer comes at once) returned
// ['version' => N, 'value' => ...] inside the server but false and a
// warning ("EPHPM.WAIT: ERR value is not an integer or out of range") from
// `ephpm php --config`, whose client sent the version as an unsigned
// 18446744073709551615.

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const waitNegativeProbe = `<?php
ephpm_kv_set('w:neg', 'v1');
$now = ephpm_kv_wait('w:neg', 0, 0);
$neg = ephpm_kv_wait('w:neg', -1, 0);
$negWait = ephpm_kv_wait('w:neg', PHP_INT_MIN, 5000);
echo json_encode([
    'same' => $neg === $now,
    'value' => is_array($neg) ? $neg['value'] : $neg,
    'waited' => is_array($negWait) ? $negWait['value'] : $negWait,
]), "\n";
`

func TestSpecAudit11bWaitNegativeVersionSameEverywhere(t *testing.T) {
	dir := artisanShortDir(t)
	root := filepath.Join(dir, "docroot")
	must(t, os.Mkdir(root, 0o755))
	must(t, os.WriteFile(filepath.Join(root, "probe.php"), []byte(waitNegativeProbe), 0o644))
	sock := filepath.Join(dir, "kv.sock")
	s := start(t, root, "[kv.resp]\nsocket = \""+sock+"\"\n")
	const want = `{"same":true,"value":"v1","waited":"v1"}`

	r := s.get(t, "/probe.php")
	expectStatus(t, r, 200, "probe.php")
	if got := strings.TrimSpace(r.Body); got != want {
		t.Errorf("in the server: got %s, want %s", got, want)
	}
	cmd := exec.Command(binPath, "php", "--config", filepath.Join(s.Dir, "ephpm.toml"), filepath.Join(root, "probe.php"))
	cmd.Env = artisanEnv()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("ephpm php --config: %v\n%s", err, out)
	}
	if got := strings.TrimSpace(string(out)); got != want {
		t.Errorf("ephpm php --config: got %s, want %s", got, want)
	}
}
