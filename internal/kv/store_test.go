package kv

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"
)

// fakeClock is a settable clock for TTL tests.
type fakeClock struct{ ns atomic.Int64 }

func (c *fakeClock) now() int64              { return c.ns.Load() }
func (c *fakeClock) advance(d time.Duration) { c.ns.Add(int64(d)) }

func newStore(t testing.TB, opts Options) (*Store, *fakeClock) {
	t.Helper()
	clk := &fakeClock{}
	clk.ns.Store(1_700_000_000_000_000_000)
	if opts.Clock == nil {
		opts.Clock = clk.now
	}
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s, clk
}

func TestGetSetDel(t *testing.T) {
	s, _ := newStore(t, Options{})
	if _, ok := s.Get("a"); ok {
		t.Fatal("hit on empty store")
	}
	if !s.Set("a", "alpha", 0) {
		t.Fatal("set refused")
	}
	if v, ok := s.Get("a"); !ok || v != "alpha" {
		t.Fatalf("get = %q %v", v, ok)
	}
	s.Set("a", "beta", 0)
	if v, _ := s.Get("a"); v != "beta" {
		t.Fatalf("replace: %q", v)
	}
	if !s.Exists("a") || s.Exists("b") {
		t.Fatal("exists")
	}
	if !s.Del("a") || s.Del("a") {
		t.Fatal("del should report 1 then 0")
	}
	st := s.Stats()
	if st.Keys != 0 || st.Bytes != 0 || st.Hits != 2 || st.Misses != 1 {
		t.Errorf("stats %+v", st)
	}
}

func TestBinaryKeysAndValues(t *testing.T) {
	s, _ := newStore(t, Options{})
	k1, k2 := "bin\x00key", "bin"
	v := "va\x00lue\xff\x00"
	s.Set(k1, v, 0)
	if got, ok := s.Get(k1); !ok || got != v {
		t.Fatalf("got %q", got)
	}
	if _, ok := s.Get(k2); ok {
		t.Fatal("NUL truncated the key")
	}
	s.Set("", "empty key", 0)
	if got, _ := s.Get(""); got != "empty key" {
		t.Fatal("empty key")
	}
	s.Set("ev", "", 0)
	if got, ok := s.Get("ev"); !ok || got != "" {
		t.Fatal("empty value")
	}
}

func TestKeyNotRetained(t *testing.T) {
	s, _ := newStore(t, Options{})
	buf := []byte("mutable-key")
	s.Set(string(buf), "v", 0)
	key := buf // the caller reuses its buffer, as C memory would be
	copy(key, "XXXXXXXXXXX")
	if v, ok := s.Get("mutable-key"); !ok || v != "v" {
		t.Fatal("store kept the caller's key memory")
	}
	// Every write path: the map must hold its own copy of the key.
	for name, write := range map[string]func(k string){
		"incr":   func(k string) { s.IncrBy(k, 1) },
		"setnx":  func(k string) { s.SetNX(k, "v", 0) },
		"expire": func(k string) { s.Set("exp-key", "v", 0); s.Expire(k, time.Minute) },
	} {
		b := []byte(name + "-key")
		if name == "expire" {
			b = []byte("exp-key")
		}
		want := string(b)
		write(string(b))
		write(unsafeView(b))
		copy(b, strings.Repeat("Z", len(b)))
		if !s.Exists(want) {
			t.Errorf("%s: key lost after the caller reused its buffer", name)
		}
	}
}

// unsafeView is how phpembed passes keys: a string over memory the caller
// will reuse.
func unsafeView(b []byte) string { return unsafe.String(&b[0], len(b)) }

func TestTTL(t *testing.T) {
	s, clk := newStore(t, Options{})
	if s.TTL("none") != -2 || s.PTTL("none") != -2 {
		t.Fatal("missing key ttl")
	}
	s.Set("p", "v", 0)
	if s.TTL("p") != -1 || s.PTTL("p") != -1 {
		t.Fatal("no expiry ttl")
	}
	s.Set("neg", "v", -time.Second)
	if s.TTL("neg") != -1 {
		t.Fatal("negative ttl must mean no expiry")
	}
	s.Set("t", "v", 10*time.Second)
	if s.TTL("t") != 10 || s.PTTL("t") != 10000 {
		t.Fatalf("ttl %d pttl %d", s.TTL("t"), s.PTTL("t"))
	}
	clk.advance(8500 * time.Millisecond)
	if s.TTL("t") != 2 || s.PTTL("t") != 1500 {
		t.Fatalf("rounding: ttl %d pttl %d", s.TTL("t"), s.PTTL("t"))
	}
	clk.advance(1499*time.Millisecond + 500*time.Microsecond)
	if s.PTTL("t") != 1 || s.TTL("t") != 1 {
		t.Fatalf("sub-ms left: pttl %d ttl %d", s.PTTL("t"), s.TTL("t"))
	}
	clk.advance(time.Millisecond)
	if _, ok := s.Get("t"); ok || s.Exists("t") || s.TTL("t") != -2 {
		t.Fatal("expired key still visible")
	}
	if s.Stats().Expirations != 1 {
		t.Errorf("expirations %d", s.Stats().Expirations)
	}
	// set replaces the TTL
	s.Set("r", "v", time.Second)
	s.Set("r", "v2", 0)
	if s.TTL("r") != -1 {
		t.Fatal("set did not clear the TTL")
	}
	// expire
	if !s.Expire("r", 5*time.Second) || s.TTL("r") != 5 {
		t.Fatal("expire")
	}
	if s.Expire("r", 0) || s.Expire("r", -time.Second) || s.TTL("r") != 5 {
		t.Fatal("expire <= 0 must be refused and change nothing")
	}
	if s.Expire("missing", time.Second) {
		t.Fatal("expire on a missing key")
	}
	// setnx over an expired key wins
	s.Set("x", "old", time.Second)
	clk.advance(2 * time.Second)
	if !s.SetNX("x", "new", 0) {
		t.Fatal("setnx over expired")
	}
	if s.Del("gone") {
		t.Fatal("del of missing")
	}
	s.Set("d", "v", time.Second)
	clk.advance(2 * time.Second)
	if s.Del("d") {
		t.Fatal("del of an expired key must report 0")
	}
}

func TestIncrBy(t *testing.T) {
	s, clk := newStore(t, Options{})
	if n, err := s.IncrBy("c", 5); err != nil || n != 5 {
		t.Fatalf("new counter: %d %v", n, err)
	}
	if s.TTL("c") != -1 {
		t.Fatal("new counter must have no expiry")
	}
	if n, _ := s.IncrBy("c", -7); n != -2 {
		t.Fatalf("got %d", n)
	}
	if v, _ := s.Get("c"); v != "-2" {
		t.Fatalf("stored as %q", v)
	}
	s.Set("t", "10", 100*time.Second)
	clk.advance(30 * time.Second)
	if n, _ := s.IncrBy("t", 1); n != 11 || s.TTL("t") != 70 {
		t.Fatalf("incr must keep the TTL: %d ttl %d", n, s.TTL("t"))
	}
	for _, bad := range []string{"abc", "1.5", " 1", "1 ", "+1", "", "0x10", "99999999999999999999", "01"} {
		s.Set("b", bad, 0)
		if _, err := s.IncrBy("b", 1); !errors.Is(err, ErrNotInteger) {
			t.Errorf("incr on %q: %v", bad, err)
		}
		if v, _ := s.Get("b"); v != bad {
			t.Errorf("value %q changed to %q", bad, v)
		}
	}
	s.Set("max", strconv.FormatInt(math.MaxInt64, 10), 0)
	if _, err := s.IncrBy("max", 1); !errors.Is(err, ErrOverflow) {
		t.Errorf("overflow: %v", err)
	}
	s.Set("min", strconv.FormatInt(math.MinInt64, 10), 0)
	if _, err := s.IncrBy("min", -1); !errors.Is(err, ErrOverflow) {
		t.Errorf("underflow: %v", err)
	}
	if n, err := s.IncrBy("min", 1); err != nil || n != math.MinInt64+1 {
		t.Errorf("min+1: %d %v", n, err)
	}
	s.Set("e", "5", time.Second)
	clk.advance(2 * time.Second)
	if n, _ := s.IncrBy("e", 1); n != 1 || s.TTL("e") != -1 {
		t.Errorf("incr on expired key must start over: %d ttl %d", n, s.TTL("e"))
	}
}

func TestConcurrentIncrByIsExact(t *testing.T) {
	s, _ := newStore(t, Options{})
	const goroutines, each = 16, 2000
	var wg sync.WaitGroup
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				if _, err := s.IncrBy("ctr", 1); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if v, _ := s.Get("ctr"); v != strconv.Itoa(goroutines*each) {
		t.Errorf("counter %s, want %d", v, goroutines*each)
	}
}

func TestConcurrentSetNXOneWinner(t *testing.T) {
	s, _ := newStore(t, Options{})
	for round := 0; round < 50; round++ {
		key := fmt.Sprint("lock", round)
		var wins atomic.Int32
		var wg sync.WaitGroup
		start := make(chan struct{})
		for g := 0; g < 16; g++ {
			wg.Add(1)
			go func(g int) {
				defer wg.Done()
				<-start
				if s.SetNX(key, strconv.Itoa(g), time.Minute) {
					wins.Add(1)
				}
			}(g)
		}
		close(start)
		wg.Wait()
		if wins.Load() != 1 {
			t.Fatalf("round %d: %d winners", round, wins.Load())
		}
	}
}

func TestDelIfEqualsAndPrefix(t *testing.T) {
	s, _ := newStore(t, Options{})
	s.Set("lock", "owner-1", 0)
	if s.DelIfEquals("lock", "owner-2") || !s.Exists("lock") {
		t.Fatal("wrong owner released the lock")
	}
	if !s.DelIfEquals("lock", "owner-1") || s.Exists("lock") {
		t.Fatal("owner could not release")
	}
	s.Set("lock", "me", 0)
	var wins atomic.Int32
	var wg sync.WaitGroup
	for g := 0; g < 16; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if s.DelIfEquals("lock", "me") {
				wins.Add(1)
			}
		}()
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Fatalf("%d releases", wins.Load())
	}
	for i := 0; i < 10; i++ {
		s.Set(fmt.Sprint("p:", i), "v", 0)
	}
	s.Set("q:1", "v", 0)
	if n := s.DelPrefix("p:"); n != 10 {
		t.Fatalf("del_prefix removed %d", n)
	}
	if !s.Exists("q:1") || s.Stats().Keys != 1 {
		t.Fatal("del_prefix touched another prefix")
	}
	s.Flush()
	if s.Exists("q:1") || s.Stats().Keys != 0 || s.Stats().Bytes != 0 {
		t.Fatalf("flush: %+v", s.Stats())
	}
}

func TestSweeperReclaimsUnreadKeys(t *testing.T) {
	s, err := New(Options{SweepInterval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for i := 0; i < 1000; i++ {
		s.Set(fmt.Sprint("k", i), "value", 50*time.Millisecond)
	}
	s.Set("stays", "v", 0)
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if st := s.Stats(); st.Keys == 1 {
			if st.Expirations != 1000 || st.Bytes != int64(len("stays")+1+EntryOverhead) || s.Len() != 1 {
				t.Fatalf("after sweep: %+v len %d", st, s.Len())
			}
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("sweeper did not reclaim: %+v", s.Stats())
}

func fill(s *Store, prefix string, n, size int, ttl time.Duration) (stored int) {
	v := string(make([]byte, size))
	for i := 0; i < n; i++ {
		if s.Set(fmt.Sprint(prefix, i), v, ttl) {
			stored++
		}
	}
	return stored
}

func TestEvictionKeepsUnderLimit(t *testing.T) {
	const limit = 200_000
	for _, p := range []Policy{AllKeysLRU, AllKeysRandom, VolatileLRU} {
		t.Run(string(p), func(t *testing.T) {
			s, _ := newStore(t, Options{MemoryLimit: limit, Policy: p})
			ttl := time.Duration(0)
			if p == VolatileLRU {
				ttl = time.Hour
			}
			var wg sync.WaitGroup
			for g := 0; g < 4; g++ {
				wg.Add(1)
				go func(g int) {
					defer wg.Done()
					fill(s, fmt.Sprint("g", g, ":"), 2000, 200, ttl)
				}(g)
			}
			wg.Wait()
			st := s.Stats()
			if st.Bytes > limit {
				t.Errorf("bytes %d over limit %d", st.Bytes, limit)
			}
			if st.Evictions == 0 || st.Keys == 0 {
				t.Errorf("stats %+v", st)
			}
			// Accounting matches the entries present.
			var sum int64
			sum = storedBytes(s)
			if sum != st.Bytes || int64(s.Len()) != st.Keys {
				t.Errorf("accounted %d bytes / %d keys, actual %d / %d", st.Bytes, st.Keys, sum, s.Len())
			}
		})
	}
}

func TestNoEvictionRefusesAndKeepsOld(t *testing.T) {
	s, _ := newStore(t, Options{MemoryLimit: 10_000, Policy: NoEviction})
	stored := fill(s, "k", 200, 100, 0)
	if stored == 0 || stored == 200 {
		t.Fatalf("stored %d of 200", stored)
	}
	// Top up with entries no bigger than a new counter, so what is left
	// cannot hold one.
	fill(s, "z", 100, 8, 0)
	if s.Set("k0", string(make([]byte, 5000)), 0) {
		t.Fatal("a write over the limit was accepted")
	}
	if v, _ := s.Get("k0"); len(v) != 100 {
		t.Fatal("refused write lost the old value")
	}
	if _, err := s.IncrBy("newcounter", 1); !errors.Is(err, ErrNoMemory) {
		t.Fatalf("incr of a new key: %v", err)
	}
	if s.Stats().Bytes > 10_000 || s.Stats().Evictions != 0 {
		t.Fatalf("%+v", s.Stats())
	}
}

func TestVolatileLRUKeepsPersistentKeys(t *testing.T) {
	s, _ := newStore(t, Options{MemoryLimit: 50_000, Policy: VolatileLRU})
	fill(s, "persist", 100, 100, 0)
	fill(s, "vol", 1000, 100, time.Hour)
	for i := 0; i < 100; i++ {
		if !s.Exists(fmt.Sprint("persist", i)) {
			t.Fatalf("volatile-lru evicted persist%d", i)
		}
	}
	// With only persistent keys left to evict, a write fails.
	s2, _ := newStore(t, Options{MemoryLimit: 5_000, Policy: VolatileLRU})
	stored := fill(s2, "p", 100, 100, 0)
	if stored == 100 {
		t.Fatal("volatile-lru evicted a key without TTL")
	}
}

func TestLRUKeepsRecentlyReadKeys(t *testing.T) {
	s, err := New(Options{MemoryLimit: 300_000})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	fill(s, "hot", 200, 100, 0)
	fill(s, "cold", 800, 100, 0)
	time.Sleep(250 * time.Millisecond) // let the access clock move on
	for r := 0; r < 3; r++ {
		for i := 0; i < 200; i++ {
			s.Get(fmt.Sprint("hot", i))
		}
		time.Sleep(120 * time.Millisecond)
	}
	fill(s, "new", 1300, 100, 0)
	hot, cold := 0, 0
	for i := 0; i < 200; i++ {
		if s.Exists(fmt.Sprint("hot", i)) {
			hot++
		}
	}
	for i := 0; i < 800; i++ {
		if s.Exists(fmt.Sprint("cold", i)) {
			cold++
		}
	}
	hotRate, coldRate := float64(hot)/200, float64(cold)/800
	if hotRate < 0.8 || hotRate <= coldRate*2 {
		t.Errorf("recently read keys survived %.0f%%, untouched ones %.0f%%", hotRate*100, coldRate*100)
	}
}

// Reads allocate nothing: Get of a key with an immutable version (here
// one with a TTL), GetTo with scratch of a small record (index.go: its
// value is copied into scratch), and misses. (Get of a small record
// copies its value into a new string, as for a mutable version.)
func TestNoAllocationOnLookup(t *testing.T) {
	s, _ := newStore(t, Options{})
	s.Set("present", "value", time.Hour)
	s.Set("small", "value", 0)
	var scratch [64]byte
	hit := testing.AllocsPerRun(1000, func() { s.Get("present") })
	small := testing.AllocsPerRun(1000, func() { s.GetTo("small", 1, scratch[:]) })
	miss := testing.AllocsPerRun(1000, func() { s.Get("absent") })
	if hit != 0 || small != 0 || miss != 0 {
		t.Errorf("allocations per Get: hit %v, small hit (GetTo) %v, miss %v", hit, small, miss)
	}
}

func TestBadOptions(t *testing.T) {
	if _, err := New(Options{Policy: "lru"}); err == nil {
		t.Error("unknown policy accepted")
	}
	if _, err := New(Options{MemoryLimit: -1}); err == nil {
		t.Error("negative limit accepted")
	}
}

// BenchmarkMemoryPerKey reports Go heap bytes per key for 1M keys of 16
// bytes with 32-byte values (compare: redis-server's used_memory).
func BenchmarkMemoryPerKey(b *testing.B) {
	for i := 0; i < b.N; i++ {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		s, _ := New(Options{})
		v := string(make([]byte, 32))
		const n = 1_000_000
		for k := 0; k < n; k++ {
			s.Set(fmt.Sprintf("key:%012d", k), v, 0)
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/n, "heap-bytes/key")
		s.Close()
		runtime.KeepAlive(s)
	}
}

func benchStore(b *testing.B) *Store {
	s, _ := New(Options{})
	b.Cleanup(s.Close)
	for i := 0; i < 1024; i++ {
		s.Set(fmt.Sprintf("bench:key:%06d", i), "vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv", 0)
	}
	return s
}

var benchKeys = func() []string {
	k := make([]string, 1024)
	for i := range k {
		k[i] = fmt.Sprintf("bench:key:%06d", i)
	}
	return k
}()

var counterKeys = func() []string {
	k := make([]string, 16)
	for i := range k {
		k[i] = fmt.Sprintf("bench:ctr:%02d", i)
	}
	return k
}()

func BenchmarkGetHit(b *testing.B) {
	s := benchStore(b)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		s.Get(benchKeys[i&1023])
	}
}

func BenchmarkGetMiss(b *testing.B) {
	s := benchStore(b)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		s.Get("bench:missing")
	}
}

func BenchmarkSet(b *testing.B) {
	s := benchStore(b)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		s.Set(benchKeys[i&1023], "vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv", 0)
	}
}

func BenchmarkIncrBy(b *testing.B) {
	s := benchStore(b)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		s.IncrBy("bench:counter", 1)
	}
}

func BenchmarkGetHitParallel(b *testing.B) {
	s := benchStore(b)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			s.Get(benchKeys[i&1023])
			i++
		}
	})
}

func BenchmarkSetParallel(b *testing.B) {
	s := benchStore(b)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			s.Set(benchKeys[i&1023], "vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv", 0)
			i++
		}
	})
}

func BenchmarkIncrByParallel(b *testing.B) {
	s := benchStore(b)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			s.IncrBy(counterKeys[i&15], 1)
			i++
		}
	})
}

// recCost is the accounted cost of key k's record (slot sl, nil: small;
// 0 for a tombed slot or a record gone). Not to be raced.
func recCost(s *Store, k string, sl *slot) int64 {
	if sl == nil {
		if r, ok := s.m.get(k, nil, false); ok && r.small {
			return int64(len(k)) + int64(r.vlen) + EntryOverhead
		}
		return 0
	}
	if v := sl.v.Load(); v != tomb {
		return cost(len(k), v)
	}
	return 0
}

// storedBytes sums the cost of every entry in the map, as accounted.
func storedBytes(s *Store) int64 {
	var sum int64
	s.m.Range(func(k string, sl *slot) bool {
		sum += recCost(s, k, sl)
		return true
	})
	return sum
}

// The lock-free paths (a write to an existing key is a compare-and-swap on
// its slot, a counter's increment one on its cell) racing with the locked
// ones (insert, delete, expire, conversions, eviction): the accounting
// must match what is stored, and the limit must hold.
func TestConcurrentMixedOpsKeepAccounting(t *testing.T) {
	keys := []string{"a", "b", "c", "d", "p:1", "p:2", "counter", "long-key-" + strings.Repeat("x", 300)}
	vals := []string{"1", "", "x", strings.Repeat("v", 100), "-7", "007"}
	checkAccountingUnder(t, 8, 20000, keys, vals, func(s *Store, r, i int, k, v string) {
		switch (r / 3) % 11 {
		case 0, 1:
			s.Set(k, v, time.Duration(r%3)*time.Millisecond)
		case 2:
			s.SetNX(k, v, 0)
		case 3:
			s.Del(k)
		case 4, 5:
			s.IncrBy(k, int64(r%5)-2)
		case 6:
			s.Expire(k, time.Millisecond)
		case 7:
			s.Get(k)
		case 8:
			s.DelIfEquals(k, v)
		case 9:
			if i%100 == 0 {
				s.DelPrefix("p:")
			}
		case 10:
			s.PTTL(k)
		}
	})
}

// checkAccountingUnder runs op from goroutines goroutines, iters times each,
// on keys and values picked from r (a mix of the goroutine and iteration),
// with no limit and with a small one (eviction), the sweeper running: the
// accounting must then match what is stored, the limit must hold, and the
// presence filter must count every key.
func checkAccountingUnder(t *testing.T, goroutines, iters int, keys, vals []string, op func(s *Store, r, i int, k, v string)) {
	t.Helper()
	for _, limit := range []int64{0, 4_000} {
		t.Run(fmt.Sprint("limit=", limit), func(t *testing.T) {
			s, err := New(Options{MemoryLimit: limit, SweepInterval: time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			var wg sync.WaitGroup
			for g := 0; g < goroutines; g++ {
				wg.Add(1)
				go func(g int) {
					defer wg.Done()
					for i := 0; i < iters; i++ {
						r := (i*7 + g*13) ^ (i >> 3)
						op(s, r, i, keys[r%len(keys)], vals[(r/8)%len(vals)])
					}
				}(g)
			}
			wg.Wait()
			s.Close() // the sweeper too is done
			st := s.Stats()
			if sum := storedBytes(s); st.Bytes != sum || st.Keys != int64(s.Len()) {
				t.Fatalf("accounted %d bytes / %d keys, stored %d / %d", st.Bytes, st.Keys, sum, s.Len())
			}
			if limit > 0 && st.Bytes > limit {
				t.Fatalf("bytes %d over limit %d", st.Bytes, limit)
			}
			checkFilter(t, s)
		})
	}
}

// Increments on a counter while Expire and Get run and a decimal string
// is converted: none is lost, and the TTL set by Expire stays.
func TestConcurrentIncrWithExpireIsExact(t *testing.T) {
	s, _ := newStore(t, Options{})
	s.Set("n", "100", 0)
	const goroutines, each = 8, 5000
	var wg sync.WaitGroup
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < each; i++ {
				if _, err := s.IncrBy("n", 1); err != nil {
					t.Error(err)
					return
				}
				if g == 0 && i%50 == 0 {
					s.Expire("n", time.Hour)
					s.Get("n")
				}
			}
		}(g)
	}
	wg.Wait()
	if v, _ := s.Get("n"); v != strconv.Itoa(100+goroutines*each) {
		t.Fatalf("counter %s, want %d", v, 100+goroutines*each)
	}
	if s.TTL("n") != 3600 {
		t.Fatalf("ttl %d", s.TTL("n"))
	}
	if n, _ := s.IncrBy("n", -1); n != int64(99+goroutines*each) {
		t.Fatalf("after: %d", n)
	}
}

func TestCounterTextEverywhere(t *testing.T) {
	s, _ := newStore(t, Options{})
	s.IncrBy("c", -42)
	if v, ok := s.GetTo("c", keyHash("c"), make([]byte, 20)); !ok || v != "-42" {
		t.Fatalf("GetTo %q", v)
	}
	if s.DelIfEquals("c", "42") || !s.DelIfEquals("c", "-42") {
		t.Fatal("del_if_equals on a counter compares its text")
	}
	s.IncrBy("c", math.MinInt64)
	if v, _ := s.Get("c"); v != strconv.FormatInt(math.MinInt64, 10) {
		t.Fatalf("min: %q", v)
	}
	if _, err := s.IncrBy("c", -1); !errors.Is(err, ErrOverflow) {
		t.Fatal(err)
	}
	s.Set("c", "str", 0)
	if _, err := s.IncrBy("c", 1); !errors.Is(err, ErrNotInteger) {
		t.Fatal(err)
	}
	if st := s.Stats(); st.Bytes != storedBytes(s) {
		t.Fatalf("%+v vs %d", st, storedBytes(s))
	}
	hit := testing.AllocsPerRun(1000, func() { s.IncrBy("ctr", 1) })
	scratch := make([]byte, 20)
	get := testing.AllocsPerRun(1000, func() { s.GetTo("ctr", 7, scratch) })
	set := testing.AllocsPerRun(1000, func() { s.Set("c", "value", 0) })
	// (An overwrite that fits the key's mutable version is written in
	// place: mutable.go.)
	if hit != 0 || get != 0 || set != 0 {
		t.Errorf("allocations: incr_by %v, get of a counter %v, overwrite %v", hit, get, set)
	}
}

// The lookup cache is only a hint: colliding hashes, a different hash for
// the same key, a key deleted and inserted again (its cached slot is
// tomb), long and empty keys all give the map's answer.
func TestLookupCacheIsOnlyAHint(t *testing.T) {
	s, _ := newStore(t, Options{})
	scratch := make([]byte, 20)
	get := func(k string, h uint64) string {
		v, ok := s.GetTo(k, h, scratch)
		if !ok {
			return "<miss>"
		}
		return v
	}
	long := strings.Repeat("L", maxInlineKey+1)
	keys := []string{"a", "b", "ab", "", long, strings.Repeat("M", maxInlineKey)}
	for round := 0; round < 40; round++ { // enough to fill entries despite hotFillOneIn
		for i, k := range keys {
			s.SetHashed(k, 42, fmt.Sprint(k, "=", i), 0)
		}
		for i, k := range keys {
			for _, h := range []uint64{42, 43, keyHash(k)} {
				if got, want := get(k, h), fmt.Sprint(k, "=", i); got != want {
					t.Fatalf("round %d key %.10q hash %d: %q, want %q", round, k, h, got, want)
				}
			}
		}
		s.Del("a")
		if got := get("a", 42); got != "<miss>" {
			t.Fatalf("deleted key: %q", got)
		}
		if n, _ := s.IncrByHashed("a", 42, 2); n != 2 {
			t.Fatalf("incr on a re-created key: %d", n)
		}
		if n, _ := s.IncrByHashed("a", 43, 3); n != 5 || get("a", 42) != "5" {
			t.Fatalf("incr: %d %q", n, get("a", 42))
		}
		s.Flush()
		for _, k := range keys {
			if got := get(k, 42); got != "<miss>" {
				t.Fatalf("after flush %.10q: %q", k, got)
			}
		}
	}
}

// checkFilter: every key in the map is counted in the presence filter,
// and (no counter being saturated in these tests) the counters add up to
// the number of entries.
func checkFilter(t testing.TB, s *Store) {
	t.Helper()
	s.m.Range(func(k string, sl *slot) bool {
		if !s.filter.mayHave(k) {
			t.Fatalf("key %q in the map but not in the presence filter", k)
		}
		return true
	})
	var sum int
	for i := range s.filter {
		for j := range s.filter[i].cnt {
			w := atomic.LoadUint32(&s.filter[i].cnt[j])
			for sh := 0; sh < 32; sh += 8 {
				sum += int(w >> sh & 0xff)
			}
		}
	}
	if sum != s.Len() {
		t.Fatalf("presence filter counts %d, map has %d", sum, s.Len())
	}
}

func TestPresenceFilter(t *testing.T) {
	s, clk := newStore(t, Options{})
	for i := 0; i < 1000; i++ {
		s.Set(fmt.Sprint("k", i), "v", time.Duration(i%3)*time.Second)
		s.IncrBy(fmt.Sprint("c", i), 1)
	}
	checkFilter(t, s)
	if s.filter.mayHave("surely-not-there") {
		t.Log("false positive (possible, 2000 of 2^20)")
	}
	clk.advance(5 * time.Second)
	s.SweepExpired()
	s.DelPrefix("c1")
	s.Del("k0")
	s.DelIfEquals("k3", "v")
	checkFilter(t, s)
	s.Flush()
	checkFilter(t, s)
	// Saturated counters stay.
	f := new(presence)
	for i := 0; i < 300; i++ {
		f.add("x")
	}
	for i := 0; i < 300; i++ {
		f.drop("x")
	}
	if !f.mayHave("x") {
		t.Fatal("a saturated counter went back down")
	}
	// External counts are added to Stats; Peek counts nothing.
	before := s.Stats()
	s.Set("p", "v", 0)
	if v, ok := s.Peek("p", 1, nil); !ok || v != "v" {
		t.Fatal("peek")
	}
	if _, ok := s.Peek("nope", 1, nil); ok {
		t.Fatal("peek hit a missing key")
	}
	s.SetExternalCounts(func() (int64, int64) { return 7, 5 })
	if st := s.Stats(); st.Hits != before.Hits+7 || st.Misses != before.Misses+5 {
		t.Fatalf("%+v, before %+v", st, before)
	}
}

// FilterHash is PHP's string hash (phpembed checks it against PHP's own
// at startup and uses the filter only if they agree).
func TestFilterHashIsPHPs(t *testing.T) {
	want := map[string]uint64{
		"":   0x8000000000001505,
		"a":  0x800000000002b606,
		"ab": 0x8000000000597728,
	}
	if charSigned {
		want["\xff"] = 0x800000000002b5a4 // 5381*33 - 1
	} else {
		want["\xff"] = 0x800000000002b6a4 // 5381*33 + 255
	}
	for k, h := range want {
		if got := FilterHash(k); got != h {
			t.Errorf("FilterHash(%q) = %#x, want %#x", k, got, h)
		}
	}
}

// The paths phpembed takes: PHP's own hash of the key (computed once per
// PHP string and kept in it), no hashing here.
func BenchmarkPeekHashed(b *testing.B) {
	s := benchStore(b)
	hashes := make([]uint64, len(benchKeys))
	for i, k := range benchKeys {
		hashes[i] = FilterHash(k)
	}
	scratch := make([]byte, 1024)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		s.Peek(benchKeys[i&1023], hashes[i&1023], scratch)
	}
}

func BenchmarkIncrByHashed(b *testing.B) {
	s := benchStore(b)
	h := FilterHash("bench:counter")
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		s.IncrByHashed("bench:counter", h, 1)
	}
}

func BenchmarkSetHashed(b *testing.B) {
	s := benchStore(b)
	hashes := make([]uint64, len(benchKeys))
	for i, k := range benchKeys {
		hashes[i] = FilterHash(k)
	}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		s.SetHashed(benchKeys[i&1023], hashes[i&1023], "vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv", 0)
	}
}

func BenchmarkGetMissParallel(b *testing.B) {
	s := benchStore(b)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			s.Get("bench:missing")
		}
	})
}

// A TTL beyond the clock's range keeps the key (and a TTL) instead of
// wrapping into the past, however long the store has run (kept in ms past
// the year 2262: deadline.go; TestFarDeadlines checks it is exact).
func TestHugeTTLSaturates(t *testing.T) {
	s, clk := newStore(t, Options{})
	clk.advance(1000 * time.Hour)
	huge := time.Duration(math.MaxInt64)
	s.Set("k", "v", huge)
	s.Set("counter", "1", 0)
	if !s.Expire("counter", huge) {
		t.Fatal("expire with a huge TTL refused")
	}
	for _, k := range []string{"k", "counter"} {
		if !s.Exists(k) {
			t.Fatalf("%s gone after a huge TTL", k)
		}
		if ttl := s.TTL(k); ttl < 200*365*24*3600 {
			t.Errorf("%s: ttl %d, want centuries", k, ttl)
		}
	}
	if !s.SetNX("nx", "v", huge) || !s.Exists("nx") {
		t.Error("setnx with a huge TTL")
	}
}

// Promoted counters (promote.go): every operation on one, and the way
// out of the promoted range.
func TestPromotedCounters(t *testing.T) {
	s, _ := newStore(t, Options{})
	version := func(k string) *vhdr {
		sl, ok := s.m.Load(k)
		if !ok {
			return nil
		}
		return sl.v.Load()
	}
	if n, _ := s.IncrBy("p", 5); n != 5 || !version("p").isPromoted() {
		t.Fatalf("a new counter should be promoted: %d", n)
	}
	if n, _ := s.IncrBy("p", -7); n != -2 {
		t.Fatal(n)
	}
	if v, _ := s.Get("p"); v != "-2" {
		t.Fatalf("get %q", v)
	}
	// Beyond ±2^41: a plain counter, exact over the int64 range.
	if n, err := s.IncrBy("p", 1<<45); err != nil || n != 1<<45-2 || version("p").isPromoted() {
		t.Fatalf("out of range: %d %v", n, err)
	}
	if _, err := s.IncrBy("p", math.MaxInt64); !errors.Is(err, ErrOverflow) {
		t.Fatal(err)
	}
	s.Del("p")
	s.IncrBy("p", 1)
	if !version("p").isPromoted() {
		t.Fatal("re-created counter should be promoted again")
	}
	if _, err := s.IncrBy("p", math.MaxInt64); !errors.Is(err, ErrOverflow) {
		t.Fatal(err)
	}
	if v, _ := s.Get("p"); v != "1" {
		t.Fatalf("overflow changed the value: %q", v)
	}
	// Expire demotes (promoted counters have no TTL) and keeps the value.
	s.IncrBy("q", 3)
	if !s.Expire("q", time.Minute) || s.TTL("q") != 60 || version("q").isPromoted() {
		t.Fatal("expire on a promoted counter")
	}
	if n, _ := s.IncrBy("q", 1); n != 4 || s.TTL("q") != 60 {
		t.Fatalf("incr after expire: %d ttl %d", n, s.TTL("q"))
	}
	// Set over it, del_if_equals, setnx.
	s.IncrBy("r", 7)
	if s.SetNX("r", "x", 0) {
		t.Fatal("setnx over a live counter")
	}
	if s.DelIfEquals("r", "8") || !s.DelIfEquals("r", "7") || s.Exists("r") {
		t.Fatal("del_if_equals on a promoted counter")
	}
	s.IncrBy("r", 1)
	s.Set("r", "str", 0)
	if v, _ := s.Get("r"); v != "str" {
		t.Fatal(v)
	}
	if _, err := s.IncrBy("r", 1); !errors.Is(err, ErrNotInteger) {
		t.Fatal(err)
	}
	// An entry freed by demotion is bound again, with a new generation;
	// the old version no longer reads through it.
	s.IncrBy("g", 1)
	old := version("g")
	s.Set("g", "10", 0)
	s.IncrBy("g", 1)
	nv := version("g")
	if !nv.isPromoted() {
		t.Fatal("not promoted again")
	}
	if _, ok := s.counterValue(old); ok {
		t.Fatal("an old binding's version still reads through the entry")
	}
	if _, ok := s.incrCell(old, 1); ok {
		t.Fatal("an old binding's version still increments the entry")
	}
	if v, _ := s.Get("g"); v != "11" {
		t.Fatal(v)
	}
	if st := s.Stats(); st.Bytes != storedBytes(s) || st.Keys != int64(s.Len()) {
		t.Fatalf("%+v", st)
	}
	checkFilter(t, s)
}

// Increments racing with the operations that demote a promoted counter:
// an increment that returns a value was applied, exactly once.
func TestPromotedCounterRaces(t *testing.T) {
	s, _ := newStore(t, Options{})
	const goroutines, each = 6, 30000
	var applied atomic.Int64
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				if _, err := s.IncrBy("ctr", 1); err == nil {
					applied.Add(1)
				}
			}
		}()
	}
	var resets atomic.Int64
	done := make(chan struct{})
	go func() { // takes the counter's value away now and then, atomically
		defer close(done)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			v, ok := s.Get("ctr")
			if !ok {
				continue
			}
			switch i % 3 {
			case 0:
				if s.DelIfEquals("ctr", v) {
					n, _ := strconv.ParseInt(v, 10, 64)
					resets.Add(n)
				}
			case 1:
				s.Expire("ctr", time.Hour)
			case 2:
				s.Get("ctr")
			}
		}
	}()
	wg.Wait()
	close(stop)
	<-done
	v, _ := s.Get("ctr")
	n, _ := strconv.ParseInt(v, 10, 64)
	t.Logf("%d removed by del_if_equals, %d left", resets.Load(), n)
	if n+resets.Load() != applied.Load() || applied.Load() != goroutines*each {
		t.Fatalf("left %d + removed %d != applied %d (of %d)", n, resets.Load(), applied.Load(), goroutines*each)
	}
	if st := s.Stats(); st.Bytes != storedBytes(s) || st.Keys != int64(s.Len()) {
		t.Fatalf("%+v", st)
	}
}
