package e2e

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// `ephpm dev`: the real binary started in a directory with no config, as
// a developer would, found through the URL its banner prints.

var devBannerRe = regexp.MustCompile(`^ephpm dev: serving (.+) on (http://(\S+)) \(PHP (\S+), ([^;]+); Ctrl\+C stops\)$`)

// devServer is a running `ephpm dev`; stdout (banner, access log, watcher
// lines) is kept apart from stderr (the server log).
type devServer struct {
	*server
	Banner []string // the banner's submatches
	out    *lockedBuf
}

type lockedBuf struct {
	s *server // its mutex guards b too
	b strings.Builder
}

func (l *lockedBuf) Write(p []byte) (int, error) {
	l.s.mu.Lock()
	defer l.s.mu.Unlock()
	return l.b.Write(p)
}

// Stdout returns what the server wrote to stdout so far.
func (d *devServer) Stdout() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.out.b.String()
}

// waitStdout waits until stdout has a line matching re.
func (d *devServer) waitStdout(t *testing.T, re *regexp.Regexp, timeout time.Duration) {
	t.Helper()
	d.waitStdoutN(t, re, 1, timeout)
}

// waitStdoutN waits until stdout has n lines matching re.
func (d *devServer) waitStdoutN(t *testing.T, re *regexp.Regexp, n int, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		got := 0
		for _, line := range strings.Split(d.Stdout(), "\n") {
			if re.MatchString(line) {
				got++
			}
		}
		if got >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d stdout lines matching %q after %v, want %d; stdout:\n%s", got, re, timeout, n, d.Stdout())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// startDev runs `ephpm dev ARGS...` in dir (NAME=value arguments are
// environment variables) and waits for the banner.
func startDev(t *testing.T, dir string, args ...string) *devServer {
	t.Helper()
	s := &server{t: t, Dir: dir, exited: make(chan struct{})}
	d := &devServer{server: s, out: &lockedBuf{s: s}}
	m := s.launch(t, "dev", args, devBannerRe, true, d.out)
	d.Banner = m
	s.URL, s.Addr, s.Root = m[2], m[3], m[1]
	return d
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	must(t, os.MkdirAll(filepath.Dir(path), 0o755))
	must(t, os.WriteFile(path, []byte(content), 0o644))
}

// backdate sets a file's times to age ago. OPcache keeps no file younger
// than 2 s (file_update_protection), so a test that wants the file cached
// and then revalidated must write it "in the past"; a different age per
// version gives each its own timestamp.
func backdate(t *testing.T, path string, age time.Duration) {
	t.Helper()
	ts := time.Now().Add(-age)
	must(t, os.Chtimes(path, ts, ts))
}

// replaceFile puts content at path as an editor saves: written aside,
// dated age ago (see backdate), then renamed over the file, so a watcher
// sees one change, not a write and then a timestamp change.
func replaceFile(t *testing.T, path, content string, age time.Duration) {
	t.Helper()
	tmp := path + ".saving"
	writeFile(t, tmp, content)
	backdate(t, tmp, age)
	must(t, os.Rename(tmp, path))
}

// holdPort8080 binds 127.0.0.1:8080 for the test if it can, so that
// `ephpm dev` must take another port. false: something else has it.
func holdPort8080(t *testing.T) bool {
	l, err := net.Listen("tcp", "127.0.0.1:8080")
	if err != nil {
		t.Logf("127.0.0.1:8080 is taken by another process (%v): only checking the banner's port", err)
		return false
	}
	t.Cleanup(func() { l.Close() })
	return true
}

func TestDevServesTheCurrentDirectory(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "index.php"), "<?php echo 'dev index from ', getcwd() === __DIR__ ? 'cwd' : getcwd();")
	// A config file in the directory is not read without --config: its
	// document root does not exist and its address is not free.
	writeFile(t, filepath.Join(dir, "ephpm.toml"), "[server]\nlisten = \"127.0.0.1:1\"\ndocument_root = \"./no-such-dir\"\n")
	held := holdPort8080(t)

	d := startDev(t, dir)
	if d.Banner[1] != dir {
		t.Errorf("banner serves %q, want the current directory %q", d.Banner[1], dir)
	}
	if d.Banner[5] != "request mode" {
		t.Errorf("banner mode %q, want request mode", d.Banner[5])
	}
	host, portStr, err := net.SplitHostPort(d.Addr)
	must(t, err)
	port, _ := strconv.Atoi(portStr)
	if host != "127.0.0.1" || port < 8080 || port > 8179 {
		t.Errorf("ephpm dev listens on %s, want 127.0.0.1:8080-8179", d.Addr)
	}
	if held && port == 8080 {
		t.Errorf("ephpm dev reports port 8080, which this test holds")
	}
	r := d.get(t, "/")
	expectStatus(t, r, 200, "GET / of ephpm dev")
	if r.Body != "dev index from cwd" {
		t.Errorf("GET / = %q, want the index.php of the current directory", r.Body)
	}
	if !strings.Contains(d.Stdout(), "./ephpm.toml is not read") {
		t.Errorf("no note that ./ephpm.toml is not read; stdout:\n%s", d.Stdout())
	}
	// The access log is on stdout.
	d.waitStdout(t, regexp.MustCompile(`"GET / HTTP/1\.1" 200 `), 5*time.Second)

	// A second `ephpm dev` takes the next free port rather than failing.
	d2 := startDev(t, dir)
	if d2.Addr == d.Addr {
		t.Fatalf("two ephpm dev on the same address %s", d.Addr)
	}
	if r := d2.get(t, "/"); r.Body != "dev index from cwd" {
		t.Errorf("second ephpm dev: GET / = %q", r.Body)
	}
}

func TestDevFlagsAndArgument(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "site", "index.php"), "<?php echo 'site';")
	// The positional directory, and --listen used as given.
	addr := artisanFreeAddr(t)
	d := startDev(t, dir, "site", "--listen", addr)
	if d.Addr != addr || d.Banner[1] != filepath.Join(dir, "site") {
		t.Errorf("banner %q, want %s served on %s", d.Banner[0], filepath.Join(dir, "site"), addr)
	}
	if r := d.get(t, "/"); r.Body != "site" {
		t.Errorf("GET / = %q, want site/index.php", r.Body)
	}
	d.Stop()

	// --config: the file's document root and address, with dev's PHP
	// settings winning over its ini_overrides.
	addr2 := artisanFreeAddr(t)
	writeFile(t, filepath.Join(dir, "site", "errors.php"), "<?php echo ini_get('display_errors'), ' ', ini_get('memory_limit');")
	writeFile(t, filepath.Join(dir, "conf", "dev.toml"), fmt.Sprintf("[server]\nlisten = %q\ndocument_root = \"../site\"\n[php]\nmemory_limit = \"96M\"\nini_overrides = [[\"display_errors\", \"Off\"]]\n", addr2))
	d = startDev(t, dir, "--config", "conf/dev.toml")
	if d.Addr != addr2 || d.Banner[1] != filepath.Join(dir, "site") {
		t.Errorf("with --config: banner %q, want %s served on %s", d.Banner[0], filepath.Join(dir, "site"), addr2)
	}
	if !strings.Contains(d.Stdout(), "ephpm dev: using "+filepath.Join(dir, "conf", "dev.toml")) {
		t.Errorf("no note naming the config file; stdout:\n%s", d.Stdout())
	}
	if r := d.get(t, "/errors.php"); r.Body != "1 96M" {
		t.Errorf("with --config: display_errors and memory_limit = %q, want \"1 96M\"", r.Body)
	}
	d.Stop()

	// Bad input is a clear error, not a server.
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"nope"}, "is not a directory"},
		{[]string{"site", "--document-root", "site"}, "not both"},
		{[]string{"--worker", "missing.php"}, "--worker missing.php: no such file"},
	} {
		cmd := exec.Command(binPath, append([]string{"dev"}, c.args...)...)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		if err == nil || !strings.Contains(string(out), c.want) {
			t.Errorf("ephpm dev %v: err=%v output %q, want a failure saying %q", c.args, err, out, c.want)
		}
	}
}

func TestDevShowsErrorsAndRevalidates(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "warn.php"), "<?php echo 'before '; echo $undefined_in_dev; echo ' after';")
	writeFile(t, filepath.Join(dir, "ini.php"), `<?php
$s = function_exists('opcache_get_status') ? opcache_get_status(false) : false;
echo json_encode([
    'display_errors' => ini_get('display_errors'),
    'display_startup_errors' => ini_get('display_startup_errors'),
    'error_reporting' => (int)ini_get('error_reporting'),
    'e_all' => E_ALL,
    'opcache' => is_array($s) && $s['opcache_enabled'],
    'validate_timestamps' => ini_get('opcache.validate_timestamps'),
    'revalidate_freq' => ini_get('opcache.revalidate_freq'),
]);`)
	page := filepath.Join(dir, "page.php")
	writeFile(t, page, "<?php echo 'v1 cached=', opcache_is_script_cached(__FILE__) ? 'yes' : 'no';")
	backdate(t, page, 20*time.Second)

	d := startDev(t, dir)
	r := d.get(t, "/warn.php")
	expectStatus(t, r, 200, "warn.php")
	if !strings.Contains(r.Body, "Warning") || !strings.Contains(r.Body, "Undefined variable $undefined_in_dev") || !strings.Contains(r.Body, " after") {
		t.Errorf("the warning is not displayed in the page: %q", r.Body)
	}

	m := decodeJSON(t, d.get(t, "/ini.php"))
	if m["display_errors"] != "1" || m["display_startup_errors"] != "1" || m["error_reporting"] != m["e_all"] {
		t.Errorf("PHP error settings: %v, want display_errors, display_startup_errors on and error_reporting = E_ALL", m)
	}
	if m["opcache"] != true || m["validate_timestamps"] != "1" || m["revalidate_freq"] != "0" {
		t.Errorf("OPcache: %v, want it enabled, validating timestamps every request", m)
	}

	// The page is cached by OPcache (its file is old enough) ...
	d.get(t, "/page.php")
	if r := d.get(t, "/page.php"); r.Body != "v1 cached=yes" {
		t.Fatalf("second GET /page.php = %q, want v1 served from OPcache", r.Body)
	}
	// ... and the very next request after an edit runs the new code, not
	// the cached copy (with PHP's default revalidate_freq = 2 it would
	// serve v1 for up to 2 s).
	replaceFile(t, page, "<?php echo 'v2 cached=', opcache_is_script_cached(__FILE__) ? 'yes' : 'no';", 10*time.Second)
	if r := d.get(t, "/page.php"); !strings.HasPrefix(r.Body, "v2 ") {
		t.Errorf("GET /page.php right after the edit = %q, want v2", r.Body)
	}
	if r := d.get(t, "/page.php"); r.Body != "v2 cached=yes" {
		t.Errorf("GET /page.php after the edit = %q, want v2 cached by OPcache", r.Body)
	}
}

// devWorkerApp is a worker script that keeps a count in a static (in the
// closure) and loads its message from msg.php once, at boot: a change to
// msg.php shows only after a restart, which also restarts the count.
func devWorkerApp(t *testing.T, dir string) {
	writeFile(t, filepath.Join(dir, "worker.php"), `<?php
require __DIR__ . '/msg.php';
$handler = function () {
    static $n = 0;
    $n++;
    echo msg(), ' n=', $n;
};
while (ephpm_handle_request($handler)) {}
`)
	writeFile(t, filepath.Join(dir, "msg.php"), "<?php function msg() { return 'msg v1'; }")
	backdate(t, filepath.Join(dir, "msg.php"), 30*time.Second)
}

func TestDevWorkerRestartsOnChange(t *testing.T) {
	dir := t.TempDir()
	devWorkerApp(t, dir)
	// One worker, so the count is the count of one worker script run.
	d := startDev(t, dir, "--worker", "worker.php", "EPHPM_PHP__WORKERS=1")
	if d.Banner[5] != "worker mode: "+filepath.Join(dir, "worker.php") {
		t.Errorf("banner mode %q, want worker mode with the script", d.Banner[5])
	}
	d.waitStdout(t, regexp.MustCompile(`^ephpm dev: watching `), 10*time.Second)
	for i := 1; i <= 2; i++ {
		if r := d.get(t, "/any"); r.Body != fmt.Sprintf("msg v1 n=%d", i) {
			t.Fatalf("request %d = %q, want msg v1 n=%d", i, r.Body, i)
		}
	}

	// Each edit is served within a second. The machine may be busy (the
	// tests share two cores), so three edits are timed and one under a
	// second is enough; each must show within 10 s.
	best := time.Hour
	for v := 2; v <= 4; v++ {
		msg := filepath.Join(dir, "msg.php")
		replaceFile(t, msg, fmt.Sprintf("<?php function msg() { return 'msg v%d'; }", v), time.Duration(30-v)*time.Second)
		t0 := time.Now()
		want := fmt.Sprintf("msg v%d n=1", v)
		for {
			r := d.get(t, "/any")
			if r.Body == want {
				break
			}
			if !strings.HasPrefix(r.Body, fmt.Sprintf("msg v%d ", v-1)) {
				t.Fatalf("after editing msg.php to v%d: %q, want the old worker (v%d) or a restarted one (%q)", v, r.Body, v-1, want)
			}
			if time.Since(t0) > 10*time.Second {
				t.Fatalf("msg.php v%d not served 10 s after the edit (still %q)", v, r.Body)
			}
			time.Sleep(10 * time.Millisecond)
		}
		took := time.Since(t0)
		t.Logf("edit v%d served after %v", v, took)
		best = min(best, took)
		d.waitStdoutN(t, regexp.MustCompile(`^ephpm dev: msg\.php changed; PHP workers restarted in `), v-1, 5*time.Second)
		// The restarted worker keeps its new state.
		if r := d.get(t, "/any"); r.Body != fmt.Sprintf("msg v%d n=2", v) {
			t.Fatalf("the request after the restart = %q, want msg v%d n=2", r.Body, v)
		}
		if best < time.Second {
			break
		}
		time.Sleep(200 * time.Millisecond) // let the restart's log line settle before the next round
	}
	if best >= time.Second {
		t.Errorf("an edited file was served at best %v after the edit, want within a second", best)
	}
}

func TestDevWatchesNewDirectoriesNotVendor(t *testing.T) {
	dir := t.TempDir()
	devWorkerApp(t, dir)
	must(t, os.MkdirAll(filepath.Join(dir, "vendor", "pkg"), 0o755))
	d := startDev(t, dir, "--worker", "worker.php", "EPHPM_PHP__WORKERS=1")
	d.waitStdout(t, regexp.MustCompile(`^ephpm dev: watching `), 10*time.Second)
	if r := d.get(t, "/"); r.Body != "msg v1 n=1" {
		t.Fatalf("first request = %q", r.Body)
	}

	// A change under vendor/ restarts nothing (composer's tree is not
	// watched), nor does a file that is not PHP.
	writeFile(t, filepath.Join(dir, "vendor", "pkg", "lib.php"), "<?php // vendored")
	writeFile(t, filepath.Join(dir, "notes.txt"), "not code")
	time.Sleep(time.Second)
	if r := d.get(t, "/"); r.Body != "msg v1 n=2" {
		t.Fatalf("after writing vendor/pkg/lib.php and notes.txt: %q, want the same worker (msg v1 n=2)", r.Body)
	}

	// A directory made after the start is watched: a PHP file created in
	// it, and later one changed in it, each restart the workers.
	writeFile(t, filepath.Join(dir, "src", "deep", "New.php"), "<?php // new")
	d.waitStdout(t, regexp.MustCompile(`^ephpm dev: src/deep/New\.php changed; PHP workers restarted`), 10*time.Second)
	if r := d.get(t, "/"); r.Body != "msg v1 n=1" {
		t.Fatalf("after creating src/deep/New.php: %q, want a restarted worker (msg v1 n=1)", r.Body)
	}
	time.Sleep(300 * time.Millisecond) // past the debounce of the creation
	writeFile(t, filepath.Join(dir, "src", "deep", "Other.php"), "<?php // other")
	d.waitStdout(t, regexp.MustCompile(`^ephpm dev: src/deep/Other\.php changed; PHP workers restarted`), 10*time.Second)

	// .env is read at boot by frameworks: a change restarts too.
	writeFile(t, filepath.Join(dir, ".env"), "APP_ENV=local\n")
	d.waitStdout(t, regexp.MustCompile(`^ephpm dev: \.env changed; PHP workers restarted`), 10*time.Second)
}

// A save with a syntax error leaves the workers unable to boot: the log
// says so, and the next save that fixes it brings them back at once.
func TestDevWorkerRecoversFromASyntaxError(t *testing.T) {
	dir := t.TempDir()
	devWorkerApp(t, dir)
	d := startDev(t, dir, "--worker", "worker.php", "EPHPM_PHP__WORKERS=1")
	d.waitStdout(t, regexp.MustCompile(`^ephpm dev: watching `), 10*time.Second)
	if r := d.get(t, "/"); r.Body != "msg v1 n=1" {
		t.Fatalf("first request = %q", r.Body)
	}
	msg := filepath.Join(dir, "msg.php")
	writeFile(t, msg, "<?php function msg() { return 'broken' }")
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(d.Log(), "msg.php changed; restarting PHP workers failed") {
		if time.Now().After(deadline) {
			t.Fatalf("no failed-restart line 10 s after a syntax error in msg.php")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !strings.Contains(d.Log(), "syntax error") {
		t.Errorf("the log does not show PHP's syntax error")
	}
	if r := d.get(t, "/"); r.Status != 503 {
		t.Errorf("with the worker script failing to boot: %d %q, want 503", r.Status, r.Body)
	}

	writeFile(t, msg, "<?php function msg() { return 'fixed'; }")
	t0 := time.Now()
	for {
		r := d.get(t, "/")
		if r.Body == "fixed n=1" {
			break
		}
		if time.Since(t0) > 10*time.Second {
			t.Fatalf("the fixed msg.php is not served 10 s after the save (%d %q)", r.Status, r.Body)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("fixed worker served %v after the save", time.Since(t0))
}

// With several workers (thread-safe build), every one of them runs the
// edited code once the restart line is printed.
func TestDevWorkerRestartsEveryWorker(t *testing.T) {
	dir := t.TempDir()
	devWorkerApp(t, dir)
	d := startDev(t, dir, "--worker", "worker.php", "EPHPM_PHP__WORKERS=3")
	// The server log (stderr) may come after the banner (stdout).
	for t0 := time.Now(); !strings.Contains(d.Log(), "thread_safe=") && time.Since(t0) < 10*time.Second; {
		time.Sleep(20 * time.Millisecond)
	}
	if !strings.Contains(d.Log(), "thread_safe=true") {
		t.Skip("several PHP workers need the thread-safe (ZTS) build")
	}
	d.waitStdout(t, regexp.MustCompile(`^ephpm dev: watching `), 10*time.Second)
	_, rs := parallelGets(t, d.server, 12, func(int) string { return "/" })
	for _, r := range rs {
		if !strings.HasPrefix(r.Body, "msg v1 ") {
			t.Fatalf("before the edit: %q", r.Body)
		}
	}
	msg := filepath.Join(dir, "msg.php")
	replaceFile(t, msg, "<?php function msg() { return 'msg v2'; }", 10*time.Second)
	d.waitStdout(t, regexp.MustCompile(`^ephpm dev: msg\.php changed; PHP workers restarted in `), 10*time.Second)
	_, rs = parallelGets(t, d.server, 12, func(int) string { return "/" })
	for _, r := range rs {
		if !strings.HasPrefix(r.Body, "msg v2 ") {
			t.Errorf("after the restart line: %q, want every worker on msg v2", r.Body)
		}
	}
}

// A framework app (composer.json next to public/) is watched from its
// directory, so a change in app/ restarts the workers; code the framework
// generates while serving (storage/, var/) does not.
func TestDevWatchesTheAppAroundPublic(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "composer.json"), "{}\n")
	writeFile(t, filepath.Join(dir, "public", "worker.php"), `<?php
require __DIR__ . '/../app/Msg.php';
$handler = function () {
    static $n = 0;
    $n++;
    echo msg(), ' n=', $n;
};
while (ephpm_handle_request($handler)) {}
`)
	writeFile(t, filepath.Join(dir, "app", "Msg.php"), "<?php function msg() { return 'app v1'; }")
	backdate(t, filepath.Join(dir, "app", "Msg.php"), 30*time.Second)
	must(t, os.MkdirAll(filepath.Join(dir, "storage", "framework", "views"), 0o755))
	must(t, os.MkdirAll(filepath.Join(dir, "var", "cache"), 0o755))

	d := startDev(t, dir, "public", "--worker", "public/worker.php", "EPHPM_PHP__WORKERS=1")
	d.waitStdout(t, regexp.MustCompile(`^ephpm dev: watching `+regexp.QuoteMeta(dir)+` \(`), 10*time.Second)
	if r := d.get(t, "/"); r.Body != "app v1 n=1" {
		t.Fatalf("first request = %q", r.Body)
	}
	writeFile(t, filepath.Join(dir, "storage", "framework", "views", "abc.php"), "<?php // compiled view")
	writeFile(t, filepath.Join(dir, "var", "cache", "container.php"), "<?php // compiled container")
	time.Sleep(time.Second)
	if r := d.get(t, "/"); r.Body != "app v1 n=2" {
		t.Fatalf("after writes to storage/ and var/: %q, want the same worker (app v1 n=2)", r.Body)
	}
	replaceFile(t, filepath.Join(dir, "app", "Msg.php"), "<?php function msg() { return 'app v2'; }", 20*time.Second)
	d.waitStdout(t, regexp.MustCompile(`^ephpm dev: app/Msg\.php changed; PHP workers restarted`), 10*time.Second)
	if r := d.get(t, "/"); r.Body != "app v2 n=1" {
		t.Errorf("after editing app/Msg.php: %q, want app v2 n=1", r.Body)
	}
}
