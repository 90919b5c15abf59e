package e2e

// The HTTP front's PHP-facing features with the real binary: X-Sendfile /
// X-Accel-Redirect, 103 Early Hints through headers_send(), and
// fastcgi_finish_request(), in request and worker mode. Fixtures are in
// testdata/e2e/public/front/.

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/textproto"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// frontClient neither decompresses nor follows redirects: the tests see the
// bytes the server sent.
var frontClient = &http.Client{
	Timeout:   30 * time.Second,
	Transport: &http.Transport{DisableCompression: true},
	CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	},
}

func frontGet(t *testing.T, s *server, path string, headers map[string]string) response {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, s.URL+path, nil)
	must(t, err)
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := frontClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: reading body: %v", path, err)
	}
	return response{Status: resp.StatusCode, Header: resp.Header, Body: string(body)}
}

// frontWorkerTOML runs front/worker.php as the single worker.
const frontWorkerTOML = "[php]\nmode = \"worker\"\nworker_script = \"front/worker.php\"\nworkers = 1\n"

// sendfileTree makes the allowed root and what lies around it:
//
//	dir/files/report.txt, big.css (compressible, 8 KB), .secret, sub/note.txt,
//	link-in.txt -> report.txt, link-out.txt -> dir/outside/secret.txt
//	dir/outside/secret.txt
func sendfileTree(t *testing.T) (dir, files string) {
	t.Helper()
	dir = t.TempDir()
	files = filepath.Join(dir, "files")
	must(t, os.MkdirAll(filepath.Join(files, "sub"), 0o755))
	must(t, os.MkdirAll(filepath.Join(dir, "outside"), 0o755))
	must(t, os.WriteFile(filepath.Join(files, "report.txt"), []byte("0123456789 the report"), 0o644))
	must(t, os.WriteFile(filepath.Join(files, "big.css"), bytes.Repeat([]byte("body { color: red; }\n"), 400), 0o644))
	must(t, os.WriteFile(filepath.Join(files, ".secret"), []byte("dot secret"), 0o644))
	must(t, os.WriteFile(filepath.Join(files, "sub", "note.txt"), []byte("a note"), 0o644))
	must(t, os.WriteFile(filepath.Join(dir, "outside", "secret.txt"), []byte("outside secret"), 0o644))
	must(t, os.Symlink(filepath.Join(files, "report.txt"), filepath.Join(files, "link-in.txt")))
	must(t, os.Symlink(filepath.Join(dir, "outside", "secret.txt"), filepath.Join(files, "link-out.txt")))
	return dir, files
}

func sendfileURL(path string, extra ...string) string {
	u := "/front/sendfile.php?path=" + url.QueryEscape(path)
	for _, e := range extra {
		u += "&" + e
	}
	return u
}

func TestSendfile(t *testing.T) {
	dir, files := sendfileTree(t)
	for _, mode := range []string{"request", "worker"} {
		t.Run(mode, func(t *testing.T) {
			toml := fmt.Sprintf("[server.sendfile]\nroots = [%q]\n", files)
			if mode == "worker" {
				toml += frontWorkerTOML
			}
			s := start(t, fixtureRoot(t), toml)
			testSendfile(t, s, dir, files)
		})
	}
}

func testSendfile(t *testing.T, s *server, dir, files string) {
	report := filepath.Join(files, "report.txt")
	noScript := func(t *testing.T, r response, what string) {
		t.Helper()
		if strings.Contains(r.Body, "SCRIPT BODY") {
			t.Errorf("%s: the script's body reached the client", what)
		}
		if r.Header.Get("X-Sendfile") != "" || r.Header.Get("X-Accel-Redirect") != "" {
			t.Errorf("%s: the X-Sendfile header reached the client: %v", what, r.Header)
		}
	}

	// The file instead of the script's body, typed from its name, with
	// validators; the script's other headers stay.
	r := frontGet(t, s, sendfileURL(report), nil)
	expectStatus(t, r, 200, "X-Sendfile of a file inside the root")
	noScript(t, r, "inside")
	if r.Body != "0123456789 the report" {
		t.Errorf("body %q, want the file", r.Body)
	}
	if ct := r.Header.Get("Content-Type"); ct != "text/plain; charset=utf-8" {
		t.Errorf("Content-Type %q, want the file's (text/plain; charset=utf-8)", ct)
	}
	if r.Header.Get("Content-Length") != "21" || r.Header.Get("Last-Modified") == "" || r.Header.Get("X-App") != "kept" {
		t.Errorf("headers: %v", r.Header)
	}
	etag := r.Header.Get("Etag")
	if etag == "" {
		t.Fatalf("no ETag: %v", r.Header)
	}

	// A Content-Type the script set wins.
	r = frontGet(t, s, sendfileURL(report, "type=application/x-report"), nil)
	expectStatus(t, r, 200, "X-Sendfile with the script's Content-Type")
	if ct := r.Header.Get("Content-Type"); ct != "application/x-report" {
		t.Errorf("Content-Type %q, want the script's application/x-report", ct)
	}

	// X-Accel-Redirect, the same way; a subdirectory.
	r = frontGet(t, s, sendfileURL(filepath.Join(files, "sub", "note.txt"), "accel=1"), nil)
	expectStatus(t, r, 200, "X-Accel-Redirect")
	noScript(t, r, "X-Accel-Redirect")
	if r.Body != "a note" {
		t.Errorf("X-Accel-Redirect body %q", r.Body)
	}

	// Range and If-None-Match, answered for the file.
	r = frontGet(t, s, sendfileURL(report), map[string]string{"Range": "bytes=2-5"})
	expectStatus(t, r, 206, "Range on a sendfile'd file")
	if r.Body != "2345" || r.Header.Get("Content-Range") != "bytes 2-5/21" {
		t.Errorf("range: body %q, Content-Range %q", r.Body, r.Header.Get("Content-Range"))
	}
	noScript(t, r, "range")
	r = frontGet(t, s, sendfileURL(report), map[string]string{"If-None-Match": etag})
	expectStatus(t, r, 304, "If-None-Match with the file's ETag")
	if r.Body != "" {
		t.Errorf("304 with a body: %q", r.Body)
	}
	r = frontGet(t, s, sendfileURL(report), map[string]string{"If-None-Match": `"other"`})
	expectStatus(t, r, 200, "If-None-Match with another ETag")

	// A symlink that stays inside the root is the file it names.
	r = frontGet(t, s, sendfileURL(filepath.Join(files, "link-in.txt")), nil)
	expectStatus(t, r, 200, "symlink inside the root")
	if r.Body != "0123456789 the report" {
		t.Errorf("symlink inside: body %q", r.Body)
	}

	// Compressed as a static file is: a compressible type above the
	// minimum size, for a client that accepts it; its ETag differs.
	big, _ := os.ReadFile(filepath.Join(files, "big.css"))
	r = frontGet(t, s, sendfileURL(filepath.Join(files, "big.css")), map[string]string{"Accept-Encoding": "gzip"})
	expectStatus(t, r, 200, "compressible sendfile")
	if r.Header.Get("Content-Encoding") != "gzip" || !strings.Contains(r.Header.Get("Vary"), "Accept-Encoding") {
		t.Errorf("big.css not gzip-compressed: %v", r.Header)
	} else {
		zr, err := gzip.NewReader(strings.NewReader(r.Body))
		must(t, err)
		plain, err := io.ReadAll(zr)
		must(t, err)
		if !bytes.Equal(plain, big) {
			t.Errorf("big.css decompressed to %d bytes, want the file's %d", len(plain), len(big))
		}
	}
	gzETag := r.Header.Get("Etag")
	r = frontGet(t, s, sendfileURL(filepath.Join(files, "big.css")), map[string]string{"Accept-Encoding": "gzip", "If-None-Match": gzETag})
	expectStatus(t, r, 304, "If-None-Match with the compressed ETag")
	r = frontGet(t, s, sendfileURL(filepath.Join(files, "big.css")), nil)
	if r.Header.Get("Content-Encoding") != "" || r.Body != string(big) || r.Header.Get("Etag") == gzETag {
		t.Errorf("identity big.css: encoding %q, %d bytes, ETag %q (compressed one %q)", r.Header.Get("Content-Encoding"), len(r.Body), r.Header.Get("Etag"), gzETag)
	}

	// Refused, with a log line, never the file.
	for _, c := range []struct {
		path   string
		status int
		what   string
	}{
		{filepath.Join(dir, "outside", "secret.txt"), 403, "outside every root"},
		{files + "/../outside/secret.txt", 403, `".." leading out`},
		{files + "/sub/../report.txt", 403, `".." even when it stays inside`},
		{filepath.Join(files, "link-out.txt"), 403, "symlink leading out"},
		{filepath.Join(files, ".secret"), 403, "dotfile (hidden_files = deny)"},
		{filepath.Join(files, "missing.txt"), 404, "missing file"},
		{filepath.Join(files, "sub"), 404, "a directory"},
		{"files/report.txt", 403, "relative path"},
		{files + "-sibling/x.txt", 403, "a directory whose name starts like the root's"},
	} {
		r := frontGet(t, s, sendfileURL(c.path), nil)
		if r.Status != c.status {
			t.Errorf("%s (%s): status %d, want %d", c.what, c.path, r.Status, c.status)
		}
		noScript(t, r, c.what)
		if strings.Contains(r.Body, "secret") || strings.Contains(r.Body, "report") || r.Header.Get("X-App") != "" {
			t.Errorf("%s: body %q, headers %v", c.what, r.Body, r.Header)
		}
	}
	if !s.LogHas("X-Sendfile refused") || !s.LogHas("link-out.txt") {
		t.Errorf("refusals not logged:\n%s", s.Log())
	}

	// PHP is told the server takes X-Sendfile, whatever the client says.
	r = frontGet(t, s, "/front/sendfile_type.php", map[string]string{"X-Sendfile-Type": "X-Accel-Redirect"})
	if r.Body != "X-Sendfile" {
		t.Errorf("X-Sendfile-Type PHP sees: %q, want X-Sendfile", r.Body)
	}

	// A non-2xx status passes through with the header removed.
	r = frontGet(t, s, sendfileURL(report, "status=404"), nil)
	expectStatus(t, r, 404, "X-Sendfile with a 404 status")
	if !strings.Contains(r.Body, "SCRIPT BODY") || r.Header.Get("X-Sendfile") != "" {
		t.Errorf("404 with X-Sendfile: body %.40q, headers %v", r.Body, r.Header)
	}
}

// TestSendfileOff: with no roots the headers are not looked at.
func TestSendfileOff(t *testing.T) {
	_, files := sendfileTree(t)
	s := start(t, fixtureRoot(t), "")
	r := frontGet(t, s, sendfileURL(filepath.Join(files, "report.txt")), nil)
	expectStatus(t, r, 200, "X-Sendfile with sendfile off")
	if !strings.Contains(r.Body, "SCRIPT BODY") || r.Header.Get("X-Sendfile") != filepath.Join(files, "report.txt") {
		t.Errorf("off: body %.40q, X-Sendfile %q", r.Body, r.Header.Get("X-Sendfile"))
	}
	if r := frontGet(t, s, "/front/sendfile_type.php", nil); r.Body != "none" {
		t.Errorf("off: PHP sees X-Sendfile-Type %q, want none", r.Body)
	}
}

// h2cClient speaks cleartext HTTP/2 with prior knowledge (server.h2c).
func h2cFrontClient() *http.Client {
	tr := &http.Transport{DisableCompression: true, Protocols: new(http.Protocols)}
	tr.Protocols.SetUnencryptedHTTP2(true)
	return &http.Client{Timeout: 30 * time.Second, Transport: tr}
}

// frontModes are the ways the features are tested: request mode, worker
// mode, and request mode over HTTP/2 (h2c), whose streams end differently.
func frontMode(t *testing.T, mode string) (*server, *http.Client) {
	t.Helper()
	switch mode {
	case "worker":
		return start(t, fixtureRoot(t), frontWorkerTOML), frontClient
	case "h2c":
		return start(t, fixtureRoot(t), "[server]\nh2c = true\n"), h2cFrontClient()
	}
	return start(t, fixtureRoot(t), ""), frontClient
}

func TestEarlyHints(t *testing.T) {
	for _, mode := range []string{"request", "worker", "h2c"} {
		t.Run(mode, func(t *testing.T) {
			s, cl := frontMode(t, mode)
			var mu sync.Mutex
			var interim []int
			var hintLinks []string
			finalSeen := false
			trace := &httptrace.ClientTrace{
				Got1xxResponse: func(code int, h textproto.MIMEHeader) error {
					mu.Lock()
					defer mu.Unlock()
					if finalSeen {
						t.Errorf("a %d after the final response", code)
					}
					interim = append(interim, code)
					if code == 103 {
						hintLinks = append(hintLinks, h.Values("Link")...)
					}
					return nil
				},
			}
			req, err := http.NewRequestWithContext(httptrace.WithClientTrace(context.Background(), trace), http.MethodGet, s.URL+"/front/hints.php", nil)
			must(t, err)
			resp, err := cl.Do(req)
			must(t, err)
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if mode == "h2c" && resp.ProtoMajor != 2 {
				t.Fatalf("h2c: response over %s", resp.Proto)
			}
			mu.Lock()
			finalSeen = true
			defer mu.Unlock()
			if resp.StatusCode != 200 || string(body) != "headers_send returned 1" {
				t.Fatalf("final response %d %q", resp.StatusCode, body)
			}
			if len(interim) != 1 || interim[0] != 103 {
				t.Fatalf("interim responses %v, want one 103", interim)
			}
			want := []string{"</front/app.css>; rel=preload; as=style", "</front/app.js>; rel=preload; as=script"}
			if strings.Join(hintLinks, "|") != strings.Join(want, "|") {
				t.Errorf("103 Link headers %q, want %q", hintLinks, want)
			}
			if strings.Join(resp.Header.Values("Link"), "|") != strings.Join(want, "|") || resp.Header.Get("X-Final") != "yes" {
				t.Errorf("final headers %v", resp.Header)
			}
			// The access log and the status PHP reports are the final one.
			r := frontGet(t, s, "/front/hints.php", nil)
			expectStatus(t, r, 200, "second request")
		})
	}
}

// TestEarlyHintsNotToHTTP10: an HTTP/1.0 client would take a 103 for the
// response (RFC 9110 15.2); it gets only the final one.
func TestEarlyHintsNotToHTTP10(t *testing.T) {
	s := start(t, fixtureRoot(t), "")
	conn, err := net.DialTimeout("tcp", s.Addr, 5*time.Second)
	must(t, err)
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(20 * time.Second))
	fmt.Fprintf(conn, "GET /front/hints.php HTTP/1.0\r\nHost: %s\r\n\r\n", s.Addr)
	all, _ := io.ReadAll(conn)
	if !strings.HasPrefix(string(all), "HTTP/1.0 200 ") || strings.Contains(string(all), " 103 ") || !strings.HasSuffix(string(all), "headers_send returned 0") {
		t.Errorf("HTTP/1.0 response:\n%s", all)
	}
}

func TestFinishRequest(t *testing.T) {
	for _, mode := range []string{"request", "worker", "h2c"} {
		for _, alias := range []bool{false, true} {
			if mode == "h2c" && alias {
				continue
			}
			name := mode
			if alias {
				name += "/ephpm_finish_request"
			}
			t.Run(name, func(t *testing.T) {
				s, cl := frontMode(t, mode)
				testFinishRequest(t, s, cl, mode == "worker", alias)
			})
		}
	}
}

func testFinishRequest(t *testing.T, s *server, cl *http.Client, worker, alias bool) {
	dir := t.TempDir()
	path := "/front/finish.php?dir=" + url.QueryEscape(dir)
	if alias {
		path += "&alias=1"
	}
	// The whole response arrives while the script still waits for dir/go,
	// which is created only after: without finish_request the client
	// would wait for the script's 20 s and fail.
	began := time.Now()
	resp, err := cl.Get(s.URL + path)
	if err != nil {
		t.Fatalf("finish_request: %v", err)
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatalf("finish_request: reading the body: %v", err)
	}
	took := time.Since(began)
	r := response{Status: resp.StatusCode, Header: resp.Header, Body: string(b)}
	expectStatus(t, r, 200, "finish_request")
	if r.Body != "body before finish\n" || r.Header.Get("Content-Length") != "19" {
		t.Errorf("body %q (Content-Length %q), want the output before the finish", r.Body, r.Header.Get("Content-Length"))
	}
	t.Logf("response received after %v, the script still running", took)
	if _, err := os.Stat(filepath.Join(dir, "after")); err == nil {
		t.Fatal("the script ended before the test let it: the response did not come from finish_request")
	}

	// Worker mode: the one worker takes the next request only when the
	// script is done, so it sees the script's side effect.
	var next response
	nextDone := make(chan struct{})
	if worker {
		go func() {
			defer close(nextDone)
			req, _ := http.NewRequest(http.MethodGet, s.URL+"/front/exists.php?file="+url.QueryEscape(filepath.Join(dir, "after")), nil)
			resp, err := frontClient.Do(req)
			if err != nil {
				t.Errorf("next request: %v", err)
				return
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			next = response{Status: resp.StatusCode, Body: string(b)}
		}()
		select {
		case <-nextDone:
			t.Fatalf("the worker answered the next request (%q) while the finished script was still running", next.Body)
		case <-time.After(300 * time.Millisecond):
		}
	}

	must(t, os.WriteFile(filepath.Join(dir, "go"), nil, 0o644))
	var after []byte
	for i := 0; i < 200; i++ {
		if b, err := os.ReadFile(filepath.Join(dir, "after")); err == nil && len(b) > 0 {
			after = b
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	var got map[string]bool
	if err := json.Unmarshal(after, &got); err != nil {
		t.Fatalf("the script's side effect after the finish: %q (%v)\n%s", after, err, s.Log())
	}
	if !got["first"] || got["second"] || !got["go"] {
		t.Errorf("finish_request results %v, want first true, second false, go seen", got)
	}
	if worker {
		<-nextDone
		if next.Status != 200 || next.Body != "yes" {
			t.Errorf("next request: %d %q, want it answered after the side effect", next.Status, next.Body)
		}
	}
	// The server goes on serving (the PHP thread was given back).
	r = frontGet(t, s, "/front/exists.php?file=/", nil)
	if r.Status != 200 || r.Body != "yes" {
		t.Errorf("after: %d %q", r.Status, r.Body)
	}
	if strings.Contains(s.Log(), "DROPPED") {
		t.Errorf("output after the finish went somewhere:\n%s", s.Log())
	}
}

// TestFinishRequestAfterFlush: a response already streaming (chunked) when
// the script finishes it gets its last chunk at once.
func TestFinishRequestAfterFlush(t *testing.T) {
	s := start(t, fixtureRoot(t), "")
	dir := t.TempDir()
	resp, err := frontClient.Get(s.URL + "/front/finish.php?flush=1&dir=" + url.QueryEscape(dir))
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || string(b) != "body before finish\n" || len(resp.TransferEncoding) != 1 || resp.TransferEncoding[0] != "chunked" {
		t.Fatalf("flushed then finished: %q %v, Transfer-Encoding %v", b, err, resp.TransferEncoding)
	}
	if _, err := os.Stat(filepath.Join(dir, "after")); err == nil {
		t.Fatal("the script ended before the test let it")
	}
	must(t, os.WriteFile(filepath.Join(dir, "go"), nil, 0o644))
	for i := 0; i < 200; i++ {
		if _, err := os.Stat(filepath.Join(dir, "after")); err == nil {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("no side effect after the finish:\n%s", s.Log())
}

// TestFinishRequestKVWait: ephpm_kv_wait after the finish waits to its
// timeout; the request's context, done once the response is, must not end it.
func TestFinishRequestKVWait(t *testing.T) {
	for _, mode := range []string{"request", "worker"} {
		t.Run(mode, func(t *testing.T) {
			s, cl := frontMode(t, mode)
			dir := t.TempDir()
			resp, err := cl.Get(s.URL + "/front/finish_wait.php?dir=" + url.QueryEscape(dir))
			must(t, err)
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if string(b) != "finished\n" {
				t.Fatalf("body %q", b)
			}
			var got struct {
				Waited float64 `json:"waited"`
				Result any     `json:"result"`
			}
			for i := 0; i < 200; i++ {
				if data, err := os.ReadFile(filepath.Join(dir, "after")); err == nil && len(data) > 0 {
					must(t, json.Unmarshal(data, &got))
					break
				}
				time.Sleep(50 * time.Millisecond)
			}
			if got.Waited < 0.7 || got.Result != false {
				t.Errorf("kv_wait after the finish: waited %.3f s, result %v; want about 0.8 s and false\n%s", got.Waited, got.Result, s.Log())
			}
		})
	}
}

// TestFinishRequestTimeLimit: a script that never ends after finishing is
// still stopped by max_execution_time, and the server goes on serving.
func TestFinishRequestTimeLimit(t *testing.T) {
	for _, mode := range []string{"request", "worker"} {
		t.Run(mode, func(t *testing.T) {
			toml := "[php]\nmax_execution_time = 1\n"
			if mode == "worker" {
				toml = strings.Replace(frontWorkerTOML, "[php]\n", toml, 1)
			}
			s := start(t, fixtureRoot(t), toml)
			r := frontGet(t, s, "/front/finish_loop.php", nil)
			expectStatus(t, r, 200, "finish then loop")
			if r.Body != "finished early\n" {
				t.Errorf("body %q", r.Body)
			}
			// The loop holds the only PHP thread (NTS) until its limit; the
			// next request is answered once it is stopped.
			r = frontGet(t, s, "/front/exists.php?file=/", nil)
			if r.Status != 200 || r.Body != "yes" {
				t.Errorf("next request: %d %q", r.Status, r.Body)
			}
			if !s.LogHas("Maximum execution time") {
				t.Errorf("no time-limit error logged:\n%s", s.Log())
			}
		})
	}
}
