package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func workerRoot(t *testing.T) string {
	t.Helper()
	root := filepath.Join(t.TempDir(), "public")
	copyDir(t, filepath.Join(repoRoot, "testdata", "worker", "public"), root)
	return root
}

// startWorker runs one worker unless extra says otherwise, so counters of
// boots and served requests mean the same on the NTS and ZTS builds.
func startWorker(t *testing.T, script string, extra string) *server {
	t.Helper()
	if !strings.Contains(extra, "workers") {
		extra = "workers = 1\n" + extra
	}
	return start(t, workerRoot(t), fmt.Sprintf("[php]\nmode = \"worker\"\nworker_script = %q\nmax_execution_time = 2\nmemory_limit = \"64M\"\n%s", script, extra))
}

func num(m map[string]any, k string) int {
	f, _ := m[k].(float64)
	return int(f)
}

func TestWorkerBootsOnceAndServes(t *testing.T) {
	s := startWorker(t, "worker.php", "")
	var last map[string]any
	for i := 0; i < 20; i++ {
		last = decodeJSON(t, s.get(t, fmt.Sprintf("/any/route?i=%d", i)))
	}
	if num(last, "boots") != 1 || num(last, "served") != 20 {
		t.Errorf("after 20 requests: boots=%d served=%d, want 1 and 20", num(last, "boots"), num(last, "served"))
	}
	if last["uri"] != "/any/route?i=19" || last["script_name"] != "/worker.php" {
		t.Errorf("uri %v script_name %v", last["uri"], last["script_name"])
	}
	// Static files are still served by the server, not the worker.
	if r := s.get(t, "/hello.txt"); r.Body != "static in worker mode\n" {
		t.Errorf("static file: %q", r.Body)
	}
	// A URL naming another .php file goes to the worker too, which is told
	// the file the URL routed to.
	m := decodeJSON(t, s.get(t, "/primitives.php?x=1"))
	if num(m, "boots") != 1 || num(m, "served") != 21 || m["script_name"] != "/primitives.php" {
		t.Errorf("/primitives.php in worker mode: boots=%v served=%v script_name=%v", m["boots"], m["served"], m["script_name"])
	}
}

func TestWorkerNoLeaksBetweenRequests(t *testing.T) {
	s := startWorker(t, "worker.php", "")
	r := s.request(t, "POST", "/a?x=1&status=201&header=first&cookie=c1",
		strings.NewReader("p=1"), map[string]string{
			"Content-Type": "application/x-www-form-urlencoded",
			"Cookie":       "session=one",
			"X-Req":        "first",
		})
	expectStatus(t, r, 201, "first request")
	first := decodeJSON(t, r)
	if r.Header.Get("X-Set") != "first" || r.Header.Get("Set-Cookie") != "wc=c1" {
		t.Errorf("first: headers %v", r.Header)
	}
	if first["post"].(map[string]any)["p"] != "1" || first["cookie"].(map[string]any)["session"] != "one" || first["has_x_req"] != "first" {
		t.Errorf("first: %v", first)
	}

	r = s.get(t, "/b")
	expectStatus(t, r, 200, "second request")
	second := decodeJSON(t, r)
	if r.Header.Get("X-Set") != "" || r.Header.Get("Set-Cookie") != "" {
		t.Errorf("headers leaked into the next request: %v", r.Header)
	}
	for _, k := range []string{"get", "post", "cookie", "files"} {
		if v, ok := second[k].([]any); !ok || len(v) != 0 {
			t.Errorf("$%s leaked: %v", k, second[k])
		}
	}
	if second["input"] != "" || second["has_x_req"] != nil || second["method"] != "GET" || second["uri"] != "/b" {
		t.Errorf("request state leaked: %v", second)
	}
}

func TestWorkerUploads(t *testing.T) {
	s := startWorker(t, "worker.php", "")
	data := make([]byte, 100<<10)
	rand.Read(data)
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	mw.WriteField("f", "v")
	fw, _ := mw.CreateFormFile("up", "a.bin")
	fw.Write(data)
	mw.Close()
	r := s.request(t, "POST", "/upload", &buf, map[string]string{"Content-Type": mw.FormDataContentType()})
	m := decodeJSON(t, r)
	up := m["files"].(map[string]any)["up"].(map[string]any)
	sum := sha1.Sum(data)
	if up["sha1"] != hex.EncodeToString(sum[:]) || num(up, "size") != len(data) {
		t.Errorf("upload: %v", up)
	}
	// The next request sees no files, and the temp file is gone.
	m = decodeJSON(t, s.get(t, "/next"))
	if v, ok := m["files"].([]any); !ok || len(v) != 0 {
		t.Errorf("$_FILES leaked: %v", m["files"])
	}
	if _, err := os.Stat(up["tmp"].(string)); err == nil {
		t.Errorf("uploaded temp file %s survived its request", up["tmp"])
	}
}

func TestWorkerRecycles(t *testing.T) {
	s := startWorker(t, "worker.php", "worker_max_requests = 3\n")
	var boots []int
	for i := 0; i < 7; i++ {
		m := decodeJSON(t, s.get(t, "/r"))
		boots = append(boots, num(m, "this_boot"))
	}
	want := []int{1, 1, 1, 2, 2, 2, 3}
	if fmt.Sprint(boots) != fmt.Sprint(want) {
		t.Errorf("boot of each request %v, want %v", boots, want)
	}
}

func TestWorkerRestartsAfterCrash(t *testing.T) {
	s := startWorker(t, "worker.php", "")
	decodeJSON(t, s.get(t, "/warm"))
	boots := 1
	for _, crash := range []string{"fatal", "exception", "memory", "loop", "exit"} {
		r := s.get(t, "/c?crash="+crash)
		want := 500
		if crash == "exit" {
			want = 200 // it printed before exit(): that response stands
		}
		if r.Status != want {
			t.Errorf("crash=%s: status %d, want %d (%q)", crash, r.Status, want, r.Body)
		}
		m := decodeJSON(t, s.get(t, "/after?crash_was="+crash))
		boots++
		if num(m, "boots") != boots || num(m, "served") != 1 {
			t.Errorf("after crash=%s: boots=%d served=%d, want %d and 1", crash, num(m, "boots"), num(m, "served"), boots)
		}
	}
	for _, want := range []string{"undefined_function_in_worker", "worker exception", "Allowed memory size", "Maximum execution time", "restarting"} {
		if !s.LogHas(want) {
			t.Errorf("log lacks %q", want)
		}
	}
}

func TestWorkerPrimitives(t *testing.T) {
	s := startWorker(t, "primitives.php", "")
	r := s.request(t, "POST", "/p?status=202&q=1", strings.NewReader(`{"raw":true}`), map[string]string{
		"Content-Type": "application/json", "Cookie": "k=v", "X-Forwarded-For": "10.0.0.1",
	})
	expectStatus(t, r, 202, "send_response status")
	if got := r.Header.Values("X-Multi"); fmt.Sprint(got) != "[a b]" {
		t.Errorf("X-Multi = %v", got)
	}
	m := decodeJSON(t, r)
	h := m["headers"].(map[string]any)
	if m["class"] != `Ephpm\Worker\Envelope` || m["method"] != "POST" || m["uri"] != "/p?status=202&q=1" ||
		m["raw"] != `{"raw":true}` || m["cookies"].(map[string]any)["k"] != "v" || m["query"].(map[string]any)["q"] != "1" ||
		h["X-Forwarded-For"] != "10.0.0.1" || h["Content-Type"] != "application/json" {
		t.Errorf("envelope: %v", m)
	}
	m2 := decodeJSON(t, s.get(t, "/second"))
	if num(m2, "boots") != num(m, "boots") || m2["raw"] != "" || len(m2["cookies"].([]any)) != 0 {
		t.Errorf("second request: %v", m2)
	}
}

func TestWorkerShutdownFinishesInFlight(t *testing.T) {
	s := startWorker(t, "worker.php", "")
	done := make(chan string, 1)
	go func() {
		resp, err := http.Get(s.URL + "/slow?sleep=1.5")
		if err != nil {
			done <- "error: " + err.Error()
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		done <- fmt.Sprint(resp.StatusCode, " ", string(b))
	}()
	time.Sleep(400 * time.Millisecond)
	must(t, s.cmd.Process.Signal(os.Interrupt))
	got := <-done
	if !strings.HasPrefix(got, "200 ") || !strings.Contains(got, `"uri":"\/slow?sleep=1.5"`) {
		t.Errorf("in-flight request during shutdown: %s", got)
	}
	select {
	case <-s.exited:
	case <-time.After(15 * time.Second):
		t.Fatal("worker-mode server did not exit")
	}
}

func TestWorkersServeInParallel(t *testing.T) {
	s := startWorker(t, "worker.php", "workers = 4\n")
	if !strings.Contains(s.Log(), "thread_safe=true") {
		t.Skip("parallel workers need the thread-safe (ZTS) build")
	}
	t0 := time.Now()
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.get(t, "/p?sleep=1")
		}()
	}
	wg.Wait()
	if d := time.Since(t0); d > 1800*time.Millisecond {
		t.Errorf("4 one-second requests on 4 workers took %v", d)
	}
}

func TestWorkerMemoryStaysFlat(t *testing.T) {
	s := startWorker(t, "worker.php", "")
	memoryAfter := func(n int) int {
		var last map[string]any
		for i := 0; i < n; i++ {
			r := s.request(t, "POST", fmt.Sprintf("/m?i=%d&q=%s", i, strings.Repeat("v", 100)),
				strings.NewReader("a=1&b=2"), map[string]string{
					"Content-Type": "application/x-www-form-urlencoded",
					"Cookie":       "c=1; d=2",
					"X-Extra":      strings.Repeat("h", 200),
				})
			last = decodeJSON(t, r)
		}
		return num(last, "memory")
	}
	base := memoryAfter(50)
	after := memoryAfter(300)
	// Superglobals, headers and ext/filter's copies of them must be freed
	// per request: a leak of even 1 KB per request shows as 300 KB here.
	if grown := after - base; grown > 32*1024 {
		t.Errorf("the worker's PHP memory grew by %d bytes over 300 requests (%d -> %d)", grown, base, after)
	}
}

func TestWorkerSurvivesClientHangingUp(t *testing.T) {
	s := startWorker(t, "worker.php", "")
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", s.URL+"/s?stream=1", nil)
	resp, err := http.DefaultClient.Do(req)
	must(t, err)
	buf := make([]byte, 8)
	resp.Body.Read(buf) // the first tick arrived: the handler is streaming
	cancel()
	resp.Body.Close()
	deadline := time.Now().Add(5 * time.Second)
	for {
		v := decodeJSON(t, s.get(t, "/after?kv=worker:aborted"))
		if num(v, "boots") != 1 {
			t.Fatalf("the worker was rebooted after a client hung up: %v", v)
		}
		if ab, _ := v["kv"].(string); ab != "" {
			if ab != "yes" {
				t.Errorf("connection_aborted() in the handler = %q after the client left, want yes", ab)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the streaming handler never finished")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// A worker script that dies before it takes a request (here: it throws
// while booting) cannot serve anything: requests get a 503 at once rather
// than waiting out the request timeout, the log says why, and once the
// script is fixed the next restart serves again.
func TestWorkerBrokenBootAnswers503(t *testing.T) {
	root := workerRoot(t)
	good, err := os.ReadFile(filepath.Join(root, "worker.php"))
	must(t, err)
	broken := filepath.Join(root, "broken.php")
	must(t, os.WriteFile(broken, []byte("<?php\nthrow new RuntimeException('cannot boot: no database');\n"), 0o644))
	s := start(t, root, "[php]\nworkers = 1\nmode = \"worker\"\nworker_script = \"broken.php\"\n[server.timeouts]\nrequest = 60\n")

	for i := 0; i < 3; i++ {
		began := time.Now()
		r := s.get(t, "/page")
		if r.Status != 503 || !strings.Contains(r.Body, "worker script") {
			t.Fatalf("request %d with a broken worker script: status %d %q, want a 503 naming the worker script", i, r.Status, r.Body)
		}
		if d := time.Since(began); d > 10*time.Second {
			t.Errorf("request %d: the 503 took %v", i, d)
		}
	}
	for _, want := range []string{"cannot boot: no database", "ended before taking a request"} {
		if !s.LogHas(want) {
			t.Errorf("log lacks %q", want)
		}
	}

	must(t, os.WriteFile(broken, good, 0o644))
	future := time.Now().Add(5 * time.Second) // past OPcache's timestamp check
	must(t, os.Chtimes(broken, future, future))
	deadline := time.Now().Add(30 * time.Second)
	for {
		r := s.get(t, "/page")
		if r.Status == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the fixed worker script never served: last %d %q", r.Status, r.Body)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// worker_script may be an absolute path outside the document root (the
// application's own front script, kept out of the web root).
func TestWorkerScriptOutsideDocumentRoot(t *testing.T) {
	root := workerRoot(t)
	appDir := t.TempDir()
	script := filepath.Join(appDir, "app-worker.php")
	src, err := os.ReadFile(filepath.Join(root, "worker.php"))
	must(t, err)
	must(t, os.WriteFile(script, src, 0o644))
	must(t, os.Remove(filepath.Join(root, "worker.php")))
	s := start(t, root, fmt.Sprintf("[php]\nworkers = 1\nmode = \"worker\"\nworker_script = %q\n", script))
	var m map[string]any
	for i := 0; i < 3; i++ {
		m = decodeJSON(t, s.get(t, fmt.Sprintf("/some/page?i=%d", i)))
	}
	if num(m, "boots") != 1 || num(m, "served") != 3 || m["uri"] != "/some/page?i=2" {
		t.Errorf("worker outside the root: boots=%v served=%v uri=%v", m["boots"], m["served"], m["uri"])
	}
	if r := s.get(t, "/hello.txt"); r.Body != "static in worker mode\n" {
		t.Errorf("static file beside an outside worker: %q", r.Body)
	}
	if r := s.get(t, "/app-worker.php"); r.Status == 200 && strings.Contains(r.Body, "ephpm_handle_request") {
		t.Errorf("the worker script's source was served")
	}
}
