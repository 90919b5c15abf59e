package e2e

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// hiredisMinPassed is how many of hiredis's own tests (test.c of Debian's
// hiredis 0.14.1, scripts/client-tests-hiredis.sh) pass against the RESP
// endpoint today, over TCP, the unix socket and an inherited descriptor:
// a drop means tests stopped running.
const hiredisMinPassed = 77

// hiredisExcluded are the tests that must fail, with why: each is run
// once per connection kind, and one that passes, or is no longer seen,
// fails the run (update the list).
var hiredisExcluded = map[string]string{
	"Can parse multi bulk replies":         "LPUSH / LRANGE: the store holds strings only (list commands are unknown commands)",
	"Can handle nested multi bulk replies": "LPUSH / LRANGE inside MULTI: the store holds strings only (list commands are unknown commands)",
}

// hiredisArgs: --skip-throughput leaves out test_throughput, which
// asserts (aborting the program) that LPUSH and LRANGE answer, list
// commands outside SPEC section 7.
var hiredisArgs = []string{"--skip-throughput"}

var hiredisResultRe = regexp.MustCompile(`^#(\d+) (.*?): ?(PASSED|FAILED)$`)

// TestClientSuiteHiredis builds hiredis's test program from its source
// (EPHPM_HIREDIS_TESTS: the source directory, as fetched by
// scripts/client-tests-hiredis.sh; without it the test is skipped) and
// runs it against `ephpm serve` with [kv.resp]. Every test must pass but
// hiredisExcluded's. (It sends SELECT 9 first and ignores the answer, then
// needs DBSIZE 0: a fresh server.)
func TestClientSuiteHiredis(t *testing.T) {
	dir := os.Getenv("EPHPM_HIREDIS_TESTS")
	if dir == "" {
		t.Skip("EPHPM_HIREDIS_TESTS (hiredis's source, from scripts/client-tests-hiredis.sh) not set")
	}
	if _, err := os.Stat(filepath.Join(dir, "test.c")); err != nil {
		t.Fatalf("EPHPM_HIREDIS_TESTS: %v", err)
	}
	src := filepath.Join(t.TempDir(), "hiredis")
	copyDir(t, dir, src)
	build := exec.Command("make", "hiredis-test")
	build.Dir = src
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building hiredis-test (needs cc and make): %v\n%s", err, out)
	}

	r := startRESP(t, "", "")
	host, port, _ := net.SplitHostPort(r.TCP)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	start := time.Now()
	cmd := exec.CommandContext(ctx, filepath.Join(src, "hiredis-test"), append([]string{"-h", host, "-p", port, "-s", r.Socket}, hiredisArgs...)...)
	cmd.Dir = src
	raw, runErr := cmd.CombinedOutput()
	out := ansiRe.ReplaceAllString(string(raw), "")

	passed, seen := 0, map[string]bool{}
	var failed []string
	for _, line := range strings.Split(out, "\n") {
		m := hiredisResultRe.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		name, ok := m[2], m[3] == "PASSED"
		if _, excluded := hiredisExcluded[name]; excluded {
			seen[name] = true
			if ok {
				t.Errorf("excluded test %q passes now (%s): remove it from hiredisExcluded", name, hiredisExcluded[name])
			}
			continue
		}
		if ok {
			passed++
		} else {
			failed = append(failed, line)
		}
	}
	for _, f := range failed {
		t.Errorf("hiredis test failed: %s", f)
	}
	for name := range hiredisExcluded {
		if !seen[name] {
			t.Errorf("excluded test %q was not seen (renamed or gone? update hiredisExcluded)", name)
		}
	}
	if passed < hiredisMinPassed {
		t.Errorf("%d hiredis tests passed, want at least %d", passed, hiredisMinPassed)
	}
	// The program exits 1 when any test failed (the excluded ones always
	// do); a crash or a hang is something else.
	if ee, ok := runErr.(*exec.ExitError); runErr != nil && (!ok || ee.ExitCode() != 1) {
		t.Errorf("hiredis-test: %v", runErr)
	}
	if t.Failed() {
		t.Logf("hiredis-test output:\n%s", out)
	}
	t.Logf("hiredis's own tests: %d passed, %s excluded by name (per connection kind), in %s", passed,
		fmt.Sprint(len(hiredisExcluded)), time.Since(start).Round(time.Second))
}
