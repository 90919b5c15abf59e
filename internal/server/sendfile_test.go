package server

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptrace"
	"net/textproto"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ephpm/ephpm/internal/config"
)

// sendfilePHP acts as a script sending X-Sendfile: ?f= names the file,
// ?default=1 says its Content-Type is PHP's default (as phpembed tells the
// writer), ?flush=1 flushes before the body, ?hint=1 sends a 103 first.
func sendfilePHP(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("hint") != "" {
		w.Header().Set("Link", "</a.css>; rel=preload")
		w.WriteHeader(http.StatusEarlyHints)
		w.Header().Del("Link")
	}
	w.Header().Set("X-Sendfile", q.Get("f"))
	w.Header().Set("Content-Type", "text/html; charset=UTF-8")
	w.Header().Set("Content-Length", "11")
	if q.Get("default") != "" {
		w.(interface{ PHPDefaultContentType() }).PHPDefaultContentType()
	}
	if q.Get("flush") != "" {
		http.NewResponseController(w).Flush()
	}
	io.WriteString(w, "script body")
}

func sendfileServer(t *testing.T, roots ...string) (string, string) {
	t.Helper()
	dir := t.TempDir()
	files := filepath.Join(dir, "files")
	os.MkdirAll(files, 0o755)
	css := bytes.Repeat([]byte("p { margin: 0 }\n"), 200)
	os.WriteFile(filepath.Join(files, "a.css"), css, 0o644)
	os.WriteFile(filepath.Join(files, "b.css"), css, 0o644)
	os.WriteFile(filepath.Join(files, "data.txt"), []byte("0123456789"), 0o644)
	// A fresh precompressed sibling of a.css inside the root; b.css's
	// sibling is a symlink leading out of it, never to be used.
	os.WriteFile(filepath.Join(files, "a.css.gz"), []byte("pretend gzip"), 0o644)
	os.WriteFile(filepath.Join(dir, "evil.gz"), []byte("outside"), 0o644)
	os.Symlink(filepath.Join(dir, "evil.gz"), filepath.Join(files, "b.css.gz"))
	later := time.Now().Add(time.Minute)
	os.Chtimes(filepath.Join(files, "a.css.gz"), later, later)
	os.Chtimes(filepath.Join(dir, "evil.gz"), later, later)
	if roots == nil {
		roots = []string{files}
	}
	ts, _ := compressServer(t, sendfilePHP, func(c *config.Config) { c.Server.Sendfile.Roots = roots }, nil)
	return ts.URL + "/index.php?f=", files
}

func TestSendfileWriter(t *testing.T) {
	base, files := sendfileServer(t)
	data := filepath.Join(files, "data.txt")

	// Without PHP's default type flag, the script's type stays.
	resp, body := get(t, "GET", base+data)
	if resp.StatusCode != 200 || string(body) != "0123456789" || resp.Header.Get("Content-Type") != "text/html; charset=UTF-8" || resp.Header.Get("Content-Length") != "10" {
		t.Errorf("script's type: %d %q %v", resp.StatusCode, body, resp.Header)
	}
	// With it, the file's, by its name (too small to compress).
	resp, body = get(t, "GET", base+data+"&default=1", "Accept-Encoding", "gzip")
	if resp.StatusCode != 200 || string(body) != "0123456789" || resp.Header.Get("Content-Type") != "text/plain; charset=utf-8" || resp.Header.Get("Content-Encoding") != "" {
		t.Errorf("default type: %d %q %v", resp.StatusCode, body, resp.Header)
	}
	// A flush() before the body changes nothing: nothing was sent.
	resp, body = get(t, "GET", base+data+"&flush=1")
	if resp.StatusCode != 200 || string(body) != "0123456789" {
		t.Errorf("flush first: %d %q", resp.StatusCode, body)
	}
	// HEAD: the file's length, no body.
	resp, body = get(t, "HEAD", base+data)
	if resp.StatusCode != 200 || len(body) != 0 || resp.Header.Get("Content-Length") != "10" {
		t.Errorf("HEAD: %d %q %v", resp.StatusCode, body, resp.Header)
	}
	// POST: all of the file, Range and validators ignored.
	resp, body = get(t, "POST", base+data, "Range", "bytes=0-1", "If-None-Match", "*")
	if resp.StatusCode != 200 || string(body) != "0123456789" {
		t.Errorf("POST: %d %q", resp.StatusCode, body)
	}
	// A fresh precompressed sibling inside the root is sent as it is; one
	// leading out of the root is not, the file is compressed instead.
	resp, body = get(t, "GET", base+filepath.Join(files, "a.css")+"&default=1", "Accept-Encoding", "gzip")
	if resp.Header.Get("Content-Encoding") != "gzip" || string(body) != "pretend gzip" {
		t.Errorf("sibling inside: %v %q", resp.Header, body)
	}
	resp, body = get(t, "GET", base+filepath.Join(files, "b.css")+"&default=1", "Accept-Encoding", "gzip")
	if resp.Header.Get("Content-Encoding") != "gzip" || strings.Contains(string(body), "outside") || len(body) == 0 {
		t.Errorf("sibling leading out: %v %q", resp.Header, body)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "text/css; charset=utf-8" {
		t.Errorf("css type %q", ct)
	}

	// A 103 goes out before the file; the final response has no Link.
	var hints []string
	trace := &httptrace.ClientTrace{Got1xxResponse: func(code int, h textproto.MIMEHeader) error {
		hints = append(hints, h.Get("Link"))
		return nil
	}}
	req, _ := http.NewRequestWithContext(httptrace.WithClientTrace(context.Background(), trace), "GET", base+data+"&hint=1", nil)
	r2, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b2, _ := io.ReadAll(r2.Body)
	r2.Body.Close()
	if len(hints) != 1 || hints[0] != "</a.css>; rel=preload" || string(b2) != "0123456789" || r2.Header.Get("Link") != "" {
		t.Errorf("103 then the file: hints %q, body %q, final %v", hints, b2, r2.Header)
	}
}

func TestSendfileRefusedKeepsNoScriptHeaders(t *testing.T) {
	base, files := sendfileServer(t)
	resp, body := get(t, "GET", base+filepath.Join(files, "..", "evil.gz"))
	if resp.StatusCode != 403 || strings.Contains(string(body), "outside") || resp.Header.Get("X-Sendfile") != "" {
		t.Errorf("refused: %d %q %v", resp.StatusCode, body, resp.Header)
	}
}

func TestNewSendfileRootsMissing(t *testing.T) {
	if _, err := newSendfileRoots([]string{filepath.Join(t.TempDir(), "gone")}); err == nil || !strings.Contains(err.Error(), "server.sendfile.roots[0]") {
		t.Errorf("missing root: %v", err)
	}
}
