package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// deployDir lays out a symlink deploy: releases/1..n, each answering its
// release number from index.php (request mode) and from worker.php (worker
// mode), and current -> releases/1.
func deployDir(t *testing.T, n int) string {
	t.Helper()
	dir := t.TempDir()
	for i := 1; i <= n; i++ {
		rel := filepath.Join(dir, "releases", strconv.Itoa(i))
		must(t, os.MkdirAll(rel, 0o755))
		// lib.php is reached through the `current` symlink on purpose: the
		// realpath cache would keep it in the old release for 120 s.
		must(t, os.WriteFile(filepath.Join(rel, "lib.php"), []byte(fmt.Sprintf("<?php const REL = %d;\n", i)), 0o644))
		must(t, os.WriteFile(filepath.Join(rel, "index.php"), []byte(fmt.Sprintf(`<?php
require %q;
$lib = REL;
echo "release %d lib $lib\n";
`, filepath.Join(dir, "current", "lib.php"), i)), 0o644))
		must(t, os.WriteFile(filepath.Join(rel, "worker.php"), []byte(fmt.Sprintf(`<?php
require %q;
while (ephpm_handle_request(function () {
    $lib = REL;
    echo "release %d worker lib $lib\n";
})) {}
`, filepath.Join(dir, "current", "lib.php"), i)), 0o644))
		must(t, os.WriteFile(filepath.Join(rel, "sleep.php"), []byte(fmt.Sprintf(`<?php
usleep((int)((float)($_GET['s'] ?? 1) * 1e6));
echo "release %d slept\n";
`, i)), 0o644))
		must(t, os.WriteFile(filepath.Join(rel, "opcache.php"), []byte(`<?php
$s = function_exists('opcache_get_status') ? opcache_get_status(false) : false;
echo json_encode(['enabled' => is_array($s) && $s['opcache_enabled'], 'manual_restarts' => is_array($s) ? $s['opcache_statistics']['manual_restarts'] : 0]);
`), 0o644))
	}
	must(t, os.Symlink(filepath.Join("releases", "1"), filepath.Join(dir, "current")))
	return dir
}

// swapCurrent points current at releases/n atomically, as deploy tools
// do: a new symlink under a temporary name renamed over the old one.
func swapCurrent(t *testing.T, dir string, n int) {
	t.Helper()
	tmp := filepath.Join(dir, "current.tmp")
	os.Remove(tmp)
	must(t, os.Symlink(filepath.Join("releases", strconv.Itoa(n)), tmp))
	must(t, os.Rename(tmp, filepath.Join(dir, "current")))
}

var releaseRe = regexp.MustCompile(`^release (\d+)`)

type loadResult struct {
	start, end time.Time
	status     int
	release    int
	body       string
	err        error
}

// runLoad sends GET / from several clients until ctx ends.
func runLoad(ctx context.Context, url string, clients int) <-chan []loadResult {
	out := make(chan []loadResult, 1)
	var mu sync.Mutex
	var all []loadResult
	var wg sync.WaitGroup
	tr := &http.Transport{MaxIdleConnsPerHost: clients}
	c := &http.Client{Transport: tr, Timeout: 60 * time.Second}
	for i := 0; i < clients; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []loadResult
			for ctx.Err() == nil {
				r := loadResult{start: time.Now()}
				resp, err := c.Get(url)
				if err == nil {
					b, rerr := io.ReadAll(resp.Body)
					resp.Body.Close()
					r.status, r.body, r.err = resp.StatusCode, string(b), rerr
					if m := releaseRe.FindStringSubmatch(r.body); m != nil {
						r.release, _ = strconv.Atoi(m[1])
					}
				} else {
					r.err = err
				}
				r.end = time.Now()
				mine = append(mine, r)
			}
			mu.Lock()
			all = append(all, mine...)
			mu.Unlock()
		}()
	}
	go func() {
		wg.Wait()
		tr.CloseIdleConnections()
		out <- all
	}()
	return out
}

// reloaded is one finished reload: from `at` on, every request sent
// must be answered by release n.
type reloaded struct {
	n  int
	at time.Time
}

// reloadBy reloads s to release n, alternating SIGHUP, `ephpm reload`
// and SIGUSR2, and returns once the reload is done.
func reloadBy(t *testing.T, s *server, cfgPath string, i, n int) string {
	t.Helper()
	switch i % 3 {
	case 0:
		code, out := runEphpm(t, s.Dir, nil, "reload", "--config", cfgPath)
		if code != 0 || !strings.Contains(out, fmt.Sprintf("releases/%d", n)) {
			t.Fatalf("ephpm reload to release %d: exit %d\n%s", n, code, out)
		}
		return "ephpm reload"
	default:
		sig, name := syscall.SIGHUP, "SIGHUP"
		if i%3 == 2 {
			sig, name = syscall.SIGUSR2, "SIGUSR2"
		}
		want := fmt.Sprintf("msg=reloaded document_root=%s", filepath.Join(filepath.Dir(cfgPath), "releases", strconv.Itoa(n)))
		before := strings.Count(s.Log(), want)
		must(t, s.cmd.Process.Signal(sig))
		deadline := time.Now().Add(60 * time.Second)
		for strings.Count(s.Log(), want) == before {
			if time.Now().After(deadline) {
				t.Fatalf("no reload to release %d logged 60 s after %s", n, name)
			}
			time.Sleep(10 * time.Millisecond)
		}
		return name
	}
}

// testSymlinkDeploy swaps current ten times under continuous load, with
// a reload after each swap, and checks that no request failed and that
// every request sent after a reload finished got the new release.
func testSymlinkDeploy(t *testing.T, extra string) *server {
	const releases = 11
	dir := deployDir(t, releases)
	cfgPath := filepath.Join(dir, "ephpm.toml")
	must(t, os.WriteFile(cfgPath, []byte(fmt.Sprintf("[server]\nlisten = \"127.0.0.1:0\"\ndocument_root = %q\n%s",
		filepath.Join(dir, "current"), extra)), 0o644))
	s := startArgs(t, dir, "--config", cfgPath)

	ctx, stop := context.WithCancel(context.Background())
	results := runLoad(ctx, s.URL+"/", 4)
	var done []reloaded
	var swaps []time.Time
	time.Sleep(300 * time.Millisecond)
	for i := 0; i < releases-1; i++ {
		n := i + 2
		swaps = append(swaps, time.Now())
		swapCurrent(t, dir, n)
		// Load keeps running on the old release until the reload.
		time.Sleep(100 * time.Millisecond)
		how := reloadBy(t, s, cfgPath, i, n)
		done = append(done, reloaded{n: n, at: time.Now()})
		t.Logf("release %d by %s", n, how)
		time.Sleep(200 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond)
	stop()
	all := <-results
	swaps = append(swaps, time.Now().Add(time.Hour))

	if len(all) < 50 {
		t.Errorf("only %d requests were sent during the deploys", len(all))
	}
	bad := 0
	for _, r := range all {
		if r.err != nil || r.status != http.StatusOK || r.release == 0 {
			if bad++; bad <= 10 {
				t.Errorf("request at %s: err %v, status %d, body %q", r.start.Format("15:04:05.000"), r.err, r.status, r.body)
			}
			continue
		}
		// The release the last reload finished before this request
		// was sent, and the one any reload finished before its answer.
		want, settled := 1, false
		for i, d := range done {
			if !d.at.After(r.start) {
				want = d.n
				// Sent after this reload and answered before the next
				// swap: everything it ran must be of one release.
				settled = r.end.Before(swaps[i+1])
			}
		}
		if r.release < want {
			if bad++; bad <= 10 {
				t.Errorf("request sent at %s after the reload to release %d was answered by release %d: %q",
					r.start.Format("15:04:05.000"), want, r.release, r.body)
			}
		}
		if settled && strings.Contains(r.body, " lib ") && !strings.Contains(r.body, fmt.Sprintf("lib %d\n", r.release)) {
			if bad++; bad <= 10 {
				t.Errorf("release %d ran the lib of another release (through the current symlink): %q", r.release, r.body)
			}
		}
	}
	seen := map[int]int{}
	for _, r := range all {
		seen[r.release]++
	}
	t.Logf("%d requests, by release: %v", len(all), seen)
	if final := s.get(t, "/"); !strings.HasPrefix(final.Body, fmt.Sprintf("release %d", releases)) {
		t.Errorf("after the deploys: %q", final.Body)
	}
	return s
}

func TestReloadSymlinkDeployRequestMode(t *testing.T) {
	s := testSymlinkDeploy(t, "")
	// OPcache (loaded in both builds) was reset at each reload.
	m := decodeJSON(t, s.get(t, "/opcache.php"))
	if m["enabled"] == true && num(m, "manual_restarts") < 10 {
		t.Errorf("OPcache was reset %d times over 10 reloads", num(m, "manual_restarts"))
	}
	t.Logf("opcache: %v", m)
}

func TestReloadSymlinkDeployWorkerMode(t *testing.T) {
	s := testSymlinkDeploy(t, "[php]\nmode = \"worker\"\nworker_script = \"worker.php\"\nworkers = 2\n")
	if r := s.get(t, "/"); r.Body != "release 11 worker lib 11\n" {
		t.Errorf("worker after the deploys: %q", r.Body)
	}
	if n := strings.Count(s.Log(), "msg=reloaded"); n != 10 {
		t.Errorf("%d reloads logged, want 10", n)
	}
}

// A bad file on reload changes nothing: the server keeps serving, the
// reload says what is wrong (key and line) and exits non-zero.
func TestReloadBadConfigKeepsRunning(t *testing.T) {
	dir := deployDir(t, 2)
	cfgPath := filepath.Join(dir, "ephpm.toml")
	good := fmt.Sprintf("[server]\nlisten = \"127.0.0.1:0\"\ndocument_root = %q\n", filepath.Join(dir, "current"))
	must(t, os.WriteFile(cfgPath, []byte(good), 0o644))
	s := startArgs(t, dir, "--config", cfgPath)
	swapCurrent(t, dir, 2)

	must(t, os.WriteFile(cfgPath, []byte(good+"[server.static]\nhidden_files = \"show\"\n"), 0o644))
	code, out := runEphpm(t, dir, nil, "reload", "--config", cfgPath)
	if code == 0 || !strings.Contains(out, "ephpm.toml:5: server.static.hidden_files") {
		t.Fatalf("reload of a bad file: exit %d, want non-zero naming line 5 and the key:\n%s", code, out)
	}
	if r := s.get(t, "/"); !strings.HasPrefix(r.Body, "release 1 ") {
		t.Fatalf("after a refused reload: %q, want release 1 still", r.Body)
	}
	if !s.LogHas("reload refused") {
		t.Errorf("the refused reload is not in the log")
	}
	// A signal with the bad file: refused too, and the server lives on.
	must(t, s.cmd.Process.Signal(syscall.SIGHUP))
	deadline := time.Now().Add(20 * time.Second)
	for strings.Count(s.Log(), "reload refused") < 2 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if strings.Count(s.Log(), "reload refused") < 2 || s.Exited() {
		t.Fatalf("SIGHUP with a bad file: not refused or the server stopped")
	}
	if r := s.get(t, "/"); !strings.HasPrefix(r.Body, "release 1 ") {
		t.Fatalf("after a refused SIGHUP reload: %q", r.Body)
	}

	// A good file changing a key that needs a restart: the reload goes
	// through and names the key.
	must(t, os.WriteFile(cfgPath, []byte(good+"[server.static]\netag = false\n"), 0o644))
	code, out = runEphpm(t, dir, nil, "reload", "--config", cfgPath)
	if code != 0 || !strings.Contains(out, "server.static.etag") || !strings.Contains(out, "after a restart") {
		t.Fatalf("reload with a restart-only change: exit %d\n%s", code, out)
	}
	if r := s.get(t, "/"); !strings.HasPrefix(r.Body, "release 2 ") {
		t.Fatalf("after the good reload: %q, want release 2", r.Body)
	}
}

func TestReloadWithoutServer(t *testing.T) {
	dir := deployDir(t, 1)
	cfgPath := filepath.Join(dir, "ephpm.toml")
	must(t, os.WriteFile(cfgPath, []byte(fmt.Sprintf("[server]\ndocument_root = %q\n", filepath.Join(dir, "current"))), 0o644))
	code, out := runEphpm(t, dir, nil, "reload", "--config", cfgPath)
	if code != 1 || !strings.Contains(out, "no ephpm server is running") {
		t.Fatalf("reload with no server: exit %d\n%s", code, out)
	}
}

// A release whose worker script fails before it takes a request: the
// reload fails, says so, and the workers go back to the previous release,
// which never stops answering.
func TestReloadBrokenWorkerScriptRollsBack(t *testing.T) {
	dir := deployDir(t, 2)
	must(t, os.WriteFile(filepath.Join(dir, "releases", "2", "worker.php"), []byte("<?php\nthrow new RuntimeException('release 2 cannot boot');\n"), 0o644))
	cfgPath := filepath.Join(dir, "ephpm.toml")
	must(t, os.WriteFile(cfgPath, []byte(fmt.Sprintf("[server]\nlisten = \"127.0.0.1:0\"\ndocument_root = %q\n[php]\nmode = \"worker\"\nworker_script = \"worker.php\"\nworkers = 2\n",
		filepath.Join(dir, "current"))), 0o644))
	s := startArgs(t, dir, "--config", cfgPath)

	ctx, stop := context.WithCancel(context.Background())
	results := runLoad(ctx, s.URL+"/", 2)
	time.Sleep(200 * time.Millisecond)
	swapCurrent(t, dir, 2)
	code, out := runEphpm(t, dir, nil, "reload", "--config", cfgPath)
	time.Sleep(300 * time.Millisecond)
	stop()
	all := <-results
	if code == 0 || !strings.Contains(out, "releases/1") {
		t.Fatalf("reload to a release that cannot boot: exit %d, want non-zero naming the release kept:\n%s", code, out)
	}
	// With one PHP thread (the NTS build) the one worker is down while
	// it tries the new script: requests then get a 503 saying why. With
	// two, the second keeps serving the old release throughout.
	oneThread := strings.Contains(s.Log(), "php_threads=1 ")
	unavailable := 0
	for _, r := range all {
		if oneThread && r.err == nil && r.status == http.StatusServiceUnavailable && strings.Contains(r.body, "fails before it takes a request") {
			unavailable++
			continue
		}
		if r.err != nil || r.status != http.StatusOK || r.release != 1 {
			t.Fatalf("during the failed reload: err %v, status %d, body %q", r.err, r.status, r.body)
		}
	}
	if unavailable > 0 {
		t.Logf("one PHP thread: %d requests got 503 while the worker tried the broken release", unavailable)
	}
	// (Its lib comes through current, which still names release 2.)
	if r := s.get(t, "/"); !strings.HasPrefix(r.Body, "release 1 worker") {
		t.Fatalf("after the failed reload: %q", r.Body)
	}
	t.Logf("%d requests during the failed reload, none answered by release 2; ephpm reload said: %s", len(all), out)
}

// Without a config file the admin socket follows the document root, so
// `ephpm reload --document-root D` reaches `ephpm serve --document-root D`.
func TestReloadWithoutConfigFile(t *testing.T) {
	dir := deployDir(t, 2)
	root := filepath.Join(dir, "current")
	s := startArgs(t, dir, "--listen", "127.0.0.1:0", "--document-root", root)
	swapCurrent(t, dir, 2)
	code, out := runEphpm(t, dir, nil, "reload", "--document-root", root)
	if code != 0 || !strings.Contains(out, "releases/2") {
		t.Fatalf("ephpm reload --document-root: exit %d\n%s", code, out)
	}
	if r := s.get(t, "/"); !strings.HasPrefix(r.Body, "release 2 ") {
		t.Fatalf("after the reload: %q", r.Body)
	}
}

// server.admin_socket names the socket: created with mode 0600, used by
// `ephpm reload`, removed when the server stops.
func TestReloadAdminSocketPath(t *testing.T) {
	dir := deployDir(t, 2)
	sock := filepath.Join(dir, "admin.sock")
	cfgPath := filepath.Join(dir, "ephpm.toml")
	must(t, os.WriteFile(cfgPath, []byte(fmt.Sprintf("[server]\nlisten = \"127.0.0.1:0\"\ndocument_root = %q\nadmin_socket = \"admin.sock\"\n",
		filepath.Join(dir, "current"))), 0o644))
	s := startArgs(t, dir, "--config", cfgPath)
	fi, err := os.Stat(sock)
	if err != nil || fi.Mode()&os.ModeSocket == 0 || fi.Mode().Perm() != 0o600 {
		t.Fatalf("admin socket %s: %v %v", sock, fi.Mode(), err)
	}
	swapCurrent(t, dir, 2)
	if code, out := runEphpm(t, dir, nil, "reload", "--config", cfgPath); code != 0 {
		t.Fatalf("ephpm reload: exit %d\n%s", code, out)
	}
	if r := s.get(t, "/"); !strings.HasPrefix(r.Body, "release 2 ") {
		t.Fatalf("after the reload: %q", r.Body)
	}
	s.Stop()
	if _, err := os.Lstat(sock); !os.IsNotExist(err) {
		t.Errorf("admin socket left behind after the server stopped: %v", err)
	}
}

// A reload returns only once the requests of the previous release are
// done: a slow one admitted before it finishes in its own release first.
func TestReloadWaitsForThePreviousRelease(t *testing.T) {
	dir := deployDir(t, 2)
	cfgPath := filepath.Join(dir, "ephpm.toml")
	must(t, os.WriteFile(cfgPath, []byte(fmt.Sprintf("[server]\nlisten = \"127.0.0.1:0\"\ndocument_root = %q\n", filepath.Join(dir, "current"))), 0o644))
	s := startArgs(t, dir, "--config", cfgPath)
	type result struct {
		body string
		end  time.Time
		err  error
	}
	slow := make(chan result, 1)
	go func() {
		resp, err := http.Get(s.URL + "/sleep.php?s=2")
		if err != nil {
			slow <- result{err: err}
			return
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		slow <- result{body: string(b), end: time.Now(), err: err}
	}()
	time.Sleep(500 * time.Millisecond)
	swapCurrent(t, dir, 2)
	code, out := runEphpm(t, dir, nil, "reload", "--config", cfgPath)
	reloadEnd := time.Now()
	if code != 0 {
		t.Fatalf("ephpm reload: exit %d\n%s", code, out)
	}
	r := <-slow
	if r.err != nil || r.body != "release 1 slept\n" {
		t.Fatalf("the slow request admitted before the reload: %q %v", r.body, r.err)
	}
	// The reload waited for it (the client reads the end of the response
	// a moment before the server counts the request done).
	if reloadEnd.Before(r.end.Add(-100 * time.Millisecond)) {
		t.Fatalf("ephpm reload returned %v before the previous release's request finished", r.end.Sub(reloadEnd))
	}
	if got := s.get(t, "/"); !strings.HasPrefix(got.Body, "release 2 ") {
		t.Fatalf("after the reload: %q", got.Body)
	}
}
