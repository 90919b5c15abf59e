package e2e

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// redisSuiteUnits are the units of Redis 7.0's own test suite (tests/ of
// Debian's redis source, scripts/redis-tests.sh) run against the RESP
// endpoint, with the least number of their tests that must pass (what
// passes today; a drop means tests stopped running). Units left out:
// every test of unit/auth and unit/info is tagged external:skip (they
// start servers of their own with requirepass or other configs), the
// other units test data types, replication, scripting, pub/sub,
// persistence or memory management that SPEC section 7 does not have.
var redisSuiteUnits = map[string]int{
	"unit/type/string":     55,
	"unit/type/incr":       21,
	"unit/expire":          57,
	"unit/keyspace":        30,
	"unit/multi":           3,
	"unit/info-command":    3,
	"unit/protocol":        15,
	"unit/scan":            5,
	"unit/quit":            3,
	"unit/other":           10,
	"unit/introspection":   10,
	"unit/introspection-2": 13,
}

// redisSuiteDenyTags leave out, by the suite's own tags, tests that need
// what an external server without those commands cannot give: DEBUG
// (needs:debug), replication (needs:repl), SAVE/BGSAVE/DEBUG RELOAD
// (needs:save), CONFIG SET maxmemory (needs:config-maxmemory), RESET
// (needs:reset) and the server's pid or files (needs:local-process). The
// harness itself leaves out external:skip and (with --singledb)
// singledb:skip tests, which SELECT other databases.
var redisSuiteDenyTags = []string{"needs:debug", "needs:repl", "needs:save", "needs:config-maxmemory", "needs:reset", "needs:local-process"}

// Why tests of the selected units are excluded by name (each reason is a
// command or behaviour outside SPEC section 7, or a known difference in
// README's "The RESP endpoint").
const (
	whyTypes     = "creates a list, set, sorted set, hash or stream: the store holds strings only (LPUSH, SADD, ZADD, HSET, XADD... are unknown commands)"
	whyBits      = "SETBIT/GETBIT are not in SPEC section 7"
	whyLCS       = "LCS is not in SPEC section 7"
	whyCopy      = "COPY is not in SPEC section 7"
	whyEncoding  = "asserts OBJECT ENCODING (OBJECT is not in SPEC section 7)"
	whyWatch     = "WATCH/UNWATCH are not in SPEC section 7"
	whyScript    = "needs CONFIG SET and EVAL/FUNCTION (not in SPEC section 7)"
	whyConfigSet = "CONFIG SET is not in SPEC section 7 (CONFIG GET is)"
	whyResetStat = "needs CONFIG RESETSTAT (not in SPEC section 7) and commands outside it"
	whyNotSpec   = "the command is not in SPEC section 7"
	whyConfigGet = "CONFIG GET answers only what applies here (README): no hidden configs, no replicaof/slaveof, maxmemory-samples or maxmemory-clients"
	whyMovable   = "COMMAND INFO of a command outside SPEC section 7 (ZUNIONSTORE, XREAD, EVAL, SORT...) is null here"
)

var redisSuiteExcluded = map[string]string{
	// unit/type/string
	"MGET against non-string key":                                            whyTypes,
	"SETBIT against non-existing key":                                        whyBits,
	"SETBIT against string-encoded key":                                      whyBits,
	"SETBIT against integer-encoded key":                                     whyBits,
	"SETBIT against key with wrong type":                                     whyBits,
	"SETBIT with out of range bit offset":                                    whyBits,
	"SETBIT with non-bit argument":                                           whyBits,
	"SETBIT fuzzing":                                                         whyBits,
	"GETBIT against non-existing key":                                        whyBits,
	"GETBIT against string-encoded key":                                      whyBits,
	"GETBIT against integer-encoded key":                                     whyBits,
	"SETRANGE against integer-encoded key":                                   whyEncoding,
	"SETRANGE against key with wrong type":                                   whyTypes,
	"Extended SET GET with incorrect type should result in wrong type error": whyTypes,
	"LCS basic":                  whyLCS,
	"LCS len":                    whyLCS,
	"LCS indexes":                whyLCS,
	"LCS indexes with match len": whyLCS,
	"LCS indexes with match len and minimum match len": whyLCS,
	// unit/type/incr
	"INCR fails against a key holding a list":        whyTypes,
	"INCRBYFLOAT fails against a key holding a list": whyTypes,
	// unit/expire
	"EXPIRE - write on expire should work": whyTypes,
	// unit/keyspace
	"COPY basic usage for string":                         whyCopy,
	"COPY for string does not copy data to no-integer DB": whyCopy,
	"COPY can copy key expire metadata as well":           whyCopy,
	"COPY does not create an expire if it does not exist": whyCopy,
	"COPY basic usage for list":                           whyCopy,
	"COPY basic usage for intset set":                     whyCopy,
	"COPY basic usage for hashtable set":                  whyCopy,
	"COPY basic usage for listpack sorted set":            whyCopy,
	"COPY basic usage for skiplist sorted set":            whyCopy,
	"COPY basic usage for listpack hash":                  whyCopy,
	"COPY basic usage for hashtable hash":                 whyCopy,
	"COPY basic usage for stream":                         whyCopy,
	"COPY basic usage for stream-cgroups":                 whyCopy,
	// unit/multi
	"MULTI / EXEC basics":                                    whyTypes,
	"DISCARD":                                                whyTypes,
	"MULTI where commands alter argc/argv":                   whyTypes,
	"WATCH inside MULTI is not allowed":                      whyWatch,
	"EXEC works on WATCHed key not modified":                 whyWatch,
	"EXEC fail on WATCHed key modified (1 key of 1 watched)": whyWatch,
	"EXEC fail on WATCHed key modified (1 key of 5 watched)": whyWatch,
	"EXEC fail on WATCHed key modified by SORT with STORE even if the result is empty": whyWatch,
	"After successful EXEC key is no longer watched":                                   whyWatch,
	"After failed EXEC key is no longer watched":                                       whyWatch,
	"It is possible to UNWATCH":                                                        whyWatch,
	"UNWATCH when there is nothing watched works as expected":                          whyWatch,
	"FLUSHALL is able to touch the watched keys":                                       whyWatch,
	"FLUSHALL does not touch non affected keys":                                        whyWatch,
	"FLUSHDB is able to touch the watched keys":                                        whyWatch,
	"FLUSHDB does not touch non affected keys":                                         whyWatch,
	"WATCH will consider touched keys target of EXPIRE":                                whyWatch,
	"WATCH will consider touched expired keys":                                         whyWatch,
	"DISCARD should clear the WATCH dirty flag on the client":                          whyWatch,
	"DISCARD should UNWATCH all the keys":                                              whyWatch,
	"Flushall while watching several keys by one client":                               whyWatch,
	"MULTI and script timeout":                                                         whyScript,
	"EXEC and script timeout":                                                          whyScript,
	"MULTI-EXEC body and script timeout":                                               whyScript,
	"just EXEC and script timeout":                                                     whyScript,
	"Blocking commands ignores the timeout":                                            whyTypes,
	"MULTI with SAVE":                                                                  "SAVE is not in SPEC section 7",
	"MULTI with SHUTDOWN":                                                              "SHUTDOWN is not in SPEC section 7",
	"MULTI with config error":                                                          whyConfigSet,
	// unit/protocol
	"raw protocol response":                                   whyTypes,
	"raw protocol response - deferred":                        whyTypes,
	"raw protocol response - multiline":                       whyTypes,
	"Regression for a crash with blocking ops and pipelining": whyTypes,
	// unit/scan
	"SSCAN with encoding intset":                      whyTypes,
	"SSCAN with encoding hashtable":                   whyTypes,
	"HSCAN with encoding listpack":                    whyTypes,
	"HSCAN with encoding hashtable":                   whyTypes,
	"ZSCAN with encoding listpack":                    whyTypes,
	"ZSCAN with encoding skiplist":                    whyTypes,
	"SSCAN with integer encoded object (issue #1345)": whyTypes,
	"SSCAN with PATTERN":                              whyTypes,
	"HSCAN with PATTERN":                              whyTypes,
	"ZSCAN with PATTERN":                              whyTypes,
	"ZSCAN scores: regression test for issue #2175":   whyTypes,
	"SCAN regression test for issue #4906":            whyTypes,
	// unit/introspection
	"CLIENT KILL with illegal arguments":                      "CLIENT KILL is not in SPEC section 7",
	"CLIENT KILL SKIPME YES/NO will kill all clients":         "CLIENT KILL is not in SPEC section 7",
	"CLIENT REPLY OFF/ON: disable all commands reply":         "CLIENT REPLY is not in SPEC section 7",
	"CLIENT REPLY SKIP: skip the next command reply":          "CLIENT REPLY is not in SPEC section 7",
	"CLIENT REPLY ON: unset SKIP flag":                        "CLIENT REPLY is not in SPEC section 7",
	"MONITOR can log executed commands":                       "MONITOR is not in SPEC section 7",
	"MONITOR can log commands issued by the scripting engine": "MONITOR is not in SPEC section 7",
	"MONITOR can log commands issued by functions":            "MONITOR is not in SPEC section 7",
	"MONITOR correctly handles multi-exec cases":              "MONITOR is not in SPEC section 7",
	"CONFIG sanity":                      whyConfigSet,
	"CONFIG SET with multiple args":      whyConfigSet,
	"CONFIG SET rollback on set error":   whyConfigSet,
	"CONFIG SET rollback on apply error": whyConfigSet,
	"CONFIG SET duplicate configs":       whyConfigSet,
	"CONFIG SET set immutable":           whyConfigSet,
	"CONFIG GET hidden configs":          whyConfigGet,
	"CONFIG GET multiple args":           whyConfigGet,
	// unit/introspection-2
	"TTL, TYPE and EXISTS do not alter the last access time of a key": "asserts OBJECT IDLETIME (OBJECT is not in SPEC section 7)",
	"TOUCH alters the last access time of a key":                      "TOUCH is not in SPEC section 7",
	"TOUCH returns the number of existing keys specified":             "TOUCH is not in SPEC section 7",
	"command stats for GEOADD":                                        whyResetStat,
	"errors stats for GEOADD":                                         whyResetStat,
	"command stats for EXPIRE":                                        whyResetStat,
	"command stats for BRPOP":                                         whyResetStat,
	"command stats for MULTI":                                         whyResetStat,
	"command stats for scripts":                                       whyResetStat,
	"COMMAND GETKEYS GET":                                             "COMMAND GETKEYS is not in SPEC section 7 (COMMAND COUNT|DOCS|INFO are)",
	"COMMAND GETKEYSANDFLAGS":                                         "COMMAND GETKEYSANDFLAGS is not in SPEC section 7",
	"COMMAND GETKEYS MEMORY USAGE":                                    "COMMAND GETKEYS is not in SPEC section 7",
	"COMMAND GETKEYS XGROUP":                                          "COMMAND GETKEYS is not in SPEC section 7",
	"COMMAND GETKEYS EVAL with keys":                                  "COMMAND GETKEYS is not in SPEC section 7",
	"COMMAND GETKEYS EVAL without keys":                               "COMMAND GETKEYS is not in SPEC section 7",
	"COMMAND GETKEYS LCS":                                             "COMMAND GETKEYS is not in SPEC section 7",
	"COMMAND GETKEYS MORE THAN 256 KEYS":                              "COMMAND GETKEYS is not in SPEC section 7",
	"COMMAND LIST syntax error":                                       "COMMAND LIST is not in SPEC section 7",
	"COMMAND LIST WITHOUT FILTERBY":                                   "COMMAND LIST is not in SPEC section 7",
	"COMMAND LIST FILTERBY ACLCAT against non existing category":      "COMMAND LIST is not in SPEC section 7",
	"COMMAND LIST FILTERBY ACLCAT - list all commands/subcommands":    "COMMAND LIST is not in SPEC section 7",
	"COMMAND LIST FILTERBY PATTERN - list all commands/subcommands":   "COMMAND LIST is not in SPEC section 7",
	"COMMAND LIST FILTERBY MODULE against non existing module":        "COMMAND LIST is not in SPEC section 7",
	"ZUNIONSTORE command is marked with movablekeys":                  whyMovable,
	"XREAD command is marked with movablekeys":                        whyMovable,
	"EVAL command is marked with movablekeys":                         whyMovable,
	"SORT command is marked with movablekeys":                         whyMovable,
	"SORT_RO command is marked with movablekeys":                      whyMovable,
	"MIGRATE command is marked with movablekeys":                      whyMovable,
	"GEORADIUS command is marked with movablekeys":                    whyMovable,
}

// redisSuiteHarnessFix is the one change made to the suite's harness (in
// a copy): in external-server mode it runs FUNCTION FLUSH before every
// server block, and FUNCTION is not in SPEC section 7 ("unknown command"
// would abort the unit before its first test).
var redisSuiteHarnessFix = [2]string{"\n    r function flush\n", "\n    catch {r function flush}\n"}

var (
	ansiRe        = regexp.MustCompile("\x1b\\[[0-9;]*m")
	suiteResultRe = regexp.MustCompile(`^\[(ok|err|skip|ignore|exception)\]: (.*?)(?: \(\d+ ms\))?$`)
	suiteUnitRe   = regexp.MustCompile(`^Testing (unit/\S+)`)
)

// TestRedisOwnSuite runs redisSuiteUnits of Redis's own test suite
// (EPHPM_REDIS_TESTS: its tests directory, as fetched by
// scripts/redis-tests.sh; without it the test is skipped) in
// external-server mode against `ephpm serve` with [kv.resp], with
// redisSuiteExcluded and redisSuiteDenyTags left out. Every other test
// of those units must pass.
func TestRedisOwnSuite(t *testing.T) {
	dir := os.Getenv("EPHPM_REDIS_TESTS")
	if dir == "" {
		t.Skip("EPHPM_REDIS_TESTS (Redis's tests directory, from scripts/redis-tests.sh) not set")
	}
	if _, err := os.Stat(filepath.Join(dir, "test_helper.tcl")); err != nil {
		t.Fatalf("EPHPM_REDIS_TESTS: %v", err)
	}
	tclsh, err := exec.LookPath("tclsh8.6")
	if err != nil {
		t.Fatalf("tclsh8.6 (Debian's tcl package) is needed to run Redis's test suite: %v", err)
	}
	work := t.TempDir()
	suite := filepath.Join(work, "tests")
	copyDir(t, dir, suite)
	helper := filepath.Join(suite, "support", "server.tcl")
	src, err := os.ReadFile(helper)
	must(t, err)
	if !strings.Contains(string(src), redisSuiteHarnessFix[0]) {
		t.Fatalf("%s no longer runs %q: the harness changed, check redisSuiteHarnessFix", helper, strings.TrimSpace(redisSuiteHarnessFix[0]))
	}
	must(t, os.WriteFile(helper, []byte(strings.Replace(string(src), redisSuiteHarnessFix[0], redisSuiteHarnessFix[1], 1)), 0o644))
	must(t, os.MkdirAll(filepath.Join(suite, "tmp"), 0o755))

	r := startRESP(t, "", "")
	host, port, _ := net.SplitHostPort(r.TCP)
	args := []string{"tests/test_helper.tcl", "--host", host, "--port", port, "--singledb", "--durable",
		"--timeout", "180", "--tags", "-" + strings.Join(redisSuiteDenyTags, " -")}
	units := make([]string, 0, len(redisSuiteUnits))
	for u := range redisSuiteUnits {
		units = append(units, u)
	}
	sort.Strings(units)
	for _, u := range units {
		args = append(args, "--single", u)
	}
	for name := range redisSuiteExcluded {
		args = append(args, "--skiptest", name)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, tclsh, args...)
	cmd.Dir = work
	start := time.Now()
	raw, runErr := cmd.CombinedOutput()
	out := ansiRe.ReplaceAllString(string(raw), "")

	passed := map[string]int{}
	skipped := map[string]bool{}
	var failed []string
	unit := ""
	for _, line := range strings.Split(out, "\n") {
		if m := suiteUnitRe.FindStringSubmatch(line); m != nil {
			unit = m[1]
			continue
		}
		m := suiteResultRe.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		switch m[1] {
		case "ok":
			passed[unit]++
		case "skip":
			skipped[m[2]] = true
		case "err", "exception":
			failed = append(failed, line)
		}
	}
	total := 0
	var perUnit []string
	for _, u := range units {
		total += passed[u]
		perUnit = append(perUnit, u+" "+strconv.Itoa(passed[u]))
		if passed[u] < redisSuiteUnits[u] {
			t.Errorf("%s: %d tests passed, want at least %d", u, passed[u], redisSuiteUnits[u])
		}
	}
	for _, f := range failed {
		t.Errorf("Redis suite: %s", f)
	}
	for name := range redisSuiteExcluded {
		if !skipped[name] {
			t.Errorf("excluded test %q was not seen (renamed or gone? update redisSuiteExcluded)", name)
		}
	}
	if runErr != nil || !strings.Contains(out, "All tests passed without errors") {
		t.Errorf("Redis suite run: %v", runErr)
	}
	if t.Failed() {
		t.Logf("Redis suite output:\n%s", out)
	}
	t.Logf("Redis's own suite: %d tests passed in %d units (%s), %d excluded by name, in %s", total, len(units), strings.Join(perUnit, ", "), len(redisSuiteExcluded), time.Since(start).Round(time.Second))
}
