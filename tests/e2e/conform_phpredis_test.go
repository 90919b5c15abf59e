package e2e

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// phpredisSpecTests are the tests of phpredis's own suite (Redis_Test in
// its tests/RedisTest.php, Debian's php-redis 5.3.7 source) that use only
// SPEC section 7's commands: each passes against redis-server and must
// pass against `ephpm serve` with [kv.resp]. (The suite's other tests use
// lists, hashes, sets, pub/sub, EVAL, WATCH, CLIENT KILL...: unknown
// commands here. Tests that "pass" only because every call fails alike,
// e.g. testGeoDist or testsDiff, are not listed.)
var phpredisSpecTests = []string{
	"test1000", "testDecr", "testDelete", "testDifferentTypeString", "testDiscard", "testDoublePipeNoOp",
	"testEcho", "testErr", "testExists", "testExpireAt", "testExpireAtWithLong", "testExtendedSet",
	"testGetLastError", "testGetSet", "testIncr", "testIncrByFloat", "testInfo", "testInfoCommandStats",
	"testIntrospection", "testInvalidAuthArgs", "testKeys", "testMinimumVersion", "testMset", "testMsetNX",
	"testMultiple", "testMultipleBin", "testMultipleConnect", "testPSetEx", "testPersist", "testPing",
	"testPipelineMultiExec", "testPrefix", "testRandomKey", "testReconnectSelect", "testRename", "testScanPrefix",
	"testSelect", "testSerialize", "testSet", "testSetEx", "testSetNX", "testSetRange", "testSetTimeout", "testStr",
	"testTime", "testUnlink", "testUnserialize", "testdbSize", "testttl",
}

// phpredisRunner runs the named Redis_Test methods one by one (catching
// every Throwable, so one test's fatal error does not end the run) and
// prints "NAME RESULT messages" per test. RedisTest.php finds
// TestSuite.php next to the script that runs: it is written into a copy
// of the suite's directory.
const phpredisRunner = `<?php
define('PHPREDIS_TESTRUN', true);
error_reporting(E_ALL & ~E_DEPRECATED);
require_once __DIR__ . "/TestSuite.php";
require_once __DIR__ . "/RedisTest.php";
[$host, $port] = [$argv[1], (int)$argv[2]];
foreach (array_slice($argv, 3) as $name) {
    $before = count(Redis_Test::$errors);
    $res = 'PASSED';
    try {
        $t = new Redis_Test($host, $port, null);
        $t->setUp();
        $t->$name();
        if (count(Redis_Test::$errors) !== $before) $res = 'FAILED';
    } catch (TestSkippedException $e) {
        $res = 'SKIPPED';
    } catch (Throwable $e) {
        Redis_Test::$errors[] = get_class($e) . ": " . $e->getMessage() . "\n";
        $res = 'FAILED';
    }
    echo $name, ' ', $res, ' ', str_replace("\n", ' | ', implode('', array_slice(Redis_Test::$errors, $before))), "\n";
}
`

// TestConformPhpredisSuite runs phpredisSpecTests against the RESP
// endpoint. EPHPM_PHPREDIS_TESTS names the suite's tests directory (e.g.
// after `apt-get source php-redis`: php-redis-5.3.7+4.3.0/redis-5.3.7/tests);
// without it the test is skipped.
func TestConformPhpredisSuite(t *testing.T) {
	dir := os.Getenv("EPHPM_PHPREDIS_TESTS")
	if dir == "" {
		t.Skip("EPHPM_PHPREDIS_TESTS (phpredis's tests directory, from `apt-get source php-redis`) not set")
	}
	if _, err := os.Stat(filepath.Join(dir, "RedisTest.php")); err != nil {
		t.Fatalf("EPHPM_PHPREDIS_TESTS: %v", err)
	}
	if out, err := exec.Command("php", "-r", "echo extension_loaded('redis') ? 'yes' : 'no';").Output(); err != nil || string(out) != "yes" {
		t.Skip("php with the redis extension (php8.2-redis) not installed")
	}
	suite := t.TempDir()
	copyDir(t, dir, suite)
	must(t, os.WriteFile(filepath.Join(suite, "run.php"), []byte(phpredisRunner), 0o644))
	r := startRESP(t, "", "")
	host, port, _ := net.SplitHostPort(r.TCP)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "php", append([]string{"run.php", host, port}, phpredisSpecTests...)...)
	cmd.Dir = suite
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("phpredis suite: %v\n%s", err, out)
	}
	results := map[string]string{}
	for _, line := range strings.Split(string(out), "\n") {
		if name, rest, ok := strings.Cut(line, " "); ok && strings.HasPrefix(name, "test") {
			results[name] = rest
		}
	}
	for _, name := range phpredisSpecTests {
		switch res := results[name]; {
		case res == "":
			t.Errorf("%s: no result\n%s", name, out)
		case !strings.HasPrefix(res, "PASSED"):
			t.Errorf("%s: %s", name, res)
		}
	}
}
