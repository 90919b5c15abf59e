package e2e

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// Request mode: a token holder that runs queued requests back to back
// passes through Go's scheduler between two of them once 5 ms have passed
// (schedPass in internal/phpembed/worker.go). Requests taken after such a
// pass must still be interrupted on the thread they run on when their time
// limit passes, and no other request may be hit by that interrupt. (A
// variant that let the holder change threads at the pass, session 8, was
// caught by this test when it skipped preparing PHP on the new thread.)
func TestRequestModeTimeoutAfterSchedulerPasses(t *testing.T) {
	s := start(t, fixtureRoot(t), "[php]\nworkers = 2\nmax_execution_time = 1\n[server.timeouts]\nrequest = 60\n")
	requireZTS(t, s)
	const sleepers, loops = 60, 3
	type result struct {
		path string
		r    response
		took time.Duration
	}
	results := make(chan result, sleepers+loops)
	var wg sync.WaitGroup
	get := func(path string) {
		defer wg.Done()
		t0 := time.Now()
		r := s.get(t, path)
		results <- result{path, r, time.Since(t0)}
	}
	// 10 ms each on 2 threads: every boundary between two of them is a
	// pass; the loops queue among them.
	for i := 0; i < sleepers; i++ {
		wg.Add(1)
		go get(fmt.Sprintf("/sleep.php?s=0.01&i=%d", i))
		if i%20 == 10 {
			wg.Add(1)
			go get(fmt.Sprintf("/loop.php?i=%d", i))
		}
	}
	wg.Wait()
	close(results)
	nloops := 0
	for res := range results {
		if strings.HasPrefix(res.path, "/loop.php") {
			nloops++
			if res.r.Status != 500 {
				t.Errorf("%s: status %d, want 500 (max_execution_time)", res.path, res.r.Status)
			}
			// Queued behind at most 60 x 10 ms on 2 threads, then 1 s.
			if res.took > 10*time.Second {
				t.Errorf("%s: ended after %v; the interrupt did not reach its thread", res.path, res.took)
			}
			continue
		}
		if res.r.Status != 200 || !strings.HasPrefix(res.r.Body, "slept 0.01") {
			t.Errorf("%s: %d %q: hit by another request's interrupt?", res.path, res.r.Status, res.r.Body)
		}
	}
	if nloops != loops {
		t.Fatalf("%d loop requests, want %d", nloops, loops)
	}
	healthy(t, s, "timeouts after scheduler passes")
}
