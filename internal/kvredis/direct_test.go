package kvredis

import (
	"crypto/tls"
	"errors"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/rueidis"

	"github.com/ephpm/ephpm/internal/kv"
	"github.com/ephpm/ephpm/internal/redistest"
	"github.com/ephpm/ephpm/internal/testloop"
)

// wantDirect checks that s sends commands over the direct path (the
// blocking pool) and that they work: a set, an incr_by and a get there.
func wantDirect(t *testing.T, s *Store) {
	t.Helper()
	if s.direct.Load() == nil {
		t.Fatal("direct path off on a standalone Redis without TLS")
	}
	before := s.stats.directCalls.Load()
	if !s.Set("direct:k", "dv", 0) {
		t.Fatal("Set failed")
	}
	if n, err := s.IncrBy("direct:n", 5); err != nil || n < 5 {
		t.Fatalf("IncrBy = %d, %v", n, err)
	}
	wantGet(t, s, "direct:k", "dv", true)
	if got := s.stats.directCalls.Load() - before; got < 2 {
		t.Fatalf("%d direct calls for a set and an incr_by, want >= 2", got)
	}
}

// waitClean waits until s has no dirty key (its direct writes fenced).
func waitClean(t *testing.T, s *Store) {
	t.Helper()
	eventually(t, "dirty keys cleared", func() bool { return s.dirty.n.Load() == 0 })
}

// wantNoDirect checks that the direct path is off.
func wantNoDirect(t *testing.T, s *Store) {
	t.Helper()
	if s.direct.Load() != nil || s.stats.directCalls.Load() != 0 {
		t.Fatalf("direct path on (%d calls); want rueidis only", s.stats.directCalls.Load())
	}
}

// TestDirectPathUsed: on a standalone Redis every round-trip command goes
// over the pooled blocking connections (Redis lists them: connections
// without rueidis's client name), with the results of the rueidis path.
func TestDirectPathUsed(t *testing.T) {
	t.Parallel()
	cacheModes(t, func(t *testing.T, cache int64) {
		r, s := standalone(t, cache)
		wantDirect(t, s)
		before := s.stats.directCalls.Load()
		setAt := time.Now()
		if !s.SetNX("nx", "a", time.Minute) || s.SetNX("nx", "b", 0) {
			t.Fatal("SetNX")
		}
		wantPTTL(t, s, "nx", time.Minute, setAt)
		wantTTL(t, s, "nx", time.Minute, setAt)
		if !s.Expire("nx", 2*time.Minute) || s.Expire("missing", time.Minute) {
			t.Fatal("Expire")
		}
		if s.DelIfEquals("nx", "b") || !s.DelIfEquals("nx", "a") {
			t.Fatal("DelIfEquals")
		}
		if s.Exists("nx") {
			t.Fatal("Exists after DelIfEquals")
		}
		s.Set("s", "x", 0)
		if _, err := s.IncrBy("s", 1); !errors.Is(err, kv.ErrNotInteger) {
			t.Fatalf("IncrBy of a string: %v", err)
		}
		s.Set("big", strconv.FormatInt(1<<62, 10), 0)
		if _, err := s.IncrBy("big", 1<<62); !errors.Is(err, kv.ErrOverflow) {
			t.Fatalf("IncrBy overflow: %v", err)
		}
		if !s.Del("s") || s.Del("s") {
			t.Fatal("Del")
		}
		if n := s.stats.directCalls.Load() - before; n < 14 {
			t.Fatalf("only %d direct calls", n)
		}
		if e := s.Stats().Errors; e["timeout"]+e["connection"]+e["redis"] != 0 {
			t.Fatalf("errors counted for data errors: %v", e)
		}
		// The script was loaded by EVAL after NOSCRIPT.
		if got := r.CLI("script", "exists", delIfEqualsSHA); got != "1" {
			t.Fatalf("SCRIPT EXISTS = %q", got)
		}
		clients := r.CLI("client", "list")
		unnamed := 0
		for _, line := range strings.Split(clients, "\n") {
			if strings.Contains(line, " name= ") && !strings.Contains(line, "cmd=client") {
				unnamed++
			}
		}
		if unnamed == 0 {
			t.Fatalf("no pooled connection in CLIENT LIST:\n%s", clients)
		}
	})
}

// TestDirectEligible: a cluster, several addresses or TLS keep the rueidis
// path (the pooled connections are plain TCP to one server).
func TestDirectEligible(t *testing.T) {
	one := Options{Addresses: []string{"127.0.0.1:1"}}
	if !directEligible(one, rueidis.ClientModeStandalone) {
		t.Fatal("standalone, one address, no TLS: not eligible")
	}
	for name, o := range map[string]Options{
		"tls":       {Addresses: one.Addresses, TLS: true},
		"tlsconfig": {Addresses: one.Addresses, TLSConfig: &tls.Config{}},
		"seeds":     {Addresses: []string{"127.0.0.1:1", "127.0.0.1:2"}},
	} {
		if directEligible(o, rueidis.ClientModeStandalone) {
			t.Fatalf("%s: eligible", name)
		}
	}
	if directEligible(one, rueidis.ClientModeCluster) || directEligible(one, rueidis.ClientModeSentinel) {
		t.Fatal("cluster or sentinel: eligible")
	}
}

// TestDirectReadYourOwnWrites: writers on locked threads (as PHP threads
// are) set a key and read it back at once, through the direct path,
// while readers keep the key in both caches; a writer must never read a
// value older than its own write. The writers pause now and then so the
// keys become clean and cached between writes (else every read would
// bypass the caches and the test would prove nothing: it checks that
// cache hits happened).
func TestDirectReadYourOwnWrites(t *testing.T) {
	t.Parallel()
	_, s := standalone(t, 8<<20)
	readYourOwnWrites(t, s)
}

// TestDirectReadYourOwnWritesReadFenced is the same with the fencer's
// timer off (fenceLazy an hour): every fence is one a reader asked for
// by meeting a dirty key (dirty.go), so nothing but that keeps the
// writers reading their writes and the keys cached again.
func TestDirectReadYourOwnWritesReadFenced(t *testing.T) {
	t.Parallel()
	r := redistest.Start(t, redistest.Options{})
	s := mustNew(t, Options{Addresses: []string{r.Addr}, KeyPrefix: "t:", ClientCache: 8 << 20, CommandTimeout: testTimeout, fenceLazy: time.Hour})
	waitReady(t, s)
	readYourOwnWrites(t, s)
}

// readYourOwnWrites: writers on locked threads (as PHP threads) each set,
// incr_by and del their own keys and read each write back at once, while
// readers keep reading the same keys through the caches; no writer may
// read anything but its own last write.
func readYourOwnWrites(t *testing.T, s *Store) {
	t.Helper()
	wantDirect(t, s)
	const writers, iters = 4, 300
	stop := make(chan struct{})
	var readers sync.WaitGroup
	for g := 0; g < 3; g++ {
		testloop.UntilStopped(&readers, stop, func(i int) {
			s.Get("ryow:" + strconv.Itoa(i%writers))
			s.Exists("ryow:" + strconv.Itoa((i+1)%writers))
			if i%64 == 0 {
				runtime.Gosched()
			}
		})
	}
	hits0 := s.Stats().CacheHits
	calls0 := s.stats.directCalls.Load()
	var bad atomic.Int64
	var firstBad atomic.Value
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			key := "ryow:" + strconv.Itoa(w)
			ctr := "ryowc:" + strconv.Itoa(w)
			for i := 0; i < iters; i++ {
				want := strconv.Itoa(i)
				if !s.Set(key, want, 0) {
					bad.Add(1)
					firstBad.CompareAndSwap(nil, "Set failed")
					continue
				}
				if v, ok := s.Get(key); !ok || v != want {
					bad.Add(1)
					firstBad.CompareAndSwap(nil, key+": wrote "+want+", read "+v)
				}
				n, err := s.IncrBy(ctr, 1)
				if err != nil {
					bad.Add(1)
					continue
				}
				if v, _ := s.Get(ctr); v != strconv.FormatInt(n, 10) {
					bad.Add(1)
					firstBad.CompareAndSwap(nil, ctr+": incr gave "+strconv.FormatInt(n, 10)+", read "+v)
				}
				if i%3 == 0 {
					s.Del(key)
					if _, ok := s.Get(key); ok || s.Exists(key) {
						bad.Add(1)
						firstBad.CompareAndSwap(nil, key+": read after Del")
					}
				}
				if i%10 == 0 {
					// Let the fencer clean the key and the readers cache it.
					time.Sleep(5 * time.Millisecond)
				}
			}
		}(w)
	}
	wg.Wait()
	close(stop)
	readers.Wait()
	if n := bad.Load(); n > 0 {
		t.Fatalf("%d stale or failed reads of own writes; first: %v", n, firstBad.Load())
	}
	if d := s.stats.directCalls.Load() - calls0; d < writers*iters {
		t.Fatalf("only %d direct calls", d)
	}
	if h := s.Stats().CacheHits - hits0; h == 0 {
		t.Fatal("no cache hits: the caches were never exercised")
	}
	// With no writes, the keys become clean again and are cached.
	waitClean(t, s)
	wantGet(t, s, "ryow:0", strconv.Itoa(iters-1), true)
	h := s.Stats().CacheHits
	wantGet(t, s, "ryow:0", strconv.Itoa(iters-1), true)
	if s.Stats().CacheHits == h {
		t.Fatal("a clean key is not answered by the cache")
	}
}

// TestDirectOtherNodeSeesWrite: a write over the direct path invalidates
// another node's cached copy (Redis tracks the key for that node).
func TestDirectOtherNodeSeesWrite(t *testing.T) {
	t.Parallel()
	r, a := standalone(t, 8<<20)
	b := mustNew(t, Options{Addresses: []string{r.Addr}, KeyPrefix: "t:", ClientCache: 8 << 20, CommandTimeout: testTimeout})
	waitReady(t, b)
	a.Set("k", "1", 0)
	wantGet(t, b, "k", "1", true)
	wantGet(t, b, "k", "1", true)
	a.Set("k", "2", 0)
	eventually(t, "node b sees the write", func() bool { v, _ := b.Get("k"); return v == "2" })
}

// TestDirectRedisPausedAndStopped: a hung Redis gives every direct call
// its failure value within the command timeout (counted as timeouts); a
// stopped one fails fast; the path works again after.
func TestDirectRedisPausedAndStopped(t *testing.T) {
	t.Parallel()
	r := redistest.Start(t, redistest.Options{})
	const timeout = 700 * time.Millisecond
	s := mustNew(t, Options{Addresses: []string{r.Addr}, KeyPrefix: "t:", ClientCache: 1 << 20, CommandTimeout: timeout})
	waitReady(t, s)
	wantDirect(t, s)
	s.Set("k", "v", 0)

	calls := map[string]func() bool{
		"set":           func() bool { return !s.Set("k", "w", 0) },
		"setnx":         func() bool { return !s.SetNX("n", "w", 0) },
		"del":           func() bool { return !s.Del("k") },
		"incr_by":       func() bool { _, err := s.IncrBy("c", 1); return err != nil },
		"expire":        func() bool { return !s.Expire("k", time.Minute) },
		"ttl":           func() bool { return s.TTL("k") == -2 },
		"del_if_equals": func() bool { return !s.DelIfEquals("k", "v") },
	}
	r.Pause()
	for name, call := range calls {
		start := time.Now()
		ok := call()
		took := time.Since(start)
		if !ok {
			r.Resume()
			t.Fatalf("paused Redis: %s did not return its failure value", name)
		}
		// The timeout, plus slack for a loaded machine; never a hang.
		if took > 3*timeout {
			r.Resume()
			t.Fatalf("paused Redis: %s took %v (command timeout %v)", name, took, timeout)
		}
	}
	// A key written while paused is dirty: its read goes to Redis (and
	// fails) rather than to a cache.
	if _, ok := s.Get("k"); ok {
		r.Resume()
		t.Fatal("paused Redis: Get of a key just written answered from a cache")
	}
	r.Resume()
	if s.Stats().Errors["timeout"] == 0 {
		t.Fatalf("no timeouts counted: %v", s.Stats().Errors)
	}
	eventually(t, "calls work after resume", func() bool { return s.Set("k", "back", 0) })
	wantGet(t, s, "k", "back", true)

	r.Stop()
	for name, call := range calls {
		start := time.Now()
		if !call() {
			t.Fatalf("stopped Redis: %s did not return its failure value", name)
		}
		if took := time.Since(start); took > 3*timeout {
			t.Fatalf("stopped Redis: %s took %v", name, took)
		}
	}
	if s.Stats().Errors["connection"] == 0 {
		t.Fatalf("no connection errors counted: %v", s.Stats().Errors)
	}
	r.Restart()
	eventually(t, "calls work after restart", func() bool { return s.Set("k", "again", 0) })
	wantGet(t, s, "k", "again", true)
}

// BenchmarkDirectSetLocked is a set from a goroutine locked to its thread
// (as a PHP thread is), direct path against rueidis.
func BenchmarkDirectSetLocked(b *testing.B) {
	r := redistest.Start(b, redistest.Options{})
	for _, direct := range []bool{true, false} {
		name := "rueidis"
		if direct {
			name = "direct"
		}
		b.Run(name, func(b *testing.B) {
			s := mustNew(b, Options{Addresses: []string{r.Addr}, KeyPrefix: "b:", ClientCache: 8 << 20, CommandTimeout: testTimeout, noDirect: !direct})
			waitReady(b, s)
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				s.Set("k", "v", 0)
			}
		})
	}
}
