package kv

import (
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"
)

type waitResult struct {
	version       uint64
	value         string
	exists, ok    bool
	took          time.Duration
	returnedAfter time.Time
}

// goWait runs Wait in a goroutine and returns its result channel.
func goWait(s *Store, key string, last uint64, timeout time.Duration, cancel <-chan struct{}) <-chan waitResult {
	ch := make(chan waitResult, 1)
	go func() {
		start := time.Now()
		v, val, ex, ok := s.Wait(key, last, timeout, cancel)
		ch <- waitResult{v, val, ex, ok, time.Since(start), time.Now()}
	}()
	return ch
}

// parked waits until n waiters of key have read their version (so the
// write that follows exercises the wake-up, not the first check). Only a
// test's way of getting to that state; correctness does not depend on it.
func parked(t *testing.T, s *Store, key string, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if e, ok := s.watches.Load(key); ok {
			e.mu.Lock()
			w, ch := e.waiters, e.ch
			e.mu.Unlock()
			if w >= n && ch != nil {
				return
			}
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatalf("no %d waiters on %q", n, key)
}

func result(t *testing.T, ch <-chan waitResult) waitResult {
	t.Helper()
	select {
	case r := <-ch:
		return r
	case <-time.After(10 * time.Second):
		t.Fatal("Wait did not return")
	}
	return waitResult{}
}

func TestWaitReturnsAtOnce(t *testing.T) {
	s, _ := newStore(t, Options{})
	if s.watching.Load() != 0 {
		t.Fatal("registry not empty")
	}
	s.Set("k", "v", 0)
	v, val, ex, ok := s.Wait("k", 0, time.Hour, nil)
	if !ok || v == 0 || v >= 1<<63 || val != "v" || !ex {
		t.Fatalf("last=0: %d %q %v %v", v, val, ex, ok)
	}
	// A stale version: at once, with the current one.
	if v2, val, _, ok := s.Wait("k", v+12345, time.Hour, nil); !ok || v2 != v || val != "v" {
		t.Fatalf("stale: %d %q %v", v2, val, ok)
	}
	// A missing key has a version too.
	if v3, val, ex, ok := s.Wait("nokey", 0, 0, nil); !ok || v3 == 0 || v3 == v || val != "" || ex {
		t.Fatalf("missing: %d %q %v %v", v3, val, ex, ok)
	}
	// Current version, no wait allowed: ok=false at once.
	if _, _, _, ok := s.Wait("k", v, 0, nil); ok {
		t.Fatal("timeout 0 on the current version returned ok")
	}
	// A counter's value is its decimal text.
	s.IncrBy("c", 41)
	if _, val, _, _ := s.Wait("c", 0, 0, nil); val != "41" {
		t.Fatalf("counter %q", val)
	}
}

// Each kind of change wakes a parked waiter with a new version and the
// value after the change.
func TestWaitWakesOnEveryChange(t *testing.T) {
	cases := []struct {
		name      string
		setup     func(s *Store, clk *fakeClock)
		change    func(s *Store, clk *fakeClock)
		value     string
		exists    bool
		realClock bool
	}{
		{"set", nil, func(s *Store, _ *fakeClock) { s.Set("k", "new", 0) }, "new", true, false},
		{"setnx", func(s *Store, _ *fakeClock) { s.Del("k") }, func(s *Store, _ *fakeClock) { s.SetNX("k", "nx", 0) }, "nx", true, false},
		{"set-new-key", func(s *Store, _ *fakeClock) { s.Del("k") }, func(s *Store, _ *fakeClock) { s.Set("k", "n", 0) }, "n", true, false},
		{"del", nil, func(s *Store, _ *fakeClock) { s.Del("k") }, "", false, false},
		{"incrby-promoted", func(s *Store, _ *fakeClock) { s.Del("k"); s.IncrBy("k", 1) }, func(s *Store, _ *fakeClock) { s.IncrBy("k", 2) }, "3", true, false},
		{"incrby-string", func(s *Store, _ *fakeClock) { s.Set("k", "5", 0) }, func(s *Store, _ *fakeClock) { s.IncrBy("k", 2) }, "7", true, false},
		{"incrby-new", func(s *Store, _ *fakeClock) { s.Del("k") }, func(s *Store, _ *fakeClock) { s.IncrBy("k", 2) }, "2", true, false},
		{"update", nil, func(s *Store, _ *fakeClock) {
			s.Update("k", func(o string, e int64, ok bool) (string, int64, UpdateOp) { return o + "!", e, UpdateStore })
		}, "old!", true, false},
		{"update-delete", nil, func(s *Store, _ *fakeClock) {
			s.Update("k", func(string, int64, bool) (string, int64, UpdateOp) { return "", 0, UpdateDelete })
		}, "", false, false},
		{"expire", nil, func(s *Store, _ *fakeClock) { s.Expire("k", time.Hour) }, "old", true, false},
		{"flush", nil, func(s *Store, _ *fakeClock) { s.Flush() }, "", false, false},
		{"delprefix", nil, func(s *Store, _ *fakeClock) { s.DelPrefix("") }, "", false, false},
		{"delifequals", nil, func(s *Store, _ *fakeClock) { s.DelIfEquals("k", "old") }, "", false, false},
		{"sweep", func(s *Store, _ *fakeClock) { s.Set("k", "old", time.Second) },
			func(s *Store, clk *fakeClock) { clk.advance(2 * time.Second); s.SweepExpired() }, "", false, false},
		{"lazy-expiry", func(s *Store, _ *fakeClock) { s.Set("k", "old", time.Second) },
			func(s *Store, clk *fakeClock) { clk.advance(2 * time.Second); s.Get("k") }, "", false, false},
		// Nobody touches the key: the waiter wakes at the deadline itself.
		{"deadline", func(s *Store, _ *fakeClock) { s.Set("k", "old", 300*time.Millisecond) }, nil, "", false, true},
		{"deadline-counter", func(s *Store, _ *fakeClock) { s.Del("k"); s.IncrBy("k", 1); s.Expire("k", 300*time.Millisecond) }, nil, "", false, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var s *Store
			var clk *fakeClock
			if c.realClock {
				var err error
				if s, err = New(Options{SweepInterval: time.Hour}); err != nil {
					t.Fatal(err)
				}
				t.Cleanup(s.Close)
			} else {
				s, clk = newStore(t, Options{SweepInterval: time.Hour})
			}
			s.Set("k", "old", 0)
			if c.setup != nil {
				c.setup(s, clk)
			}
			v0, _, _, _ := s.Wait("k", 0, 0, nil)
			ch := goWait(s, "k", v0, time.Minute, nil)
			parked(t, s, "k", 1)
			start := time.Now()
			if c.change != nil {
				c.change(s, clk)
			}
			r := result(t, ch)
			if !r.ok || r.version == v0 || r.value != c.value || r.exists != c.exists {
				t.Fatalf("woke with %+v (from version %d), want %q exists %v", r, v0, c.value, c.exists)
			}
			if c.realClock && r.returnedAfter.Sub(start) < 250*time.Millisecond {
				t.Fatalf("woke %v after the write, before the deadline", r.returnedAfter.Sub(start))
			}
		})
	}
}

func TestWaitTimeoutCancelClose(t *testing.T) {
	s, _ := newStore(t, Options{})
	s.Set("k", "v", 0)
	v, _, _, _ := s.Wait("k", 0, 0, nil)
	start := time.Now()
	if _, _, _, ok := s.Wait("k", v, 50*time.Millisecond, nil); ok {
		t.Fatal("timeout returned ok")
	}
	if d := time.Since(start); d < 50*time.Millisecond {
		t.Fatalf("timed out after %v", d)
	}
	// A key with a far TTL still times out at the timeout.
	s.Expire("k", time.Hour)
	v, _, _, _ = s.Wait("k", 0, 0, nil)
	if _, _, _, ok := s.Wait("k", v, 30*time.Millisecond, nil); ok {
		t.Fatal("timeout with a TTL returned ok")
	}
	cancel := make(chan struct{})
	ch := goWait(s, "k", v, time.Hour, cancel)
	parked(t, s, "k", 1)
	close(cancel)
	if r := result(t, ch); r.ok {
		t.Fatalf("cancelled: %+v", r)
	}
	ch = goWait(s, "k", v, time.Hour, nil)
	parked(t, s, "k", 1)
	s.Close()
	if r := result(t, ch); r.ok {
		t.Fatalf("closed store: %+v", r)
	}
}

// Many waiters on one key all wake on one write.
func TestWaitManyWaiters(t *testing.T) {
	s, _ := newStore(t, Options{})
	v0, _, _, _ := s.Wait("k", 0, 0, nil)
	var chans []<-chan waitResult
	for i := 0; i < 50; i++ {
		chans = append(chans, goWait(s, "k", v0, time.Minute, nil))
	}
	parked(t, s, "k", 50)
	s.Set("k", "x", 0)
	for _, ch := range chans {
		if r := result(t, ch); !r.ok || r.value != "x" {
			t.Fatalf("%+v", r)
		}
	}
}

// A watched key's counter stays out of the C table (C increments would
// not notify); once the registry forgets the key it is promoted again.
func TestWaitDemotesCounters(t *testing.T) {
	s, _ := newStore(t, Options{})
	version := func() *vhdr {
		sl, _ := s.m.Load("c")
		return sl.v.Load()
	}
	s.IncrBy("c", 1)
	if !version().isPromoted() {
		t.Fatal("not promoted to start with")
	}
	v0, val, _, _ := s.Wait("c", 0, 0, nil)
	if version().isPromoted() || val != "1" {
		t.Fatalf("watched counter still promoted (%q)", val)
	}
	s.Del("c")
	s.IncrBy("c", 5)
	if version().isPromoted() {
		t.Fatal("a watched key's new counter was promoted")
	}
	if v, val, _, ok := s.Wait("c", v0, time.Minute, nil); !ok || v == v0 || val != "5" {
		t.Fatalf("%d %q %v", v, val, ok)
	}
	s.pruneWatches(0)
	if s.watching.Load() != 0 {
		t.Fatal("idle entry not pruned")
	}
	s.Del("c")
	s.IncrBy("c", 1)
	if !version().isPromoted() {
		t.Fatal("not promoted again after the watch ended")
	}
}

// A pruned entry comes back with a fresh version: the waiter holding an
// old one returns early instead of missing a change.
func TestWaitAfterPruneReturnsEarly(t *testing.T) {
	s, _ := newStore(t, Options{})
	s.Set("k", "v", 0)
	v, _, _, _ := s.Wait("k", 0, 0, nil)
	s.pruneWatches(time.Hour) // still lingering: kept
	if s.watching.Load() != 1 {
		t.Fatal("entry pruned before its time")
	}
	s.pruneWatches(0)
	s.Set("k", "w", 0) // nobody watches: no version kept
	if v2, val, _, ok := s.Wait("k", v, time.Minute, nil); !ok || v2 == v || val != "w" {
		t.Fatalf("%d %q %v", v2, val, ok)
	}
}

// A waiter looping Wait -> Wait with the version it got, against a
// writer: it never misses the last value, and values only move forward.
func TestWaitLoopMissesNothing(t *testing.T) {
	for _, kind := range []string{"set", "incr", "incr-recreated"} {
		t.Run(kind, func(t *testing.T) {
			s, _ := newStore(t, Options{})
			const n = 3000
			s.Set("k", "0", 0)
			var wg sync.WaitGroup
			errs := make(chan error, 4)
			for w := 0; w < 2; w++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					var last uint64
					prev := int64(-1)
					for {
						v, val, ex, ok := s.Wait("k", last, 20*time.Second, nil)
						if !ok {
							errs <- fmt.Errorf("timed out holding value %d (missed a change)", prev)
							return
						}
						last = v
						if !ex {
							continue // deleted between writes
						}
						x, _ := strconv.ParseInt(val, 10, 64)
						if kind != "incr-recreated" && x < prev {
							errs <- fmt.Errorf("went back from %d to %d", prev, x)
							return
						}
						prev = x
						if x == n {
							return
						}
					}
				}()
			}
			for i := 1; i <= n; i++ {
				if i%500 == 0 {
					// Let the waiters catch up and park now and then, so
					// that writes also land on parked waiters.
					parked(t, s, "k", 2)
				}
				switch kind {
				case "set":
					s.Set("k", strconv.Itoa(i), 0)
				case "incr":
					s.IncrBy("k", 1)
				default: // deleted and made again, then counted up to i
					if i%100 == 0 {
						s.Del("k")
						s.IncrBy("k", int64(i-1))
					}
					s.IncrBy("k", 1)
				}
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
		})
	}
}

func BenchmarkWaitChanged(b *testing.B) {
	s := benchStore(b)
	b.ReportAllocs()
	var last uint64
	for i := 0; b.Loop(); i++ {
		s.Set("bench:key:000001", "x", 0)
		last, _, _, _ = s.Wait("bench:key:000001", last, time.Second, nil)
	}
}
