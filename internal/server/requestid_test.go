package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ephpm/ephpm/internal/config"
)

// idPHP answers with the X-Request-Id it was given (what PHP's
// $_SERVER['HTTP_X_REQUEST_ID'] is built from) and sets its own
// X-Request-Id response header, as an application echoing ids might.
// A "timeout" query makes it report a timed-out script, which the server
// logs.
type idPHP struct{}

func (idPHP) ServePHP(w http.ResponseWriter, r *http.Request, _ Script, body io.Reader, _ time.Time) PHPResult {
	io.Copy(io.Discard, body)
	w.Header().Add("X-Request-Id", "from-the-app")
	io.WriteString(w, strings.Join(r.Header.Values("X-Request-Id"), ","))
	return PHPResult{Status: 200, TimedOut: r.URL.Query().Has("timeout")}
}

type logServer struct {
	srv    *Server
	url    string
	access string
	log    *syncBuffer
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startLogServer serves a root with index.php through idPHP, with the
// access log in a file and the server log in a buffer, both in format.
func startLogServer(t *testing.T, format string, trusted ...string) *logServer {
	t.Helper()
	root := t.TempDir()
	if err := os.WriteFile(filepath.Join(root, "index.php"), []byte("<?php"), 0o644); err != nil {
		t.Fatal(err)
	}
	ls := &logServer{access: filepath.Join(t.TempDir(), "access.log"), log: &syncBuffer{}}
	cfg := config.Default()
	cfg.Server.DocumentRoot = root
	cfg.Server.Logging.Access = ls.access
	cfg.Server.Logging.Format = format
	cfg.Server.Security.TrustedProxies = trusted
	var err error
	ls.srv, err = New(cfg, idPHP{}, NewLoggerFor(cfg.Server.Logging, ls.log))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ls.srv.access.Close() })
	ts := httptest.NewServer(ls.srv)
	t.Cleanup(ts.Close)
	ls.url = ts.URL
	return ls
}

// get sends a request with the given X-Request-Id values (none: no
// header) and returns the response's ids and body.
func (ls *logServer) get(t *testing.T, path string, ids ...string) (respIDs []string, body string) {
	t.Helper()
	req, _ := http.NewRequest("GET", ls.url+path, nil)
	for _, id := range ids {
		req.Header.Add("X-Request-Id", id)
	}
	req.Header.Set("User-Agent", "test \"agent\"\t \xff")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.Header.Values("X-Request-Id"), string(b)
}

func (ls *logServer) accessLines(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile(ls.access)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
}

var (
	generatedID = regexp.MustCompile(`^[0-9a-f]{32}$`)
	msTime      = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}(Z|[+-]\d\d:\d\d)$`)
)

// TestRequestIDTrust: an id is kept only from a trusted proxy and only
// when it is a sane token; the one used is what PHP sees, what the
// response carries (once, replacing the application's) and what the
// access log says.
func TestRequestIDTrust(t *testing.T) {
	long := strings.Repeat("a", maxRequestIDLen+1)
	cases := []struct {
		name    string
		trusted []string
		sent    []string
		kept    bool
	}{
		{"none sent", nil, nil, false},
		{"no trusted proxies", nil, []string{"client-chosen"}, false},
		{"peer not trusted", []string{"10.0.0.0/8"}, []string{"client-chosen"}, false},
		{"trusted proxy", []string{"127.0.0.1"}, []string{"proxy-id-42"}, true},
		{"trusted proxy, longest", []string{"127.0.0.0/8"}, []string{long[1:]}, true},
		{"trusted proxy, too long", []string{"127.0.0.1"}, []string{long}, false},
		{"trusted proxy, space", []string{"127.0.0.1"}, []string{"a b"}, false},
		{"trusted proxy, not ASCII", []string{"127.0.0.1"}, []string{"idé"}, false},
		{"trusted proxy, tab", []string{"127.0.0.1"}, []string{"a\tb"}, false},
		{"trusted proxy, two ids", []string{"127.0.0.1"}, []string{"one", "two"}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ls := startLogServer(t, "json", c.trusted...)
			got, seen := ls.get(t, "/", c.sent...)
			if len(got) != 1 {
				t.Fatalf("response X-Request-Id = %q, want exactly one", got)
			}
			id := got[0]
			if c.kept && id != c.sent[0] {
				t.Errorf("id = %q, want the proxy's %q", id, c.sent[0])
			}
			if !c.kept && !generatedID.MatchString(id) {
				t.Errorf("id = %q, want a generated one (32 hex digits)", id)
			}
			if seen != id {
				t.Errorf("PHP saw X-Request-Id %q, response says %q", seen, id)
			}
			var line struct {
				RequestID string `json:"request_id"`
			}
			if err := json.Unmarshal([]byte(ls.accessLines(t)[0]), &line); err != nil || line.RequestID != id {
				t.Errorf("access log request_id = %q (%v), want %q", line.RequestID, err, id)
			}
		})
	}
}

// TestAccessLogJSON: every line is one JSON object with the documented
// keys, whatever the client put in the logged fields, and the server
// log's lines about a request carry its id.
func TestAccessLogJSON(t *testing.T) {
	ls := startLogServer(t, "json")
	var ids []string
	for _, path := range []string{"/", "/?q=%22quoted%22&x=\\", "/.env", "/?timeout"} {
		got, _ := ls.get(t, path)
		ids = append(ids, got[0])
	}
	lines := ls.accessLines(t)
	if len(lines) != len(ids) {
		t.Fatalf("%d access-log lines for %d requests:\n%s", len(lines), len(ids), strings.Join(lines, "\n"))
	}
	for i, l := range lines {
		var e map[string]any
		if err := json.Unmarshal([]byte(l), &e); err != nil {
			t.Fatalf("line %d does not parse: %v\n%s", i, err, l)
		}
		for _, k := range []string{"time", "msg", "remote_addr", "method", "uri", "proto", "status", "bytes", "duration", "referer", "user_agent", "request_id"} {
			if _, ok := e[k]; !ok {
				t.Errorf("line %d has no %q: %s", i, k, l)
			}
		}
		if ts, _ := e["time"].(string); !msTime.MatchString(ts) {
			t.Errorf("line %d: time %v is not RFC 3339 with milliseconds", i, e["time"])
		}
		if e["request_id"] != ids[i] || e["method"] != "GET" || e["remote_addr"] != "127.0.0.1" || e["msg"] != "access" {
			t.Errorf("line %d: %s", i, l)
		}
		if ua := e["user_agent"].(string); !strings.HasPrefix(ua, "test \"agent\"\t ") {
			t.Errorf("line %d: user_agent %q", i, ua)
		}
	}
	if lines[1] == "" || !strings.Contains(lines[1], `"uri":"/?q=%22quoted%22&x=\\"`) {
		t.Errorf("uri not kept as sent: %s", lines[1])
	}
	var e struct {
		Status float64 `json:"status"`
	}
	json.Unmarshal([]byte(lines[2]), &e)
	if e.Status != 403 { // hidden_files = "deny"
		t.Errorf("/.env logged with status %v, want 403", e.Status)
	}

	// The timed-out request's warning, in JSON, with its id.
	var warned bool
	for _, l := range strings.Split(strings.TrimSpace(ls.log.String()), "\n") {
		var e map[string]any
		if err := json.Unmarshal([]byte(l), &e); err != nil {
			t.Fatalf("server log line does not parse: %v\n%s", err, l)
		}
		if ts, _ := e["time"].(string); !msTime.MatchString(ts) {
			t.Errorf("server log time %q is not RFC 3339 with milliseconds", ts)
		}
		if e["msg"] == "PHP script timed out" {
			warned = true
			if e["request_id"] != ids[3] || e["level"] != "WARN" {
				t.Errorf("timeout warning %s, want request_id %s", l, ids[3])
			}
		}
	}
	if !warned {
		t.Errorf("no timeout warning in the server log:\n%s", ls.log.String())
	}
}

// TestAccessLogText: the text line is the combined log format plus the
// duration, as before, then the request id.
func TestAccessLogText(t *testing.T) {
	ls := startLogServer(t, "text")
	got, _ := ls.get(t, "/?a=1")
	line := ls.accessLines(t)[0]
	re := regexp.MustCompile(`^127\.0\.0\.1 - - \[\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d [+-]\d{4}\] "GET /\?a=1 HTTP/1\.1" 200 \d+ "-" "test \\"agent\\"\\t \\xff" \d+\.\d{6} "([0-9a-f]{32})"$`)
	m := re.FindStringSubmatch(line)
	if m == nil || m[1] != got[0] {
		t.Errorf("text line %q\nwant the combined format + seconds + id %s", line, got[0])
	}
}

// TestAccessLogReopen: after the file is moved away, reopen makes the
// next line land in a new file under the old name; the moved file keeps
// what was written before.
func TestAccessLogReopen(t *testing.T) {
	ls := startLogServer(t, "text")
	first, _ := ls.get(t, "/")
	if err := os.Rename(ls.access, ls.access+".1"); err != nil {
		t.Fatal(err)
	}
	if err := ls.srv.ReopenAccessLog(); err != nil {
		t.Fatal(err)
	}
	second, _ := ls.get(t, "/")
	old, _ := os.ReadFile(ls.access + ".1")
	cur, _ := os.ReadFile(ls.access)
	if !strings.Contains(string(old), first[0]) || strings.Contains(string(old), second[0]) {
		t.Errorf("rotated file:\n%s", old)
	}
	if !strings.Contains(string(cur), second[0]) || strings.Count(string(cur), "\n") != 1 {
		t.Errorf("new file:\n%s", cur)
	}
	if ls.srv.AccessLogPath() != ls.access {
		t.Errorf("AccessLogPath = %q", ls.srv.AccessLogPath())
	}

	// A failed reopen keeps the old file: a directory now stands at the
	// path (that fails even for root).
	if err := os.Rename(ls.access, ls.access+".2"); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(ls.access, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := ls.srv.ReopenAccessLog(); err == nil {
		t.Fatal("reopen onto a directory succeeded")
	}
	third, _ := ls.get(t, "/")
	if b, _ := os.ReadFile(ls.access + ".2"); !strings.Contains(string(b), third[0]) {
		t.Errorf("after a failed reopen the line went missing:\n%s", b)
	}
}

// TestAccessLogReopenUnderLoad: reopening while requests are logged loses
// no line and tears none (run with -race).
func TestAccessLogReopenUnderLoad(t *testing.T) {
	ls := startLogServer(t, "json")
	const workers, each = 4, 25
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				resp, err := http.Get(ls.url + "/")
				if err != nil {
					t.Error(err) // not Fatal: this is not the test's goroutine
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		}()
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; i < 10; i++ {
			os.Rename(ls.access, fmt.Sprintf("%s.%d", ls.access, i))
			if err := ls.srv.ReopenAccessLog(); err != nil {
				t.Error(err)
			}
			time.Sleep(time.Millisecond)
		}
	}()
	wg.Wait()
	<-done
	files, _ := filepath.Glob(ls.access + "*")
	lines := 0
	for _, f := range files {
		b, _ := os.ReadFile(f)
		for _, l := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
			if l == "" {
				continue
			}
			if !json.Valid([]byte(l)) {
				t.Errorf("%s: torn line %q", f, l)
			}
			lines++
		}
	}
	if lines != workers*each {
		t.Errorf("%d lines over %d files, want %d", lines, len(files), workers*each)
	}
}

// TestReopenWithoutFile: stdout, stderr and no access log have nothing to
// reopen, and saying so is no error.
func TestReopenWithoutFile(t *testing.T) {
	for _, dest := range []string{"", "stdout", "stderr"} {
		a, err := openAccessLog(config.LoggingConfig{Access: dest})
		if err != nil {
			t.Fatal(err)
		}
		if err := a.reopen(); err != nil {
			t.Errorf("%q: %v", dest, err)
		}
	}
}

// TestValidRequestID covers what an HTTP client cannot even send.
func TestValidRequestID(t *testing.T) {
	for _, bad := range []string{"", "a\x00", "a\x7f", "a\nb", " a", "a\x80"} {
		if validRequestID(bad) {
			t.Errorf("%q accepted", bad)
		}
	}
	for _, good := range []string{"a", "0af1-22", "Root=1-5f84c7a5-0a1b2c3d4e5f;Parent=x", strings.Repeat("~", maxRequestIDLen)} {
		if !validRequestID(good) {
			t.Errorf("%q refused", good)
		}
	}
}

// TestGeneratedIDsUnique draws ids from many goroutines at once.
func TestGeneratedIDsUnique(t *testing.T) {
	const goroutines, each = 8, 20000
	var mu sync.Mutex
	seen := make(map[string]bool, goroutines*each)
	var wg sync.WaitGroup
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ids := make([]string, each)
			for i := range ids {
				ids[i] = newRequestID()
			}
			mu.Lock()
			defer mu.Unlock()
			for _, id := range ids {
				if seen[id] || !generatedID.MatchString(id) {
					t.Errorf("id %q repeated or malformed", id)
					return
				}
				seen[id] = true
			}
		}()
	}
	wg.Wait()
	if len(seen) != goroutines*each {
		t.Errorf("%d distinct ids, want %d", len(seen), goroutines*each)
	}
}

// TestAppendJSONString: whatever the bytes, the result parses, and valid
// UTF-8 comes back as it was.
func TestAppendJSONString(t *testing.T) {
	for _, s := range []string{"", "plain", `"q" \ /`, "tab\tnl\nnul\x00del\x7f", "é ü 日本 🐘", "bad \xff\xfe utf8 \xc3", "\u2028\u2029"} {
		b := appendJSONString(nil, s)
		var back string
		if err := json.Unmarshal(b, &back); err != nil {
			t.Errorf("%q -> %s: %v", s, b, err)
			continue
		}
		want := strings.ToValidUTF8(s, "\uFFFD")
		if s == "bad \xff\xfe utf8 \xc3" {
			want = "bad \uFFFD\uFFFD utf8 \uFFFD"
		}
		if back != want {
			t.Errorf("%q -> %s -> %q, want %q", s, b, back, want)
		}
	}
}

func BenchmarkNewRequestID(b *testing.B) {
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			_ = newRequestID()
		}
	})
}
