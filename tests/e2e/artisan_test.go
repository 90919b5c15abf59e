package e2e

// The store from outside the server (issue 11): the Laravel test app's
// console commands, run as Debian's plain `php artisan` (the package talks
// RESP to [kv.resp], EPHPM_KV_URL) and as `ephpm php artisan` (the
// ephpm_kv_* functions reach the server through --config), act on the very
// store the web requests of a running `ephpm serve` use. And the package's
// contract suite, run by PHPUnit against RespKvOps over a real server's unix
// socket and password-protected TCP listener, with phpredis and with the
// package's own client.

import (
	"context"
	"encoding/xml"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// artisanTimeout bounds one console command: a Laravel boot takes a fraction
// of a second, but the machine may be busy.
const artisanTimeout = 90 * time.Second

// artisanShortDir is a temp dir with a short path: a unix socket path must
// fit in 107 bytes, which t.TempDir() under a long test name may not.
func artisanShortDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "ephpm-kv")
	must(t, err)
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// artisanFreeAddr is a loopback address nobody listens on right now.
func artisanFreeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	addr := l.Addr().String()
	l.Close()
	return addr
}

// artisanEnv is this process's environment without the variables that
// would change what a console command is tested with, plus extra.
func artisanEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		switch {
		case name == "EPHPM_KV_URL", name == "CACHE_DRIVER", name == "EPHPM_KV_TEST_URL",
			name == "QUEUE_CONNECTION", name == "OVERLAP_FILE", name == "OVERLAP_SECONDS",
			name == "QUEUE_LOOP_FILE", strings.HasPrefix(name, "EPHPM_") && strings.Contains(name, "__"):
			continue
		}
		env = append(env, kv)
	}
	return append(env, extra...)
}

// phpCLI is one way to run a PHP script of the Laravel app outside the server.
type phpCLI struct {
	name string
	// command builds the process for `<php> artisan args...` with extra env.
	command func(ctx context.Context, env []string, args ...string) *exec.Cmd
}

// laravelApp is the app's directory.
func laravelApp() string { return filepath.Join(repoRoot, "testdata", "laravel-app") }

// artisanCLIs are Debian's php with EPHPM_KV_URL (the package's RESP path),
// `ephpm php --config` and `ephpm php` with EPHPM_KV_URL (the functions,
// reaching the server through its [kv.resp]).
func artisanCLIs(t *testing.T, s *server, sock string) []phpCLI {
	t.Helper()
	php, err := exec.LookPath("php")
	if err != nil {
		t.Fatalf("Debian's php (php8.2-cli) is needed: %v", err)
	}
	cfg := filepath.Join(s.Dir, "ephpm.toml")
	return []phpCLI{
		{"php", func(ctx context.Context, env []string, args ...string) *exec.Cmd {
			cmd := exec.CommandContext(ctx, php, append([]string{"artisan"}, args...)...)
			cmd.Dir = laravelApp()
			cmd.Env = artisanEnv(append([]string{"CACHE_DRIVER=ephpm", "EPHPM_KV_URL=unix://" + sock}, env...)...)
			return cmd
		}},
		{"ephpm_php", func(ctx context.Context, env []string, args ...string) *exec.Cmd {
			cmd := exec.CommandContext(ctx, binPath, append([]string{"php", "--config", cfg, "artisan"}, args...)...)
			cmd.Dir = laravelApp()
			cmd.Env = artisanEnv(append([]string{"CACHE_DRIVER=ephpm"}, env...)...)
			return cmd
		}},
		{"ephpm_php_url", func(ctx context.Context, env []string, args ...string) *exec.Cmd {
			cmd := exec.CommandContext(ctx, binPath, append([]string{"php", "artisan"}, args...)...)
			cmd.Dir = laravelApp()
			cmd.Env = artisanEnv(append([]string{"CACHE_DRIVER=ephpm", "EPHPM_KV_URL=unix://" + sock}, env...)...)
			return cmd
		}},
	}
}

// run runs a command to its end and returns its exit code and output.
func (c phpCLI) run(t *testing.T, env []string, args ...string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), artisanTimeout)
	defer cancel()
	cmd := c.command(ctx, env, args...)
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("%s artisan %s: no exit within %s:\n%s", c.name, strings.Join(args, " "), artisanTimeout, out)
	}
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode(), string(out)
		}
		t.Fatalf("%s artisan %s: %v", c.name, strings.Join(args, " "), err)
	}
	return 0, string(out)
}

// mustRun runs a command that must exit 0.
func (c phpCLI) mustRun(t *testing.T, env []string, args ...string) string {
	t.Helper()
	code, out := c.run(t, env, args...)
	if code != 0 {
		t.Fatalf("%s artisan %s: exit %d:\n%s", c.name, strings.Join(args, " "), code, out)
	}
	return out
}

// startArtisanServer serves the Laravel app in request mode with [kv.resp]
// on a unix socket, and returns the server and the socket's path.
func startArtisanServer(t *testing.T) (*server, string) {
	t.Helper()
	if _, err := os.Stat("/usr/share/php/Illuminate/autoload.php"); err != nil {
		t.Fatalf("the Laravel app needs Debian's php-laravel-framework (scripts/install-deps.sh installs it): %v", err)
	}
	sock := filepath.Join(artisanShortDir(t), "kv.sock")
	s := start(t, filepath.Join(laravelApp(), "public"),
		fmt.Sprintf("[kv]\nmemory_limit = \"256MB\"\n[kv.resp]\nsocket = %q\n", sock),
		"CACHE_DRIVER=ephpm", "SESSION_DRIVER=cache")
	return s, sock
}

func TestArtisanSharesTheServersStore(t *testing.T) {
	s, sock := startArtisanServer(t)
	clis := artisanCLIs(t, s, sock)
	// Each pairing once: the CLI under test does the work, the other one
	// plays "another process" where one is needed.
	for i, cli := range clis {
		cli, other := cli, clis[(i+1)%len(clis)]
		t.Run(cli.name, func(t *testing.T) {
			t.Run("web_sees_what_artisan_wrote", func(t *testing.T) { artisanWrites(t, s, cli) })
			t.Run("cache_clear_empties_only_its_prefix", func(t *testing.T) { artisanCacheClear(t, s, cli) })
			t.Run("queue_restart_stops_a_worker_elsewhere", func(t *testing.T) { artisanQueueRestart(t, s, other, cli) })
			t.Run("schedule_run_without_overlapping", func(t *testing.T) { artisanScheduleOverlap(t, cli) })
		})
	}
}

// artisanWrites: a value put by a console command is what the web reads,
// with its type; and the reverse.
func artisanWrites(t *testing.T, s *server, cli phpCLI) {
	value := fmt.Sprintf("from-%s-%d", cli.name, time.Now().UnixNano())
	out := cli.mustRun(t, nil, "kv:put", "artisan:greeting", value)
	wantOps := `RespKvOps`
	if strings.HasPrefix(cli.name, "ephpm_php") {
		wantOps = `SapiKvOps` // the functions exist in `ephpm php`: they win
	}
	if !strings.Contains(out, `"stored":true`) || !strings.Contains(out, wantOps) {
		t.Fatalf("kv:put answered %q, want stored through %s", out, wantOps)
	}
	wantFields(t, "web reads artisan's string", s.call(t, "GET", "/api/cache/artisan:greeting", nil),
		map[string]any{"value": value, "type": "string"})

	cli.mustRun(t, nil, "kv:put", "artisan:count", "41", "--int", "--ttl=300")
	wantFields(t, "web increments artisan's int", s.call(t, "POST", "/api/cache/artisan:count/increment", nil),
		map[string]any{"value": 42})
	if got := s.call(t, "GET", "/api/kv/artisan:count", nil); got["ttl"].(float64) < 290 || got["ttl"].(float64) > 300 {
		t.Errorf("the TTL artisan set, as the web sees it: %v", got["ttl"])
	}

	s.call(t, "PUT", "/api/cache/artisan:fromweb", map[string]any{"value": []any{"a", 1.5, true}, "ttl": 60})
	out = cli.mustRun(t, nil, "kv:get", "artisan:fromweb")
	if !strings.Contains(out, `{"value":["a",1.5,true],"type":"array"}`) {
		t.Fatalf("kv:get of the web's value answered %q", out)
	}
}

// artisanCacheClear: `artisan cache:clear` flushes the default store (prefix
// "cache") of the running server, and leaves the "other" store's keys.
func artisanCacheClear(t *testing.T, s *server, cli phpCLI) {
	s.call(t, "PUT", "/api/cache/clear:mine", map[string]any{"value": "x", "ttl": nil})
	s.call(t, "PUT", "/api/cache/clear:mine2", map[string]any{"value": 7, "ttl": 600})
	s.call(t, "PUT", "/api/cache/clear:theirs?store=ephpm_other", map[string]any{"value": "kept", "ttl": nil})
	wantFields(t, "before", s.call(t, "GET", "/api/cache/clear:mine", nil), map[string]any{"has": true})

	out := cli.mustRun(t, nil, "cache:clear")
	if !strings.Contains(out, "Application cache cleared") {
		t.Fatalf("cache:clear answered %q", out)
	}
	wantFields(t, "the default store's key", s.call(t, "GET", "/api/cache/clear:mine", nil), map[string]any{"has": false})
	wantFields(t, "the default store's counter", s.call(t, "GET", "/api/cache/clear:mine2", nil), map[string]any{"has": false})
	wantFields(t, "the other prefix's key", s.call(t, "GET", "/api/cache/clear:theirs?store=ephpm_other", nil),
		map[string]any{"has": true, "value": "kept"})
}

// artisanQueueRestart: `queue:restart` from one process stops the
// `queue:work` loop of another: the worker reads illuminate:queue:restart
// from the cache on every turn.
func artisanQueueRestart(t *testing.T, s *server, workerCLI, restartCLI phpCLI) {
	// A restart stamp from an earlier run is in seconds: remove it, so that
	// this restart differs from what the worker reads at its start.
	s.call(t, "DELETE", "/api/cache/illuminate:queue:restart", nil)
	loop := filepath.Join(t.TempDir(), "loop")
	ctx, cancel := context.WithTimeout(context.Background(), artisanTimeout)
	defer cancel()
	worker := workerCLI.command(ctx, []string{"QUEUE_LOOP_FILE=" + loop}, "queue:work", "sync", "--sleep=1")
	var out strings.Builder
	worker.Stdout, worker.Stderr = &out, &out
	must(t, worker.Start())
	done := make(chan error, 1)
	go func() { done <- worker.Wait() }()

	// The loop file appears on the worker's first turn, after it read the stamp.
	deadline := time.Now().Add(artisanTimeout / 2)
	for {
		if _, err := os.Stat(loop); err == nil {
			break
		}
		select {
		case err := <-done:
			t.Fatalf("%s queue:work ended before looping (%v):\n%s", workerCLI.name, err, out.String())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s queue:work never looped:\n%s", workerCLI.name, out.String())
		}
	}
	// Still looping a while later: only the restart may stop it.
	select {
	case err := <-done:
		t.Fatalf("%s queue:work stopped by itself (%v):\n%s", workerCLI.name, err, out.String())
	case <-time.After(1500 * time.Millisecond):
	}

	restartOut := restartCLI.mustRun(t, nil, "queue:restart")
	if !strings.Contains(restartOut, "Broadcasting queue restart signal") {
		t.Fatalf("queue:restart answered %q", restartOut)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("%s queue:work ended with %v after queue:restart from %s:\n%s", workerCLI.name, err, restartCLI.name, out.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("%s queue:work still running 20s after queue:restart from %s:\n%s", workerCLI.name, restartCLI.name, out.String())
	}
}

// artisanScheduleOverlap: while one `schedule:run` runs the
// withoutOverlapping() command (it holds the mutex in the server's store),
// a second `schedule:run` skips it; once it is done, the mutex is gone.
// Both runs use the same PHP, as a cron line on each machine would: the
// scheduler starts the command as `<PHP_BINARY> artisan overlap:append`, and
// Laravel names the mutex after that command line, PHP binary included.
func artisanScheduleOverlap(t *testing.T, cli phpCLI) {
	first, second := cli, cli
	dir := t.TempDir()
	file := filepath.Join(dir, "overlap.log")
	env := []string{"OVERLAP_FILE=" + file, "OVERLAP_SECONDS=60"}
	ctx, cancel := context.WithTimeout(context.Background(), artisanTimeout)
	defer cancel()
	runner := first.command(ctx, env, "schedule:run")
	var out strings.Builder
	runner.Stdout, runner.Stderr = &out, &out
	must(t, runner.Start())
	done := make(chan error, 1)
	go func() { done <- runner.Wait() }()
	release := func() { os.WriteFile(file+".release", nil, 0o644) }
	defer release()

	lines := func() []string {
		b, _ := os.ReadFile(file)
		return strings.Fields(string(b))
	}
	deadline := time.Now().Add(artisanTimeout / 2)
	for len(lines()) == 0 {
		select {
		case err := <-done:
			t.Fatalf("%s schedule:run ended (%v) without running overlap:append:\n%s", first.name, err, out.String())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s schedule:run did not start overlap:append:\n%s", first.name, out.String())
		}
	}

	// The command is running (and waits for the release file): a concurrent
	// schedule:run must find the mutex taken and skip it.
	got := second.mustRun(t, env, "schedule:run")
	if strings.Contains(got, "Running scheduled command") || !strings.Contains(got, "No scheduled commands are ready to run") {
		t.Errorf("%s schedule:run while the first runs: %q, want the command skipped", second.name, got)
	}
	if l := lines(); len(l) != 1 {
		t.Fatalf("overlap.log has %d lines while the first run holds the mutex, want 1: %v", len(l), l)
	}

	release()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("%s schedule:run: %v\n%s", first.name, err, out.String())
		}
	case <-time.After(artisanTimeout / 2):
		t.Fatalf("%s schedule:run did not end after the release:\n%s", first.name, out.String())
	}
	if !strings.Contains(out.String(), "Running scheduled command") {
		t.Errorf("%s schedule:run output: %q", first.name, out.String())
	}
	// Done: the mutex was removed, so the next run runs the command again.
	got = second.mustRun(t, env, "schedule:run")
	if !strings.Contains(got, "Running scheduled command") {
		t.Errorf("%s schedule:run after the first ended: %q, want the command run", second.name, got)
	}
	if l := lines(); len(l) != 2 {
		t.Fatalf("overlap.log has %d lines after two separate runs, want 2: %v", len(l), l)
	}
}

// junitSuite is the top of PHPUnit's --log-junit report.
type junitSuite struct {
	Tests    int `xml:"tests,attr"`
	Failures int `xml:"failures,attr"`
	Errors   int `xml:"errors,attr"`
	Skipped  int `xml:"skipped,attr"`
}

// artisanPHPUnit runs the package's PHPUnit suite, only the classes that
// match filter, with env (e.g. EPHPM_KV_TEST_URL=...); it returns the
// report's totals, the exit code and the output.
func artisanPHPUnit(t *testing.T, env, filter string) (junitSuite, int, string) {
	t.Helper()
	phpunit, err := exec.LookPath("phpunit")
	if err != nil {
		t.Fatalf("Debian's phpunit is needed: %v", err)
	}
	report := filepath.Join(t.TempDir(), "junit.xml")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	pkg := filepath.Join(repoRoot, "composer", "cache-laravel")
	cmd := exec.CommandContext(ctx, phpunit, "-c", filepath.Join(pkg, "phpunit.xml.dist"), "--filter", filter, "--log-junit", report)
	cmd.Dir = pkg
	cmd.Env = artisanEnv(env)
	out, err := cmd.CombinedOutput()
	code := 0
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok || ctx.Err() != nil {
			t.Fatalf("phpunit: %v\n%s", err, out)
		}
		code = ee.ExitCode()
	}
	var doc struct {
		Suites []junitSuite `xml:"testsuite"`
	}
	b, err := os.ReadFile(report)
	if err != nil || xml.Unmarshal(b, &doc) != nil || len(doc.Suites) != 1 {
		t.Fatalf("phpunit left no readable report (%v):\n%s", err, out)
	}
	return doc.Suites[0], code, string(out)
}

// The RESP classes of the package's PHPUnit suite: the contract over the
// package's own client and over phpredis, and the client's tests that need
// a server.
const respPHPUnitFilter = `RespStreamKvOpsContractTest|RespPhpRedisKvOpsContractTest|RespServerTest`

// TestPackageContractOverRESP runs the package's contract suite (the one
// InMemoryKvOps and, inside the server, SapiKvOps pass) against RespKvOps
// talking to a real server: over the unix socket and over TCP, both with a
// password, each with phpredis and with the package's own client. Every
// case must run and pass; a wrong password must make it fail.
func TestPackageContractOverRESP(t *testing.T) {
	dir := artisanShortDir(t)
	sock := filepath.Join(dir, "kv.sock")
	addr := artisanFreeAddr(t)
	const password = "contract-secret"
	start(t, t.TempDir(), fmt.Sprintf("[kv.resp]\nsocket = %q\nlisten = %q\npassword = %q\n", sock, addr, password))

	urls := map[string]string{
		"unix": "unix://" + sock + "?password=" + password,
		"tcp":  "tcp://" + addr + "?password=" + password,
	}
	for _, name := range []string{"unix", "tcp"} {
		url := urls[name]
		t.Run(name, func(t *testing.T) {
			sum, code, out := artisanPHPUnit(t, "EPHPM_KV_TEST_URL="+url, respPHPUnitFilter)
			if code != 0 || sum.Failures != 0 || sum.Errors != 0 || sum.Skipped != 0 {
				t.Fatalf("phpunit exit %d, %+v: every case must run and pass against the server:\n%s", code, sum, out)
			}
			// Two clients times the contract (at least minContractCases each).
			if sum.Tests < 2*minContractCases {
				t.Fatalf("only %d cases ran, want at least %d:\n%s", sum.Tests, 2*minContractCases, out)
			}
			t.Logf("%s: %d cases passed", name, sum.Tests)
		})
	}

	// The suite really talks to the server: with a wrong password it fails.
	t.Run("wrong_password_fails", func(t *testing.T) {
		sum, code, out := artisanPHPUnit(t, "EPHPM_KV_TEST_URL=tcp://"+addr+"?password=wrong", `RespStreamKvOpsContractTest::testDel$|RespPhpRedisKvOpsContractTest::testDel$`)
		if code == 0 || sum.Errors+sum.Failures != 2 || !strings.Contains(out, "AUTH refused") {
			t.Fatalf("phpunit exit %d, %+v with a wrong password, want both cases failing on AUTH:\n%s", code, sum, out)
		}
	})

	// A write the full store refuses (the server's -OOM) is false over RESP
	// too, with both clients, as inside the server.
	t.Run("memory_limit", func(t *testing.T) {
		full := filepath.Join(artisanShortDir(t), "kv.sock")
		start(t, t.TempDir(), fmt.Sprintf("[kv]\nmemory_limit = \"256KB\"\neviction_policy = \"noeviction\"\n[kv.resp]\nsocket = %q\n", full))
		sum, code, out := artisanPHPUnit(t, "EPHPM_KV_TEST_FULL_URL=unix://"+full, `RespMemoryLimitServerTest`)
		if code != 0 || sum.Tests != 2 || sum.Failures+sum.Errors+sum.Skipped != 0 {
			t.Fatalf("phpunit exit %d, %+v: both clients must run and pass:\n%s", code, sum, out)
		}
	})
}
