package e2e

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestServerVariables(t *testing.T) {
	root := fixtureRoot(t)
	s := start(t, root, "")
	form := url.Values{"name": {"Ada"}, "list[]": {"a", "b"}}
	before := time.Now().Unix()
	r := s.request(t, "POST", "/info.php?q=1&arr[k]=v", strings.NewReader(form.Encode()), map[string]string{
		"Content-Type":    "application/x-www-form-urlencoded",
		"Cookie":          "session=abc123; theme=dark",
		"X-Custom-Header": "custom value",
		"X_Spoofed":       "dropped",
		"Host":            "example.test:8080",
	})
	expectStatus(t, r, 200, "POST /info.php")
	m := decodeJSON(t, r)
	srv := m["server"].(map[string]any)
	want := map[string]string{
		"REQUEST_METHOD":       "POST",
		"REQUEST_URI":          "/info.php?q=1&arr[k]=v",
		"QUERY_STRING":         "q=1&arr[k]=v",
		"SCRIPT_NAME":          "/info.php",
		"SCRIPT_FILENAME":      filepath.Join(root, "info.php"),
		"PHP_SELF":             "/info.php",
		"DOCUMENT_ROOT":        root,
		"SERVER_NAME":          "example.test",
		"SERVER_PROTOCOL":      "HTTP/1.1",
		"REMOTE_ADDR":          "127.0.0.1",
		"CONTENT_TYPE":         "application/x-www-form-urlencoded",
		"CONTENT_LENGTH":       strconv.Itoa(len(form.Encode())),
		"HTTP_HOST":            "example.test:8080",
		"HTTP_COOKIE":          "session=abc123; theme=dark",
		"HTTP_X_CUSTOM_HEADER": "custom value",
		"GATEWAY_INTERFACE":    "CGI/1.1",
	}
	for k, v := range want {
		if got := fmt.Sprint(srv[k]); got != v {
			t.Errorf("$_SERVER[%s] = %q, want %q", k, got, v)
		}
	}
	_, port, _ := net.SplitHostPort(s.Addr)
	if srv["SERVER_PORT"] != port {
		t.Errorf("SERVER_PORT = %v, want %s", srv["SERVER_PORT"], port)
	}
	if p, _ := strconv.Atoi(fmt.Sprint(srv["REMOTE_PORT"])); p <= 0 {
		t.Errorf("REMOTE_PORT = %v", srv["REMOTE_PORT"])
	}
	if !strings.HasPrefix(fmt.Sprint(srv["SERVER_SOFTWARE"]), "ephpm/") {
		t.Errorf("SERVER_SOFTWARE = %v", srv["SERVER_SOFTWARE"])
	}
	if rt, ok := srv["REQUEST_TIME"].(float64); !ok || int64(rt) < before || int64(rt) > time.Now().Unix() {
		t.Errorf("REQUEST_TIME = %v", srv["REQUEST_TIME"])
	}
	if rtf, ok := srv["REQUEST_TIME_FLOAT"].(float64); !ok || int64(rtf) < before {
		t.Errorf("REQUEST_TIME_FLOAT = %v", srv["REQUEST_TIME_FLOAT"])
	}
	if _, ok := srv["HTTPS"]; ok {
		t.Errorf("HTTPS set on a plain-HTTP request")
	}
	if _, ok := srv["HTTP_X_SPOOFED"]; ok {
		t.Errorf("a header with '_' reached $_SERVER")
	}
	get := m["get"].(map[string]any)
	if get["q"] != "1" || get["arr"].(map[string]any)["k"] != "v" {
		t.Errorf("$_GET = %v", get)
	}
	post := m["post"].(map[string]any)
	if post["name"] != "Ada" || fmt.Sprint(post["list"]) != "[a b]" {
		t.Errorf("$_POST = %v", post)
	}
	cookie := m["cookie"].(map[string]any)
	if cookie["session"] != "abc123" || cookie["theme"] != "dark" {
		t.Errorf("$_COOKIE = %v", cookie)
	}
	if m["headers_sent"] != false {
		t.Errorf("headers_sent() before output = %v", m["headers_sent"])
	}
}

func TestRequestBodyAndInput(t *testing.T) {
	s := start(t, fixtureRoot(t), "")
	body := []byte(`{"json":true,"n":[1,2,3]}`)
	r := s.request(t, "PUT", "/info.php", bytes.NewReader(body), map[string]string{"Content-Type": "application/json"})
	m := decodeJSON(t, r)
	if m["input"] != string(body) {
		t.Errorf("php://input = %q", m["input"])
	}
	// A 3 MB body streams into php://input intact (chunked, no length).
	big := make([]byte, 3<<20)
	rand.Read(big)
	sum := sha1.Sum(big)
	req, _ := http.NewRequest("POST", s.URL+"/input.php", io.MultiReader(bytes.NewReader(big)))
	req.ContentLength = -1
	req.Header.Set("Content-Type", "application/octet-stream")
	resp := s.do(t, req)
	if resp.Body != fmt.Sprintf("%d %s", len(big), hex.EncodeToString(sum[:])) {
		t.Errorf("chunked body: got %q", resp.Body)
	}
	// A form sent chunked is parsed into $_POST, with its length known.
	req, _ = http.NewRequest("POST", s.URL+"/info.php", io.MultiReader(strings.NewReader("a=1&b=two")))
	req.ContentLength = -1
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	m = decodeJSON(t, s.do(t, req))
	post, _ := m["post"].(map[string]any)
	server, _ := m["server"].(map[string]any)
	if post["a"] != "1" || post["b"] != "two" || server["CONTENT_LENGTH"] != "9" {
		t.Errorf("chunked form: $_POST %v, CONTENT_LENGTH %v", m["post"], server["CONTENT_LENGTH"])
	}
}

func TestUploads(t *testing.T) {
	s := start(t, fixtureRoot(t), "")
	file1 := make([]byte, 200<<10)
	rand.Read(file1)
	file2 := []byte("plain text\x00with a NUL\n")
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	mw.WriteField("title", "two files")
	fw, _ := mw.CreateFormFile("doc", "photo.bin")
	fw.Write(file1)
	fw, _ = mw.CreateFormFile("notes", "notes.txt")
	fw.Write(file2)
	mw.Close()
	r := s.request(t, "POST", "/upload.php", &buf, map[string]string{"Content-Type": mw.FormDataContentType()})
	expectStatus(t, r, 200, "upload")
	m := decodeJSON(t, r)
	if m["post"].(map[string]any)["title"] != "two files" {
		t.Errorf("post = %v", m["post"])
	}
	files := m["files"].(map[string]any)
	for field, data := range map[string][]byte{"doc": file1, "notes": file2} {
		f, ok := files[field].(map[string]any)
		if !ok {
			t.Fatalf("no $_FILES[%s]: %v", field, files)
		}
		sum := sha1.Sum(data)
		if f["sha1"] != hex.EncodeToString(sum[:]) || int(f["size"].(float64)) != len(data) || f["error"].(float64) != 0 || f["is_uploaded"] != true {
			t.Errorf("$_FILES[%s] = %v", field, f)
		}
	}
}

func TestHeadersStatusCookies(t *testing.T) {
	s := start(t, fixtureRoot(t), "")
	r := s.get(t, "/headers.php?status=201&type=text/plain")
	expectStatus(t, r, 201, "http_response_code")
	if r.Header.Get("X-Custom") != "one" {
		t.Errorf("X-Custom = %q", r.Header.Get("X-Custom"))
	}
	if got := r.Header.Values("X-Multi"); len(got) != 2 || got[0] != "a" || got[1] != "b" {
		t.Errorf("X-Multi = %v", got)
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Errorf("Content-Type = %q", ct)
	}
	cookies := r.Header.Values("Set-Cookie")
	if len(cookies) != 2 || !strings.HasPrefix(cookies[0], "flavor=choc%20chip") || !strings.Contains(cookies[0], "HttpOnly") || !strings.Contains(cookies[0], "SameSite=Lax") || cookies[1] != "second=two" {
		t.Errorf("Set-Cookie = %v", cookies)
	}
	if !strings.Contains(r.Body, "headers_sent_before_output=false") || !strings.Contains(r.Body, "headers_sent_after_output=true") {
		t.Errorf("headers_sent(): %q", r.Body)
	}
	r = s.get(t, "/headers.php?location=/elsewhere")
	expectStatus(t, r, 302, "Location header")
	if r.Header.Get("Location") != "/elsewhere" {
		t.Errorf("Location = %q", r.Header.Get("Location"))
	}
	if r := s.get(t, "/info.php"); r.Header.Get("Content-Type") != "application/json" {
		t.Errorf("header('Content-Type') = %q", r.Header.Get("Content-Type"))
	}
	if r := s.get(t, "/ob.php"); r.Body != "BUFFERED INNER\nlevel=0\n" {
		t.Errorf("output buffering: %q", r.Body)
	}
}

func TestStreamingFlush(t *testing.T) {
	s := start(t, fixtureRoot(t), "")
	startAt := time.Now()
	resp, err := http.Get(s.URL + "/stream.php?n=3&ms=700")
	must(t, err)
	defer resp.Body.Close()
	br := bufio.NewReader(resp.Body)
	line, err := br.ReadString('\n')
	must(t, err)
	first := time.Since(startAt)
	if !strings.HasPrefix(line, "chunk 0") {
		t.Fatalf("first line %q", line)
	}
	rest, _ := io.ReadAll(br)
	total := time.Since(startAt)
	if !strings.Contains(string(rest), "done") {
		t.Fatalf("rest %q", rest)
	}
	// The whole response takes >= 2.1 s; the first chunk must not wait for it.
	if first > time.Second || total < 2*time.Second {
		t.Errorf("first chunk after %v, whole response %v: output is not streamed", first, total)
	}
}

// healthy asserts the server still answers a normal request.
func healthy(t *testing.T, s *server, after string) {
	t.Helper()
	r := s.get(t, "/info.php?after="+url.QueryEscape(after))
	if r.Status != 200 || !strings.Contains(r.Body, `"sapi"`) {
		t.Fatalf("after %s: the next request got %d %q", after, r.Status, r.Body)
	}
	if s.Exited() {
		t.Fatalf("after %s: the server process exited", after)
	}
}

func TestFaultsStayInOneRequest(t *testing.T) {
	s := start(t, fixtureRoot(t), "[php]\nmax_execution_time = 1\nmemory_limit = \"32M\"\n")
	cases := []struct {
		path       string
		status     int
		bodyHas    string
		bodyHasnt  string
		logHas     string
		maxSeconds float64
	}{
		{"/fatal.php", 500, "", "not reached", "Call to undefined function", 5},
		{"/exception.php", 500, "", "", "boom from exception.php", 5},
		{"/fatal_after_output.php", 200, "partial output", "", "Call to undefined function", 5},
		{"/exit.php", 200, "before exit", "after exit", "", 5},
		{"/exit.php?status=418", 418, "before exit", "after exit", "", 5},
		{"/die.php", 200, "died with message", "", "", 5},
		{"/loop.php", 500, "", "", "Maximum execution time of 1 second exceeded", 4},
		{"/memory.php", 500, "", "", "Allowed memory size of 33554432 bytes exhausted", 5},
	}
	for _, c := range cases {
		t0 := time.Now()
		r := s.get(t, c.path)
		took := time.Since(t0).Seconds()
		if r.Status != c.status {
			t.Errorf("%s: status %d, want %d (body %q)", c.path, r.Status, c.status, r.Body)
		}
		if c.bodyHas != "" && !strings.Contains(r.Body, c.bodyHas) {
			t.Errorf("%s: body %q lacks %q", c.path, r.Body, c.bodyHas)
		}
		if c.bodyHasnt != "" && strings.Contains(r.Body, c.bodyHasnt) {
			t.Errorf("%s: body %q has %q", c.path, r.Body, c.bodyHasnt)
		}
		if took > c.maxSeconds {
			t.Errorf("%s took %.1fs", c.path, took)
		}
		healthy(t, s, c.path)
	}
	for _, c := range cases {
		if c.logHas != "" && !s.LogHas(c.logHas) {
			t.Errorf("server log lacks %q (from %s)", c.logHas, c.path)
		}
	}
	if !s.LogHas("loop.php shutdown function ran") {
		t.Errorf("shutdown function after a timeout did not run")
	}
}

func TestSetTimeLimitAndSleepingScript(t *testing.T) {
	s := start(t, fixtureRoot(t), "[php]\nmax_execution_time = 30\n")
	// set_time_limit() restarts the limit with the new value.
	t0 := time.Now()
	r := s.get(t, "/loop.php?limit=1")
	if r.Status != 500 || time.Since(t0) > 4*time.Second {
		t.Errorf("set_time_limit(1): %d after %v", r.Status, time.Since(t0))
	}
	healthy(t, s, "set_time_limit")

	// A script sleeping past its limit is woken and stopped.
	s2 := start(t, fixtureRoot(t), "[php]\nmax_execution_time = 1\n")
	t0 = time.Now()
	r = s2.get(t, "/sleep.php?s=20")
	if r.Status != 500 || time.Since(t0) > 5*time.Second {
		t.Errorf("sleeping script: %d after %v (%q)", r.Status, time.Since(t0), r.Body)
	}
	healthy(t, s2, "sleep past the limit")
}

// PHP's own timer is process-wide SIGPROF, which would fire early or crash
// a Go process; ours must stay correct while Go is busy on other threads.
func TestExecutionTimeoutUnderLoad(t *testing.T) {
	s := start(t, fixtureRoot(t), "[php]\nmax_execution_time = 1\n[server.timeouts]\nrequest = 60\n")
	stop := make(chan struct{})
	errs := make(chan string, 1000)
	done := make(chan struct{})
	go func() {
		defer close(done)
		var n int
		for {
			select {
			case <-stop:
				return
			default:
			}
			// Static files keep Go's threads busy while PHP loops.
			resp, err := http.Get(s.URL + "/style.css")
			if err != nil {
				errs <- err.Error()
				continue
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				errs <- fmt.Sprint("static status ", resp.StatusCode)
			}
			n++
		}
	}()
	for i := 0; i < 4; i++ {
		t0 := time.Now()
		r := s.get(t, "/loop.php")
		took := time.Since(t0)
		if r.Status != 500 {
			t.Errorf("loop %d: status %d", i, r.Status)
		}
		// A CPU-time timer counting Go's threads too would fire early.
		if took < 900*time.Millisecond || took > 3*time.Second {
			t.Errorf("loop %d: stopped after %v, want about 1s", i, took)
		}
		healthy(t, s, "timeout under load")
	}
	close(stop)
	<-done
	close(errs)
	for e := range errs {
		t.Errorf("background request: %s", e)
	}
	if strings.Contains(s.Log(), "SIGPROF") || strings.Contains(s.Log(), "fatal error") {
		t.Errorf("runtime trouble in log")
	}
}

func TestNoStateLeaksBetweenRequests(t *testing.T) {
	s := start(t, fixtureRoot(t), "")
	s.request(t, "GET", "/leak.php?first=1", nil, map[string]string{"Cookie": "c=1"})
	r := s.get(t, "/leak.php")
	m := decodeJSON(t, r)
	if m["global_before"] != nil || m["const_before"] != nil || m["static_fn_before"] != false {
		t.Errorf("state leaked: %v", m)
	}
	if m["ini_before"] == "5" {
		t.Errorf("ini_set leaked into the next request")
	}
	if len(m["get"].([]any)) != 0 || len(m["cookie"].([]any)) != 0 {
		t.Errorf("superglobals leaked: get=%v cookie=%v", m["get"], m["cookie"])
	}
	if r.Header.Get("X-Leak") != "" {
		t.Errorf("a header of the previous response leaked")
	}
}

func TestRequestLimits(t *testing.T) {
	s := start(t, fixtureRoot(t), "[server.request]\nmax_body_size = 1024\nmax_header_size = 2048\n")
	r := s.request(t, "POST", "/input.php", strings.NewReader(strings.Repeat("x", 2000)), nil)
	expectStatus(t, r, 413, "body over max_body_size")
	r = s.request(t, "POST", "/input.php", strings.NewReader(strings.Repeat("x", 1000)), nil)
	expectStatus(t, r, 200, "body under max_body_size")
	// Sent chunked, the length is known only at the end: a body over the
	// limit must still be refused, not handed to PHP cut short.
	chunked := func(body string) response {
		req, _ := http.NewRequest("POST", s.URL+"/input.php", io.MultiReader(strings.NewReader(body)))
		req.ContentLength = -1
		return s.do(t, req)
	}
	r = chunked(strings.Repeat("x", 2000))
	expectStatus(t, r, 413, "chunked body over max_body_size")
	r = chunked(strings.Repeat("x", 1000))
	expectStatus(t, r, 200, "chunked body under max_body_size")
	if !strings.HasPrefix(r.Body, "1000 ") {
		t.Errorf("chunked body under max_body_size: PHP read %q", r.Body)
	}
	r = s.request(t, "GET", "/info.php", nil, map[string]string{"X-Big": strings.Repeat("y", 3000)})
	expectStatus(t, r, 431, "headers over max_header_size")
	r = s.request(t, "GET", "/info.php", nil, map[string]string{"X-Big": strings.Repeat("y", 1000)})
	expectStatus(t, r, 200, "headers under max_header_size")
	healthy(t, s, "limits")
}

func TestQueueFullAnswers503(t *testing.T) {
	s := start(t, fixtureRoot(t), "[php]\nworkers = 1\nqueue_size = 1\n")
	type res struct {
		code  int
		retry string
	}
	results := make(chan res, 4)
	for i := 0; i < 4; i++ {
		go func() {
			resp, err := http.Get(s.URL + "/sleep.php?s=1.5")
			if err != nil {
				results <- res{code: -1}
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			results <- res{resp.StatusCode, resp.Header.Get("Retry-After")}
		}()
		time.Sleep(100 * time.Millisecond)
	}
	var ok, busy int
	for i := 0; i < 4; i++ {
		r := <-results
		switch r.code {
		case 200:
			ok++
		case 503:
			busy++
			if r.retry == "" {
				t.Errorf("503 without Retry-After")
			}
		default:
			t.Errorf("unexpected status %d", r.code)
		}
	}
	if ok < 1 || busy < 1 {
		t.Errorf("%d served, %d refused; want both", ok, busy)
	}
	healthy(t, s, "queue overflow")
}

func TestClientAbort(t *testing.T) {
	s := start(t, fixtureRoot(t), "")
	id := strconv.FormatInt(time.Now().UnixNano(), 10)
	marker := filepath.Join(os.TempDir(), "ephpm-abort-"+id)
	defer os.Remove(marker)
	resp, err := http.Get(s.URL + "/abort.php?id=" + id)
	must(t, err)
	buf := make([]byte, 20000)
	io.ReadFull(resp.Body, buf)
	resp.Body.Close() // the client goes away mid-response
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if data, err := os.ReadFile(marker); err == nil {
			if !strings.HasPrefix(string(data), "aborted at") {
				t.Errorf("marker %q", data)
			}
			healthy(t, s, "client abort")
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("connection_aborted() never became true")
}

func TestIniSettings(t *testing.T) {
	root := fixtureRoot(t)
	must(t, os.WriteFile(filepath.Join(root, "ini.php"), []byte(`<?php
header('Content-Type: application/json');
echo json_encode(array_map('ini_get', array_combine($_GET['k'], $_GET['k'])));
`), 0o644))
	iniFile := filepath.Join(t.TempDir(), "custom.ini")
	must(t, os.WriteFile(iniFile, []byte("default_charset = \"ISO-8859-1\"\nprecision = 9\n"), 0o644))
	s := start(t, root, fmt.Sprintf(`[php]
memory_limit = "64M"
max_execution_time = 7
ini_file = %q
ini_overrides = [["precision", "11"], ["display_errors", "On"], ["html_errors", "Off"]]
[server.request]
max_body_size = 2097152
`, iniFile))
	m := decodeJSON(t, s.get(t, "/ini.php?k[]=memory_limit&k[]=max_execution_time&k[]=default_charset&k[]=precision&k[]=display_errors&k[]=post_max_size&k[]=upload_max_filesize&k[]=output_buffering&k[]=max_input_time"))
	want := map[string]string{
		"memory_limit":        "64M",
		"max_execution_time":  "7",
		"default_charset":     "ISO-8859-1", // from ini_file
		"precision":           "11",         // ini_overrides win over ini_file
		"display_errors":      "1",
		"post_max_size":       "2097152",
		"upload_max_filesize": "2097152",
		"output_buffering":    "0",
		"max_input_time":      "-1",
	}
	for k, v := range want {
		if fmt.Sprint(m[k]) != v {
			t.Errorf("ini_get(%s) = %v, want %s", k, m[k], v)
		}
	}
	// display_errors = On shows the fatal error in the page, as PHP does.
	r := s.get(t, "/fatal.php")
	if !strings.Contains(r.Body, "Call to undefined function") {
		t.Errorf("display_errors On: body %q", r.Body)
	}
	healthy(t, s, "display_errors fatal")
}
