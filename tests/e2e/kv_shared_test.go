package e2e

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// Shared strings (issue 16): large published values handed to PHP without
// a copy in request mode, copied in worker mode; a held value never
// changes, whatever happens to its key.

func TestKVSharedStringsRequestMode(t *testing.T) {
	s := start(t, fixtureRoot(t), "")
	for i := 0; i < 3; i++ { // later requests reuse what earlier ones held
		r := s.get(t, "/kv_shared.php")
		expectAllPassed(t, r, "kv_shared.php")
		if !strings.Contains(r.Body, "shared=1") {
			t.Errorf("request mode: gets of a hot 64 KB value were copies:\n%s", r.Body)
		}
	}
}

func TestKVSharedStringsWorkerModeCopies(t *testing.T) {
	root := filepath.Join(t.TempDir(), "public")
	copyDir(t, filepath.Join(repoRoot, "testdata", "worker", "kvshared"), root)
	s := start(t, root, fmt.Sprintf("[php]\nworkers = 1\nmode = \"worker\"\nworker_script = %q\nmemory_limit = \"256M\"\n", "worker.php"))
	s.get(t, "/")
	for i := 1; i <= 40; i++ {
		r := s.get(t, "/")
		expectStatus(t, r, 200, "worker request")
		var got struct {
			Kept, Bad int
			Copied    bool
		}
		if err := json.Unmarshal([]byte(r.Body), &got); err != nil {
			t.Fatalf("%s: %v", r.Body, err)
		}
		if got.Bad != 0 || !got.Copied || got.Kept < 1 {
			t.Fatalf("request %d: %+v", i, got)
		}
	}
}
