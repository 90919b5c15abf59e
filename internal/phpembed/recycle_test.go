package phpembed

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// A worker script that says which release and which run answered; ?sleep=ms
// holds the request.
const releaseScript = `<?php
$boot = bin2hex(random_bytes(8));
$served = 0;
while (ephpm_handle_request(function () use ($boot, &$served) {
    $served++;
    if (isset($_GET['sleep'])) usleep((int)$_GET['sleep'] * 1000);
    echo json_encode(['release' => %d, 'boot' => $boot, 'served' => $served]);
})) {}
`

type answer struct {
	Release int    `json:"release"`
	Boot    string `json:"boot"`
	Served  int    `json:"served"`
}

// TestRestartWorkers drives a real worker-mode runtime over loopback HTTP
// while RestartWorkers moves it to another release: no request fails, a
// request in flight finishes on the old run, each worker gets a new run,
// and once RestartWorkers returns only the new release answers. Then a
// release whose script cannot boot: RestartWorkers stops at the first
// worker with ErrWorkerBoot, and going back to the good release recovers.
//
// PHP can start once per process, so this is the package's one runtime
// test. With the ZTS build (-tags ephpm_static) it runs 3 workers.
func TestRestartWorkers(t *testing.T) {
	dir := t.TempDir()
	script := func(name string, release int) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(fmt.Sprintf(releaseScript, release)), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	v1, v2 := script("v1.php", 1), script("v2.php", 2)
	broken := filepath.Join(dir, "broken.php")
	if err := os.WriteFile(broken, []byte("<?php throw new Exception('cannot boot');\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	rt, err := Start(Options{
		Workers:          3,
		WorkerScript:     v1,
		WorkerScriptName: "/v1.php",
		DocumentRoot:     dir,
		Logger:           slog.New(slog.NewTextHandler(io.Discard, nil)),
		Ini:              [][2]string{{"display_errors", "0"}, {"log_errors", "0"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Shutdown(10 * time.Second)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rt.Serve(w, r, Script{Filename: v1, Name: "/v1.php", DocumentRoot: dir}, nil, time.Now().Add(30*time.Second))
	}))
	defer srv.Close()
	get := func(path string) (answer, int, error) {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			return answer{}, 0, err
		}
		defer resp.Body.Close()
		var a answer
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode == 200 {
			if err := json.Unmarshal(body, &a); err != nil {
				return a, resp.StatusCode, fmt.Errorf("%v: %q", err, body)
			}
		}
		return a, resp.StatusCode, nil
	}
	n := rt.Workers()
	// Wait for every worker to be up: each boot seen in an answer.
	oldBoots := map[string]bool{}
	deadline := time.Now().Add(30 * time.Second)
	for len(oldBoots) < n && time.Now().Before(deadline) {
		var wg sync.WaitGroup
		var mu sync.Mutex
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if a, code, err := get("/?sleep=50"); err == nil && code == 200 {
					mu.Lock()
					oldBoots[a.Boot] = true
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
	}
	if len(oldBoots) < n {
		t.Fatalf("only %d of %d workers answered", len(oldBoots), n)
	}

	// Load: clients sending requests back to back the whole time.
	var failed, total atomic.Int64
	var firstErr atomic.Value
	stop := make(chan struct{})
	var load sync.WaitGroup
	var afterMu sync.Mutex
	var restarted atomic.Bool
	var oldAfter []answer // answers to requests sent after RestartWorkers returned
	for i := 0; i < 4; i++ {
		load.Add(1)
		go func() {
			defer load.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				sentAfter := restarted.Load()
				a, code, err := get("/?sleep=2")
				total.Add(1)
				if err != nil || code != 200 {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, fmt.Sprintf("status %d, %v", code, err))
					continue
				}
				if sentAfter && a.Release != 2 {
					afterMu.Lock()
					oldAfter = append(oldAfter, a)
					afterMu.Unlock()
				}
			}
		}()
	}

	// A request in flight across the restart.
	inflight := make(chan answer, 1)
	go func() {
		a, code, err := get("/?sleep=1500")
		if err != nil || code != 200 {
			t.Errorf("the request in flight during the restart: status %d, %v", code, err)
		}
		inflight <- a
	}()
	time.Sleep(300 * time.Millisecond)

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := rt.RestartWorkers(ctx, CauseReload, WorkerUpdate{WorkerScript: v2, WorkerScriptName: "/v2.php"}); err != nil {
		t.Fatalf("RestartWorkers: %v", err)
	}
	restarted.Store(true)
	time.Sleep(500 * time.Millisecond)
	close(stop)
	load.Wait()

	if a := <-inflight; a.Release != 1 || !oldBoots[a.Boot] {
		t.Errorf("the request in flight was answered by %+v, want the old release's run", a)
	}
	if f := failed.Load(); f > 0 {
		t.Errorf("%d of %d requests failed during the restart; first: %v", f, total.Load(), firstErr.Load())
	}
	if len(oldAfter) > 0 {
		t.Errorf("%d answers from the old release after RestartWorkers returned: %+v", len(oldAfter), oldAfter[0])
	}
	if got := rt.WorkerRestarts()[CauseReload]; got != int64(n) {
		t.Errorf("restarts by reload = %d, want one per worker (%d); all: %v", got, n, rt.WorkerRestarts())
	}
	newBoots := map[string]bool{}
	for i := 0; i < 20*n && len(newBoots) < n; i++ {
		var wg sync.WaitGroup
		var mu sync.Mutex
		for j := 0; j < n; j++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				a, code, err := get("/?sleep=50")
				if err != nil || code != 200 || a.Release != 2 || oldBoots[a.Boot] {
					t.Errorf("after the restart: %+v status %d %v", a, code, err)
					return
				}
				mu.Lock()
				newBoots[a.Boot] = true
				mu.Unlock()
			}()
		}
		wg.Wait()
	}
	if len(newBoots) != n {
		t.Errorf("%d new runs answered, want %d (each worker replaced)", len(newBoots), n)
	}
	t.Logf("%d workers, %d requests under load, restarts %v", n, total.Load(), rt.WorkerRestarts())

	// A release that cannot boot stops the restart at its first worker.
	err = rt.RestartWorkers(ctx, CauseReload, WorkerUpdate{WorkerScript: broken})
	if !errors.Is(err, ErrWorkerBoot) {
		t.Fatalf("RestartWorkers to a broken script: %v, want ErrWorkerBoot", err)
	}
	if n > 1 {
		if a, code, err := get("/"); err != nil || code != 200 || a.Release != 2 {
			t.Errorf("the workers not replaced stopped serving: %+v %d %v", a, code, err)
		}
	}
	if got := rt.WorkerRestarts()[CauseBootFailure]; got < 1 {
		t.Errorf("boot failures counted: %d", got)
	}
	// Back to a good release (the failing worker is woken from its crash
	// backoff; not asserted by timing, which a busy machine blurs).
	if err := rt.RestartWorkers(ctx, CauseReload, WorkerUpdate{WorkerScript: v1}); err != nil {
		t.Fatalf("RestartWorkers back to v1: %v", err)
	}
	for i := 0; i < 2*n; i++ {
		if a, code, err := get("/"); err != nil || code != 200 || a.Release != 1 {
			t.Errorf("after going back: %+v %d %v", a, code, err)
		}
	}

	// A canceled context returns at once.
	cctx, ccancel := context.WithCancel(context.Background())
	ccancel()
	if err := rt.RestartWorkers(cctx, CauseReload, WorkerUpdate{}); !errors.Is(err, context.Canceled) {
		t.Errorf("RestartWorkers with a canceled context: %v", err)
	}
}

func TestDrawLimit(t *testing.T) {
	for _, tc := range []struct{ max, jitter, lo, hi int }{
		{0, -1, 0, 0},
		{20, 0, 20, 20},
		{20, -1, 18, 20},
		{10000, -1, 9000, 10000},
		{20, 5, 15, 20},
		{20, 50, 1, 20}, // clamped: a run serves at least one request
		{1, -1, 1, 1},
	} {
		seen := map[int]bool{}
		for i := 0; i < 2000; i++ {
			l := drawLimit(tc.max, tc.jitter)
			if l < tc.lo || l > tc.hi {
				t.Fatalf("drawLimit(%d, %d) = %d, want %d..%d", tc.max, tc.jitter, l, tc.lo, tc.hi)
			}
			seen[l] = true
		}
		// Small ranges are covered whole; a large one mostly.
		if span := tc.hi - tc.lo + 1; (span <= 100 && len(seen) != span) || (span > 100 && len(seen) < span/2) {
			t.Errorf("drawLimit(%d, %d): %d distinct values over %d..%d", tc.max, tc.jitter, len(seen), tc.lo, tc.hi)
		}
	}
}
