package e2e

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"
)

// redisPyFiles are the files of redis-py's own test suite (Debian's
// python3-redis 4.3.4, scripts/client-tests-redispy.sh) run against the
// RESP endpoint, with the least number of test cases of each that must
// pass (what passes today; a drop means tests stopped running). The
// asyncio tests run each case with both of redis-py's reply parsers, its
// own and hiredis's (Debian's python3-hiredis), so the replies are read by
// two independent RESP parsers. They are
// the files whose tests talk to a plain server with commands (sync and
// asyncio clients). Left out: cluster, sentinel, ssl, the module suites
// (json, search, timeseries, bloom, graph), pub/sub, monitor, scripting,
// functions and locks (Lua scripts): nothing of SPEC section 7 to test.
var redisPyFiles = map[string]int{
	"test_commands.py":                     135,
	"test_pipeline.py":                     12,
	"test_encoding.py":                     11,
	"test_connection.py":                   5,
	"test_connection_pool.py":              56,
	"test_multiprocessing.py":              9,
	"test_retry.py":                        66,
	"test_asyncio/test_commands.py":        360,
	"test_asyncio/test_pipeline.py":        52,
	"test_asyncio/test_encoding.py":        44,
	"test_asyncio/test_connection.py":      8,
	"test_asyncio/test_connection_pool.py": 97,
	"test_asyncio/test_retry.py":           59,
}

// redisPyMarks leave out, by the suite's own markers, tests for a cluster,
// modules, TLS or a replica.
const redisPyMarks = "not onlycluster and not redismod and not ssl and not replica"

// respSpecCommands are SPEC section 7's commands, and the subcommands it
// has of CLIENT, COMMAND and CONFIG. A test that fails with "unknown
// command" for one of these (or an unknown subcommand of these) fails the
// run; for any other command it is outside the section.
var (
	respSpecCommands = strings.Fields(`GET SET SETNX SETEX PSETEX GETSET GETDEL GETEX MGET MSET MSETNX INCR DECR
		INCRBY DECRBY INCRBYFLOAT APPEND STRLEN GETRANGE SETRANGE DEL UNLINK EXISTS TYPE EXPIRE PEXPIRE EXPIREAT
		PEXPIREAT EXPIRETIME PEXPIRETIME PERSIST TTL PTTL KEYS SCAN RANDOMKEY RENAME RENAMENX DBSIZE FLUSHDB
		FLUSHALL MULTI EXEC DISCARD PING ECHO QUIT AUTH HELLO SELECT CLIENT COMMAND INFO CONFIG TIME
		EPHPM.DELIFEQ EPHPM.DELPREFIX EPHPM.WAIT`)
	respSpecSubcommands = map[string][]string{
		"CLIENT":  {"ID", "SETNAME", "GETNAME", "LIST", "INFO", "SETINFO"},
		"COMMAND": {"COUNT", "DOCS", "INFO"},
		"CONFIG":  {"GET"},
	}
	unknownCommandRe    = regexp.MustCompile(`unknown command '([^']*)'`)
	unknownSubcommandRe = regexp.MustCompile(`unknown subcommand '([^']*)'\. Try (\w+) HELP`)
	pyParamRe           = regexp.MustCompile(`\[[^\]]*\]$`)
)

// Why tests that fail for a reason other than an unknown command are left
// out (a command or behaviour outside SPEC section 7, a known difference
// in README's "The RESP endpoint", or a test that fails against any
// server but redis-server on localhost:6379).
const (
	whyPyOtherDB   = "SELECTs a database other than 0: one database here (README's known differences)"
	whyPySlowlog   = "SLOWLOG and CONFIG SET slowlog-* are not in SPEC section 7 (its fixture reads them from CONFIG GET *)"
	whyPyCommands  = "wants COMMAND / COMMAND COUNT to list at least 100 commands (Redis's whole table); here it is SPEC section 7's"
	whyPyConfigGet = "wants CONFIG GET *max-*-entries* to answer hash-max-listpack-entries: CONFIG GET answers what applies here (README), and there are no hashes"
	whyPy6379      = "connects to localhost:6379 whatever --redis-url says: fails against a redis-server on any other port too"
)

// redisPyExcluded are tests (by class and function, every parameter
// variant) that must fail, for the reason given; one that passes, or is
// no longer seen, fails the run (update the list).
var redisPyExcluded = map[string]string{
	"tests.test_commands.TestRedisCommands::test_select":                                                    whyPyOtherDB,
	"tests.test_commands.TestRedisCommands::test_copy_to_another_database":                                  whyPyOtherDB,
	"tests.test_asyncio.test_commands.TestRedisCommands::test_bitfield_operations":                          whyPyOtherDB,
	"tests.test_commands.TestRedisCommands::test_slowlog_get":                                               whyPySlowlog,
	"tests.test_commands.TestRedisCommands::test_slowlog_get_limit":                                         whyPySlowlog,
	"tests.test_commands.TestRedisCommands::test_slowlog_length":                                            whyPySlowlog,
	"tests.test_asyncio.test_commands.TestRedisCommands::test_slowlog_get":                                  whyPySlowlog,
	"tests.test_asyncio.test_commands.TestRedisCommands::test_slowlog_get_limit":                            whyPySlowlog,
	"tests.test_asyncio.test_commands.TestRedisCommands::test_slowlog_length":                               whyPySlowlog,
	"tests.test_commands.TestRedisCommands::test_command":                                                   whyPyCommands,
	"tests.test_commands.TestRedisCommands::test_command_count":                                             whyPyCommands,
	"tests.test_commands.TestRedisCommands::test_config_get_multi_params":                                   whyPyConfigGet,
	"tests.test_connection.TestConnection::test_retry_connect_on_timeout_error":                             whyPy6379,
	"tests.test_asyncio.test_connection_pool.TestConnectionPool::test_multiple_connections":                 whyPy6379,
	"tests.test_asyncio.test_connection_pool.TestConnectionPool::test_max_connections":                      whyPy6379,
	"tests.test_asyncio.test_connection_pool.TestConnectionPool::test_reuse_previously_released_connection": whyPy6379,
}

// TestClientSuiteRedisPy runs redisPyFiles of redis-py's own test suite
// (EPHPM_REDISPY_TESTS: its tests directory, as fetched by
// scripts/client-tests-redispy.sh; without it the test is skipped) with
// Debian's python3-redis and pytest against `ephpm serve` with [kv.resp].
// Every test case must pass, be skipped by the suite itself (a hiredis
// variant, a version check), fail on a command outside SPEC section 7
// ("unknown command" / "unknown subcommand", checked against the
// section's list), or be in redisPyExcluded. Run twice: over TCP without
// a password (redisPyFiles), and over the unix socket with one
// (redisPyAuthFiles).
func TestClientSuiteRedisPy(t *testing.T) {
	dir := os.Getenv("EPHPM_REDISPY_TESTS")
	if dir == "" {
		t.Skip("EPHPM_REDISPY_TESTS (redis-py's tests directory, from scripts/client-tests-redispy.sh) not set")
	}
	if _, err := os.Stat(filepath.Join(dir, "conftest.py")); err != nil {
		t.Fatalf("EPHPM_REDISPY_TESTS: %v", err)
	}
	want := ""
	if b, err := os.ReadFile(filepath.Join(dir, "..", "VERSION")); err == nil {
		want = strings.TrimSpace(string(b))
	}
	python := redisPyPython(t, want)

	work := t.TempDir()
	copyDir(t, dir, filepath.Join(work, "tests"))
	t.Run("tcp", func(t *testing.T) {
		r := startRESP(t, "", "")
		checkRedisPy(t, python, work, "redis://"+r.TCP+"/0", redisPyFiles)
	})
	// Again over the unix socket, with a password (AUTH on every
	// connection the suite opens), for the command files.
	t.Run("socket-auth", func(t *testing.T) {
		r := startRESP(t, "redis-py pass", "")
		checkRedisPy(t, python, work, "unix://"+r.Socket+"?db=0&password=redis-py%20pass", redisPyAuthFiles)
	})
}

// redisPyAuthFiles are the files run a second time, over the unix socket
// with a password, with the least number of test cases that pass there.
var redisPyAuthFiles = map[string]int{
	"test_commands.py":              135,
	"test_pipeline.py":              12,
	"test_asyncio/test_commands.py": 360,
	"test_asyncio/test_pipeline.py": 52,
}

// checkRedisPy runs files against url and fails t on any test case that
// fails but neither on a command outside SPEC section 7 nor in
// redisPyExcluded, on an excluded test of these files that passes or is
// not seen, and on a file with fewer passes than files says.
func checkRedisPy(t *testing.T, python, work, url string, files map[string]int) {
	t.Helper()
	start := time.Now()
	res := runRedisPy(t, python, work, url, files)
	var names []string
	for f := range files {
		names = append(names, f)
	}
	sort.Strings(names)
	total := 0
	var perFile []string
	for _, f := range names {
		total += res.passed[f]
		perFile = append(perFile, fmt.Sprintf("%s %d", f, res.passed[f]))
		if res.passed[f] < files[f] {
			t.Errorf("%s: %d test cases passed, want at least %d", f, res.passed[f], files[f])
		}
	}
	for _, f := range res.failed {
		t.Errorf("redis-py suite: %s", f)
	}
	excluded := 0
	for name, why := range redisPyExcluded {
		if _, ok := files[redisPyFile(strings.SplitN(name, "::", 2)[0])]; !ok {
			continue
		}
		excluded++
		switch {
		case !res.seen[name]:
			t.Errorf("excluded test %s was not seen (renamed or gone? update redisPyExcluded)", name)
		case res.excludedPassed[name]:
			t.Errorf("excluded test %s passes now (%s): remove it from redisPyExcluded", name, why)
		}
	}
	if t.Failed() {
		// Every failure that counts is reported above; pytest's summary
		// lists every failed case (most on commands outside the section),
		// so only its end is shown.
		t.Logf("pytest output (end):\n%s", lastLines(res.out, 40))
	}
	var outside []string
	for c, n := range res.outside {
		outside = append(outside, fmt.Sprintf("%s %d", c, n))
	}
	sort.Strings(outside)
	t.Logf("redis-py's own suite: %d test cases passed (%s), %d skipped by the suite, %d failed on commands outside SPEC section 7 (%s), %d excluded by name, in %s",
		total, strings.Join(perFile, ", "), res.skipped, sumCounts(res.outside), strings.Join(outside, ", "), excluded,
		time.Since(start).Round(time.Second))
}

// redisPyPython is a python3 that imports Debian's redis (the version the
// suite is of, when known), pytest, pytest_asyncio and hiredis (without
// it the hiredis variants are skipped and redisPyFiles' counts are not
// reached). python3 on PATH may be another Python (pyenv...), so Debian's
// own is tried too.
func redisPyPython(t *testing.T, version string) string {
	t.Helper()
	var tried []string
	for _, p := range []string{"python3", "/usr/bin/python3"} {
		path, err := exec.LookPath(p)
		if err != nil {
			continue
		}
		out, err := exec.Command(path, "-c", "import redis, pytest, pytest_asyncio, hiredis; print(redis.__version__)").CombinedOutput()
		got := strings.TrimSpace(string(out))
		if err == nil && (version == "" || got == version) {
			return path
		}
		tried = append(tried, fmt.Sprintf("%s: %v %q", path, err, got))
	}
	t.Fatalf("no python3 with redis %s, pytest, pytest_asyncio and hiredis (Debian's python3-redis, python3-pytest, python3-pytest-asyncio, python3-hiredis): %s",
		version, strings.Join(tried, "; "))
	return ""
}

type redisPyResult struct {
	passed         map[string]int // by file
	skipped        int
	outside        map[string]int // by the unknown command
	seen           map[string]bool
	excludedPassed map[string]bool
	failed         []string
	out            string
}

// junitSuites is the part of pytest's --junitxml report read here.
type junitSuites struct {
	Cases []struct {
		Class   string `xml:"classname,attr"`
		Name    string `xml:"name,attr"`
		Results []struct {
			XMLName xml.Name
			Message string `xml:"message,attr"`
			Text    string `xml:",chardata"`
		} `xml:",any"`
	} `xml:"testsuite>testcase"`
}

// runRedisPy runs pytest on files in work (where the suite's tests
// directory was copied) against url and sorts out its results. pytest and
// the processes its tests start are in a process group of their own,
// killed at the end whatever happened.
func runRedisPy(t *testing.T, python, work, url string, files map[string]int) redisPyResult {
	t.Helper()
	report := filepath.Join(t.TempDir(), "report.xml")
	args := []string{"-m", "pytest", "-p", "no:cacheprovider", "-o", "addopts=", "-q", "--tb=line",
		"--redis-url", url, "-m", redisPyMarks, "--junitxml", report}
	for f := range files {
		args = append(args, filepath.Join("tests", f))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, python, args...)
	cmd.Dir = work
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	runErr := cmd.Start()
	if runErr == nil {
		defer syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		runErr = cmd.Wait()
	}
	res := redisPyResult{passed: map[string]int{}, outside: map[string]int{}, seen: map[string]bool{},
		excludedPassed: map[string]bool{}, out: buf.String()}
	raw, err := os.ReadFile(report)
	if err != nil {
		res.failed = append(res.failed, fmt.Sprintf("no report from pytest (%v): %v", runErr, err))
		return res
	}
	var rep junitSuites
	if err := xml.Unmarshal(raw, &rep); err != nil {
		res.failed = append(res.failed, fmt.Sprintf("pytest's report: %v", err))
		return res
	}
	// pytest exits 1 when tests failed (expected here); anything else
	// (2 interrupted, 3 internal error, 4 usage) means the run is broken.
	if ee, ok := runErr.(*exec.ExitError); runErr != nil && (!ok || ee.ExitCode() != 1) {
		res.failed = append(res.failed, fmt.Sprintf("pytest: %v", runErr))
	}
	for _, c := range rep.Cases {
		id := c.Class + "::" + pyParamRe.ReplaceAllString(c.Name, "")
		status, msg := "passed", ""
		for _, r := range c.Results {
			switch r.XMLName.Local {
			case "failure", "error":
				status, msg = "failed", msg+r.Message+"\n"+r.Text+"\n"
			case "skipped":
				if status == "passed" {
					status = "skipped"
				}
			}
		}
		if _, ok := redisPyExcluded[id]; ok {
			res.seen[id] = true
			if status == "passed" {
				res.excludedPassed[id] = true
			}
			continue
		}
		switch status {
		case "passed":
			res.passed[redisPyFile(c.Class)]++
		case "skipped":
			res.skipped++
		default:
			if cmd := outsideSpec(msg); cmd != "" {
				res.outside[cmd]++
			} else {
				res.failed = append(res.failed, fmt.Sprintf("%s: %s", c.Class+"::"+c.Name, firstLines(msg, 6)))
			}
		}
	}
	return res
}

// redisPyFile maps a test's class path (tests.test_asyncio.test_commands.
// TestRedisCommands) to its file in redisPyFiles.
func redisPyFile(class string) string {
	parts := strings.Split(strings.TrimPrefix(class, "tests."), ".")
	var path []string
	for _, p := range parts {
		path = append(path, p)
		if f := strings.Join(path, "/") + ".py"; redisPyFiles[f] != 0 {
			return f
		}
	}
	return class
}

// outsideSpec names the command a failure message says is unknown when it
// is outside SPEC section 7 ("" when the failure is anything else, or the
// command is in the section: a real failure).
func outsideSpec(msg string) string {
	if m := unknownCommandRe.FindStringSubmatch(msg); m != nil {
		name := strings.ToUpper(m[1])
		for _, c := range respSpecCommands {
			if c == name {
				return ""
			}
		}
		return name
	}
	if m := unknownSubcommandRe.FindStringSubmatch(msg); m != nil {
		sub, parent := strings.ToUpper(m[1]), strings.ToUpper(m[2])
		for _, s := range respSpecSubcommands[parent] {
			if s == sub {
				return ""
			}
		}
		return parent + " " + sub
	}
	return ""
}

func firstLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[:n]
	}
	return strings.Join(lines, " | ")
}

func sumCounts(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
