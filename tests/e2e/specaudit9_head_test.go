package e2e

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSpecAudit9HeadCarriesGetsCoding: issue 13, compression "negotiated
// from Accept-Encoding ... Vary: Accept-Encoding", and RFC 9110 9.3.2: a
// HEAD response carries the header fields GET's would. `curl -I
// -H 'Accept-Encoding: gzip'` is how people check that a server
// compresses; nginx answers it with Content-Encoding: gzip and Vary. ephpm
// answered HEAD as if compression were off: no Content-Encoding, no Vary,
// the identity ETag and the identity Content-Length, for static files and
// PHP alike.
func TestSpecAudit9HeadCarriesGetsCoding(t *testing.T) {
	root := t.TempDir()
	must(t, os.WriteFile(filepath.Join(root, "app.css"), []byte(strings.Repeat("body { color: red; }\n", 300)), 0o644))
	must(t, os.WriteFile(filepath.Join(root, "page.php"), []byte(`<?php echo str_repeat("hello world ", 500);`), 0o644))
	must(t, os.WriteFile(filepath.Join(root, "small.php"), []byte(`<?php echo "tiny";`), 0o644))
	s := start(t, root, "")

	// doRaw sends without Go's transparent gzip, so the headers are the
	// server's own.
	doRaw := func(method, path, ae string) *http.Response {
		t.Helper()
		req, err := http.NewRequest(method, s.URL+path, nil)
		must(t, err)
		if ae != "" {
			req.Header.Set("Accept-Encoding", ae)
		}
		resp, err := (&http.Transport{DisableCompression: true}).RoundTrip(req)
		must(t, err)
		resp.Body.Close()
		return resp
	}
	for _, path := range []string{"/app.css", "/page.php"} {
		for _, ae := range []string{"gzip", "zstd", "br", ""} {
			get := doRaw(http.MethodGet, path, ae)
			head := doRaw(http.MethodHead, path, ae)
			if get.StatusCode != 200 || head.StatusCode != 200 {
				t.Fatalf("%s (Accept-Encoding %q): GET %d, HEAD %d", path, ae, get.StatusCode, head.StatusCode)
			}
			for _, name := range []string{"Content-Encoding", "Vary", "Etag", "Content-Type"} {
				if g, h := get.Header.Get(name), head.Header.Get(name); g != h {
					t.Errorf("%s (Accept-Encoding %q): HEAD's %s %q, GET's %q", path, ae, name, h, g)
				}
			}
			// A HEAD's Content-Length, when sent, must be GET's (RFC 9110 8.6).
			if cl := head.Header.Get("Content-Length"); cl != "" && cl != get.Header.Get("Content-Length") {
				t.Errorf("%s (Accept-Encoding %q): HEAD's Content-Length %s, GET's %q", path, ae, cl, get.Header.Get("Content-Length"))
			}
			if ae != "" && get.Header.Get("Content-Encoding") != ae {
				t.Errorf("%s: GET with Accept-Encoding %s came back %q", path, ae, get.Header.Get("Content-Encoding"))
			}
		}
	}
	// A file under compression_min_size stays identity for HEAD as for GET.
	// (PHP writes no body for HEAD, so a script's size is unknown there:
	// HEAD says what a body of unknown length gets, as nginx does.)
	must(t, os.WriteFile(filepath.Join(root, "tiny.css"), []byte("a{}"), 0o644))
	head := doRaw(http.MethodHead, "/tiny.css", "gzip")
	if ce, cl := head.Header.Get("Content-Encoding"), head.Header.Get("Content-Length"); ce != "" || cl != "3" {
		t.Errorf("HEAD /tiny.css: Content-Encoding %q, Content-Length %q for a 3-byte file, want none and 3", ce, cl)
	}
	// HEAD of a script never claims an empty body.
	if cl := doRaw(http.MethodHead, "/small.php", "gzip").Header.Get("Content-Length"); cl == "0" {
		t.Errorf("HEAD /small.php: Content-Length 0 for a 4-byte body")
	}
	// A conditional HEAD with the compressed ETag is a 304, as GET's is.
	etag := doRaw(http.MethodGet, "/app.css", "gzip").Header.Get("Etag")
	req, err := http.NewRequest(http.MethodHead, s.URL+"/app.css", nil)
	must(t, err)
	req.Header.Set("Accept-Encoding", "gzip")
	req.Header.Set("If-None-Match", etag)
	resp, err := (&http.Transport{DisableCompression: true}).RoundTrip(req)
	must(t, err)
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotModified {
		t.Errorf("HEAD /app.css with If-None-Match %s (GET's gzip ETag): %d, want 304", etag, resp.StatusCode)
	}
}
