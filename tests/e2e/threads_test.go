package e2e

// /_ephpm/threads (issue 14) and the PHP thread metrics: what each PHP
// thread does, on the metrics listener only; a request stuck past its
// deadline flagged there and logged; worker restarts by cause.

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

type threadInfo struct {
	Slot           int       `json:"slot"`
	State          string    `json:"state"`
	Method         string    `json:"method"`
	URI            string    `json:"uri"`
	Started        time.Time `json:"started"`
	ElapsedSeconds float64   `json:"elapsed_seconds"`
	TimedOut       bool      `json:"timed_out"`
	Stuck          bool      `json:"stuck"`
	RequestsServed int64     `json:"requests_served"`
	MemoryBytes    int64     `json:"memory_bytes"`
	Boots          int64     `json:"boots"`
}

type threadsPage struct {
	Threads []threadInfo `json:"threads"`
	Queued  int64        `json:"queued"`
	Stuck   int          `json:"stuck"`
}

func getThreads(t *testing.T, metricsBase string) threadsPage {
	t.Helper()
	resp, err := http.Get(metricsBase + "/_ephpm/threads")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("GET /_ephpm/threads: %d %s %q", resp.StatusCode, resp.Header.Get("Content-Type"), b)
	}
	var p threadsPage
	if err := json.Unmarshal(b, &p); err != nil {
		t.Fatalf("/_ephpm/threads is not the expected JSON: %v\n%s", err, b)
	}
	return p
}

// busyWith returns the thread running uri, if one is.
func busyWith(p threadsPage, uri string) (threadInfo, bool) {
	for _, th := range p.Threads {
		if th.State == "busy" && th.URI == uri {
			return th, true
		}
	}
	return threadInfo{}, false
}

// oneShot is a client whose connections are not reused: a request that
// outlived its deadline leaves its connection unusable for the next one
// (see TestThreadsStuckRequest), which is not what these tests are about.
var oneShot = &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}

// getAsync GETs url in the background; the channel gets the status (0 on
// a transport error) once the response is read.
func getAsync(url string) <-chan int {
	done := make(chan int, 1)
	go func() {
		resp, err := oneShot.Get(url)
		if err != nil {
			done <- 0
			return
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		done <- resp.StatusCode
	}()
	return done
}

// checkStates checks that the threads by state add up to the thread
// count and returns the states' values.
func checkStates(t *testing.T, s *server) map[string]float64 {
	t.Helper()
	m := scrape(t, metricsURL(t, s)+"/metrics")
	out, sum := map[string]float64{}, 0.0
	for _, st := range []string{"idle", "busy", "booting", "restarting", "stopped"} {
		v, ok := m[`ephpm_php_threads_by_state{state="`+st+`"}`]
		if !ok {
			t.Errorf("ephpm_php_threads_by_state{state=%q} missing", st)
		}
		out[st] = v
		sum += v
	}
	if sum != m["ephpm_php_threads"] || sum < 1 {
		t.Errorf("threads by state %v add up to %v, ephpm_php_threads = %v", out, sum, m["ephpm_php_threads"])
	}
	out["stuck"] = m["ephpm_php_stuck_requests"]
	return out
}

// While a request sleeps in PHP, its thread shows busy with the request's
// method, URI and a growing elapsed time, in request and in worker mode;
// once it ends the thread is idle and counts it served.
func TestThreadsDuringSleepingRequest(t *testing.T) {
	metricsEnv := "EPHPM_SERVER__METRICS__LISTEN=127.0.0.1:0"
	for _, mode := range []string{"request", "worker"} {
		t.Run(mode, func(t *testing.T) {
			var s *server
			uri := "/sleep.php?s=4&tag=" + mode
			if mode == "request" {
				s = start(t, fixtureRoot(t), "", metricsEnv)
			} else {
				s = start(t, workerRoot(t), "[php]\nmode = \"worker\"\nworker_script = \"worker.php\"\nworkers = 1\n", metricsEnv)
				uri = "/slow?sleep=4&tag=worker"
				// The worker has booted once it answers.
				expectStatus(t, s.get(t, "/warm"), 200, "first request")
			}
			mURL := metricsURL(t, s)
			done := getAsync(s.URL + uri)

			var first threadInfo
			poll(t, 20*time.Second, "the sleeping request on a busy thread", func() (bool, string) {
				p := getThreads(t, mURL)
				th, ok := busyWith(p, uri)
				first = th
				return ok, fmt.Sprintf("%+v", p)
			})
			if first.Method != "GET" || first.Started.IsZero() || first.ElapsedSeconds <= 0 || first.ElapsedSeconds > 30 ||
				first.TimedOut || first.Stuck || first.Slot < 1 {
				t.Errorf("busy thread: %+v", first)
			}
			if mode == "worker" && first.Boots != 1 {
				t.Errorf("worker boots %d, want 1", first.Boots)
			}
			if st := checkStates(t, s); st["busy"] < 1 || st["stuck"] != 0 {
				t.Errorf("states while the request sleeps: %v", st)
			}
			time.Sleep(300 * time.Millisecond)
			second, ok := busyWith(getThreads(t, mURL), uri)
			if !ok || second.ElapsedSeconds <= first.ElapsedSeconds || !second.Started.Equal(first.Started) {
				t.Errorf("later: %+v (busy %v), before: %+v", second, ok, first)
			}

			select {
			case status := <-done:
				if status != 200 {
					t.Fatalf("the sleeping request: status %d", status)
				}
			case <-time.After(30 * time.Second):
				t.Fatal("the sleeping request did not end")
			}
			poll(t, 10*time.Second, "the thread idle again", func() (bool, string) {
				p := getThreads(t, mURL)
				for _, th := range p.Threads {
					if th.Slot == first.Slot {
						return th.State == "idle" && th.URI == "" && th.RequestsServed >= first.RequestsServed+1 && th.MemoryBytes > 0, fmt.Sprintf("%+v", th)
					}
				}
				return false, fmt.Sprintf("no slot %d in %+v", first.Slot, p)
			})
			if st := checkStates(t, s); st["busy"] != 0 {
				t.Errorf("states after the request: %v", st)
			}
		})
	}
}

// /_ephpm/threads is the metrics listener's: the site answers it 404
// (whatever the document root holds there) and runs no PHP for it.
func TestThreadsOnlyOnMetricsListener(t *testing.T) {
	root := fixtureRoot(t)
	marker := filepath.Join(t.TempDir(), "ran")
	must(t, os.MkdirAll(filepath.Join(root, "_ephpm", "threads"), 0o755))
	must(t, os.WriteFile(filepath.Join(root, "_ephpm", "threads", "index.php"),
		[]byte(fmt.Sprintf("<?php file_put_contents(%q, 'ran'); echo 'site';", marker)), 0o644))
	s := start(t, root, "", "EPHPM_SERVER__METRICS__LISTEN=127.0.0.1:0")
	for _, path := range []string{"/_ephpm/threads", "/_ephpm/threads/", "/_ephpm//threads", "/_ephpm/%74hreads", "/x/../_ephpm/threads"} {
		req, err := http.NewRequest("GET", s.URL+path, nil)
		must(t, err)
		if path == "/x/../_ephpm/threads" {
			req.URL.Opaque = path // sent as is, not cleaned by the client
		}
		r := s.do(t, req)
		if r.Status != 404 || strings.Contains(r.Body, "slot") || strings.Contains(r.Body, "site") {
			t.Errorf("site GET %s: %d %q", path, r.Status, r.Body)
		}
	}
	if _, err := os.Stat(marker); err == nil {
		t.Errorf("PHP ran for /_ephpm/threads on the site")
	}
	mURL := metricsURL(t, s)
	p := getThreads(t, mURL)
	if len(p.Threads) < 1 || p.Threads[0].Slot != 1 || p.Threads[0].State != "idle" || p.Stuck != 0 {
		t.Errorf("metrics listener: %+v", p)
	}
	resp, err := http.Post(mURL+"/_ephpm/threads", "text/plain", nil)
	must(t, err)
	resp.Body.Close()
	if resp.StatusCode != 405 {
		t.Errorf("POST /_ephpm/threads: %d", resp.StatusCode)
	}
	// The probes still work on the metrics listener.
	if p := probeURL("GET", mURL+"/_ephpm/ready"); p.Status != 200 {
		t.Errorf("ready on the metrics listener: %v", p)
	}
}

// A request blocked in a call PHP cannot interrupt (flock() on a file
// another process holds locked: the kernel restarts it after the signal
// that wakes sleep()) outlives its deadline: the thread shows it timed out
// and stuck, the log says so once, and the thread is free again once the
// call returns. In request mode and in worker mode (where the timeout
// then ends the worker script's run).
func TestThreadsStuckRequest(t *testing.T) {
	for _, mode := range []string{"request", "worker"} {
		t.Run(mode, func(t *testing.T) { testStuckRequest(t, mode) })
	}
}

func testStuckRequest(t *testing.T, mode string) {
	root := t.TempDir()
	lockFile := filepath.Join(t.TempDir(), "lock")
	lock := fmt.Sprintf(`function take_lock() {
    $f = fopen(%q, 'c');
    flock($f, LOCK_EX);
    echo "locked";
    flock($f, LOCK_UN);
    fclose($f);
}
`, lockFile)
	must(t, os.WriteFile(filepath.Join(root, "lock.php"), []byte("<?php\n"+lock+"take_lock();\n"), 0o644))
	must(t, os.WriteFile(filepath.Join(root, "worker.php"), []byte("<?php\n"+lock+"while (ephpm_handle_request('take_lock')) {}\n"), 0o644))
	f, err := os.OpenFile(lockFile, os.O_CREATE|os.O_RDWR, 0o644)
	must(t, err)
	defer f.Close()
	must(t, syscall.Flock(int(f.Fd()), syscall.LOCK_EX))
	unlocked := false
	unlock := func() {
		if !unlocked {
			unlocked = true
			syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		}
	}
	defer unlock()

	cfg := "[server.timeouts]\nrequest = 1\n"
	if mode == "worker" {
		cfg += "[php]\nmode = \"worker\"\nworker_script = \"worker.php\"\nworkers = 1\n"
	}
	s := start(t, root, cfg, "EPHPM_SERVER__METRICS__LISTEN=127.0.0.1:0")
	mURL := metricsURL(t, s)
	done := getAsync(s.URL + "/lock.php?x=1")

	var th threadInfo
	poll(t, 20*time.Second, "the blocked request flagged stuck", func() (bool, string) {
		p := getThreads(t, mURL)
		var ok bool
		th, ok = busyWith(p, "/lock.php?x=1")
		return ok && th.Stuck && p.Stuck == 1, fmt.Sprintf("%+v", p)
	})
	if !th.TimedOut || th.ElapsedSeconds < 1.5 || th.Method != "GET" {
		t.Errorf("stuck thread: %+v", th)
	}
	if st := checkStates(t, s); st["stuck"] != 1 || st["busy"] != 1 {
		t.Errorf("metrics while stuck: %v", st)
	}
	const warning = "PHP request stuck past its deadline"
	poll(t, 10*time.Second, "the stuck warning in the log", func() (bool, string) {
		return strings.Contains(s.Log(), warning), s.Log()
	})
	// The interrupt repeats every second; the warning does not.
	time.Sleep(2500 * time.Millisecond)
	var line string
	for _, l := range strings.Split(s.Log(), "\n") {
		if strings.Contains(l, warning) {
			if line != "" {
				t.Errorf("the warning was logged twice:\n%s\n%s", line, l)
			}
			line = l
		}
	}
	for _, want := range []string{"slot=1", "method=GET", "uri=\"/lock.php?x=1\"", "elapsed="} {
		if !strings.Contains(line, want) {
			t.Errorf("warning lacks %s: %s", want, line)
		}
	}

	// Released, the call returns, PHP sees the interrupt and the request
	// ends (500: it timed out); the thread is idle and not stuck.
	unlock()
	select {
	case status := <-done:
		if status != 500 && status != 0 {
			t.Errorf("the stuck request ended with %d", status)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the request did not end after the lock was released")
	}
	poll(t, 20*time.Second, "the thread free again", func() (bool, string) {
		p := getThreads(t, mURL)
		return p.Stuck == 0 && p.Threads[0].State == "idle", fmt.Sprintf("%+v", p)
	})
	if r := s.get(t, "/lock.php?after=1"); r.Status != 200 || r.Body != "locked" {
		t.Errorf("after: %d %q", r.Status, r.Body)
	}
	if st := checkStates(t, s); st["stuck"] != 0 {
		t.Errorf("stuck gauge after: %v", st)
	}
	if mode == "worker" {
		// The timeout ended the worker script's run.
		if v, _ := metric(t, s, `ephpm_php_worker_restarts_total{cause="crash"}`); v != 1 {
			t.Errorf("crash restarts %v, want 1", v)
		}
	}
}

// Worker restarts are counted by cause: worker_max_requests recycles
// (max_requests) and a crash.
func TestMetricsWorkerRestarts(t *testing.T) {
	s := start(t, workerRoot(t), "[php]\nmode = \"worker\"\nworker_script = \"worker.php\"\nworkers = 1\nworker_max_requests = 2\nworker_max_requests_jitter = 0\nmax_execution_time = 2\n",
		"EPHPM_SERVER__METRICS__LISTEN=127.0.0.1:0")
	for i := 0; i < 5; i++ {
		expectStatus(t, s.get(t, fmt.Sprintf("/r?i=%d", i)), 200, "request")
	}
	restarts := func(cause string) float64 {
		v, ok := metric(t, s, `ephpm_php_worker_restarts_total{cause="`+cause+`"}`)
		if !ok {
			t.Fatalf("ephpm_php_worker_restarts_total{cause=%q} missing", cause)
		}
		return v
	}
	// The fifth request ran on the third run: two recycles.
	poll(t, 10*time.Second, "two max_requests restarts", func() (bool, string) {
		v := restarts("max_requests")
		return v == 2, fmt.Sprint(v)
	})
	if v, _ := metric(t, s, "ephpm_php_worker_boots_total"); v != 3 {
		t.Errorf("ephpm_php_worker_boots_total = %v, want 3", v)
	}
	if r := s.get(t, "/c?crash=fatal"); r.Status != 500 {
		t.Errorf("crash: %d", r.Status)
	}
	poll(t, 10*time.Second, "a crash restart", func() (bool, string) {
		v := restarts("crash")
		return v == 1, fmt.Sprint(v)
	})
	for _, c := range []string{"max_memory", "ttl", "idle_ttl", "reload", "boot_failure"} {
		if v := restarts(c); v != 0 {
			t.Errorf("restarts{cause=%q} = %v", c, v)
		}
	}
	// Back to idle once the new run has booted; the states add up.
	poll(t, 20*time.Second, "the worker idle after its restart", func() (bool, string) {
		st := checkStates(t, s)
		return st["idle"] == 1, fmt.Sprint(st)
	})
}
