package e2e

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/andybalholm/brotli"
	"github.com/klauspost/compress/zstd"
)

// czResponse is a response read without any decoding by the client.
type czResponse struct {
	Status int
	Header http.Header
	Body   []byte // as sent on the wire
}

// czGet sends exactly the given headers: Go's transport adds no
// Accept-Encoding of its own and decodes nothing.
func czGet(t *testing.T, method, url string, headers ...string) czResponse {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	must(t, err)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	tr := &http.Transport{DisableCompression: true}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr, Timeout: 60 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading: %v", method, url, err)
	}
	return czResponse{resp.StatusCode, resp.Header, body}
}

// czDecoder wraps r in the decoder for a Content-Encoding.
func czDecoder(t *testing.T, enc string, r io.Reader) io.Reader {
	t.Helper()
	switch enc {
	case "gzip":
		zr, err := gzip.NewReader(r)
		if err != nil {
			t.Fatalf("gzip: %v", err)
		}
		return zr
	case "br":
		return brotli.NewReader(r)
	case "zstd":
		zr, err := zstd.NewReader(r, zstd.WithDecoderConcurrency(1))
		if err != nil {
			t.Fatalf("zstd: %v", err)
		}
		t.Cleanup(zr.Close)
		return zr
	case "":
		return r
	}
	t.Fatalf("unexpected Content-Encoding %q", enc)
	return nil
}

func czDecode(t *testing.T, r czResponse) string {
	t.Helper()
	out, err := io.ReadAll(czDecoder(t, r.Header.Get("Content-Encoding"), bytes.NewReader(r.Body)))
	if err != nil {
		t.Fatalf("decoding %s: %v", r.Header.Get("Content-Encoding"), err)
	}
	return string(out)
}

// TestCompressNegotiation: PHP and static responses in each coding the
// client prefers, decoded to exactly the identity body.
func TestCompressNegotiation(t *testing.T) {
	s := start(t, fixtureRoot(t), "")
	page := czGet(t, "GET", s.URL+"/compress/page.php")
	css := czGet(t, "GET", s.URL+"/compress/big.css")
	if page.Header.Get("Content-Encoding") != "" || len(page.Body) != 20480 || page.Header.Get("Vary") != "Accept-Encoding" {
		t.Fatalf("identity page: %d bytes, %v", len(page.Body), page.Header)
	}
	cases := []struct{ accept, enc string }{
		{"gzip, deflate, br, zstd", "zstd"},
		{"gzip, deflate, br", "br"},
		{"gzip", "gzip"},
		{"zstd;q=0.5, br;q=0.8, gzip;q=0.9", "gzip"},
		{"*", "zstd"},
		{"zstd;q=0, *", "br"},
		{"identity", ""},
		{"gzip;q=0, identity", ""},
		{"deflate", ""},
	}
	for _, c := range cases {
		for _, want := range []czResponse{page, css} {
			path := "/compress/page.php"
			if want.Header.Get("Content-Type") == "text/css; charset=utf-8" {
				path = "/compress/big.css"
			}
			r := czGet(t, "GET", s.URL+path, "Accept-Encoding", c.accept)
			if r.Status != 200 || r.Header.Get("Content-Encoding") != c.enc {
				t.Errorf("%s %q: %d, Content-Encoding %q, want %q", path, c.accept, r.Status, r.Header.Get("Content-Encoding"), c.enc)
				continue
			}
			if r.Header.Get("Vary") != "Accept-Encoding" {
				t.Errorf("%s %q: Vary %q", path, c.accept, r.Header.Get("Vary"))
			}
			if got := czDecode(t, r); got != string(want.Body) {
				t.Errorf("%s %q: decoded body differs (%d bytes, want %d)", path, c.accept, len(got), len(want.Body))
			}
			if c.enc == "" {
				continue
			}
			if cl := r.Header.Get("Content-Length"); cl != "" && cl != fmt.Sprint(len(r.Body)) {
				t.Errorf("%s %q: Content-Length %s for %d encoded bytes", path, c.accept, cl, len(r.Body))
			}
			if len(r.Body)*2 > len(want.Body) {
				t.Errorf("%s %q: %d bytes compressed from %d", path, c.accept, len(r.Body), len(want.Body))
			}
		}
	}
}

// TestCompressCurl: curl --compressed (deflate, gzip, br, zstd) gets zstd
// and decodes it; a Range with --compressed gets the plain bytes.
func TestCompressCurl(t *testing.T) {
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("curl not installed")
	}
	s := start(t, fixtureRoot(t), "")
	want, err := os.ReadFile(filepath.Join(s.Root, "compress", "big.css"))
	must(t, err)
	curl := func(args ...string) (headers, body string) {
		t.Helper()
		hf := filepath.Join(t.TempDir(), "headers")
		out, err := exec.Command("curl", append([]string{"-sS", "--max-time", "60", "-D", hf}, args...)...).Output()
		if err != nil {
			t.Fatalf("curl %v: %v", args, err)
		}
		h, _ := os.ReadFile(hf)
		return strings.ToLower(string(h)), string(out)
	}
	h, body := curl("--compressed", s.URL+"/compress/big.css")
	if !strings.Contains(h, "content-encoding: zstd") || !strings.Contains(h, "vary: accept-encoding") || body != string(want) {
		t.Errorf("curl --compressed big.css:\n%s(%d bytes)", h, len(body))
	}
	h, body = curl("--compressed", s.URL+"/compress/page.php?bytes=5000")
	if !strings.Contains(h, "content-encoding: zstd") || len(body) != 5000 || !strings.HasPrefix(body, "<p>line 0:") {
		t.Errorf("curl --compressed page.php:\n%s(%d bytes)", h, len(body))
	}
	h, body = curl("--compressed", "-H", "Accept-Encoding: br", s.URL+"/compress/page.php?bytes=5000")
	if !strings.Contains(h, "content-encoding: br") || len(body) != 5000 {
		t.Errorf("curl br page.php:\n%s(%d bytes)", h, len(body))
	}
	h, body = curl("--compressed", "-r", "100-1099", s.URL+"/compress/big.css")
	if !strings.HasPrefix(h, "http/1.1 206") || strings.Contains(h, "content-encoding") || body != string(want[100:1100]) ||
		!strings.Contains(h, fmt.Sprintf("content-range: bytes 100-1099/%d", len(want))) {
		t.Errorf("curl --compressed -r 100-1099:\n%s%q", h, body)
	}
	// Streaming through curl: every event, decoded.
	h, body = curl("--compressed", "-N", s.URL+"/compress/sse.php?n=3&ms=100")
	if !strings.Contains(h, "content-encoding: zstd") || strings.Count(body, "data: event") != 3 || !strings.HasSuffix(body, "data: end\n\n") {
		t.Errorf("curl sse:\n%s%q", h, body)
	}
}

// TestCompressSSE: each event a PHP script echoes and flush()es reaches
// the client, compressed and decodable, while the script is still
// running: the script waits, after event i, for a file the test creates
// only once it has read event i.
func TestCompressSSE(t *testing.T) {
	s := start(t, fixtureRoot(t), "")
	for _, enc := range []string{"zstd", "br", "gzip"} {
		t.Run(enc, func(t *testing.T) {
			gate := "g" + enc + fmt.Sprint(time.Now().UnixNano())
			req, err := http.NewRequest("GET", s.URL+"/compress/sse.php?n=3&gate="+gate, nil)
			must(t, err)
			req.Header.Set("Accept-Encoding", enc)
			tr := &http.Transport{DisableCompression: true}
			defer tr.CloseIdleConnections()
			resp, err := (&http.Client{Transport: tr, Timeout: 90 * time.Second}).Do(req)
			must(t, err)
			defer resp.Body.Close()
			if resp.Header.Get("Content-Encoding") != enc || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
				t.Fatalf("headers: %v", resp.Header)
			}
			lines := bufio.NewReader(czDecoder(t, enc, resp.Body))
			for i := 1; i <= 3; i++ {
				event := readEvent(t, lines)
				if !strings.HasPrefix(event, fmt.Sprintf("id: %d\ndata: event %d at ", i, i)) {
					t.Fatalf("event %d: %q", i, event)
				}
				must(t, os.WriteFile(filepath.Join(s.Root, "compress", fmt.Sprintf("gate-%s-%d", gate, i)), nil, 0o644))
			}
			if end := readEvent(t, lines); end != "data: end\n" {
				t.Fatalf("last event: %q", end)
			}
			if rest, err := io.ReadAll(lines); err != nil || len(rest) != 0 {
				t.Errorf("after the end: %q %v", rest, err)
			}
		})
	}
}

// readEvent reads one SSE event (lines up to a blank line).
func readEvent(t *testing.T, r *bufio.Reader) string {
	t.Helper()
	var ev strings.Builder
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("reading event (so far %q): %v", ev.String(), err)
		}
		if line == "\n" {
			return ev.String()
		}
		ev.WriteString(line)
	}
}

// TestCompressRules: what is never compressed, and what never twice.
func TestCompressRules(t *testing.T) {
	s := start(t, fixtureRoot(t), "")
	page := "/compress/page.php"
	cases := []struct {
		method, path string
		status       int
		enc, vary    string
		bodyLen      int // decoded
	}{
		{"GET", page + "?bytes=1023", 200, "", "Accept-Encoding", 1023}, // below compression_min_size
		{"GET", page + "?bytes=1024", 200, "zstd", "Accept-Encoding", 1024},
		{"GET", page + "?length=1", 200, "zstd", "Accept-Encoding", 20480}, // Content-Length from the script
		{"GET", page + "?length=1&bytes=500", 200, "", "Accept-Encoding", 500},
		{"GET", page + "?type=image/png", 200, "", "", 20480},
		{"GET", page + "?type=application/json", 200, "zstd", "Accept-Encoding", 20480},
		{"GET", page + "?type=image/svg%2Bxml", 200, "zstd", "Accept-Encoding", 20480},
		{"GET", page + "?cc=no-transform", 200, "", "", 20480},
		{"GET", page + "?encode=gzip", 200, "gzip", "", 20480}, // the script's own encoding, once
		{"GET", page + "?status=404", 404, "zstd", "Accept-Encoding", 20480},
		{"GET", page + "?status=204&bytes=0", 204, "", "", 0},
		{"GET", page + "?status=304&bytes=0&etag=%22x%22", 304, "", "", 0},
		{"GET", "/compress/small.css", 200, "", "Accept-Encoding", 13},
		{"GET", "/compress/big.css", 200, "zstd", "Accept-Encoding", 5705},
	}
	for _, c := range cases {
		r := czGet(t, c.method, s.URL+c.path, "Accept-Encoding", "gzip, br, zstd")
		if r.Status != c.status || r.Header.Get("Content-Encoding") != c.enc {
			t.Errorf("%s %s: %d, Content-Encoding %q; want %d, %q", c.method, c.path, r.Status, r.Header.Get("Content-Encoding"), c.status, c.enc)
			continue
		}
		if got := strings.Join(r.Header.Values("Vary"), ", "); got != c.vary {
			t.Errorf("%s %s: Vary %q, want %q", c.method, c.path, got, c.vary)
		}
		if n := len(czDecode(t, r)); n != c.bodyLen {
			t.Errorf("%s %s: %d decoded bytes, want %d", c.method, c.path, n, c.bodyLen)
		}
		// A small body held while it was judged goes out with its length.
		if c.enc == "" && c.vary != "" && c.bodyLen > 0 && c.bodyLen < 1024 && r.Header.Get("Content-Length") != fmt.Sprint(c.bodyLen) {
			t.Errorf("%s %s: small body without its Content-Length: %v", c.method, c.path, r.Header)
		}
	}
	// HEAD says what GET would (RFC 9110 9.3.2; nginx too): the coding and
	// Vary, no length (known only by compressing), no body.
	for _, p := range []string{page, "/compress/big.css"} {
		r := czGet(t, "HEAD", s.URL+p, "Accept-Encoding", "gzip, br, zstd")
		if r.Status != 200 || r.Header.Get("Content-Encoding") != "zstd" || r.Header.Get("Vary") != "Accept-Encoding" ||
			r.Header.Get("Content-Length") != "" || len(r.Body) != 0 {
			t.Errorf("HEAD %s: %d %v, %d body bytes", p, r.Status, r.Header, len(r.Body))
		}
	}
	// Without Accept-Encoding, HEAD says what an uncompressed GET would.
	if r := czGet(t, "HEAD", s.URL+"/compress/big.css"); r.Header.Get("Content-Length") != "5705" || r.Header.Get("Content-Encoding") != "" {
		t.Errorf("HEAD big.css: %v", r.Header)
	}
}

// TestCompressZlibOutputCompression: PHP's own zlib.output_compression
// encodes with gzip; the server sends that as it is, not again.
func TestCompressZlibOutputCompression(t *testing.T) {
	s := start(t, fixtureRoot(t), "[php]\nini_overrides = [[\"zlib.output_compression\", \"On\"]]\n")
	r := czGet(t, "GET", s.URL+"/compress/page.php", "Accept-Encoding", "zstd, gzip")
	if r.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("Content-Encoding %q (zlib.output_compression should have chosen gzip): %v", r.Header.Get("Content-Encoding"), r.Header)
	}
	body := czDecode(t, r)
	if len(body) != 20480 || !strings.HasPrefix(body, "<p>line 0:") {
		t.Errorf("decoded once: %d bytes %.40q", len(body), body)
	}
}

// TestCompressETags: a compressed response's ETag differs from the
// identity one, and each validates its own representation, for static
// files (ServeContent) and for PHP answering its own conditionals.
func TestCompressETags(t *testing.T) {
	s := start(t, fixtureRoot(t), "")
	css := s.URL + "/compress/big.css"
	plain := czGet(t, "GET", css)
	plainTag := plain.Header.Get("ETag")
	for _, enc := range []string{"zstd", "br", "gzip"} {
		r := czGet(t, "GET", css, "Accept-Encoding", enc)
		tag := r.Header.Get("ETag")
		if tag != strings.TrimSuffix(plainTag, `"`)+"-"+enc+`"` {
			t.Errorf("%s ETag %s (identity %s)", enc, tag, plainTag)
		}
		nm := czGet(t, "GET", css, "Accept-Encoding", enc, "If-None-Match", tag)
		if nm.Status != 304 || nm.Header.Get("ETag") != tag || nm.Header.Get("Vary") != "Accept-Encoding" || len(nm.Body) != 0 {
			t.Errorf("%s If-None-Match: %d %v", enc, nm.Status, nm.Header)
		}
		// Another representation's ETag does not validate this one.
		if other := czGet(t, "GET", css, "Accept-Encoding", enc, "If-None-Match", plainTag); other.Status != 200 {
			t.Errorf("%s with the identity ETag: %d", enc, other.Status)
		}
	}
	if nm := czGet(t, "GET", css, "If-None-Match", plainTag); nm.Status != 304 || nm.Header.Get("ETag") != plainTag {
		t.Errorf("identity If-None-Match: %d %v", nm.Status, nm.Header)
	}
	// If-Range with the identity ETag gives the identity range.
	r := czGet(t, "GET", css, "Accept-Encoding", "gzip", "Range", "bytes=10-19", "If-Range", plainTag)
	if r.Status != 206 || string(r.Body) != string(plain.Body[10:20]) || r.Header.Get("Content-Encoding") != "" {
		t.Errorf("If-Range: %d %q %v", r.Status, r.Body, r.Header)
	}

	// PHP: the script sees its own ETag in If-None-Match and answers 304.
	cond := s.URL + "/compress/cond.php"
	r = czGet(t, "GET", cond, "Accept-Encoding", "br")
	if r.Header.Get("ETag") != `"v42-br"` || r.Header.Get("Content-Encoding") != "br" {
		t.Fatalf("cond.php: %v", r.Header)
	}
	r = czGet(t, "GET", cond, "Accept-Encoding", "br", "If-None-Match", `"v42-br"`)
	if r.Status != 304 || r.Header.Get("ETag") != `"v42-br"` || r.Header.Get("X-Seen-If-None-Match") != `"v42"` || r.Header.Get("Vary") != "Accept-Encoding" {
		t.Errorf("cond.php If-None-Match: %d %v", r.Status, r.Header)
	}
	if r = czGet(t, "GET", cond, "If-None-Match", `"v42"`); r.Status != 304 || r.Header.Get("ETag") != `"v42"` {
		t.Errorf("cond.php identity If-None-Match: %d %v", r.Status, r.Header)
	}
	if r = czGet(t, "GET", cond, "Accept-Encoding", "gzip", "If-None-Match", `"v42-br"`); r.Status != 200 || r.Header.Get("ETag") != `"v42-gzip"` {
		t.Errorf("cond.php br tag for a gzip client: %d %v", r.Status, r.Header)
	}
}

// TestCompressPrecompressed: fresh .zst/.br/.gz siblings of a static file
// are sent as they are, with the original's type; stale or escaping ones
// are not.
func TestCompressPrecompressed(t *testing.T) {
	root := fixtureRoot(t)
	dir := filepath.Join(root, "compress")
	orig, err := os.ReadFile(filepath.Join(dir, "big.css"))
	must(t, err)
	encode := func(enc string) []byte {
		var b bytes.Buffer
		var w io.WriteCloser
		switch enc {
		case "gzip":
			w = gzip.NewWriter(&b)
		case "br":
			w = brotli.NewWriterLevel(&b, 11)
		case "zstd":
			w, _ = zstd.NewWriter(&b, zstd.WithEncoderLevel(zstd.SpeedBestCompression))
		}
		w.Write(orig)
		w.Close()
		return b.Bytes()
	}
	past := time.Now().Add(-time.Hour)
	siblings := map[string][]byte{}
	for _, c := range []struct{ file, enc string }{{"app.css", ""}, {"app.css.gz", "gzip"}, {"app.css.br", "br"},
		{"stale.css", ""}, {"stale.css.zst", "zstd"}, {"esc.css", ""}} {
		data := orig
		if c.enc != "" {
			data = encode(c.enc)
			siblings[c.file] = data
		}
		must(t, os.WriteFile(filepath.Join(dir, c.file), data, 0o644))
	}
	for _, f := range []string{"app.css", "esc.css"} {
		must(t, os.Chtimes(filepath.Join(dir, f), past, past))
	}
	must(t, os.Chtimes(filepath.Join(dir, "stale.css.zst"), past.Add(-time.Hour), past.Add(-time.Hour)))
	// A sibling that is a symlink out of the document root.
	outside := filepath.Join(t.TempDir(), "secret.gz")
	must(t, os.WriteFile(outside, encode("gzip"), 0o644))
	must(t, os.Symlink(outside, filepath.Join(dir, "esc.css.gz")))

	s := start(t, root, "")
	cases := []struct {
		path, accept, enc string
		sibling           string // the file sent as it is; "" = compressed on the fly
	}{
		{"/compress/app.css", "gzip, br, zstd", "br", "app.css.br"}, // a sibling beats live zstd
		{"/compress/app.css", "gzip", "gzip", "app.css.gz"},
		{"/compress/app.css", "br;q=0.1, gzip", "gzip", "app.css.gz"},
		{"/compress/app.css", "zstd", "zstd", ""},
		{"/compress/stale.css", "zstd", "zstd", ""}, // older than the file: not used
		{"/compress/esc.css", "gzip", "gzip", ""},   // out of the root: not used
	}
	for _, c := range cases {
		r := czGet(t, "GET", s.URL+c.path, "Accept-Encoding", c.accept)
		if r.Status != 200 || r.Header.Get("Content-Encoding") != c.enc || r.Header.Get("Content-Type") != "text/css; charset=utf-8" ||
			r.Header.Get("Vary") != "Accept-Encoding" {
			t.Errorf("%s %q: %d %v", c.path, c.accept, r.Status, r.Header)
			continue
		}
		if czDecode(t, r) != string(orig) {
			t.Errorf("%s %q: decoded body differs", c.path, c.accept)
		}
		if c.sibling != "" && !bytes.Equal(r.Body, siblings[c.sibling]) {
			t.Errorf("%s %q: not the bytes of %s", c.path, c.accept, c.sibling)
		}
		if c.sibling == "" && (bytes.Equal(r.Body, siblings[strings.TrimPrefix(c.path, "/compress/")+".zst"]) || bytes.Equal(r.Body, encode("gzip"))) {
			t.Errorf("%s %q: a sibling was sent", c.path, c.accept)
		}
	}
	// The sibling's ETag validates; a range is of the original.
	r := czGet(t, "GET", s.URL+"/compress/app.css", "Accept-Encoding", "br")
	if r.Header.Get("Content-Length") != fmt.Sprint(len(siblings["app.css.br"])) {
		t.Errorf("sibling Content-Length %q", r.Header.Get("Content-Length"))
	}
	if nm := czGet(t, "GET", s.URL+"/compress/app.css", "Accept-Encoding", "br", "If-None-Match", r.Header.Get("ETag")); nm.Status != 304 {
		t.Errorf("sibling If-None-Match: %d", nm.Status)
	}
	if rg := czGet(t, "GET", s.URL+"/compress/app.css", "Accept-Encoding", "br", "Range", "bytes=0-9"); rg.Status != 206 || string(rg.Body) != string(orig[:10]) {
		t.Errorf("range with a sibling: %d %q", rg.Status, rg.Body)
	}
}

// TestCompressOffAndConfiguredHeaders: compression = false sends
// everything as it is; [server.response] headers reach static files, PHP,
// redirects and errors, unless the response sets the header itself.
func TestCompressOffAndConfiguredHeaders(t *testing.T) {
	s := start(t, fixtureRoot(t), `[server.response]
compression = false
headers = [["Strict-Transport-Security", "max-age=63072000"], ["X-Frame-Options", "DENY"], ["Link", "</a.css>; rel=preload"], ["Link", "</b.js>; rel=preload"]]
`)
	for _, c := range []struct {
		path   string
		status int
	}{
		{"/compress/big.css", 200}, {"/compress/page.php", 200}, {"/compress/page.php?status=404", 404},
		{"/compress", 301}, {"/.git/config", 403}, {"/compress/page.php?status=204&bytes=0", 204},
	} {
		r := czGet(t, "GET", s.URL+c.path, "Accept-Encoding", "gzip, br, zstd")
		if r.Status != c.status || r.Header.Get("Content-Encoding") != "" || r.Header.Get("Vary") != "" {
			t.Errorf("%s: %d %v", c.path, r.Status, r.Header)
		}
		if r.Header.Get("Strict-Transport-Security") != "max-age=63072000" || r.Header.Get("X-Frame-Options") != "DENY" ||
			strings.Join(r.Header.Values("Link"), ", ") != "</a.css>; rel=preload, </b.js>; rel=preload" {
			t.Errorf("%s: configured headers missing: %v", c.path, r.Header)
		}
	}
	r := czGet(t, "GET", s.URL+"/compress/big.css", "If-None-Match", czGet(t, "GET", s.URL+"/compress/big.css").Header.Get("ETag"))
	if r.Status != 304 || r.Header.Get("X-Frame-Options") != "DENY" {
		t.Errorf("304: %d %v", r.Status, r.Header)
	}
	// The script's own value wins over the configured one.
	r = czGet(t, "GET", s.URL+"/headers.php")
	if r.Header.Get("X-Frame-Options") != "DENY" || r.Header.Get("X-Custom") != "one" {
		t.Errorf("headers.php: %v", r.Header)
	}
}

// TestConfiguredHeaderOverride: a header the script sends itself is not
// doubled by the configured one.
func TestConfiguredHeaderOverride(t *testing.T) {
	s := start(t, fixtureRoot(t), "[server.response]\nheaders = [[\"X-Custom\", \"configured\"], [\"X-Other\", \"configured\"]]\n")
	r := czGet(t, "GET", s.URL+"/headers.php")
	if got := r.Header.Values("X-Custom"); len(got) != 1 || got[0] != "one" || r.Header.Get("X-Other") != "configured" {
		t.Errorf("X-Custom %q, X-Other %q", got, r.Header.Get("X-Other"))
	}
}
