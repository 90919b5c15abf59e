package e2e

import (
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
)

var contractSummaryRe = regexp.MustCompile(`(?m)^contract: (\d+) passed, (\d+) failed, (\d+) skipped$`)

// The minimum number of contract cases: the suite has 99 today (data sets
// included). A much lower count means cases stopped running (a broken data
// provider, a class that no longer loads), not that the store got better.
const minContractCases = 90

// TestKVContractAgainstRealStore runs ephpm/cache-laravel's contract suite
// (the PHPUnit cases that `make test-php` runs against InMemoryKvOps)
// against SapiKvOps inside the real server, so the test double cannot drift
// from the store PHP code really gets. Against the real store every case
// must run: del_prefix and del_if_equals exist, so nothing may be skipped.
func TestKVContractAgainstRealStore(t *testing.T) {
	root := filepath.Join(repoRoot, "testdata", "kv-contract", "public")
	pkg := filepath.Join(repoRoot, "composer", "cache-laravel")
	s := start(t, root, "", "EPHPM_CACHE_LARAVEL_DIR="+pkg)

	r := s.get(t, "/")
	m := contractSummaryRe.FindStringSubmatch(r.Body)
	if r.Status != 200 || m == nil {
		t.Fatalf("status %d, no summary line:\n%s", r.Status, r.Body)
	}
	passed, _ := strconv.Atoi(m[1])
	failed, _ := strconv.Atoi(m[2])
	skipped, _ := strconv.Atoi(m[3])
	if failed != 0 || skipped != 0 {
		t.Fatalf("the real store disagrees with the contract:\n%s", r.Body)
	}
	if passed < minContractCases {
		t.Fatalf("only %d contract cases passed, want at least %d:\n%s", passed, minContractCases, r.Body)
	}
	t.Logf("%s", m[0])

	// A second run in the same server: the suite cleans up after itself
	// and does not depend on a fresh store.
	if r := s.get(t, "/"); !contractSummaryRe.MatchString(r.Body) || contractSummaryRe.FindStringSubmatch(r.Body)[2] != "0" {
		t.Fatalf("second run:\n%s", r.Body)
	}
}

// TestKVContractStoreAtTheMemoryLimit: with noeviction, a write the KV refuses is
// false from Cache::put/add/forever/putMany (no exception), and the value
// that was there is kept.
func TestKVContractStoreAtTheMemoryLimit(t *testing.T) {
	root := filepath.Join(repoRoot, "testdata", "kv-contract", "public")
	pkg := filepath.Join(repoRoot, "composer", "cache-laravel")
	s := start(t, root, "[kv]\nmemory_limit = \"256KB\"\neviction_policy = \"noeviction\"\n", "EPHPM_CACHE_LARAVEL_DIR="+pkg)
	r := s.get(t, "/memory_limit.php")
	expectStatus(t, r, 200, "memory_limit.php")
	got := decodeJSON(t, r)
	want := map[string]any{
		"small_put":            true,
		"huge_put":             false,
		"huge_absent":          true,
		"replace_refused":      false,
		"old_value_kept":       true,
		"huge_add":             false,
		"huge_forever":         false,
		"put_many":             false,
		"put_many_kept_others": true,
		"filled":               true,
		"increment_when_full":  false,
		"lock_when_full":       false,
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
	if t.Failed() {
		t.Logf("response: %s", r.Body)
	}
}
