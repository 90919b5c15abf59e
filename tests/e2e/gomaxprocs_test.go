package e2e

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

var gomaxprocsRe = regexp.MustCompile(`ephpm listening.* gomaxprocs=(\d+)`)

// loadUntil keeps conns clients sending GETs of path to s until done
// returns true (polled) or within passes; it reports
// whether done did. Failed requests fail the test.
func loadUntil(t *testing.T, s *server, conns int, path string, within time.Duration, done func() bool) bool {
	t.Helper()
	var stop atomic.Bool
	var failed atomic.Int64
	var wg sync.WaitGroup
	for i := 0; i < conns; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				resp, err := http.Get(s.URL + path)
				if err != nil {
					failed.Add(1)
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					failed.Add(1)
				}
			}
		}()
	}
	ok := waitUntil(within, done)
	stop.Store(true)
	wg.Wait()
	if n := failed.Load(); n > 0 {
		t.Errorf("GET %s: %d requests failed under load", path, n)
	}
	return ok
}

// GOMAXPROCS follows the load (internal/phpembed/gomaxprocs.go): it starts
// at CPUs + PHP threads + 2 (request mode), goes down to CPUs + 1 under a
// load of long CPU-bound PHP requests (there the spare Ps only wake
// threads that preempt PHP), stays there while the server idles, and comes
// back under a load of short requests, where Go's share of a request needs
// them. An explicit GOMAXPROCS in the environment is left alone.
func TestZTSGomaxprocsFollowsTheLoad(t *testing.T) {
	if os.Getenv("GOMAXPROCS") != "" {
		t.Skip("GOMAXPROCS is set in the environment: the server would keep it")
	}
	start2 := func(env ...string) (*server, string, int) {
		s := start(t, fixtureRoot(t), "[php]\nworkers = 2\n", append([]string{"EPHPM_SERVER__METRICS__LISTEN=127.0.0.1:0"}, env...)...)
		requireZTS(t, s)
		m, mm := gomaxprocsRe.FindStringSubmatch(s.Log()), metricsAddrRe.FindStringSubmatch(s.Log())
		if m == nil || mm == nil {
			t.Fatalf("no gomaxprocs or metrics address in the log:\n%s", s.Log())
		}
		n, _ := strconv.Atoi(m[1])
		return s, "http://" + mm[1] + "/metrics", n
	}
	s, metrics, high := start2()
	// high = CPUs + min(PHP threads, CPUs) + 2 in request mode, low =
	// CPUs + 1.
	cpus := runtime.NumCPU()
	if want := cpus + min(2, cpus) + 2; high != want {
		t.Fatalf("GOMAXPROCS %d at start with 2 PHP threads on %d CPUs, want %d", high, cpus, want)
	}
	low := cpus + 1
	procs := func() int { return int(scrape(t, metrics)["go_sched_gomaxprocs_threads"]) }
	if got := procs(); got != high {
		t.Fatalf("go_sched_gomaxprocs_threads = %d at start, want %d (the startup log's)", got, high)
	}
	const long = "/threads.php?op=cpu&n=200000&gauge=gmp" // a few ms of PHP each
	if !loadUntil(t, s, 4, long, 20*time.Second, func() bool { return procs() == low }) {
		t.Fatalf("GOMAXPROCS stayed %d under long CPU-bound requests, want %d:\n%s", procs(), low, s.Log())
	}
	time.Sleep(2500 * time.Millisecond)
	if got := procs(); got != low {
		t.Errorf("GOMAXPROCS went to %d while the server idled after the long requests, want it kept at %d", got, low)
	}
	if !loadUntil(t, s, 4, "/index.php", 20*time.Second, func() bool { return procs() == high }) {
		t.Fatalf("GOMAXPROCS stayed %d under short requests, want %d back:\n%s", procs(), high, s.Log())
	}

	fixed, metrics2, n := start2("GOMAXPROCS=" + strconv.Itoa(high+1))
	if n != high+1 {
		t.Fatalf("with GOMAXPROCS=%d in the environment the server started with %d", high+1, n)
	}
	loadUntil(t, fixed, 4, long, 3*time.Second, func() bool {
		return int(scrape(t, metrics2)["go_sched_gomaxprocs_threads"]) != high+1
	})
	if got := int(scrape(t, metrics2)["go_sched_gomaxprocs_threads"]); got != high+1 {
		t.Errorf("GOMAXPROCS=%d in the environment: the server changed it to %d", high+1, got)
	}
	if strings.Contains(fixed.Log(), tooFewProcsWarning) {
		t.Errorf("GOMAXPROCS=%d (above ephpm's own level) was warned about:\n%s", high+1, fixed.Log())
	}
}

const tooFewProcsWarning = "GOMAXPROCS from the environment leaves the connections too few Go Ps"

// GOMAXPROCS set to the CPU count (Go's own default, as container setups
// often export it) leaves PHP threads inside PHP holding the Ps the
// connections need: the server uses it, says so at startup and names what
// it would have chosen, and serves.
func TestGomaxprocsFromEnvironmentTooFewWarned(t *testing.T) {
	cpus := runtime.NumCPU()
	s := start(t, fixtureRoot(t), "", "GOMAXPROCS="+strconv.Itoa(cpus))
	m := gomaxprocsRe.FindStringSubmatch(s.Log())
	if m == nil || m[1] != strconv.Itoa(cpus) {
		t.Fatalf("GOMAXPROCS=%d in the environment: the server did not keep it:\n%s", cpus, s.Log())
	}
	if !strings.Contains(s.Log(), tooFewProcsWarning) || !strings.Contains(s.Log(), "ephpm_would_use=") {
		t.Errorf("GOMAXPROCS=%d on %d CPUs: no warning naming ephpm's own choice in the log:\n%s", cpus, cpus, s.Log())
	}
	if r := s.get(t, "/index.php"); r.Status != 200 {
		t.Errorf("GET /index.php = %d, want 200", r.Status)
	}
}

// Worker mode starts with one spare P fewer than request mode
// (procsHigh): CPUs + min(PHP threads, CPUs) + 1.
func TestZTSGomaxprocsWorkerModeStart(t *testing.T) {
	if os.Getenv("GOMAXPROCS") != "" {
		t.Skip("GOMAXPROCS is set in the environment: the server would keep it")
	}
	root := t.TempDir()
	script := "<?php\nwhile (ephpm_handle_request(function () { echo 'hi'; })) {}\n"
	if err := os.WriteFile(filepath.Join(root, "worker.php"), []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	s := start(t, root, "[php]\nmode = \"worker\"\nworker_script = \"worker.php\"\nworkers = 2\n")
	requireZTS(t, s)
	m := gomaxprocsRe.FindStringSubmatch(s.Log())
	if m == nil {
		t.Fatalf("no gomaxprocs in the log:\n%s", s.Log())
	}
	cpus := runtime.NumCPU()
	if got, want := m[1], strconv.Itoa(cpus+min(2, cpus)+1); got != want {
		t.Errorf("worker mode, 2 PHP threads on %d CPUs: GOMAXPROCS %s at start, want %s", cpus, got, want)
	}
	if r := s.get(t, "/"); r.Status != 200 || r.Body != "hi" {
		t.Errorf("GET / = %d %q, want 200 and the worker's answer", r.Status, r.Body)
	}
}
