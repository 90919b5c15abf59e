package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// These tests need many PHP threads in one process: they run against the
// thread-safe build (make test-zts, EPHPM_BIN=bin/ephpm-static) and skip
// on Debian's non-thread-safe libphp.

func requireZTS(t *testing.T, s *server) {
	t.Helper()
	if !strings.Contains(s.Log(), "thread_safe=true") {
		t.Skip("needs the thread-safe (ZTS) build: make test-zts")
	}
}

// parallelGets runs n GETs of path at once and returns how long all took.
func parallelGets(t *testing.T, s *server, n int, path func(i int) string) (time.Duration, []response) {
	t.Helper()
	out := make([]response, n)
	var wg sync.WaitGroup
	t0 := time.Now()
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			out[i] = s.get(t, path(i))
		}(i)
	}
	wg.Wait()
	return time.Since(t0), out
}

func TestZTSSleepingRequestsRunInParallel(t *testing.T) {
	const n = 4
	s := start(t, fixtureRoot(t), fmt.Sprintf("[php]\nworkers = %d\n", n))
	requireZTS(t, s)
	took, rs := parallelGets(t, s, n, func(int) string { return "/sleep.php?s=1" })
	for _, r := range rs {
		expectStatus(t, r, 200, "sleep")
	}
	// One at a time would take 4 s; in parallel, about one sleep.
	if took > 2500*time.Millisecond {
		t.Errorf("%d requests sleeping 1 s each took %v with workers = %d; want about 1 s", n, took, n)
	}
}

// cpuTicks reads the user+system CPU time the server process has used, in
// clock ticks (1/100 s on Linux).
func cpuTicks(t *testing.T, s *server) int {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", s.cmd.Process.Pid))
	must(t, err)
	// Fields after the command name (which is in parentheses): utime and
	// stime are the 12th and 13th of those.
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	u, err1 := strconv.Atoi(f[11])
	k, err2 := strconv.Atoi(f[12])
	if err1 != nil || err2 != nil {
		t.Fatalf("parsing /proc/pid/stat: %q", b)
	}
	return u + k
}

func TestZTSCPUBoundRequestsRunInParallel(t *testing.T) {
	const reqs = 8
	path := func(int) string { return "/threads.php?op=cpu&n=4000000" }
	// The most CPU-bound requests inside PHP at one moment, as the
	// requests themselves counted it in the KV store: one PHP thread can
	// never overlap two, two threads overlap whenever requests queue, on
	// a quiet or a busy machine. CPU use is only logged.
	mostInside := func(workers int) int {
		s := start(t, fixtureRoot(t), fmt.Sprintf("[php]\nworkers = %d\n", workers))
		defer s.Stop()
		requireZTS(t, s)
		s.get(t, path(0)) // warm up (OPcache)
		before := cpuTicks(t, s)
		took, rs := parallelGets(t, s, reqs, path)
		used := time.Duration(cpuTicks(t, s)-before) * 10 * time.Millisecond
		most := 0
		for _, r := range rs {
			expectStatus(t, r, 200, "cpu")
			var out struct {
				MostInside int `json:"most_inside"`
			}
			if err := json.Unmarshal([]byte(r.Body), &out); err != nil {
				t.Fatalf("cpu: %v in %q", err, r.Body)
			}
			most = max(most, out.MostInside)
		}
		t.Logf("workers = %d: %d CPU-bound requests took %v, %v of CPU (%.2f cores); at most %d inside PHP at once",
			workers, reqs, took, used, float64(used)/float64(took), most)
		return most
	}
	if got := mostInside(1); got != 1 {
		t.Errorf("one PHP thread: at most %d requests inside PHP at once, want 1", got)
	}
	if got := mostInside(2); got != 2 {
		t.Errorf("two PHP threads: at most %d CPU-bound requests inside PHP at once, want 2", got)
	}
}

// checkIncrements runs reqs requests of threads.php op (each making each
// increments of key) on 4 PHP threads and checks that none was lost.
func checkIncrements(t *testing.T, op, key string, reqs, each int) {
	t.Helper()
	s := start(t, fixtureRoot(t), "[php]\nworkers = 4\n")
	requireZTS(t, s)
	_, rs := parallelGets(t, s, reqs, func(i int) string {
		return fmt.Sprintf("/threads.php?op=%s&key=%s&n=%d&who=%d", op, key, each, i%4)
	})
	for _, r := range rs {
		expectStatus(t, r, 200, op)
	}
	r := s.get(t, "/kv.php?op=get&key="+key)
	if want := fmt.Sprintf(`"result":"%d"`, reqs*each); !strings.Contains(r.Body, want) {
		t.Errorf("%s: counter after %d x %d increments on 4 threads = %s, want %s", op, reqs, each, r.Body, want)
	}
}

func TestZTSIncrementsFromManyThreadsAreExact(t *testing.T) {
	checkIncrements(t, "incr_loop", "hot", 40, 500)
}

// Increments while the key gets a TTL, is read, and other keys come and go.
func TestZTSIncrementsExactWhileTheKeyChanges(t *testing.T) {
	checkIncrements(t, "incr_mixed", "mixed", 40, 1000)
}

func TestZTSSetnxOneWinnerAcrossThreads(t *testing.T) {
	s := start(t, fixtureRoot(t), "[php]\nworkers = 4\n")
	requireZTS(t, s)
	for round := 0; round < 5; round++ {
		at := float64(time.Now().Add(300*time.Millisecond).UnixNano()) / 1e9
		_, rs := parallelGets(t, s, 4, func(i int) string {
			return fmt.Sprintf("/threads.php?op=setnx_at&key=race%d&value=w%d&at=%.3f", round, i, at)
		})
		wins := 0
		for _, r := range rs {
			expectStatus(t, r, 200, "setnx_at")
			if strings.Contains(r.Body, `"won":true`) {
				wins++
			}
		}
		if wins != 1 {
			t.Errorf("round %d: %d of 4 threads won setnx at the same instant, want exactly 1", round, wins)
		}
	}
}

func TestZTSNoStateCrossesThreadsOrRequests(t *testing.T) {
	s := start(t, fixtureRoot(t), "[php]\nworkers = 4\n")
	requireZTS(t, s)
	_, rs := parallelGets(t, s, 40, func(int) string { return "/threads.php?op=state" })
	for _, r := range rs {
		m := decodeJSON(t, r)
		if m["calls"] != 1.0 || m["seen"] != 1.0 || m["defined"] != false || m["ini"] != "14" {
			t.Fatalf("a request saw state left by another: %s", r.Body)
		}
	}
}

// rssKB reads the resident memory of the server process.
func rssKB(t *testing.T, s *server) int {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	must(t, err)
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			n, err := strconv.Atoi(strings.Fields(line)[1])
			must(t, err)
			return n
		}
	}
	t.Fatal("no VmRSS")
	return 0
}

func TestZTS200ConcurrentClients(t *testing.T) {
	s := start(t, fixtureRoot(t), "[php]\nworkers = 0\n")
	requireZTS(t, s)
	const clients = 200
	tr := &http.Transport{MaxIdleConnsPerHost: clients, MaxConnsPerHost: clients}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	paths := []string{"/index.php", "/info.php?x=1", "/kv.php?op=incr&key=load", "/style.css", "/leak.php"}

	// round drives 200 clients for d and returns how many requests were
	// served; any error or non-200 fails the test.
	round := func(d time.Duration) int64 {
		var served, failed atomic.Int64
		deadline := time.Now().Add(d)
		var wg sync.WaitGroup
		for c := 0; c < clients; c++ {
			wg.Add(1)
			go func(c int) {
				defer wg.Done()
				for i := 0; time.Now().Before(deadline); i++ {
					resp, err := client.Get(s.URL + paths[(c+i)%len(paths)])
					if err != nil {
						if failed.Add(1) < 5 {
							t.Errorf("client %d: %v", c, err)
						}
						continue
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != 200 {
						if failed.Add(1) < 5 {
							t.Errorf("client %d: status %d", c, resp.StatusCode)
						}
						continue
					}
					served.Add(1)
				}
			}(c)
		}
		wg.Wait()
		if f := failed.Load(); f > 0 {
			t.Fatalf("%d of %d requests failed under %d concurrent clients", f, f+served.Load(), clients)
		}
		return served.Load()
	}

	round(3 * time.Second) // warm up: OPcache, thread arenas, connection pool
	base := rssKB(t, s)
	var total int64
	for i := 0; i < 3; i++ {
		total += round(3 * time.Second)
	}
	grown := rssKB(t, s) - base
	t.Logf("%d requests from %d clients; RSS %d kB -> +%d kB", total, clients, base, grown)
	// Memory that grew with every request would show here: the loop serves
	// tens of thousands of requests, a leak of even 1 kB each is tens of MB.
	if grown > 48*1024 {
		t.Errorf("resident memory grew by %d kB over %d requests", grown, total)
	}
	if r := s.get(t, "/kv.php?op=get&key=load"); !strings.Contains(r.Body, `"result"`) {
		t.Errorf("kv after load: %s", r.Body)
	}
	healthy(t, s, "200 concurrent clients")
}

// floatsPHP converts many floats to strings and back in every way PHP
// does (var_export's shortest form and (float), json_encode/json_decode,
// number_format, printf's %.17g) and counts the results that do not come
// back as they went in. The thread-safe build gives each PHP thread its
// own free list for these conversions' buffers (scripts/build-php-zts.sh,
// recipe 9): a list shared without its lock would hand one buffer to two
// threads and garble digits. Like threads.php, each request counts itself
// in the KV store and reports the most requests it saw converting at once.
const floatsPHP = `<?php
$n = (int)($_GET['n'] ?? 20000);
mt_srand((int)($_GET['seed'] ?? 1));
$most = ephpm_kv_incr('floats:inside');
$bad = [];
for ($i = 0; $i < $n; $i++) {
    $f = mt_rand() / mt_getrandmax() * 10 ** mt_rand(-30, 30) * (mt_rand(0, 1) ? 1 : -1);
    $s = var_export($f, true);
    if ((float)$s !== $f) { $bad[] = "var_export $s"; }
    $j = json_encode($f, JSON_PRESERVE_ZERO_FRACTION);
    if (json_decode($j) !== $f) { $bad[] = "json $j"; }
    $g = sprintf('%.17g', $f);
    if ((float)$g !== $f) { $bad[] = "printf $g"; }
    $nf = number_format($f, 3, '.', '');
    $r = round($f, 3);
    if (abs((float)$nf - $r) > 1e-12 * max(1.0, abs($r))) { $bad[] = "number_format $nf vs $r"; }
    if ($i % 2000 == 0) { $most = max($most, (int)ephpm_kv_get('floats:inside')); }
}
ephpm_kv_decr('floats:inside');
echo json_encode(['bad' => count($bad), 'first' => array_slice($bad, 0, 3), 'most_inside' => $most]);
`

// Float conversions on four PHP threads at once all come back exact.
func TestZTSFloatConversionsExactAcrossThreads(t *testing.T) {
	root := fixtureRoot(t)
	must(t, os.WriteFile(filepath.Join(root, "floats.php"), []byte(floatsPHP), 0o644))
	s := start(t, root, "[php]\nworkers = 4\n")
	requireZTS(t, s)
	_, rs := parallelGets(t, s, 8, func(i int) string { return fmt.Sprintf("/floats.php?seed=%d", i+1) })
	most := 0
	for i, r := range rs {
		expectStatus(t, r, 200, "floats")
		var out struct {
			Bad        int      `json:"bad"`
			First      []string `json:"first"`
			MostInside int      `json:"most_inside"`
		}
		if err := json.Unmarshal([]byte(r.Body), &out); err != nil {
			t.Fatalf("floats: %v in %q", err, r.Body)
		}
		if out.Bad != 0 {
			t.Errorf("request %d: %d of 80,000 float conversions came back different, e.g. %q", i, out.Bad, out.First)
		}
		most = max(most, out.MostInside)
	}
	if most < 2 {
		t.Errorf("at most %d requests converted floats at once: the conversions never overlapped, so the test proved nothing", most)
	}
}
