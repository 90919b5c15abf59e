package e2e

// The server's store from `ephpm php --config` and `ephpm kv` (issue 11):
// the ephpm_kv_* functions of a CLI process reach a running server's store
// through its [kv.resp] (unix socket; TCP with a password) with the results
// they have inside the server; values, TTLs and counters are shared both
// ways; a server that is down costs a warning, not a hang; ephpm_kv_wait
// in the server is woken by writes from other processes.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// kvcTimeout bounds one `ephpm php` / `ephpm kv` run.
const kvcTimeout = 90 * time.Second

// kvcServer is a running server with [kv.resp] and the config file that
// names it.
type kvcServer struct {
	*server
	Config string // its ephpm.toml
	Socket string // "" for the TCP one
	TCP    string // host:port, "" for the socket one
	Pass   string
}

// kvcFixtureRoot is the e2e document root plus testdata/kvclient's scripts.
func kvcFixtureRoot(t *testing.T) string {
	t.Helper()
	root := fixtureRoot(t)
	for _, f := range []string{"wait.php", "op.php"} {
		data, err := os.ReadFile(filepath.Join(repoRoot, "testdata", "kvclient", f))
		must(t, err)
		must(t, os.WriteFile(filepath.Join(root, f), data, 0o644))
	}
	return root
}

// kvcStartSocket serves with [kv.resp] on a unix socket only.
func kvcStartSocket(t *testing.T, extraTOML string) *kvcServer {
	t.Helper()
	sock := filepath.Join(artisanShortDir(t), "kv.sock")
	s := start(t, kvcFixtureRoot(t), fmt.Sprintf("[kv.resp]\nsocket = %q\n", sock)+extraTOML)
	return &kvcServer{server: s, Config: filepath.Join(s.Dir, "ephpm.toml"), Socket: sock}
}

// kvcStartTCP serves with [kv.resp] on a loopback port with a password.
func kvcStartTCP(t *testing.T) *kvcServer {
	t.Helper()
	addr := artisanFreeAddr(t)
	const pass = "e2e s3cret"
	// The HTTP listen is spelled out: start fills it in only when the TOML
	// has no "listen" at all.
	s := start(t, kvcFixtureRoot(t), fmt.Sprintf("[server]\nlisten = \"127.0.0.1:0\"\n[kv.resp]\nlisten = %q\npassword = %q\n", addr, pass))
	return &kvcServer{server: s, Config: filepath.Join(s.Dir, "ephpm.toml"), TCP: addr, Pass: pass}
}

// KVURL is the server's EPHPM_KV_URL.
func (k *kvcServer) KVURL() string {
	if k.Socket != "" {
		return "unix://" + k.Socket
	}
	return "tcp://" + k.TCP + "?password=" + url.QueryEscape(k.Pass)
}

// kvcRun runs the binary with args and returns exit code, stdout, stderr.
func kvcRun(t *testing.T, env []string, args ...string) (int, string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), kvcTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, binPath, args...)
	cmd.Env = artisanEnv(env...)
	cmd.Dir = t.TempDir()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("ephpm %s: no exit within %s\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), kvcTimeout, stdout.String(), stderr.String())
	}
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return code, stdout.String(), stderr.String()
}

// php runs `ephpm php --config <server's> -d display_errors=stderr ARGS`
// and fails the test unless it exits 0; returns stdout and stderr.
func (k *kvcServer) php(t *testing.T, args ...string) (string, string) {
	t.Helper()
	all := append([]string{"php", "--config", k.Config, "-d", "display_errors=stderr", "-d", "log_errors=0"}, args...)
	code, out, errOut := kvcRun(t, nil, all...)
	if code != 0 {
		t.Fatalf("ephpm %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(all, " "), code, out, errOut)
	}
	return out, errOut
}

// eval runs PHP code in a CLI process against the server's store and
// decodes the JSON it echoes.
func (k *kvcServer) eval(t *testing.T, code string) any {
	t.Helper()
	out, errOut := k.php(t, "-r", code)
	var v any
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("php -r %s: not JSON: %q (stderr %q)", code, out, errOut)
	}
	return v
}

// kv runs `ephpm kv --config <server's> ARGS` and returns exit code,
// stdout and stderr.
func (k *kvcServer) kv(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	return kvcRun(t, nil, append([]string{"kv", "--config", k.Config}, args...)...)
}

// mustKV is kv that must exit 0; returns stdout.
func (k *kvcServer) mustKV(t *testing.T, args ...string) string {
	t.Helper()
	code, out, errOut := k.kv(t, args...)
	if code != 0 {
		t.Fatalf("ephpm kv %s: exit %d: %s%s", strings.Join(args, " "), code, out, errOut)
	}
	return out
}

// web calls one ephpm_kv_* function inside the server (op.php).
func (k *kvcServer) web(t *testing.T, fn string, args ...any) any {
	t.Helper()
	a, err := json.Marshal(args)
	must(t, err)
	r := k.get(t, "/op.php?fn="+fn+"&args="+url.QueryEscape(string(a)))
	expectStatus(t, r, 200, "op.php "+fn)
	var m struct{ Result any }
	if err := json.Unmarshal([]byte(r.Body), &m); err != nil {
		t.Fatalf("op.php %s: %v: %s", fn, err, r.Body)
	}
	return m.Result
}

// summary reads a check script's "N passed, M failed" and requires 0
// failures; returns N.
func summary(t *testing.T, what, out string) int {
	t.Helper()
	m := summaryRe.FindStringSubmatch(out)
	if m == nil || m[2] != "0" || m[1] == "0" {
		t.Fatalf("%s:\n%s", what, out)
	}
	n, _ := strconv.Atoi(m[1])
	t.Logf("%s: %s", what, m[0])
	return n
}

// TestKVClientFunctionsOverRESP: every function from `ephpm php --config`
// gives what it gives inside the server, over the unix socket and over TCP
// with a password.
func TestKVClientFunctionsOverRESP(t *testing.T) {
	for _, mk := range []func(*testing.T) *kvcServer{
		func(t *testing.T) *kvcServer { return kvcStartSocket(t, "") },
		kvcStartTCP,
	} {
		k := mk(t)
		name := "unix"
		if k.TCP != "" {
			name = "tcp+password"
		}
		t.Run(name, func(t *testing.T) {
			web := summary(t, "in the server: kv_functions.php", k.get(t, "/kv_functions.php?flush=1").Body)
			out, errOut := k.php(t, filepath.Join(repoRoot, "testdata", "kvclient", "functions.php"))
			cli := summary(t, "ephpm php: functions.php", out)
			if cli != web {
				t.Fatalf("ephpm php passed %d checks, the server %d", cli, web)
			}
			if errOut != "" {
				t.Fatalf("ephpm php wrote to stderr:\n%s", errOut)
			}
			webWait := summary(t, "in the server: wait_checks.php", k.get(t, "/wait_checks.php").Body)
			out, _ = k.php(t, filepath.Join(repoRoot, "testdata", "e2e", "public", "wait_checks.php"))
			if cliWait := summary(t, "ephpm php: wait_checks.php", out); cliWait != webWait {
				t.Fatalf("ephpm php passed %d wait checks, the server %d", cliWait, webWait)
			}
		})
	}
}

// TestKVClientSharesTheServersStore: what the CLI writes the server reads
// and the reverse, TTLs agree both ways, and counters incremented from CLI
// processes and web requests at once end exact.
func TestKVClientSharesTheServersStore(t *testing.T) {
	k := kvcStartSocket(t, "")

	k.eval(t, `echo json_encode(ephpm_kv_set("from:cli", "written by ephpm php", 100));`)
	if got := k.web(t, "get", "from:cli"); got != "written by ephpm php" {
		t.Fatalf("server read %v", got)
	}
	// TTLs are read across processes started one after another: on a
	// busy machine seconds pass between the set and the read, so a TTL
	// is checked to be at most the one set and within a few seconds of it.
	near := func(got any, set float64) bool {
		f, ok := got.(float64)
		return ok && f <= set && f >= set-8
	}
	if got := k.web(t, "ttl", "from:cli"); !near(got, 100) {
		t.Fatalf("server's ttl of the CLI's key = %v, want 100 (or a few seconds less)", got)
	}
	if got := k.web(t, "set", "from:web", "written in the server", 50); got != true {
		t.Fatalf("server set = %v", got)
	}
	got := k.eval(t, `echo json_encode([ephpm_kv_get("from:web"), ephpm_kv_ttl("from:web"), ephpm_kv_pttl("from:web") > 42000]);`)
	if r, ok := got.([]any); !ok || len(r) != 3 || r[0] != "written in the server" || !near(r[1], 50) || r[2] != true {
		t.Fatalf("CLI read %v", got)
	}
	if out := k.mustKV(t, "get", "from:web"); out != "written in the server\n" {
		t.Fatalf("ephpm kv get = %q", out)
	}
	if out := k.mustKV(t, "ttl", "from:web"); !near(parseFloat(out), 50) {
		t.Fatalf("ephpm kv ttl = %q", out)
	}
	// A lock taken in the server is released from the CLI by its owner only.
	k.web(t, "setnx", "lock:x", "owner-web", 60)
	if got := k.eval(t, `echo json_encode([ephpm_kv_setnx("lock:x", "owner-cli", 60), ephpm_kv_del_if_equals("lock:x", "owner-cli"), ephpm_kv_del_if_equals("lock:x", "owner-web")]);`); fmt.Sprint(got) != "[false false true]" {
		t.Fatalf("lock from the CLI: %v", got)
	}
	if got := k.web(t, "exists", "lock:x"); got != false {
		t.Fatalf("lock still there: %v", got)
	}

	// Counters: CLI processes, `ephpm kv incr` and web requests together.
	const cliProcs, cliEach, webClients, webEach, kvIncrs = 2, 150, 3, 40, 10
	var wg sync.WaitGroup
	errs := make(chan string, 100)
	for i := 0; i < cliProcs; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			code, out, errOut := kvcRun(t, nil, "php", "--config", k.Config, "-r",
				fmt.Sprintf(`for ($i = 0; $i < %d; $i++) { if (ephpm_kv_incr("count") === false) { echo "incr failed\n"; exit(1); } }`, cliEach))
			if code != 0 {
				errs <- fmt.Sprintf("CLI incr: exit %d %s %s", code, out, errOut)
			}
		}()
	}
	for i := 0; i < webClients; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < webEach; j++ {
				resp, err := client.Get(k.URL + "/op.php?fn=incr_by&args=" + url.QueryEscape(`["count",1]`))
				if err != nil {
					errs <- err.Error()
					return
				}
				resp.Body.Close()
				if resp.StatusCode != 200 {
					errs <- fmt.Sprintf("web incr: status %d", resp.StatusCode)
				}
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; i < kvIncrs; i++ {
			if code, out, errOut := k.kv(t, "incr", "count"); code != 0 {
				errs <- fmt.Sprintf("ephpm kv incr: exit %d %s %s", code, out, errOut)
			}
		}
	}()
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	want := cliProcs*cliEach + webClients*webEach + kvIncrs
	if got := k.web(t, "get", "count"); got != strconv.Itoa(want) {
		t.Fatalf("counter = %v, want %d", got, want)
	}
}

// TestKVClientServerDown: with the server gone, every function returns its
// failure value at once and the script gets one warning saying why.
func TestKVClientServerDown(t *testing.T) {
	k := kvcStartSocket(t, "")
	k.Stop()
	start := time.Now()
	code, out, errOut := kvcRun(t, nil, "php", "--config", k.Config, "-d", "display_errors=stderr", "-d", "log_errors=0", "-r", `echo json_encode([
		ephpm_kv_get("k"), ephpm_kv_set("k", "v"), ephpm_kv_setnx("k", "v", 5), ephpm_kv_del("k"),
		ephpm_kv_exists("k"), ephpm_kv_incr("k"), ephpm_kv_decr("k"), ephpm_kv_incr_by("k", 3),
		ephpm_kv_expire("k", 5), ephpm_kv_ttl("k"), ephpm_kv_pttl("k"), ephpm_kv_flush_all(),
		ephpm_kv_del_prefix("p"), ephpm_kv_del_if_equals("k", "v"), ephpm_kv_wait("k", 0, 5000),
	]);`)
	elapsed := time.Since(start)
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	if want := `[null,false,false,0,false,false,false,false,false,-2,-2,false,0,false,false]`; out != want {
		t.Errorf("results %s, want %s", out, want)
	}
	if n := strings.Count(errOut, "KV server unreachable"); n != 1 {
		t.Errorf("%d warnings, want 1:\n%s", n, errOut)
	}
	if !strings.Contains(errOut, "Warning: ephpm_kv_get(): KV server unreachable: unix://"+k.Socket) {
		t.Errorf("the warning does not name the function and the socket:\n%s", errOut)
	}
	if elapsed > 20*time.Second {
		t.Errorf("15 calls to a stopped server took %v", elapsed)
	}
	code, _, errOut = k.kv(t, "get", "k")
	if code != 1 || !strings.Contains(errOut, "KV server unreachable") {
		t.Errorf("ephpm kv get with the server down: exit %d, %q", code, errOut)
	}
}

// TestKVClientWaitWokenFromOutside: ephpm_kv_wait in the server returns as
// soon as another process writes the key (ephpm kv, ephpm php), or the key
// expires; false at its timeout.
func TestKVClientWaitWokenFromOutside(t *testing.T) {
	k := kvcStartSocket(t, "")
	type waitResult struct {
		Result any
		Ms     int
	}
	wait := func(key string, last float64, timeoutMs int) chan waitResult {
		ch := make(chan waitResult, 1)
		go func() {
			r, err := client.Get(fmt.Sprintf("%s/wait.php?key=%s&last=%d&timeout=%d", k.URL, key, int64(last), timeoutMs))
			var w waitResult
			if err == nil {
				json.NewDecoder(r.Body).Decode(&w)
				r.Body.Close()
			}
			ch <- w
		}()
		return ch
	}
	version := func(w waitResult) float64 {
		m, _ := w.Result.(map[string]any)
		v, _ := m["version"].(float64)
		return v
	}
	value := func(w waitResult) any {
		m, _ := w.Result.(map[string]any)
		return m["value"]
	}

	first := <-wait("w", 0, 0)
	v0 := version(first)
	if v0 <= 0 || value(first) != nil {
		t.Fatalf("first wait: %+v", first)
	}
	// A write by `ephpm kv`.
	ch := wait("w", v0, 60000)
	time.Sleep(300 * time.Millisecond)
	k.mustKV(t, "set", "w", "from ephpm kv")
	r := <-ch
	if version(r) == v0 || value(r) != "from ephpm kv" || r.Ms > 30000 {
		t.Fatalf("after ephpm kv set: %+v", r)
	}
	// A write by `ephpm php`.
	ch = wait("w", version(r), 60000)
	time.Sleep(300 * time.Millisecond)
	k.eval(t, `echo json_encode(ephpm_kv_set("w", "from ephpm php"));`)
	r2 := <-ch
	if version(r2) == version(r) || value(r2) != "from ephpm php" {
		t.Fatalf("after ephpm php set: %+v", r2)
	}
	// Expiry of a key the CLI set with a TTL.
	k.mustKV(t, "set", "w", "short", "--ttl", "1")
	r3 := <-wait("w", version(r2), 0)
	ch = wait("w", version(r3), 60000)
	r4 := <-ch
	if r4.Result == false || value(r4) != nil || r4.Ms > 30000 {
		t.Fatalf("after expiry: %+v", r4)
	}
	// Nobody writes: false at the timeout.
	r5 := <-wait("w", version(r4), 700)
	if r5.Result != false || r5.Ms < 600 {
		t.Fatalf("timeout: %+v", r5)
	}
}

// TestKVClientWaitBoundedByTimeLimit: a wait longer than
// max_execution_time ends there (the request does not hang past it).
func TestKVClientWaitBoundedByTimeLimit(t *testing.T) {
	k := kvcStartSocket(t, "[php]\nmax_execution_time = 2\n")
	start := time.Now()
	r := k.get(t, "/wait.php?key=never&last=1&timeout=60000")
	if el := time.Since(start); el > 20*time.Second {
		t.Fatalf("the request took %v with max_execution_time = 2: %d %s", el, r.Status, r.Body)
	}
	if strings.Contains(r.Body, `"result":{`) {
		t.Fatalf("a change was reported: %s", r.Body)
	}
	// The server still serves, and waits again.
	if r := k.get(t, "/wait.php?key=never&last=0&timeout=0"); !strings.Contains(r.Body, `"version"`) {
		t.Fatalf("after the time limit: %d %s", r.Status, r.Body)
	}
}

// TestKVClientWaitEndsAtShutdown: SIGTERM ends a request parked in
// ephpm_kv_wait at once (false), well within the grace period.
func TestKVClientWaitEndsAtShutdown(t *testing.T) {
	k := kvcStartSocket(t, "[php]\nmax_execution_time = 0\n")
	done := make(chan string, 1)
	go func() {
		r, err := client.Get(k.URL + "/wait.php?key=never&last=1&timeout=120000")
		if err != nil {
			done <- "error: " + err.Error()
			return
		}
		var b bytes.Buffer
		b.ReadFrom(r.Body)
		r.Body.Close()
		done <- b.String()
	}()
	time.Sleep(time.Second)
	start := time.Now()
	k.cmd.Process.Signal(sigterm)
	select {
	case body := <-done:
		if !strings.Contains(body, `"result":false`) {
			t.Fatalf("the waiting request answered %q", body)
		}
	case <-time.After(25 * time.Second):
		t.Fatal("the waiting request did not end within 25s of SIGTERM")
	}
	select {
	case <-k.exited:
	case <-time.After(25 * time.Second):
		t.Fatal("the server did not exit")
	}
	t.Logf("request ended and server exited %v after SIGTERM", time.Since(start))
}

// TestKVClientWaitEndsWhenClientLeaves: a long poll whose HTTP client
// went away stops waiting, freeing its PHP thread (one here) for the next
// request instead of holding it to the wait's timeout.
func TestKVClientWaitEndsWhenClientLeaves(t *testing.T) {
	k := kvcStartSocket(t, "[php]\nworkers = 1\nmax_execution_time = 0\n")
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, k.URL+"/wait.php?key=never&last=1&timeout=120000", nil)
	must(t, err)
	if resp, err := client.Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("the wait answered before its client left: %d", resp.StatusCode)
	}
	start := time.Now()
	r := k.get(t, "/wait.php?key=never&last=0&timeout=0")
	if el := time.Since(start); el > 30*time.Second || !strings.Contains(r.Body, `"version"`) {
		t.Fatalf("the next request was answered after %v: %d %s", el, r.Status, r.Body)
	}
}

// TestKVClientCommands: `ephpm kv` against the TCP listener with its
// password (through --config, and --url), redis-cli's raw output.
func TestKVClientCommands(t *testing.T) {
	k := kvcStartTCP(t)
	steps := []struct {
		args []string
		want string
	}{
		{[]string{"set", "a", "hello world"}, "OK\n"},
		{[]string{"get", "a"}, "hello world\n"},
		{[]string{"get", "missing"}, "\n"},
		{[]string{"ttl", "a"}, "-1\n"},
		{[]string{"ttl", "missing"}, "-2\n"},
		{[]string{"set", "b", "x", "--ttl", "100"}, "OK\n"},
		{[]string{"ttl", "b"}, "100\n"},
		{[]string{"incr", "n"}, "1\n"},
		{[]string{"incr", "n", "--by", "41"}, "42\n"},
		{[]string{"incr", "n", "--by", "-2"}, "40\n"},
		{[]string{"set", "app:1", "1"}, "OK\n"},
		{[]string{"set", "app:2", "2"}, "OK\n"},
		{[]string{"set", "app:3", "3"}, "OK\n"},
		{[]string{"del", "a", "missing"}, "1\n"},
		{[]string{"flush", "--prefix", "app:"}, "3\n"},
		{[]string{"flush", "--prefix", "app:"}, "0\n"},
	}
	for _, s := range steps {
		if out := k.mustKV(t, s.args...); out != s.want {
			t.Fatalf("ephpm kv %s = %q, want %q", strings.Join(s.args, " "), out, s.want)
		}
	}
	// The server sees the same.
	if got := k.web(t, "get", "n"); got != "40" {
		t.Fatalf("server reads n = %v", got)
	}
	// keys (SCAN to the end): more keys than one SCAN page.
	k.eval(t, `for ($i = 0; $i < 2500; $i++) { ephpm_kv_set("many:$i", "v"); } echo "1";`)
	out := k.mustKV(t, "keys", "many:*")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	seen := map[string]bool{}
	for _, l := range lines {
		seen[l] = true
	}
	if len(lines) != 2500 || len(seen) != 2500 || !seen["many:0"] || !seen["many:2499"] {
		t.Fatalf("keys many:* listed %d lines, %d distinct", len(lines), len(seen))
	}
	if out := k.mustKV(t, "keys"); len(strings.Split(strings.TrimSpace(out), "\n")) != 2502 {
		t.Fatalf("keys: %d lines, want 2502 (many:*, b, n)", len(strings.Split(strings.TrimSpace(out), "\n")))
	}
	// --url instead of --config; EPHPM_KV_URL too.
	code, out, errOut := kvcRun(t, nil, "kv", "--url", k.KVURL(), "get", "n")
	if code != 0 || out != "40\n" {
		t.Fatalf("--url: exit %d %q %q", code, out, errOut)
	}
	code, out, errOut = kvcRun(t, []string{"EPHPM_KV_URL=" + k.KVURL()}, "kv", "incr", "n")
	if code != 0 || out != "41\n" {
		t.Fatalf("EPHPM_KV_URL: exit %d %q %q", code, out, errOut)
	}
	// Errors: a value that is no integer, a wrong password, flush without a
	// scope, all exit 1 with a message.
	k.mustKV(t, "set", "s", "abc")
	if code, _, errOut := k.kv(t, "incr", "s"); code != 1 || !strings.Contains(errOut, "not an integer") {
		t.Fatalf("incr of a string: exit %d %q", code, errOut)
	}
	if code, _, errOut := kvcRun(t, nil, "kv", "--url", "tcp://"+k.TCP+"?password=wrong", "get", "n"); code != 1 || !strings.Contains(errOut, "WRONGPASS") {
		t.Fatalf("wrong password: exit %d %q", code, errOut)
	}
	if code, _, errOut := k.kv(t, "flush"); code != 1 || !strings.Contains(errOut, "--prefix P or --all") {
		t.Fatalf("flush without scope: exit %d %q", code, errOut)
	}
	if out := k.mustKV(t, "flush", "--all"); out != "OK\n" {
		t.Fatalf("flush --all = %q", out)
	}
	if got := k.web(t, "exists", "n"); got != false {
		t.Fatalf("n survived flush --all: %v", got)
	}
}

// TestKVClientWithoutConfig: without --config, EPHPM_KV_URL names the
// server; without either the store is the process's own and says so once;
// a config without [kv.resp] is a clear error naming the file.
func TestKVClientWithoutConfig(t *testing.T) {
	k := kvcStartSocket(t, "")
	k.web(t, "set", "shared", "from the server")
	code, out, errOut := kvcRun(t, []string{"EPHPM_KV_URL=" + k.KVURL()}, "php", "-r", `echo ephpm_kv_get("shared");`)
	if code != 0 || out != "from the server" {
		t.Fatalf("EPHPM_KV_URL: exit %d %q %q", code, out, errOut)
	}

	code, out, errOut = kvcRun(t, nil, "php", "-r", `ephpm_kv_set("a", "1"); ephpm_kv_incr("a"); echo json_encode([ephpm_kv_get("a"), ephpm_kv_get("shared")]);`)
	if code != 0 || out != `["2",null]` {
		t.Fatalf("local store: exit %d %q %q", code, out, errOut)
	}
	if strings.Count(errOut, "local to this process") != 1 || !strings.Contains(errOut, "--config") {
		t.Fatalf("the local store's notice, once, naming --config: %q", errOut)
	}
	code, _, errOut = kvcRun(t, nil, "php", "-r", `echo 1;`)
	if code != 0 || errOut != "" {
		t.Fatalf("a script not using the store got a notice: exit %d %q", code, errOut)
	}

	plain := filepath.Join(t.TempDir(), "plain.toml")
	must(t, os.WriteFile(plain, []byte(fmt.Sprintf("[server]\ndocument_root = %q\n", k.Root)), 0o644))
	code, _, errOut = kvcRun(t, nil, "php", "--config", plain, "-r", `echo 1;`)
	if code != 1 || !strings.Contains(errOut, plain) || !strings.Contains(errOut, "[kv.resp]") {
		t.Fatalf("config without [kv.resp]: exit %d %q", code, errOut)
	}
	code, _, errOut = kvcRun(t, nil, "kv", "--config", plain, "get", "x")
	if code != 1 || !strings.Contains(errOut, plain) || !strings.Contains(errOut, "[kv.resp]") {
		t.Fatalf("ephpm kv, config without [kv.resp]: exit %d %q", code, errOut)
	}
}

// parseFloat is s (a command's output line) as a number, or s itself
// when it is not one (so that a check comparing numbers fails on it).
func parseFloat(s string) any {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil {
		return s
	}
	return f
}
