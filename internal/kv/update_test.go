package kv

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ephpm/ephpm/internal/testloop"
)

// set is an Update function that stores v expiring at exp.
func set(v string, exp int64) func(string, int64, bool) (string, int64, UpdateOp) {
	return func(string, int64, bool) (string, int64, UpdateOp) { return v, exp, UpdateStore }
}

func checkAccounting(t *testing.T, s *Store) {
	t.Helper()
	if st := s.Stats(); st.Bytes != storedBytes(s) || st.Keys != int64(s.Len()) {
		t.Fatalf("accounting %+v, actual bytes %d keys %d", st, storedBytes(s), s.Len())
	}
	checkFilter(t, s)
}

func TestUpdateSemantics(t *testing.T) {
	s, clk := newStore(t, Options{})
	type seen struct {
		old    string
		exp    int64
		exists bool
	}
	var got seen
	look := func(op UpdateOp, v string, exp int64) func(string, int64, bool) (string, int64, UpdateOp) {
		return func(old string, e int64, ok bool) (string, int64, UpdateOp) {
			got = seen{old, e, ok}
			return v, exp, op
		}
	}
	// Absent: fn sees exists=false; Keep and Delete create nothing.
	for _, op := range []UpdateOp{UpdateKeep, UpdateDelete} {
		if err := s.Update("k", look(op, "x", 0)); err != nil || got != (seen{}) || s.Exists("k") {
			t.Fatalf("op %d on absent: %v %+v", op, err, got)
		}
	}
	// Store with a TTL: TTL reads it back, Get the value.
	exp := s.Now() + int64(90*time.Second)
	if err := s.Update("k", look(UpdateStore, "v1", exp)); err != nil {
		t.Fatal(err)
	}
	if v, e, ok := s.GetWithExpiry("k"); v != "v1" || e != exp || !ok || s.TTL("k") != 90 {
		t.Fatalf("after store: %q %d %v ttl %d", v, e, ok, s.TTL("k"))
	}
	// fn sees the old value and expiry; keeping the expiry keeps the TTL.
	if err := s.Update("k", func(old string, e int64, ok bool) (string, int64, UpdateOp) {
		return old + "+", e, UpdateStore
	}); err != nil {
		t.Fatal(err)
	}
	if v, _ := s.Get("k"); v != "v1+" || s.PTTL("k") != 90_000 {
		t.Fatalf("keepttl: %q %d", v, s.PTTL("k"))
	}
	// Expiry 0 persists; Keep changes nothing.
	s.Update("k", look(UpdateStore, "v2", 0))
	s.Update("k", look(UpdateKeep, "ignored", 5))
	if got != (seen{"v2", 0, true}) || s.TTL("k") != -1 {
		t.Fatalf("persist/keep: %+v ttl %d", got, s.TTL("k"))
	}
	// A deadline in the past deletes (live key: no expiration counted).
	before := s.Stats().Expirations
	s.Update("k", look(UpdateStore, "v3", s.Now()-1))
	if s.Exists("k") || s.Stats().Expirations != before {
		t.Fatalf("store with a past deadline: exists %v, %+v", s.Exists("k"), s.Stats())
	}
	// Delete.
	s.Set("d", "x", 0)
	if s.Update("d", look(UpdateDelete, "", 0)); got != (seen{"x", 0, true}) || s.Exists("d") {
		t.Fatalf("delete: %+v", got)
	}
	// An expired key is absent to fn, and replacing it counts an expiration.
	s.Set("e", "old", time.Second)
	clk.advance(2 * time.Second)
	before = s.Stats().Expirations
	s.Update("e", look(UpdateStore, "new", 0))
	if got != (seen{}) || s.Stats().Expirations != before+1 {
		t.Fatalf("expired: %+v %+v", got, s.Stats())
	}
	if v, _ := s.Get("e"); v != "new" || s.TTL("e") != -1 {
		t.Fatalf("after replacing expired: %q ttl %d", v, s.TTL("e"))
	}
	// A decimal value stored by Update counts with IncrBy; a counter's
	// value reaches fn as its decimal text (promoted or with a TTL).
	s.Update("n", set("41", 0))
	if n, err := s.IncrBy("n", 1); n != 42 || err != nil {
		t.Fatalf("incr after update: %d %v", n, err)
	}
	s.Update("n", look(UpdateKeep, "", 0))
	if got != (seen{"42", 0, true}) {
		t.Fatalf("counter as seen by fn: %+v", got)
	}
	s.Expire("n", time.Minute)
	s.IncrBy("n", 1)
	s.Update("n", func(old string, e int64, ok bool) (string, int64, UpdateOp) {
		n, _ := strconv.Atoi(old)
		return strconv.Itoa(n * 2), e, UpdateStore
	})
	if v, _ := s.Get("n"); v != "86" || s.TTL("n") != 60 {
		t.Fatalf("counter doubled: %q ttl %d", v, s.TTL("n"))
	}
	if n, _ := s.IncrBy("n", 1); n != 87 {
		t.Fatal(n)
	}
	// Keep on a promoted counter leaves it counting.
	s.IncrBy("p", 1)
	s.Update("p", look(UpdateKeep, "", 0))
	s.Update("p", look(UpdateStore, "", 0)) // and a store through a frozen one
	if v, ok := s.Get("p"); v != "" || !ok {
		t.Fatalf("store over a promoted counter: %q %v", v, ok)
	}
	// Binary-safe and empty values, empty key.
	s.Update("", set("a\x00b", 0))
	if v, _ := s.Get(""); v != "a\x00b" {
		t.Fatalf("%q", v)
	}
	checkAccounting(t, s)
}

func TestGetWithExpiryCounts(t *testing.T) {
	s, clk := newStore(t, Options{})
	s.Set("a", "1", time.Second)
	s.IncrBy("c", 5)
	if v, e, ok := s.GetWithExpiry("c"); v != "5" || e != 0 || !ok {
		t.Fatalf("counter: %q %d %v", v, e, ok)
	}
	clk.advance(time.Second)
	if _, _, ok := s.GetWithExpiry("a"); ok {
		t.Fatal("expired key read")
	}
	if st := s.Stats(); st.Hits != 1 || st.Misses != 1 {
		t.Fatalf("%+v", st)
	}
}

func TestUpdateNoEvictionKeepsOld(t *testing.T) {
	s, _ := newStore(t, Options{MemoryLimit: 10_000, Policy: NoEviction})
	fill(s, "k", 200, 100, 0)
	big := string(make([]byte, 5000))
	if err := s.Update("k0", set(big, 0)); !errors.Is(err, ErrNoMemory) {
		t.Fatalf("over the limit: %v", err)
	}
	if v, _ := s.Get("k0"); len(v) != 100 {
		t.Fatal("refused update lost the old value")
	}
	if err := s.Update("new", set(big, 0)); !errors.Is(err, ErrNoMemory) || s.Exists("new") {
		t.Fatalf("new key over the limit: %v", err)
	}
	// Shrinking always fits.
	if err := s.Update("k0", set("", 0)); err != nil {
		t.Fatal(err)
	}
	// A refused store over a promoted counter leaves it counting.
	s.Del("k1")
	s.Del("k2")
	if _, err := s.IncrBy("c", 7); err != nil {
		t.Fatal(err)
	}
	if err := s.Update("c", set(big, 0)); !errors.Is(err, ErrNoMemory) {
		t.Fatal(err)
	}
	if n, err := s.IncrBy("c", 1); n != 8 || err != nil {
		t.Fatalf("counter after a refused update: %d %v", n, err)
	}
	if st := s.Stats(); st.Bytes > 10_000 || st.Evictions != 0 {
		t.Fatalf("%+v", st)
	}
	checkAccounting(t, s)
}

func TestUpdateEvictsUnderLRU(t *testing.T) {
	const limit = 20_000
	s, _ := newStore(t, Options{MemoryLimit: limit, Policy: AllKeysLRU})
	fill(s, "k", 400, 100, 0)
	big := string(make([]byte, 3000))
	for i := 0; i < 20; i++ {
		if err := s.Update(fmt.Sprint("big", i), set(big, 0)); err != nil {
			t.Fatalf("update %d under allkeys-lru: %v", i, err)
		}
	}
	if v, _ := s.Get("big19"); len(v) != 3000 {
		t.Fatal("last update not stored")
	}
	st := s.Stats()
	if st.Bytes > limit || st.Evictions == 0 {
		t.Fatalf("%+v", st)
	}
	if err := s.Update("huge", set(string(make([]byte, limit)), 0)); !errors.Is(err, ErrNoMemory) {
		t.Fatalf("a value over the whole limit: %v", err)
	}
	checkAccounting(t, s)
}

// Update taking a counter's value away (GETSET ctr 0, GETDEL) while many
// goroutines increment it: every increment that returned is accounted
// for exactly once, whether the counter is promoted (no TTL) or not.
func TestUpdateRacingIncrBy(t *testing.T) {
	for _, ttl := range []time.Duration{0, time.Hour} {
		t.Run(fmt.Sprint("ttl=", ttl), func(t *testing.T) {
			s, _ := newStore(t, Options{})
			const goroutines, each = 4, 20000
			var applied, taken atomic.Int64
			var wg sync.WaitGroup
			for g := 0; g < goroutines; g++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := 0; i < each; i++ {
						if _, err := s.IncrBy("ctr", 1); err == nil {
							applied.Add(1)
						} else {
							t.Error(err)
							return
						}
					}
				}()
			}
			stop := make(chan struct{})
			done := make(chan struct{})
			go func() {
				defer close(done)
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					var took int64
					err := s.Update("ctr", func(old string, e int64, ok bool) (string, int64, UpdateOp) {
						took = 0
						if !ok {
							return "", 0, UpdateKeep
						}
						n, err := strconv.ParseInt(old, 10, 64)
						if err != nil {
							panic(old)
						}
						switch i % 4 {
						case 0: // GETSET ctr 0, keeping the TTL
							took = n
							return "0", e, UpdateStore
						case 1: // GETDEL
							took = n
							return "", 0, UpdateDelete
						case 2: // nothing
							return "", 0, UpdateKeep
						default: // rewrite the same value
							return old, e, UpdateStore
						}
					})
					if err != nil {
						t.Error(err)
						return
					}
					taken.Add(took)
					if ttl > 0 && i%16 == 0 {
						s.Expire("ctr", ttl)
					}
				}
			}()
			wg.Wait()
			close(stop)
			<-done
			left := int64(0)
			if v, ok := s.Get("ctr"); ok {
				left, _ = strconv.ParseInt(v, 10, 64)
			}
			if left+taken.Load() != applied.Load() || applied.Load() != goroutines*each {
				t.Fatalf("left %d + taken %d != applied %d (of %d)", left, taken.Load(), applied.Load(), goroutines*each)
			}
			checkAccounting(t, s)
		})
	}
}

// Update racing Set on the same keys (Set replaces versions without the
// lock): each Update's read-modify-write is atomic, so appends are never
// lost between two Sets.
func TestUpdateRacingSetAndAppend(t *testing.T) {
	s, _ := newStore(t, Options{MemoryLimit: 1 << 20})
	const n = 4000
	var wg sync.WaitGroup
	wg.Add(3)
	go func() { // Set and Del: lock-free replace and locked delete
		defer wg.Done()
		for i := 0; i < n; i++ {
			s.Set("k", "", 0)
			if i%10 == 0 {
				s.Del("k")
			}
		}
	}()
	var appends atomic.Int64
	for g := 0; g < 2; g++ {
		go func() {
			defer wg.Done()
			for i := 0; i < n; i++ {
				s.Update("k", func(old string, e int64, ok bool) (string, int64, UpdateOp) {
					return old + "x", e, UpdateStore
				})
				appends.Add(1)
			}
		}()
	}
	wg.Wait()
	// Appends only after the last Set: the value counts them all.
	s.Set("k", "", 0)
	for i := 0; i < 100; i++ {
		s.Update("k", func(old string, e int64, ok bool) (string, int64, UpdateOp) { return old + "x", e, UpdateStore })
	}
	if v, _ := s.Get("k"); len(v) != 100 {
		t.Fatalf("len %d", len(v))
	}
	checkAccounting(t, s)
}

func TestRangeSeesLiveKeysOnce(t *testing.T) {
	s, clk := newStore(t, Options{})
	want := map[string]int64{}
	for i := 0; i < 3000; i++ {
		k := fmt.Sprint("k", i)
		switch i % 3 {
		case 0:
			s.Set(k, "v", 0)
			want[k] = 0
		case 1:
			s.Set(k, "v", time.Hour)
			want[k] = s.Now() + int64(time.Hour)
		default:
			s.Set(k, "v", time.Second) // expired below, not yet swept
		}
	}
	s.IncrBy("ctr", 1)
	want["ctr"] = 0
	clk.advance(2 * time.Second)
	// Writers on other keys and on the live ones (overwrites keep them
	// live) while Range runs: each live key is seen exactly once.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	testloop.UntilStopped(&wg, stop, func(i int) {
		s.Set(fmt.Sprint("other", i%500), "x", 0)
		s.Del(fmt.Sprint("other", (i+250)%500))
		s.Set(fmt.Sprint("k", (i%1000)*3), "w", 0)
	})
	seen := map[string]int{}
	s.Range(func(k string, e int64) bool {
		seen[k]++
		if w, ok := want[k]; ok && w != 0 && e != w {
			t.Errorf("%s expiry %d, want %d", k, e, w)
		}
		return true
	})
	close(stop)
	wg.Wait()
	for k := range want {
		if seen[k] != 1 {
			t.Errorf("%s seen %d times", k, seen[k])
		}
	}
	for k, n := range seen {
		if _, ok := want[k]; !ok && (len(k) < 5 || k[:5] != "other") {
			t.Errorf("unexpected key %q (expired?)", k)
		}
		if n != 1 {
			t.Errorf("%s seen %d times", k, n)
		}
	}
	calls := 0
	s.Range(func(string, int64) bool { calls++; return calls < 10 })
	if calls != 10 {
		t.Fatalf("stop after false: %d calls", calls)
	}
}

func TestRandomKey(t *testing.T) {
	s, clk := newStore(t, Options{})
	if k, ok := s.RandomKey(); ok {
		t.Fatalf("empty store gave %q", k)
	}
	for i := 0; i < 10; i++ {
		s.Set(fmt.Sprint("live", i), "v", 0)
	}
	for i := 0; i < 1000; i++ {
		s.Set(fmt.Sprint("dying", i), "v", time.Second)
	}
	// Pool filled while the dying keys were live.
	if _, ok := s.RandomKey(); !ok {
		t.Fatal("no key")
	}
	clk.advance(time.Second)
	counts := map[string]int{}
	for i := 0; i < 2000; i++ {
		k, ok := s.RandomKey()
		if !ok || !s.Exists(k) {
			t.Fatalf("RandomKey gave %q %v: not live", k, ok)
		}
		counts[k]++
	}
	if len(counts) != 10 {
		t.Fatalf("only %d of 10 keys ever picked: %v", len(counts), counts)
	}
	for k, n := range counts {
		if n < 100 { // 200 expected of each
			t.Errorf("%s picked %d times of 2000", k, n)
		}
	}
	s.Flush()
	if k, ok := s.RandomKey(); ok {
		t.Fatalf("flushed store gave %q", k)
	}
	// A new key is found after the pool went stale.
	s.Set("late", "v", 0)
	if k, ok := s.RandomKey(); !ok || k != "late" {
		t.Fatalf("%q %v", k, ok)
	}
}

func BenchmarkUpdate(b *testing.B) {
	s := benchStore(b)
	fn := func(old string, e int64, ok bool) (string, int64, UpdateOp) { return "value", e, UpdateStore }
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		s.Update(benchKeys[i&(len(benchKeys)-1)], fn)
	}
}

func BenchmarkUpdateKeep(b *testing.B) {
	s := benchStore(b)
	fn := func(old string, e int64, ok bool) (string, int64, UpdateOp) { return "", 0, UpdateKeep }
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		s.Update(benchKeys[i&(len(benchKeys)-1)], fn)
	}
}

func BenchmarkGetWithExpiry(b *testing.B) {
	s := benchStore(b)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		s.GetWithExpiry(benchKeys[i&(len(benchKeys)-1)])
	}
}

func BenchmarkRandomKey(b *testing.B) {
	s := benchStore(b)
	b.ReportAllocs()
	for b.Loop() {
		s.RandomKey()
	}
}

// A panicking fn does not leave the key's bucket locked or its counter
// frozen: the panic reaches the caller after the lock is released.
func TestUpdatePanicReleasesLock(t *testing.T) {
	s, _ := newStore(t, Options{})
	s.IncrBy("c", 1)
	for _, k := range []string{"c", "absent"} {
		func() {
			defer func() {
				if r := recover(); r != "boom" {
					t.Fatalf("%s: recovered %v", k, r)
				}
			}()
			s.Update(k, func(string, int64, bool) (string, int64, UpdateOp) { panic("boom") })
		}()
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if n, err := s.IncrBy("c", 1); n != 2 || err != nil {
			t.Errorf("counter after a panic: %d %v", n, err)
		}
		s.Set("absent", "x", 0)
		s.Del("c")
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("store stuck after a panic in fn")
	}
	checkAccounting(t, s)
}

// Update (append, GETDEL, store with a TTL, keep) and Wait racing every
// other write path, with and without a memory limit (eviction from
// Update's reservations): the accounting matches what is stored, the
// limit holds, the presence filter counts every key.
func TestConcurrentUpdateKeepsAccounting(t *testing.T) {
	keys := []string{"a", "b", "counter", "p:1", "long-key-" + strings.Repeat("x", 300)}
	vals := []string{"1", "", "x", strings.Repeat("v", 100), "-7"}
	checkAccountingUnder(t, 6, 10000, keys, vals, func(s *Store, r, i int, k, v string) {
		switch (r / 3) % 9 {
		case 0:
			s.Set(k, v, time.Duration(r%3)*time.Millisecond)
		case 1:
			s.IncrBy(k, 1)
		case 2:
			s.Del(k)
		case 3:
			s.Expire(k, time.Millisecond)
		case 4: // APPEND, keeping the TTL
			s.Update(k, func(old string, e int64, ok bool) (string, int64, UpdateOp) {
				if len(old) > 300 {
					return "", 0, UpdateDelete
				}
				return old + v, e, UpdateStore
			})
		case 5: // SET with a TTL (ms) or GETDEL
			s.Update(k, func(old string, e int64, ok bool) (string, int64, UpdateOp) {
				if r%2 == 0 {
					return v, s.Now() + int64(time.Millisecond), UpdateStore
				}
				return "", 0, UpdateDelete
			})
		case 6:
			s.Update(k, func(string, int64, bool) (string, int64, UpdateOp) { return "", 0, UpdateKeep })
		case 7:
			s.Wait(k, 1, 0, nil)
		case 8:
			s.GetWithExpiry(k)
			s.RandomKey()
		}
	})
}
