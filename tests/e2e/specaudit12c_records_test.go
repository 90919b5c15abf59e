package e2e

// Spec audit (session 12, C): the KV store's record tables (internal/kv,
// bench/kv/ONE-MISS.md) keep a key + value of at most 48 bytes without a
// TTL inside its index line, and make it indirect (a slot) to publish it
// for C's hot-key table. A key published and then rewritten as a small
// record (deleted and set again, or overwritten) must never be read stale
// from PHP, whose reads C answers from the published copy when it can.

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const recordsProbe = `<?php
$bad = [];
$round = (int)($_GET['round'] ?? 0);
$lens = [1, 7, 8, 9, 16, 24, 39, 40, 41, 47];
foreach ($lens as $kl) {
    $key = str_pad("r$kl:", $kl, 'k');
    foreach ([1, 7, 8, 15, 31, 32, 40, 41, 47, 48, 60] as $vl) {
        for ($i = 0; $i < 3; $i++) {
            $v1 = str_repeat(chr(65 + ($i + $round) % 26), $vl);
            $v2 = str_repeat(chr(97 + ($i + $round) % 26), $vl); // same length, other bytes
            ephpm_kv_set($key, $v1);
            for ($r = 0; $r < 4; $r++) { // read hot: published
                $g = ephpm_kv_get($key);
                if ($g !== $v1) { $bad[] = "$kl/$vl/$i: hot read " . var_export($g, true) . " want $v1"; }
            }
            switch ($i) {
            case 0: // deleted, then set again small
                ephpm_kv_del($key);
                if (ephpm_kv_get($key) !== null) { $bad[] = "$kl/$vl: read after del"; }
                if (ephpm_kv_exists($key)) { $bad[] = "$kl/$vl: exists after del"; }
                ephpm_kv_set($key, $v2);
                break;
            case 1: // overwritten in place
                ephpm_kv_set($key, $v2);
                break;
            case 2: // TTL on, then off (indirect -> small candidates)
                ephpm_kv_set($key, $v1, 100);
                ephpm_kv_get($key); ephpm_kv_get($key);
                ephpm_kv_del($key);
                ephpm_kv_set($key, $v2);
                break;
            }
            for ($r = 0; $r < 4; $r++) {
                $g = ephpm_kv_get($key);
                if ($g !== $v2) { $bad[] = "$kl/$vl/$i: read " . var_export($g, true) . " want $v2"; break; }
            }
            if (!ephpm_kv_exists($key)) { $bad[] = "$kl/$vl/$i: exists false"; }
            if (ephpm_kv_ttl($key) !== -1) { $bad[] = "$kl/$vl/$i: ttl " . ephpm_kv_ttl($key); }
        }
    }
    // A counter on a small string, then deleted and set small again.
    ephpm_kv_set($key, '41');
    ephpm_kv_get($key); ephpm_kv_get($key);
    if (ephpm_kv_incr($key) !== 42) { $bad[] = "$kl: incr"; }
    if (ephpm_kv_get($key) !== '42') { $bad[] = "$kl: get after incr " . var_export(ephpm_kv_get($key), true); }
    ephpm_kv_del($key);
    ephpm_kv_set($key, 'zz');
    if (ephpm_kv_get($key) !== 'zz') { $bad[] = "$kl: get after counter deleted " . var_export(ephpm_kv_get($key), true); }
}
echo $bad ? implode("\n", array_slice($bad, 0, 20)) : "ok", "\n";
`

func TestSpecAudit12cPublishedThenSmall(t *testing.T) {
	dir := t.TempDir()
	root := filepath.Join(dir, "docroot")
	must(t, os.Mkdir(root, 0o755))
	must(t, os.WriteFile(filepath.Join(root, "probe.php"), []byte(recordsProbe), 0o644))
	s := start(t, root, "")
	for round := 0; round < 6; round++ {
		r := s.get(t, "/probe.php?round="+string(rune('0'+round)))
		expectStatus(t, r, 200, "probe.php")
		if got := strings.TrimSpace(r.Body); got != "ok" {
			t.Fatalf("round %d: stale or wrong reads from PHP:\n%s", round, got)
		}
	}
}
