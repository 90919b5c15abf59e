package kvredis

import (
	"bytes"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ephpm/ephpm/internal/redistest"
	"github.com/ephpm/ephpm/internal/testloop"
)

// syncBuffer is a log destination safe for concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (w *syncBuffer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (w *syncBuffer) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

// TestRedisKilled: with Redis killed, every call returns its failure
// value quickly (a refused connection is not waited out to the command
// timeout), also under concurrent load; no cached value is served;
// failures are logged rate-limited; when Redis is back, calls work again
// and the recovery is logged.
func TestRedisKilled(t *testing.T) {
	t.Parallel()
	r := redistest.Start(t, redistest.Options{})
	var logBuf syncBuffer
	const timeout = 3 * time.Second
	s := mustNew(t, Options{Addresses: []string{r.Addr}, KeyPrefix: "t:", ClientCache: 1 << 20, CommandTimeout: timeout,
		Logger: slog.New(slog.NewTextHandler(&logBuf, nil))})
	s.Set("k", "v", 0)
	wantGet(t, s, "k", "v", true)
	wantGet(t, s, "k", "v", true)

	// Load: goroutines calling throughout; no call may hang.
	stop := make(chan struct{})
	var slow atomic.Int64
	var calls atomic.Int64
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		k := "load" + strconv.Itoa(g)
		testloop.UntilStopped(&wg, stop, func(i int) {
			start := time.Now()
			switch i % 3 {
			case 0:
				s.Set(k, "x", 0)
			case 1:
				s.Get(k)
			default:
				s.IncrBy(k+"n", 1)
			}
			if time.Since(start) > timeout {
				slow.Add(1)
			}
			calls.Add(1)
			time.Sleep(time.Millisecond)
		})
	}

	r.Stop()
	eventually(t, "the cached value dropped with the connection", func() bool { _, ok := s.Get("k"); return !ok })
	if d := checkFailureValues(t, s, timeout); d > timeout/2 {
		t.Fatalf("with Redis down a call took %v: it waited for the timeout (%v) instead of failing", d, timeout)
	}
	time.Sleep(200 * time.Millisecond)
	r.Restart()
	eventually(t, "calls work after the restart", func() bool { return s.Set("k2", "v", 0) })
	close(stop)
	wg.Wait()
	if slow.Load() != 0 {
		t.Fatalf("%d of %d calls under load took the whole timeout", slow.Load(), calls.Load())
	}
	wantGet(t, s, "k", "", false) // Redis lost it; the cache must not have it
	checkWorks(t, s)

	log := logBuf.String()
	failed := strings.Count(log, "call failed")
	if failed == 0 || failed > 3 {
		t.Fatalf("%d failure lines logged over many failures (want rate-limited, 1..3):\n%s", failed, log)
	}
	if !strings.Contains(log, "failures_not_logged") || !strings.Contains(log, "answers again") {
		t.Fatalf("log lacks the count of unlogged failures or the recovery:\n%s", log)
	}
}

// TestRedisHung: a Redis that accepts nothing (SIGSTOP) costs each call
// the command timeout, no more; after it resumes, calls work.
func TestRedisHung(t *testing.T) {
	t.Parallel()
	r := redistest.Start(t, redistest.Options{})
	const timeout = 200 * time.Millisecond
	s := mustNew(t, Options{Addresses: []string{r.Addr}, KeyPrefix: "t:", ClientCache: 1 << 20, CommandTimeout: timeout})
	checkWorks(t, s)
	r.Pause()
	resumed := false
	defer func() {
		if !resumed {
			r.Resume()
		}
	}()
	before := s.Stats().Errors["timeout"]
	checkFailureValues(t, s, timeout)
	if n := s.Stats().Errors["timeout"] - before; n < 10 {
		t.Fatalf("%d timeouts counted with Redis hung", n)
	}
	r.Resume()
	resumed = true
	// The short timeout may still cut a call or two while Redis works
	// through what queued up: poll.
	eventually(t, "calls work after Redis resumed", func() bool { return s.Set("after", "v", 0) })
	eventually(t, "reads work after Redis resumed", func() bool { v, _ := s.Get("after"); return v == "v" })
	eventually(t, "counters work after Redis resumed", func() bool { _, err := s.IncrBy("n", 1); return err == nil })
}
