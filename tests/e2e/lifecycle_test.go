package e2e

import (
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestVersionCommand(t *testing.T) {
	out, err := exec.Command(binPath, "version").CombinedOutput()
	if err != nil {
		t.Fatalf("ephpm version: %v\n%s", err, out)
	}
	s := string(out)
	for _, want := range []string{"ephpm ", "go go1.", "php 8.2."} {
		if !strings.Contains(s, want) {
			t.Errorf("version output lacks %q:\n%s", want, s)
		}
	}
	if !strings.Contains(s, "NTS") && !strings.Contains(s, "ZTS") {
		t.Errorf("version output does not say whether PHP is thread-safe:\n%s", s)
	}
}

// SIGINT and SIGQUIT (as in nginx and php-fpm) stop gracefully: new
// connections are refused, the request in flight completes and the
// process exits 0.
func TestGracefulShutdownFinishesInFlight(t *testing.T) {
	for _, sig := range []os.Signal{os.Interrupt, syscall.SIGQUIT} {
		t.Run(sig.String(), func(t *testing.T) { gracefulStop(t, sig) })
	}
}

func gracefulStop(t *testing.T, sig os.Signal) {
	s := start(t, fixtureRoot(t), "")
	type result struct {
		code int
		body string
		err  error
	}
	done := make(chan result, 1)
	go func() {
		resp, err := http.Get(s.URL + "/sleep.php?s=2")
		if err != nil {
			done <- result{err: err}
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		done <- result{code: resp.StatusCode, body: string(b)}
	}()
	time.Sleep(500 * time.Millisecond)
	t0 := time.Now()
	must(t, s.cmd.Process.Signal(sig))
	// New connections are refused soon after the signal.
	time.Sleep(300 * time.Millisecond)
	if _, err := http.Get(s.URL + "/style.css"); err == nil {
		t.Errorf("a new request was accepted during shutdown")
	}
	r := <-done
	if r.err != nil || r.code != 200 || !strings.Contains(r.body, "slept 2") {
		t.Fatalf("in-flight request: %v %d %q", r.err, r.code, r.body)
	}
	select {
	case <-s.exited:
	case <-time.After(15 * time.Second):
		t.Fatalf("server did not exit after %v", sig)
	}
	if took := time.Since(t0); took > 10*time.Second {
		t.Errorf("shutdown took %v", took)
	}
	if code := s.cmd.ProcessState.ExitCode(); code != 0 {
		t.Errorf("exit code %d after a graceful shutdown\n%s", code, s.Log())
	}
	if strings.Contains(s.Log(), "goroutine ") {
		t.Errorf("%v dumped goroutines instead of stopping gracefully", sig)
	}
}

func TestSIGTERMStops(t *testing.T) {
	s := start(t, fixtureRoot(t), "")
	healthy(t, s, "start")
	must(t, s.cmd.Process.Signal(sigterm))
	select {
	case <-s.exited:
	case <-time.After(15 * time.Second):
		t.Fatalf("server did not exit after SIGTERM")
	}
}

func TestAccessLog(t *testing.T) {
	root := fixtureRoot(t)
	logFile := filepath.Join(t.TempDir(), "access.log")
	s := start(t, root, "[server.logging]\naccess = \""+logFile+"\"\n")
	s.request(t, "GET", "/style.css?v=1", nil, map[string]string{"User-Agent": "e2e-agent", "Referer": "http://ref.test/"})
	s.get(t, "/nope/route")
	s.get(t, "/.env")
	time.Sleep(100 * time.Millisecond)
	data, err := os.ReadFile(logFile)
	must(t, err)
	log := string(data)
	for _, want := range []string{
		`"GET /style.css?v=1 HTTP/1.1" 200 22 "http://ref.test/" "e2e-agent"`,
		`"GET /nope/route HTTP/1.1" 200`,
		`"GET /.env HTTP/1.1" 403`,
	} {
		if !strings.Contains(log, want) {
			t.Errorf("access log lacks %q:\n%s", want, log)
		}
	}
}

// runEphpm runs the binary to completion and returns its exit code and
// combined output.
func runEphpm(t *testing.T, dir string, env []string, args ...string) (int, string) {
	t.Helper()
	cmd := exec.Command(binPath, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return code, string(out)
}

func TestConfigErrors(t *testing.T) {
	root := fixtureRoot(t)
	cases := []struct {
		name  string
		toml  string
		env   []string
		wants []string
	}{
		{"unknown key", "[server]\nlisten = \"127.0.0.1:0\"\ndocument_root = \"" + root + "\"\nlisten_adress = \"x\"\n", nil, []string{"server.listen_adress", ":4"}},
		{"unknown section key", "[server]\ndocument_root = \"" + root + "\"\n[server.request]\nmax_body = 5\n", nil, []string{"server.request.max_body"}},
		{"wrong type", "[server]\ndocument_root = \"" + root + "\"\n[server.request]\nmax_body_size = \"ten\"\n", nil, []string{"max_body_size"}},
		{"bad listen", "[server]\nlisten = \"localhost\"\ndocument_root = \"" + root + "\"\n", nil, []string{"server.listen", "localhost"}},
		{"missing document root", "[server]\ndocument_root = \"/nonexistent/ephpm/public\"\n", nil, []string{"server.document_root", "/nonexistent/ephpm/public"}},
		{"bad hidden_files", "[server]\ndocument_root = \"" + root + "\"\n[server.static]\nhidden_files = \"maybe\"\n", nil, []string{"hidden_files", "maybe"}},
		{"bad policy", "[server]\ndocument_root = \"" + root + "\"\n[kv]\neviction_policy = \"lru\"\n", nil, []string{"eviction_policy"}},
		{"bad env", "[server]\ndocument_root = \"" + root + "\"\n", []string{"EPHPM_PHP__WORKERS=four"}, []string{"EPHPM_PHP__WORKERS"}},
		{"syntax error", "[server\ndocument_root = 1\n", nil, []string{"ephpm.toml"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			must(t, os.WriteFile(filepath.Join(dir, "ephpm.toml"), []byte(c.toml), 0o644))
			code, out := runEphpm(t, dir, c.env, "serve", "--config", "ephpm.toml")
			if code == 0 {
				t.Fatalf("exit code 0 for a bad config; output:\n%s", out)
			}
			lines := strings.Split(strings.TrimSpace(out), "\n")
			if len(lines) != 1 {
				t.Errorf("want one line, got %d:\n%s", len(lines), out)
			}
			for _, w := range c.wants {
				if !strings.Contains(out, w) {
					t.Errorf("error lacks %q: %s", w, out)
				}
			}
			if strings.Contains(out, "panic") || strings.Contains(out, "goroutine") {
				t.Errorf("panic: %s", out)
			}
		})
	}
}

func TestConfigCheckAndOverrides(t *testing.T) {
	root := fixtureRoot(t)
	dir := t.TempDir()
	must(t, os.WriteFile(filepath.Join(dir, "ephpm.toml"), []byte("[server]\ndocument_root = \""+root+"\"\n"), 0o644))
	code, out := runEphpm(t, dir, []string{"EPHPM_PHP__WORKERS=3"}, "config", "check", "--config", "ephpm.toml", "--listen", "127.0.0.1:9999")
	if code != 0 {
		t.Fatalf("config check failed: %s", out)
	}
	for _, want := range []string{`listen = "127.0.0.1:9999"`, "workers = 3", "max_body_size = 10485760", `hidden_files = "deny"`, `eviction_policy = "allkeys-lru"`, "max_execution_time = 30"} {
		if !strings.Contains(out, want) {
			t.Errorf("config check output lacks %q:\n%s", want, out)
		}
	}

	// --document-root and --listen override the file for serve.
	other := fixtureRoot(t)
	must(t, os.WriteFile(filepath.Join(other, "only-here.txt"), []byte("flag root"), 0o644))
	s := startArgs(t, dir, "--config", "ephpm.toml", "--listen", "127.0.0.1:0", "--document-root", other)
	if r := s.get(t, "/only-here.txt"); r.Body != "flag root" {
		t.Errorf("--document-root ignored: %d %q", r.Status, r.Body)
	}
}
