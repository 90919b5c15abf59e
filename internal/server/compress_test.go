package server

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/andybalholm/brotli"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"

	"github.com/ephpm/ephpm/internal/config"
)

func TestNegotiate(t *testing.T) {
	cases := []struct {
		header string
		want   coding
	}{
		{"gzip, deflate, br, zstd", codingZstd},
		{"gzip, br", codingBr},
		{"gzip", codingGzip},
		{"GZIP", codingGzip},
		{"x-gzip", codingGzip},
		{"gzip;q=1, zstd;q=0.5", codingGzip},
		{"gzip;q=0.8, br;q=0.9, zstd;q=0.7", codingBr},
		{"gzip ; q=0.5 , br ; Q=0.6", codingBr},
		{"*", codingZstd},
		{"*;q=0.5, gzip", codingGzip},
		{"br;q=0, *", codingZstd},
		{"zstd;q=0, br;q=0, *", codingGzip},
		{"zstd;q=0, br;q=0, gzip;q=0, *", identity},
		{"*;q=0, gzip", codingGzip},
		{"*;q=0", identity},
		{"identity", identity},
		{"identity;q=0", identity},
		{"deflate", identity},
		{"gzip;q=0", identity},
		{"gzip;q=abc", identity},
		{"gzip;q=2", identity},
		{"", identity},
		{",,, ;q=1", identity},
		{"gzip;q=0.001", codingGzip},
	}
	for _, c := range cases {
		if got := negotiate(acceptedCodings([]string{c.header})); got != c.want {
			t.Errorf("%q: %s, want %s", c.header, got.token(), c.want.token())
		}
	}
	// Two header lines are one list.
	if got := negotiate(acceptedCodings([]string{"gzip;q=0.5", "br"})); got != codingBr {
		t.Errorf("two lines: %s", got.token())
	}
	if r := ranked(acceptedCodings([]string{"gzip, br;q=0.5, zstd;q=0.5"})); len(r) != 3 || r[0] != codingGzip || r[1] != codingZstd || r[2] != codingBr {
		t.Errorf("ranked: %v", r)
	}
}

func TestCompressibleType(t *testing.T) {
	for _, ct := range []string{"text/html; charset=utf-8", "TEXT/CSS", "text/event-stream", "application/json",
		"application/ld+json", "image/svg+xml", "application/javascript", "application/wasm", "application/xml",
		"application/atom+xml; charset=utf-8", "font/ttf"} {
		if !compressibleType(ct) {
			t.Errorf("%q not compressible", ct)
		}
	}
	for _, ct := range []string{"", "image/png", "image/jpeg", "font/woff2", "application/zip", "application/gzip",
		"application/octet-stream", "video/mp4", "application/pdf"} {
		if compressibleType(ct) {
			t.Errorf("%q compressible", ct)
		}
	}
}

func TestETagTags(t *testing.T) {
	cases := []struct {
		in   string
		c    coding
		want string
	}{
		{`"abc"`, codingGzip, `"abc-gzip"`},
		{`W/"abc"`, codingZstd, `W/"abc-zstd"`},
		{`"abc-br"`, codingBr, `"abc-br"`},
		{`"abc"`, identity, `"abc"`},
		{`abc`, codingGzip, `abc`},
		{``, codingGzip, ``},
	}
	for _, c := range cases {
		if got := taggedETag(c.in, c.c); got != c.want {
			t.Errorf("taggedETag(%s, %s) = %s, want %s", c.in, c.c.token(), got, c.want)
		}
	}
	if got, ok := untagIfNoneMatch(`"a-gzip", W/"b-gzip", "c-br"`, codingGzip); !ok || got != `"a", W/"b", "c-br"` {
		t.Errorf("untag: %q %v", got, ok)
	}
	if got, ok := untagIfNoneMatch(`"a-br"`, codingGzip); ok || got != `"a-br"` {
		t.Errorf("untag other coding: %q %v", got, ok)
	}
}

// scriptPHP stands in for PHP with a function per test.
type scriptPHP func(w http.ResponseWriter, r *http.Request)

func (f scriptPHP) ServePHP(w http.ResponseWriter, r *http.Request, _ Script, _ io.Reader, _ time.Time) PHPResult {
	f(w, r)
	return PHPResult{Status: 200}
}

// compressServer serves a document root with the default [server.response]
// (compression on, min size 1024) and php as its PHP.
func compressServer(t *testing.T, php scriptPHP, mutate func(*config.Config), files map[string]string) (*httptest.Server, string) {
	t.Helper()
	root := t.TempDir()
	for name, body := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(root, "index.php"), []byte("<?php"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	cfg.Server.DocumentRoot = root
	if mutate != nil {
		mutate(cfg)
	}
	s, err := New(cfg, php, nil)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return ts, root
}

// get sends a request with exactly these headers; Go's transport adds no
// Accept-Encoding of its own and decodes nothing.
func get(t *testing.T, method, url string, headers ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	tr := &http.Transport{DisableCompression: true}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

func decode(t *testing.T, enc string, body []byte) []byte {
	t.Helper()
	var r io.Reader
	switch enc {
	case "gzip":
		zr, err := gzip.NewReader(bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		r = zr
	case "br":
		r = brotli.NewReader(bytes.NewReader(body))
	case "zstd":
		zr, err := zstd.NewReader(bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer zr.Close()
		r = zr
	case "":
		return body
	default:
		t.Fatalf("unknown encoding %q", enc)
	}
	out, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("decoding %s: %v", enc, err)
	}
	return out
}

var bigText = strings.Repeat("<p>The quick brown fox jumps over the lazy dog.</p>\n", 200) // ~10 KB

func TestCompressPHPCodings(t *testing.T) {
	ts, _ := compressServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=UTF-8")
		w.Header().Set("ETag", `W/"v1"`)
		w.WriteHeader(200)
		// In pieces, as PHP sends its output.
		for i := 0; i < len(bigText); i += 700 {
			io.WriteString(w, bigText[i:min(i+700, len(bigText))])
		}
	}, nil, nil)
	for _, c := range []struct{ accept, enc string }{
		{"gzip, deflate, br, zstd", "zstd"},
		{"gzip, br", "br"},
		{"gzip", "gzip"},
		{"br;q=0.5, gzip", "gzip"},
		{"", ""},
		{"identity", ""},
		{"deflate", ""},
	} {
		resp, body := get(t, "GET", ts.URL+"/page", "Accept-Encoding", c.accept)
		if got := resp.Header.Get("Content-Encoding"); got != c.enc {
			t.Errorf("%q: Content-Encoding %q, want %q", c.accept, got, c.enc)
			continue
		}
		if got := resp.Header.Get("Vary"); got != "Accept-Encoding" {
			t.Errorf("%q: Vary %q", c.accept, got)
		}
		if got := string(decode(t, c.enc, body)); got != bigText {
			t.Errorf("%q: body differs after decoding (%d bytes)", c.accept, len(got))
		}
		wantTag := `W/"v1"`
		if c.enc != "" {
			wantTag = `W/"v1-` + c.enc + `"`
			if resp.ContentLength != -1 && resp.ContentLength != int64(len(body)) || len(body) >= len(bigText)/4 {
				t.Errorf("%q: Content-Length %d, %d bytes on the wire for %d", c.accept, resp.ContentLength, len(body), len(bigText))
			}
		}
		if got := resp.Header.Get("ETag"); got != wantTag {
			t.Errorf("%q: ETag %s, want %s", c.accept, got, wantTag)
		}
	}
}

func TestCompressRules(t *testing.T) {
	ts, _ := compressServer(t, func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Type", "text/html; charset=UTF-8")
		body := bigText
		switch r.URL.Path {
		case "/small":
			body = "<p>hi</p>"
		case "/exact":
			body = strings.Repeat("x", 1024)
		case "/png":
			h.Set("Content-Type", "image/png")
		case "/encoded":
			// zlib.output_compression or the script did it already.
			var b bytes.Buffer
			zw := gzip.NewWriter(&b)
			io.WriteString(zw, bigText)
			zw.Close()
			h.Set("Content-Encoding", "gzip")
			h.Set("Vary", "Accept-Encoding")
			body = b.String()
		case "/length":
			h.Set("Content-Length", fmt.Sprint(len(bigText)))
		case "/smalllength":
			body = "<p>hi</p>"
			h.Set("Content-Length", fmt.Sprint(len(body)))
		case "/notransform":
			h.Set("Cache-Control", "public, no-transform")
		case "/204":
			w.WriteHeader(204)
			return
		case "/304":
			h.Set("ETag", `"x"`)
			w.WriteHeader(304)
			return
		case "/206":
			h.Set("Content-Range", fmt.Sprintf("bytes 0-%d/%d", len(bigText)-1, len(bigText)*2))
			w.WriteHeader(206)
		case "/404":
			w.WriteHeader(404)
		case "/vary":
			h.Set("Vary", "Cookie")
		}
		io.WriteString(w, body)
	}, nil, nil)

	cases := []struct {
		path, method string
		status       int
		enc, vary    string
		bodyLen      int // decoded; -1 = don't check
	}{
		{"/small", "GET", 200, "", "Accept-Encoding", 9},
		{"/exact", "GET", 200, "gzip", "Accept-Encoding", 1024},
		{"/png", "GET", 200, "", "", len(bigText)},
		{"/encoded", "GET", 200, "gzip", "Accept-Encoding", len(bigText)},
		{"/length", "GET", 200, "gzip", "Accept-Encoding", len(bigText)},
		{"/smalllength", "GET", 200, "", "Accept-Encoding", 9},
		{"/notransform", "GET", 200, "", "", len(bigText)},
		{"/204", "GET", 204, "", "", 0},
		{"/304", "GET", 304, "", "", 0},
		{"/206", "GET", 206, "", "Accept-Encoding", len(bigText)},
		{"/404", "GET", 404, "gzip", "Accept-Encoding", len(bigText)},
		{"/vary", "GET", 200, "gzip", "Cookie, Accept-Encoding", len(bigText)},
	}
	for _, c := range cases {
		resp, body := get(t, c.method, ts.URL+c.path, "Accept-Encoding", "gzip")
		if resp.StatusCode != c.status {
			t.Errorf("%s %s: status %d, want %d", c.method, c.path, resp.StatusCode, c.status)
			continue
		}
		if got := resp.Header.Get("Content-Encoding"); got != c.enc {
			t.Errorf("%s %s: Content-Encoding %q, want %q", c.method, c.path, got, c.enc)
			continue
		}
		if got := strings.Join(resp.Header.Values("Vary"), ", "); got != c.vary {
			t.Errorf("%s %s: Vary %q, want %q", c.method, c.path, got, c.vary)
		}
		if n := len(decode(t, c.enc, body)); n != c.bodyLen {
			t.Errorf("%s %s: %d body bytes, want %d", c.method, c.path, n, c.bodyLen)
		}
		// net/http may count a body that ended within its buffer; any
		// length sent must be the encoded one.
		if c.enc != "" && resp.ContentLength != -1 && resp.ContentLength != int64(len(body)) {
			t.Errorf("%s %s: Content-Length %s on a compressed body", c.method, c.path, resp.Header.Get("Content-Length"))
		}
	}
	// A small body of unknown length is sent with its length.
	if resp, _ := get(t, "GET", ts.URL+"/small", "Accept-Encoding", "gzip"); resp.ContentLength != 9 {
		t.Errorf("/small: Content-Length %d", resp.ContentLength)
	}
	// HEAD gets GET's headers (RFC 9110 9.3.2; nginx too): the coding and
	// Vary, no length (PHP writes no body for HEAD to judge), no body.
	if resp, body := get(t, "HEAD", ts.URL+"/page", "Accept-Encoding", "gzip"); resp.Header.Get("Content-Encoding") != "gzip" ||
		resp.Header.Get("Vary") != "Accept-Encoding" || resp.Header.Get("Content-Length") != "" || len(body) != 0 {
		t.Errorf("HEAD /page: %v, %d body bytes", resp.Header, len(body))
	}
}

func TestCompressionOff(t *testing.T) {
	ts, _ := compressServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		io.WriteString(w, bigText)
	}, func(c *config.Config) { c.Server.Response.Compression = false }, map[string]string{"big.css": bigText})
	for _, p := range []string{"/page", "/big.css"} {
		resp, body := get(t, "GET", ts.URL+p, "Accept-Encoding", "gzip, br, zstd")
		if resp.Header.Get("Content-Encoding") != "" || resp.Header.Get("Vary") != "" || string(body) != bigText {
			t.Errorf("%s: compressed with compression = false: %v", p, resp.Header)
		}
	}
}

func TestCompressMinSizeZero(t *testing.T) {
	ts, _ := compressServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"a":1}`)
	}, func(c *config.Config) { c.Server.Response.CompressionMinSize = 0 }, nil)
	resp, body := get(t, "GET", ts.URL+"/x", "Accept-Encoding", "br")
	if resp.Header.Get("Content-Encoding") != "br" || string(decode(t, "br", body)) != `{"a":1}` {
		t.Errorf("min size 0: %v %q", resp.Header, body)
	}
}

// TestCompressStreaming: what PHP flushes reaches the client at once,
// decodable, while the script still runs.
func TestCompressStreaming(t *testing.T) {
	for _, enc := range []string{"zstd", "br", "gzip"} {
		t.Run(enc, func(t *testing.T) {
			proceed := make(chan struct{})
			ts, _ := compressServer(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/event-stream")
				w.Header().Set("Cache-Control", "no-cache")
				w.WriteHeader(200)
				rc := http.NewResponseController(w)
				for i := 1; i <= 3; i++ {
					fmt.Fprintf(w, "data: event %d\n\n", i)
					if err := rc.Flush(); err != nil {
						t.Errorf("flush: %v", err)
					}
					select {
					case <-proceed:
					case <-time.After(30 * time.Second):
						t.Error("the client never read the event")
						return
					}
				}
			}, nil, nil)
			req, _ := http.NewRequest("GET", ts.URL+"/events", nil)
			req.Header.Set("Accept-Encoding", enc)
			resp, err := (&http.Client{Transport: &http.Transport{DisableCompression: true}}).Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.Header.Get("Content-Encoding") != enc {
				t.Fatalf("Content-Encoding %q", resp.Header.Get("Content-Encoding"))
			}
			var dr io.Reader
			switch enc {
			case "gzip":
				zr, err := gzip.NewReader(resp.Body)
				if err != nil {
					t.Fatal(err)
				}
				dr = zr
			case "br":
				dr = brotli.NewReader(resp.Body)
			case "zstd":
				zr, err := zstd.NewReader(resp.Body, zstd.WithDecoderConcurrency(1))
				if err != nil {
					t.Fatal(err)
				}
				defer zr.Close()
				dr = zr
			}
			lines := bufio.NewReader(dr)
			for i := 1; i <= 3; i++ {
				// The handler waits for this read before it writes more, so
				// each event must have come through its own flush.
				line, err := lines.ReadString('\n')
				if err != nil {
					t.Fatalf("event %d: %v", i, err)
				}
				if want := fmt.Sprintf("data: event %d\n", i); line != want {
					t.Fatalf("got %q, want %q", line, want)
				}
				if blank, _ := lines.ReadString('\n'); blank != "\n" {
					t.Fatalf("got %q after event %d", blank, i)
				}
				proceed <- struct{}{}
			}
			if rest, err := io.ReadAll(lines); err != nil || len(rest) != 0 {
				t.Errorf("after the events: %q %v", rest, err)
			}
		})
	}
}

func TestCompressStatic(t *testing.T) {
	big := strings.Repeat("body { color: red; }\n", 300)
	ts, _ := compressServer(t, nil, nil, map[string]string{
		"big.css":   big,
		"small.css": "a{}",
		"pic.png":   big, // not a compressible type, whatever the bytes
	})
	resp, body := get(t, "GET", ts.URL+"/big.css", "Accept-Encoding", "gzip")
	etag := resp.Header.Get("ETag")
	if resp.Header.Get("Content-Encoding") != "gzip" || resp.Header.Get("Vary") != "Accept-Encoding" ||
		!strings.HasSuffix(etag, `-gzip"`) || resp.Header.Get("Content-Type") != "text/css; charset=utf-8" ||
		resp.ContentLength != int64(len(body)) && resp.ContentLength != -1 || string(decode(t, "gzip", body)) != big {
		t.Fatalf("big.css gzip: %v", resp.Header)
	}
	plain, _ := get(t, "GET", ts.URL+"/big.css")
	plainTag := plain.Header.Get("ETag")
	if plain.Header.Get("Content-Encoding") != "" || plain.Header.Get("Vary") != "Accept-Encoding" ||
		plainTag == etag || plainTag+"" != strings.TrimSuffix(etag, `-gzip"`)+`"` {
		t.Errorf("identity: ETag %s vs %s, %v", plainTag, etag, plain.Header)
	}
	// If-None-Match with the compressed ETag: 304 with that ETag.
	resp, _ = get(t, "GET", ts.URL+"/big.css", "Accept-Encoding", "gzip", "If-None-Match", etag)
	if resp.StatusCode != 304 || resp.Header.Get("ETag") != etag || resp.Header.Get("Vary") != "Accept-Encoding" {
		t.Errorf("If-None-Match compressed: %d %v", resp.StatusCode, resp.Header)
	}
	// The identity ETag does not validate the compressed representation...
	resp, _ = get(t, "GET", ts.URL+"/big.css", "Accept-Encoding", "gzip", "If-None-Match", plainTag)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Encoding") != "gzip" {
		t.Errorf("identity ETag for gzip: %d %v", resp.StatusCode, resp.Header)
	}
	// ... but does the identity one.
	resp, _ = get(t, "GET", ts.URL+"/big.css", "If-None-Match", plainTag)
	if resp.StatusCode != 304 {
		t.Errorf("identity If-None-Match: %d", resp.StatusCode)
	}
	// Range: identity bytes, whatever Accept-Encoding says.
	resp, body = get(t, "GET", ts.URL+"/big.css", "Accept-Encoding", "gzip, br, zstd", "Range", "bytes=100-199")
	if resp.StatusCode != 206 || resp.Header.Get("Content-Encoding") != "" || string(body) != big[100:200] ||
		resp.Header.Get("Content-Range") != fmt.Sprintf("bytes 100-199/%d", len(big)) || resp.Header.Get("ETag") != plainTag {
		t.Errorf("range: %d %v %q", resp.StatusCode, resp.Header, body)
	}
	// If-Range with the identity ETag still gives the range.
	resp, body = get(t, "GET", ts.URL+"/big.css", "Accept-Encoding", "gzip", "Range", "bytes=0-9", "If-Range", plainTag)
	if resp.StatusCode != 206 || string(body) != big[:10] {
		t.Errorf("If-Range: %d %q", resp.StatusCode, body)
	}
	// HEAD: GET's headers (the coding, its ETag, Vary), without a length.
	resp, body = get(t, "HEAD", ts.URL+"/big.css", "Accept-Encoding", "gzip")
	if resp.Header.Get("Content-Encoding") != "gzip" || resp.Header.Get("Content-Length") != "" || len(body) != 0 ||
		resp.Header.Get("Vary") != "Accept-Encoding" || !strings.HasSuffix(resp.Header.Get("Etag"), `-gzip"`) {
		t.Errorf("HEAD: %v", resp.Header)
	}
	// Below the minimum size, and types not worth compressing.
	resp, body = get(t, "GET", ts.URL+"/small.css", "Accept-Encoding", "gzip")
	if resp.Header.Get("Content-Encoding") != "" || string(body) != "a{}" || resp.Header.Get("Vary") != "Accept-Encoding" {
		t.Errorf("small.css: %v", resp.Header)
	}
	resp, body = get(t, "GET", ts.URL+"/pic.png", "Accept-Encoding", "gzip")
	if resp.Header.Get("Content-Encoding") != "" || resp.Header.Get("Vary") != "" || string(body) != big {
		t.Errorf("pic.png: %v", resp.Header)
	}
}

func TestPrecompressedSiblings(t *testing.T) {
	orig := strings.Repeat("console.log('hello');\n", 100)
	ts, root := compressServer(t, nil, nil, map[string]string{
		"app.js":        orig,
		"app.js.br":     "BROTLI-BYTES",
		"app.js.gz":     "GZIP-BYTES",
		"old.js":        orig,
		"old.js.gz":     "STALE",
		"link.js":       orig,
		"tiny.txt":      "hi",
		"tiny.txt.zst":  "ZSTD-BYTES",
		"image.png":     "PNG",
		"image.png.gz":  "PNGGZ",
		"outside/x.txt": "",
	})
	// The files were written in no particular order: date the originals
	// before their siblings, except old.js, whose sibling is stale.
	past, older := time.Now().Add(-time.Hour), time.Now().Add(-2*time.Hour)
	for _, f := range []string{"app.js", "old.js", "link.js", "tiny.txt", "image.png"} {
		os.Chtimes(filepath.Join(root, f), past, past)
	}
	os.Chtimes(filepath.Join(root, "old.js.gz"), older, older)
	// A sibling that is a symlink out of the document root is not served.
	secret := filepath.Join(t.TempDir(), "secret")
	os.WriteFile(secret, []byte("SECRET"), 0o644)
	os.Symlink(secret, filepath.Join(root, "link.js.gz"))

	cases := []struct {
		path, accept, enc, body string
	}{
		{"/app.js", "gzip, br, zstd", "br", "BROTLI-BYTES"}, // br beats gzip; no .zst, and a sibling beats live zstd
		{"/app.js", "gzip", "gzip", "GZIP-BYTES"},
		{"/app.js", "gzip, br;q=0.5", "gzip", "GZIP-BYTES"},
		{"/app.js", "br;q=0, *", "gzip", "GZIP-BYTES"},
		{"/app.js", "zstd", "zstd", orig}, // no .zst: compressed on the fly
		{"/app.js", "", "", orig},
		{"/old.js", "gzip", "gzip", orig}, // stale sibling: live gzip of the file
		{"/link.js", "gzip", "gzip", orig},
		{"/tiny.txt", "zstd", "zstd", "ZSTD-BYTES"}, // the size rule is for live compression
		{"/image.png", "gzip", "gzip", "PNGGZ"},
	}
	for _, c := range cases {
		resp, body := get(t, "GET", ts.URL+c.path, "Accept-Encoding", c.accept)
		if resp.StatusCode != 200 || resp.Header.Get("Content-Encoding") != c.enc {
			t.Errorf("%s %q: %d, Content-Encoding %q, want %q", c.path, c.accept, resp.StatusCode, resp.Header.Get("Content-Encoding"), c.enc)
			continue
		}
		got := string(body)
		if c.body == orig {
			got = string(decode(t, c.enc, body))
		}
		if got != c.body {
			t.Errorf("%s %q: body %.40q, want %.40q", c.path, c.accept, got, c.body)
		}
		if c.path == "/app.js" && resp.Header.Get("Content-Type") != "text/javascript; charset=utf-8" {
			t.Errorf("%s %q: Content-Type %q", c.path, c.accept, resp.Header.Get("Content-Type"))
		}
		if c.accept != "" && resp.Header.Get("Vary") != "Accept-Encoding" {
			t.Errorf("%s %q: Vary %q", c.path, c.accept, resp.Header.Get("Vary"))
		}
	}
	// The sibling's ETag is its own, tagged, and validates.
	resp, _ := get(t, "GET", ts.URL+"/app.js", "Accept-Encoding", "br")
	etag := resp.Header.Get("ETag")
	if !strings.HasSuffix(etag, `-br"`) || resp.ContentLength != int64(len("BROTLI-BYTES")) {
		t.Errorf("sibling ETag %s, length %d", etag, resp.ContentLength)
	}
	resp, _ = get(t, "GET", ts.URL+"/app.js", "Accept-Encoding", "br", "If-None-Match", etag)
	if resp.StatusCode != 304 {
		t.Errorf("sibling If-None-Match: %d", resp.StatusCode)
	}
	// Ranges are of the file itself.
	resp, body := get(t, "GET", ts.URL+"/app.js", "Accept-Encoding", "br", "Range", "bytes=0-6")
	if resp.StatusCode != 206 || string(body) != orig[:7] || resp.Header.Get("Content-Encoding") != "" {
		t.Errorf("sibling range: %d %q", resp.StatusCode, body)
	}
}

func TestConfiguredHeaders(t *testing.T) {
	ts, _ := compressServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/own" {
			w.Header().Set("X-Frame-Options", "SAMEORIGIN")
		}
		io.WriteString(w, "php")
	}, func(c *config.Config) {
		c.Server.Response.Headers = [][2]string{
			{"x-frame-options", "DENY"},
			{"Strict-Transport-Security", "max-age=60"},
			{"Link", "</a.css>; rel=preload"},
			{"Link", "</b.js>; rel=preload"},
		}
	}, map[string]string{"a.css": "a{}", "dir/index.html": "x", ".env": "S=1"})
	for _, p := range []string{"/a.css", "/page", "/.env", "/dir", "/nope.php"} {
		resp, _ := get(t, "GET", ts.URL+p)
		if resp.Header.Get("X-Frame-Options") != "DENY" || resp.Header.Get("Strict-Transport-Security") != "max-age=60" ||
			strings.Join(resp.Header.Values("Link"), " | ") != "</a.css>; rel=preload | </b.js>; rel=preload" {
			t.Errorf("%s (%d): %v", p, resp.StatusCode, resp.Header)
		}
	}
	resp, _ := get(t, "GET", ts.URL+"/a.css", "If-None-Match", "*")
	if resp.StatusCode != 304 || resp.Header.Get("X-Frame-Options") != "DENY" {
		t.Errorf("304: %d %v", resp.StatusCode, resp.Header)
	}
	resp, _ = get(t, "GET", ts.URL+"/own")
	if got := resp.Header.Values("X-Frame-Options"); len(got) != 1 || got[0] != "SAMEORIGIN" {
		t.Errorf("the application's own header: %v", got)
	}
}

// TestPHPConditional: PHP compares If-None-Match with its own ETag; the
// client holds the compressed copy's ETag and still gets its 304.
func TestPHPConditional(t *testing.T) {
	ts, _ := compressServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Header().Set("ETag", `"page-7"`)
		w.Header().Set("X-Seen", r.Header.Get("If-None-Match"))
		if r.Header.Get("If-None-Match") == `"page-7"` {
			w.WriteHeader(304)
			return
		}
		io.WriteString(w, bigText)
	}, nil, nil)
	resp, _ := get(t, "GET", ts.URL+"/p", "Accept-Encoding", "zstd")
	etag := resp.Header.Get("ETag")
	if etag != `"page-7-zstd"` {
		t.Fatalf("ETag %s", etag)
	}
	resp, _ = get(t, "GET", ts.URL+"/p", "Accept-Encoding", "zstd", "If-None-Match", etag)
	if resp.StatusCode != 304 || resp.Header.Get("ETag") != etag || resp.Header.Get("Vary") != "Accept-Encoding" ||
		resp.Header.Get("X-Seen") != `"page-7"` {
		t.Errorf("304: %d %v", resp.StatusCode, resp.Header)
	}
	// The zstd copy's ETag does not validate for a gzip client.
	resp, _ = get(t, "GET", ts.URL+"/p", "Accept-Encoding", "gzip", "If-None-Match", etag)
	if resp.StatusCode != 200 || resp.Header.Get("ETag") != `"page-7-gzip"` {
		t.Errorf("other coding: %d %v", resp.StatusCode, resp.Header)
	}
}

// TestEncodersPooled: a compressed response borrows its encoder; a new
// zstd or brotli encoder costs hundreds of KB.
func TestEncodersPooled(t *testing.T) {
	opts := newResponseOptions(true, 0, 1024, nil)
	for _, enc := range []string{"zstd", "br", "gzip"} {
		req := httptest.NewRequest("GET", "/", nil)
		req.Header.Set("Accept-Encoding", enc)
		run := func() {
			rec := &recorder{ResponseWriter: discardWriter{h: http.Header{}}}
			w := newResponse(rec, req, opts)
			w.Header().Set("Content-Type", "text/html")
			io.WriteString(w, bigText)
			w.finish()
			if w.coding.token() != enc {
				t.Fatalf("coding %s", w.coding.token())
			}
		}
		run()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		const n = 50
		for i := 0; i < n; i++ {
			run()
		}
		runtime.ReadMemStats(&after)
		per := (after.TotalAlloc - before.TotalAlloc) / n
		if per > 64<<10 {
			t.Errorf("%s: %d bytes allocated per response", enc, per)
		}
		t.Logf("%s: %d bytes allocated per response", enc, per)
	}
}

// TestEncodersLastUsedFirst: get hands out the encoder returned last (its
// tables still warm in the CPU's caches), keeps idleMax of them across
// garbage collections, and an encoder from the idle list compresses as a
// new one does.
func TestEncodersLastUsedFirst(t *testing.T) {
	e := newEncoders(0)
	for _, c := range codings {
		var held []encoder
		for i := 0; i < e.idleMax+2; i++ {
			held = append(held, e.get(c, io.Discard))
		}
		for i, enc := range held {
			// Each held encoder compresses a body first, so the one
			// reused below has history and tables from another response.
			fmt.Fprintf(enc, "%d %s", i, strings.Repeat("<li>another response</li>\n", 100+i))
			enc.Close()
			e.put(c, enc)
		}
		if n := len(e.idle[c].encs); n != e.idleMax {
			t.Fatalf("%s: %d idle encoders kept, want idleMax %d", c.token(), n, e.idleMax)
		}
		last := held[e.idleMax-1] // the last one idle took; the 2 after it went to the pool
		runtime.GC()
		runtime.GC() // twice: a sync.Pool would have dropped it by now
		var out bytes.Buffer
		enc := e.get(c, &out)
		if enc != last {
			t.Errorf("%s: get did not return the encoder put last", c.token())
		}
		io.WriteString(enc, bigText)
		enc.Close()
		e.put(c, enc)
		if got := decode(t, c.token(), out.Bytes()); string(got) != bigText {
			t.Errorf("%s: reused encoder's output decodes to %d bytes, want %d", c.token(), len(got), len(bigText))
		}
		// Byte for byte what a fresh encoder sends: nothing of the
		// previous responses leaks into the next one.
		var fresh bytes.Buffer
		fe := newEncoders(0)
		enc = fe.get(c, &fresh)
		io.WriteString(enc, bigText)
		enc.Close()
		if !bytes.Equal(out.Bytes(), fresh.Bytes()) {
			t.Errorf("%s: reused encoder sent %d bytes, a fresh one %d (or other bytes)", c.token(), out.Len(), fresh.Len())
		}
	}
}

type discardWriter struct{ h http.Header }

func (d discardWriter) Header() http.Header         { return d.h }
func (d discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (d discardWriter) WriteHeader(int)             {}

// TestCompressionLevel: compression_level reaches every codec; 0 is the
// fast default, not "store".
func TestCompressionLevel(t *testing.T) {
	var text strings.Builder
	seed := uint32(7)
	for i := 0; i < 4000; i++ {
		seed = seed*1664525 + 1013904223
		fmt.Fprintf(&text, "<li id=\"item-%d\">%s %d</li>\n", i, []string{"alpha", "beta", "gamma", "delta"}[seed>>30], seed%1000)
	}
	size := func(level int, c coding) int {
		var b bytes.Buffer
		e := newEncoders(level)
		enc := e.get(c, &b)
		io.WriteString(enc, text.String())
		enc.Close()
		e.put(c, enc)
		return b.Len()
	}
	for _, c := range codings {
		fast, best, def := size(1, c), size(9, c), size(0, c)
		if best >= fast || def >= text.Len()/3 {
			t.Errorf("%s: level 1 %d bytes, level 9 %d, default %d, of %d", c.token(), fast, best, def, text.Len())
		}
	}
}
