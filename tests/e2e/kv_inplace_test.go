package e2e

import (
	"encoding/json"
	"path/filepath"
	"testing"
)

// TestZTSInPlaceOverwritesNeverTorn: the store writes an overwrite that
// fits into the key's version in place (internal/kv/mutable.go). One PHP
// thread overwrites four keys 20,000 times with values of 1,000-1,020
// bytes (and every 97th of 5,000: a new version) while three other threads
// read them through ephpm_kv_get: no value read may be torn or mixed, and
// no key may be seen going backwards. (The writer goes on from the
// warm-up's last number: until session 10 it started again from 1, so a
// reader that saw the warm-up's 5 and then the writer's 1 counted a
// "backwards" read that was the writer's own order, not the store's.)
func TestZTSInPlaceOverwritesNeverTorn(t *testing.T) {
	root := t.TempDir()
	copyDir(t, filepath.Join(repoRoot, "testdata", "kvinplace", "public"), root)
	s := start(t, root, "[server]\nlisten = \"127.0.0.1:0\"\n[php]\nworkers = 4\n")
	requireZTS(t, s)
	s.get(t, "/inplace.php?op=write&n=8")
	for _, r := range oneWriterThreeReaders(t, s, "/inplace.php?op=write&from=9&n=20000", "/inplace.php?op=read&n=60000") {
		var got struct{ Reads, Bad, Backwards, Changes, Last int }
		if err := json.Unmarshal([]byte(r.Body), &got); err != nil {
			t.Fatalf("%s: %v", r.Body, err)
		}
		if got.Bad != 0 || got.Backwards != 0 || got.Reads == 0 {
			t.Errorf("reader: %+v", got)
		}
		t.Logf("reader: %+v", got)
	}
}
