package kvredis

import (
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/ephpm/ephpm/internal/redistest"
)

// twoNodes is a Redis and two stores on it with the client cache on (two
// ephpm nodes).
func twoNodes(t *testing.T) (*redistest.Server, *Store, *Store) {
	t.Helper()
	r := redistest.Start(t, redistest.Options{})
	mk := func() *Store {
		s := mustNew(t, Options{Addresses: []string{r.Addr}, KeyPrefix: "t:", ClientCache: 8 << 20, CommandTimeout: testTimeout})
		waitReady(t, s)
		return s
	}
	return r, mk(), mk()
}

// TestTwoNodesShareOneStore: what one node writes the other reads, and
// a node's cached copy goes when another node or redis-cli changes the
// key; hits are answered from the cache.
func TestTwoNodesShareOneStore(t *testing.T) {
	t.Parallel()
	r, a, b := twoNodes(t)
	if !a.Set("k", "v1", 0) {
		t.Fatal("Set failed")
	}
	wantGet(t, b, "k", "v1", true) // at once: B had nothing cached
	h0 := b.Stats().CacheHits
	for i := 0; i < 10; i++ {
		wantGet(t, b, "k", "v1", true)
	}
	if h := b.Stats().CacheHits - h0; h != 10 {
		t.Fatalf("10 repeated reads gave %d cache hits", h)
	}
	trips := b.Stats().RoundTrips
	wantGet(t, b, "k", "v1", true)
	if b.Stats().RoundTrips != trips {
		t.Fatal("a cached read went to Redis")
	}

	// A's write reaches B's cache through Redis's invalidation: it is
	// asynchronous (another connection), so poll; record how long.
	a.Set("k", "v2", 0)
	d := eventually(t, "B sees A's write", func() bool { v, _ := b.Get("k"); return v == "v2" })
	t.Logf("B saw A's write after %v", d)

	// A write with redis-cli invalidates both nodes' cached copies.
	wantGet(t, a, "k", "v2", true)
	r.CLI("set", "t:k", "cli")
	for name, s := range map[string]*Store{"A": a, "B": b} {
		d := eventually(t, name+" sees redis-cli's write", func() bool { v, _ := s.Get("k"); return v == "cli" })
		t.Logf("%s saw redis-cli's write after %v", name, d)
	}
	r.CLI("del", "t:k")
	for name, s := range map[string]*Store{"A": a, "B": b} {
		eventually(t, name+" sees redis-cli's delete", func() bool { _, ok := s.Get("k"); return !ok })
	}

	// A cached miss goes too when the key appears.
	wantGet(t, b, "later", "", false)
	wantGet(t, b, "later", "", false)
	r.CLI("set", "t:later", "here")
	eventually(t, "B sees a key created after its cached miss", func() bool { v, _ := b.Get("later"); return v == "here" })

	// An expiry set elsewhere shortens the cached copy's life.
	wantGet(t, b, "later", "here", true)
	r.CLI("pexpire", "t:later", "100")
	eventually(t, "B sees the key expire", func() bool { _, ok := b.Get("later"); return !ok })
}

// TestReadYourOwnWrites: a node reads its own write at once, whatever
// the write (the write's fence orders its invalidation first), even with
// the old value cached and other goroutines reading the key meanwhile.
func TestReadYourOwnWrites(t *testing.T) {
	t.Parallel()
	_, a, b := twoNodes(t)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i := 0; i < 2; i++ { // readers keep the key cached
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
					a.Get("k")
					a.Get("c")
					// Not a busy loop: on two cores it would starve
					// rueidis's goroutines for whole scheduler slices.
					time.Sleep(20 * time.Microsecond)
				}
			}
		}()
	}
	defer func() { close(stop); wg.Wait() }()
	for i := 0; i < 300; i++ {
		v := strconv.Itoa(i)
		wantGet(t, a, "k", prev(i), i > 0)
		if !a.Set("k", v, 0) {
			t.Fatal("Set failed")
		}
		wantGet(t, a, "k", v, true)
		if n, err := a.IncrBy("c", 1); err != nil || n != int64(i+1) {
			t.Fatalf("IncrBy = %d, %v", n, err)
		}
		wantGet(t, a, "c", strconv.Itoa(i+1), true)
	}
	wantGet(t, b, "k", "299", true)
	if !a.Del("k") {
		t.Fatal("Del failed")
	}
	wantGet(t, a, "k", "", false)
	a.Set("k", "x", 0)
	wantGet(t, a, "k", "x", true)
	if !a.DelIfEquals("k", "x") {
		t.Fatal("DelIfEquals failed")
	}
	wantGet(t, a, "k", "", false)
	a.Set("k", "y", 0)
	wantGet(t, a, "k", "y", true)
	a.DelPrefix("k")
	wantGet(t, a, "k", "", false)
	if !a.SetNX("k", "z", 0) {
		t.Fatal("SetNX failed")
	}
	wantGet(t, a, "k", "z", true)
	a.Set("k", "w", 0)
	wantGet(t, a, "k", "w", true)
	a.Flush()
	wantGet(t, a, "k", "", false)
}

func prev(i int) string {
	if i == 0 {
		return ""
	}
	return strconv.Itoa(i - 1)
}

// TestCacheDroppedOnRestart: a value cached before Redis restarted (and
// lost its data) is not served after; the listeners hear all=true.
func TestCacheDroppedOnRestart(t *testing.T) {
	t.Parallel()
	r, a, _ := twoNodes(t)
	var mu sync.Mutex
	var keys []string
	resets := 0
	a.addInvalidationListener(func(k []string, all bool) {
		mu.Lock()
		defer mu.Unlock()
		if all {
			resets++
		}
		keys = append(keys, k...)
	})
	a.Set("k", "v", 0)
	// Until the write is fenced (dirty.go) reads of k go to Redis
	// untracked; the test needs k tracked and cached.
	waitClean(t, a)
	wantGet(t, a, "k", "v", true)
	wantGet(t, a, "k", "v", true)
	r.CLI("set", "t:k", "w")
	eventually(t, "the listener hears t:k", func() bool {
		mu.Lock()
		defer mu.Unlock()
		for _, k := range keys {
			if k == "t:k" {
				return true
			}
		}
		return false
	})
	wantGet(t, a, "k", "w", true)
	wantGet(t, a, "k", "w", true) // cached again
	r.Restart()
	wantGet(t, a, "k", "", false)
	mu.Lock()
	n := resets
	mu.Unlock()
	if n == 0 {
		t.Fatal("no all=true invalidation after the connection broke")
	}
	if !a.Set("k", "again", 0) {
		t.Fatal("Set after restart failed")
	}
	wantGet(t, a, "k", "again", true)
}

// TestNearCacheBudget: the near cache stays within ClientCache bytes and
// never answers wrongly when it evicts; a value too big for it is still
// read right (from rueidis's cache or Redis).
func TestNearCacheBudget(t *testing.T) {
	t.Parallel()
	r := redistest.Start(t, redistest.Options{})
	const budget = 64 << 10
	s := mustNew(t, Options{Addresses: []string{r.Addr}, KeyPrefix: "t:", ClientCache: budget, CommandTimeout: testTimeout})
	val := string(make([]byte, 200))
	for i := 0; i < 1000; i++ {
		s.Set("k"+strconv.Itoa(i), val+strconv.Itoa(i), 0)
	}
	for round := 0; round < 2; round++ {
		for i := 0; i < 1000; i++ {
			wantGet(t, s, "k"+strconv.Itoa(i), val+strconv.Itoa(i), true)
			if sz := s.near.size.Load(); sz > budget+2048 {
				t.Fatalf("near cache holds %d bytes, budget %d", sz, budget)
			}
		}
	}
	var sum int64
	n := 0
	s.near.m.Range(func(_ string, e *nearEntry) bool { sum += e.size; n++; return true })
	if sum != s.near.size.Load() || n == 0 {
		t.Fatalf("near cache accounting: %d entries of %d bytes, counted %d", n, sum, s.near.size.Load())
	}
	big := string(make([]byte, budget))
	s.Set("big", big, 0)
	wantGet(t, s, "big", big, true)
	wantGet(t, s, "big", big, true)
	if _, ok := s.near.m.Load("big"); ok {
		t.Fatal("a value of the whole budget went into the near cache")
	}
}

// TestNearCacheOutlivesRueidisCache: a key that rueidis's small cache
// evicted while the near cache keeps it is still invalidated: Redis
// tracks what the connection read, whatever the client evicts, and
// rueidis passes every invalidation on.
func TestNearCacheOutlivesRueidisCache(t *testing.T) {
	old := rueidisCacheBytes
	rueidisCacheBytes = func(int64) int { return 32 << 10 }
	t.Cleanup(func() { rueidisCacheBytes = old })
	r, a, b := twoNodes(t)

	b.Set("k", "v1", 0)
	b.Set("k0", "x", 0)
	wantGet(t, a, "k", "v1", true)
	wantGet(t, a, "k0", "x", true)
	filler := string(make([]byte, 1024))
	for i := 0; i < 100; i++ { // 100 KB through a 32 KB rueidis cache
		b.Set("f"+strconv.Itoa(i), filler, 0)
		wantGet(t, a, "f"+strconv.Itoa(i), filler, true)
	}
	if _, ok := a.near.m.Load("k"); !ok {
		t.Fatal("the near cache lost k: the test needs it cached there")
	}
	// k0, read after k, is gone from rueidis's cache: so is k.
	c := a.rc()
	ctx, cancel := a.ctx()
	hit := c.DoCache(ctx, c.B().Get().Key("t:k0").Cache(), cacheTTL).IsCacheHit()
	cancel()
	if hit {
		t.Fatal("rueidis's 32 KB cache still holds k0 after 100 KB of reads")
	}

	wantGet(t, a, "k", "v1", true) // from the near cache
	r.CLI("set", "t:k", "v2")
	eventually(t, "the near cache drops k evicted by rueidis", func() bool { v, _ := a.Get("k"); return v == "v2" })
}
