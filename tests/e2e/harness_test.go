// Package e2e runs the real ephpm binary on loopback and talks HTTP to it,
// as a user's browser or curl would.
package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var (
	binPath  string
	repoRoot string
)

func TestMain(m *testing.M) {
	_, file, _, _ := runtime.Caller(0)
	repoRoot = filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
	tmp, err := os.MkdirTemp("", "ephpm-e2e-bin")
	if err != nil {
		panic(err)
	}
	// EPHPM_BIN runs the suite against another build (e.g. the ZTS one).
	binPath = os.Getenv("EPHPM_BIN")
	if binPath == "" {
		binPath = filepath.Join(tmp, "ephpm")
		cmd := exec.Command("go", "build", "-o", binPath, "./cmd/ephpm")
		cmd.Dir = repoRoot
		cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
		if err := cmd.Run(); err != nil {
			fmt.Fprintln(os.Stderr, "building ephpm:", err)
			os.Exit(1)
		}
	}
	code := m.Run()
	os.RemoveAll(tmp)
	os.Exit(code)
}

// server is one running `ephpm serve`.
type server struct {
	t    *testing.T
	cmd  *exec.Cmd
	URL  string
	Addr string
	Dir  string // the directory holding ephpm.toml
	Root string // the document root

	mu     sync.Mutex
	log    bytes.Buffer
	exited chan struct{}
}

// Log returns everything the server wrote to stderr and stdout so far.
func (s *server) Log() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.log.String()
}

// LogHas reports whether the log holds text, waiting up to 10 s for it:
// the server writes a request's log lines after the response went out, and
// the pipe from its stderr is copied by another goroutine, so a line can
// reach the test a moment after the response does.
func (s *server) LogHas(text string) bool {
	return waitUntil(10*time.Second, func() bool { return strings.Contains(s.Log(), text) })
}

// waitUntil calls cond every 20 ms until it holds (true) or within has
// passed (false).
func waitUntil(within time.Duration, cond func() bool) bool {
	for end := time.Now().Add(within); ; time.Sleep(20 * time.Millisecond) {
		if cond() {
			return true
		}
		if time.Now().After(end) {
			return false
		}
	}
}

type lockedWriter struct{ s *server }

func (w lockedWriter) Write(p []byte) (int, error) {
	w.s.mu.Lock()
	defer w.s.mu.Unlock()
	return w.s.log.Write(p)
}

// listenRe finds the bound address in the "ephpm listening" line, in the
// text (addr=HOST:PORT) or the JSON ("addr":"HOST:PORT") log format.
var listenRe = regexp.MustCompile(`ephpm listening.*?\baddr"?[=:]"?([^\s",]+)`)

// fixtureRoot copies testdata/e2e/public to a temp dir and adds what git
// cannot hold: a .git directory and symlinks pointing out of the root.
func fixtureRoot(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	root := filepath.Join(dir, "public")
	copyDir(t, filepath.Join(repoRoot, "testdata", "e2e", "public"), root)
	must(t, os.MkdirAll(filepath.Join(root, ".git"), 0o755))
	must(t, os.WriteFile(filepath.Join(root, ".git", "config"), []byte("[core]\n\tsecret = git-config-secret\n"), 0o644))
	outside := filepath.Join(dir, "outside-secret.txt")
	must(t, os.WriteFile(outside, []byte("outside secret"), 0o644))
	must(t, os.Symlink(outside, filepath.Join(root, "link-out.txt")))
	must(t, os.Symlink(dir, filepath.Join(root, "dir-out")))
	must(t, os.Symlink(filepath.Join(root, "style.css"), filepath.Join(root, "link-in.css")))
	return root
}

func copyDir(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.Walk(src, func(path string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		target := filepath.Join(dst, rel)
		if fi.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, fi.Mode().Perm())
	})
	must(t, err)
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// start runs ephpm with the given TOML (document_root and listen are
// filled in unless the TOML sets them) and waits until it listens.
func start(t *testing.T, root, extraTOML string, env ...string) *server {
	t.Helper()
	dir := t.TempDir()
	cfg := extraTOML
	if !strings.Contains(cfg, "listen") || !strings.Contains(cfg, "document_root") {
		head := "[server]\n"
		if !strings.Contains(cfg, "listen") {
			head += "listen = \"127.0.0.1:0\"\n"
		}
		if !strings.Contains(cfg, "document_root") {
			head += fmt.Sprintf("document_root = %q\n", root)
		}
		cfg = head + strings.Replace(cfg, "[server]\n", "", 1)
	}
	cfgPath := filepath.Join(dir, "ephpm.toml")
	must(t, os.WriteFile(cfgPath, []byte(cfg), 0o644))
	s := startArgs(t, dir, append([]string{"--config", cfgPath}, env...)...)
	s.Root = root
	return s
}

// startArgs runs `ephpm serve ARGS...` in dir; arguments of the form
// NAME=value (no leading dash) are passed as environment variables.
// envArgRe tells an environment assignment (NAME=value) among startArgs's
// arguments from a flag's value that merely contains '=' (a path).
var envArgRe = regexp.MustCompile(`^[A-Z_][A-Z0-9_]*=`)

func startArgs(t *testing.T, dir string, args ...string) *server {
	t.Helper()
	s := &server{t: t, Dir: dir, exited: make(chan struct{})}
	m := s.launch(t, "serve", args, listenRe, false, nil)
	s.Addr = m[1]
	s.URL = "http://" + s.Addr
	return s
}

// launch runs `ephpm CMD ARGS...` in s.Dir (NAME=value arguments are
// environment variables) and waits for a line matching ready on stderr,
// or on stdout when onStdout; it returns the line's submatches. Both
// streams go to s's log; stdout also to copyStdout when not nil. The
// process is stopped when the test ends.
func (s *server) launch(t *testing.T, cmd string, args []string, ready *regexp.Regexp, onStdout bool, copyStdout io.Writer) []string {
	t.Helper()
	var env, flags []string
	for _, a := range args {
		if envArgRe.MatchString(a) {
			env = append(env, a)
		} else {
			flags = append(flags, a)
		}
	}
	s.cmd = exec.Command(binPath, append([]string{cmd}, flags...)...)
	s.cmd.Dir = s.Dir
	s.cmd.Env = append(os.Environ(), env...)
	pr, pw := io.Pipe()
	stdout, stderr := []io.Writer{lockedWriter{s}}, []io.Writer{lockedWriter{s}}
	if copyStdout != nil {
		stdout = append(stdout, copyStdout)
	}
	if onStdout {
		stdout = append(stdout, pw)
	} else {
		stderr = append(stderr, pw)
	}
	s.cmd.Stdout, s.cmd.Stderr = io.MultiWriter(stdout...), io.MultiWriter(stderr...)
	must(t, s.cmd.Start())
	go func() {
		s.cmd.Wait()
		pw.Close()
		close(s.exited)
	}()
	found := make(chan []string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			if m := ready.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case found <- m:
				default:
				}
			}
		}
		// A line past the scanner's limit (a PHP fatal error's stack trace
		// of 25,000 frames is one) ends the scan: keep draining, or the
		// pipe fills and the server blocks writing its log.
		io.Copy(io.Discard, pr)
	}()
	var m []string
	select {
	case m = <-found:
	case <-s.exited:
		t.Fatalf("ephpm %s exited before it was ready:\n%s", cmd, s.Log())
	case <-time.After(20 * time.Second):
		s.cmd.Process.Kill()
		t.Fatalf("ephpm %s was not ready in 20s (no line matching %q):\n%s", cmd, ready, s.Log())
	}
	t.Cleanup(func() {
		s.Stop()
		if t.Failed() {
			t.Logf("ephpm %s output:\n%s", cmd, s.Log())
		}
	})
	return m
}

// Stop sends SIGTERM and waits for the process to exit.
func (s *server) Stop() {
	select {
	case <-s.exited:
		return
	default:
	}
	s.cmd.Process.Signal(os.Interrupt)
	select {
	case <-s.exited:
	case <-time.After(40 * time.Second):
		s.cmd.Process.Kill()
		<-s.exited
	}
}

// Exited reports whether the process has ended.
func (s *server) Exited() bool {
	select {
	case <-s.exited:
		return true
	default:
		return false
	}
}

var sigterm = syscall.SIGTERM

var client = &http.Client{
	Timeout: 60 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	},
}

type response struct {
	Status int
	Header http.Header
	Body   string
}

func (s *server) do(t *testing.T, req *http.Request) response {
	t.Helper()
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading body: %v", req.Method, req.URL, err)
	}
	return response{Status: resp.StatusCode, Header: resp.Header, Body: string(body)}
}

func (s *server) get(t *testing.T, path string) response {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, s.URL+path, nil)
	must(t, err)
	return s.do(t, req)
}

func (s *server) request(t *testing.T, method, path string, body io.Reader, headers map[string]string) response {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), method, s.URL+path, body)
	must(t, err)
	for k, v := range headers {
		if strings.EqualFold(k, "Host") {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	return s.do(t, req)
}

func decodeJSON(t *testing.T, r response) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(r.Body), &m); err != nil {
		t.Fatalf("response is not JSON (status %d): %v\n%s", r.Status, err, r.Body)
	}
	return m
}

func expectStatus(t *testing.T, r response, want int, what string) {
	t.Helper()
	if r.Status != want {
		t.Fatalf("%s: status %d, want %d; body:\n%.2000s", what, r.Status, want, r.Body)
	}
}
