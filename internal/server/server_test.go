package server

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ephpm/ephpm/internal/config"
)

// recordingPHP stands in for the embedded runtime, which cannot run in a
// pure-Go test binary: it records which script the router chose.
type recordingPHP struct {
	mu   sync.Mutex
	last Script
}

func (p *recordingPHP) ServePHP(w http.ResponseWriter, r *http.Request, s Script, body io.Reader, _ time.Time) PHPResult {
	p.mu.Lock()
	p.last = s
	p.mu.Unlock()
	b, _ := io.ReadAll(body)
	w.Header().Set("X-Script", s.Name)
	w.Header().Set("X-Path-Info", s.PathInfo)
	io.WriteString(w, "php:"+s.Name+":"+string(b))
	return PHPResult{Status: 200}
}

func newTestServer(t *testing.T, mutate func(*config.Config)) (*httptest.Server, string) {
	t.Helper()
	root := t.TempDir()
	files := map[string]string{
		"index.php":        "<?php",
		"info.php":         "<?php",
		"style.css":        "body{}",
		"sub/index.html":   "<p>sub</p>",
		"blog/index.php":   "<?php",
		".env":             "SECRET=1",
		".well-known/x":    "wk",
		"lib/helper.inc":   "<?php secret",
		"empty/.gitignore": "",
	}
	for name, body := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	outside := filepath.Join(t.TempDir(), "secret.txt")
	os.WriteFile(outside, []byte("outside"), 0o644)
	os.Symlink(outside, filepath.Join(root, "out.txt"))

	cfg := &config.Config{}
	cfg.Server.DocumentRoot = root
	cfg.Server.IndexFiles = []string{"index.php", "index.html"}
	cfg.Server.Request.MaxBodySize = 64
	cfg.Server.Request.MaxHeaderSize = 4096
	cfg.Server.Static.HiddenFiles = "deny"
	cfg.Server.Static.ETag = true
	if mutate != nil {
		mutate(cfg)
	}
	s, err := New(cfg, &recordingPHP{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return ts, root
}

func TestRouteDecisions(t *testing.T) {
	ts, _ := newTestServer(t, nil)
	cases := []struct {
		path, method string
		status       int
		script       string
		pathInfo     string
		bodyHas      string
	}{
		{"/", "GET", 200, "/index.php", "", ""},
		{"/info.php", "GET", 200, "/info.php", "", ""},
		{"/info.php/a/b", "GET", 200, "/info.php", "/a/b", ""},
		{"/style.css", "GET", 200, "", "", "body{}"},
		{"/sub/", "GET", 200, "", "", "<p>sub</p>"},
		{"/sub", "GET", 301, "", "", ""},
		{"/blog/", "GET", 200, "/blog/index.php", "", ""},
		{"/empty/", "GET", 200, "/index.php", "", ""},
		{"/pretty/url", "GET", 200, "/index.php", "", ""},
		{"/style.css/extra", "GET", 200, "/index.php", "", ""},
		{"/.env", "GET", 403, "", "", ""},
		{"/empty/.gitignore", "GET", 403, "", "", ""},
		{"/.well-known/x", "GET", 200, "", "", "wk"},
		{"/lib/helper.inc", "GET", 403, "", "", ""},
		{"/out.txt", "GET", 403, "", "", ""},
		{"/style.css", "DELETE", 405, "", "", ""},
	}
	for _, c := range cases {
		req, _ := http.NewRequest(c.method, ts.URL+c.path, nil)
		resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != c.status {
			t.Errorf("%s %s: status %d, want %d", c.method, c.path, resp.StatusCode, c.status)
			continue
		}
		if got := resp.Header.Get("X-Script"); got != c.script {
			t.Errorf("%s: script %q, want %q", c.path, got, c.script)
		}
		if got := resp.Header.Get("X-Path-Info"); got != c.pathInfo {
			t.Errorf("%s: PATH_INFO %q, want %q", c.path, got, c.pathInfo)
		}
		if c.bodyHas != "" && !strings.Contains(string(body), c.bodyHas) {
			t.Errorf("%s: body %q", c.path, body)
		}
	}
}

func TestBodyLimit(t *testing.T) {
	ts, _ := newTestServer(t, nil)
	resp, err := http.Post(ts.URL+"/info.php", "text/plain", strings.NewReader(strings.Repeat("x", 65)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 413 {
		t.Errorf("status %d, want 413", resp.StatusCode)
	}
	resp, err = http.Post(ts.URL+"/info.php", "text/plain", strings.NewReader("small"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "php:/info.php:small" {
		t.Errorf("body %q", b)
	}
}

func TestHiddenIgnoreAndAllow(t *testing.T) {
	ts, _ := newTestServer(t, func(c *config.Config) { c.Server.Static.HiddenFiles = "ignore" })
	resp, _ := http.Get(ts.URL + "/.env")
	resp.Body.Close()
	if resp.StatusCode != 404 {
		t.Errorf("ignore: %d", resp.StatusCode)
	}
	ts2, _ := newTestServer(t, func(c *config.Config) { c.Server.Static.HiddenFiles = "allow" })
	resp, _ = http.Get(ts2.URL + "/.env")
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(b) != "SECRET=1" {
		t.Errorf("allow: %d %q", resp.StatusCode, b)
	}
}

// The router remembers which paths lie under the root; a file or a
// directory swapped for a symlink out of the root after it was served
// must be refused at once, and the way back must work too.
func TestSwappedForSymlinkOutside(t *testing.T) {
	ts, root := newTestServer(t, nil)
	outDir := t.TempDir()
	os.WriteFile(filepath.Join(outDir, "style.css"), []byte("stolen"), 0o644)
	os.MkdirAll(filepath.Join(outDir, "sub"), 0o755)
	os.WriteFile(filepath.Join(outDir, "sub", "index.html"), []byte("stolen"), 0o644)

	get := func(path string) (int, string) {
		t.Helper()
		resp, err := http.Get(ts.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	swap := func(name, target string) {
		t.Helper()
		p := filepath.Join(root, name)
		if err := os.Rename(p, p+".orig"); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(target, p); err != nil {
			t.Fatal(err)
		}
	}
	restore := func(name string) {
		t.Helper()
		p := filepath.Join(root, name)
		os.Remove(p)
		if err := os.Rename(p+".orig", p); err != nil {
			t.Fatal(err)
		}
	}

	for round := 0; round < 2; round++ {
		if code, body := get("/style.css"); code != 200 || body != "body{}" {
			t.Fatalf("round %d: /style.css before the swap: %d %q", round, code, body)
		}
		if code, body := get("/sub/"); code != 200 || body != "<p>sub</p>" {
			t.Fatalf("round %d: /sub/ before the swap: %d %q", round, code, body)
		}
		swap("style.css", filepath.Join(outDir, "style.css"))
		swap("sub", filepath.Join(outDir, "sub"))
		if code, body := get("/style.css"); code != 403 {
			t.Errorf("round %d: file swapped for a symlink out of the root: %d %q, want 403", round, code, body)
		}
		if code, body := get("/sub/"); code != 403 {
			t.Errorf("round %d: directory swapped for a symlink out of the root: %d %q, want 403", round, code, body)
		}
		restore("style.css")
		restore("sub")
	}
}

// chunked hides a body's length from the client, so it is sent with
// Transfer-Encoding: chunked.
type chunked struct{ r io.Reader }

func (c chunked) Read(p []byte) (int, error) { return c.r.Read(p) }

// A body of unknown length is read in full before PHP runs: over the limit
// it is refused with 413 (never handed to PHP cut short), under it PHP
// gets all of it with its length known, in memory or from a spill file.
func TestChunkedBody(t *testing.T) {
	const limit = 3 << 20
	ts, _ := newTestServer(t, func(c *config.Config) { c.Server.Request.MaxBodySize = limit })
	post := func(size int) (int, string, string) {
		t.Helper()
		body := strings.Repeat("z", size)
		req, _ := http.NewRequest("POST", ts.URL+"/info.php", chunked{strings.NewReader(body)})
		req.ContentLength = -1
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), body
	}
	for _, size := range []int{0, 10, spoolInMemory - 1, spoolInMemory, spoolInMemory + 1, limit} {
		code, got, want := post(size)
		if code != 200 || got != "php:/info.php:"+want {
			t.Errorf("chunked body of %d bytes: status %d, PHP got %d bytes", size, code, len(got)-len("php:/info.php:"))
		}
	}
	for _, size := range []int{limit + 1, 2 * limit} {
		if code, got, _ := post(size); code != 413 || strings.HasPrefix(got, "php:") {
			t.Errorf("chunked body of %d bytes over a limit of %d: status %d, body %.40q", size, limit, code, got)
		}
	}
}

func TestSpoolBodyLength(t *testing.T) {
	for _, size := range []int64{0, 1, spoolInMemory, spoolInMemory + 5} {
		b, n, err := spoolBody(strings.NewReader(strings.Repeat("a", int(size))), 4<<20)
		if err != nil || n != size {
			t.Fatalf("size %d: n=%d err=%v", size, n, err)
		}
		got, _ := io.ReadAll(b)
		b.Close()
		if int64(len(got)) != size {
			t.Errorf("size %d: read back %d bytes", size, len(got))
		}
	}
	if _, _, err := spoolBody(strings.NewReader("abcdef"), 5); err != errBodyTooLarge {
		t.Errorf("6 bytes over a limit of 5: err %v", err)
	}
}
