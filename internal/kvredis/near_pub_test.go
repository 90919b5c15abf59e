package kvredis

import (
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ephpm/ephpm/internal/redistest"
	"github.com/ephpm/ephpm/internal/testloop"
)

// pubNode is a store on r with the near cache's mirror published (what
// phpembed does for the server), and its mirror.
func pubNode(t *testing.T, r *redistest.Server, budget int64) *Store {
	t.Helper()
	s := mustNew(t, Options{Addresses: []string{r.Addr}, KeyPrefix: "t:", ClientCache: budget, CommandTimeout: testTimeout})
	waitReady(t, s)
	if s.PublishNearCache() == nil {
		t.Fatal("no published table")
	}
	return s
}

// published reads key from s's published table as PHP's C code would
// (kv.Store.ReadPublished): ok=false means C would ask Go.
func published(s *Store, key string) (string, bool) {
	return s.NearMirror().ReadPublished(key)
}

// publishKey reads key through s until C would answer it with want.
func publishKey(t *testing.T, s *Store, key, want string) {
	t.Helper()
	eventually(t, "publish "+key, func() bool {
		if v, ok := s.Get(key); !ok || v != want {
			t.Fatalf("Get(%q) = %q, %v; want %q", key, v, ok, want)
		}
		v, ok := published(s, key)
		return ok && v == want
	})
}

// TestNearPublishedInvalidatedByOthers: a key published on two nodes is
// unpublished on both when redis-cli or the other node changes it: once a
// node's invalidation listener has run (its Go lookup then misses), C
// reads nothing old. Fails if an invalidation leaves the mirror.
func TestNearPublishedInvalidatedByOthers(t *testing.T) {
	t.Parallel()
	r := redistest.Start(t, redistest.Options{})
	a, b := pubNode(t, r, 8<<20), pubNode(t, r, 8<<20)
	r.CLI("set", "t:k", "v1")
	publishKey(t, a, "k", "v1")
	publishKey(t, b, "k", "v1")

	// Both nodes hear the invalidation of redis-cli's write. Once their
	// near cache has dropped the key (the listener ran), nothing old is
	// published.
	r.CLI("set", "t:k", "v2")
	for _, s := range []*Store{a, b} {
		eventually(t, "the near cache drops k", func() bool { _, ok := s.near.m.Load("k"); return !ok })
		if v, ok := published(s, "k"); ok {
			t.Fatalf("published %q after the invalidation arrived", v)
		}
		publishKey(t, s, "k", "v2")
	}

	// The other node's write: b's own copy goes before its write returns
	// (its read-your-own-writes), a's when the invalidation arrives.
	if !b.Set("k", "v3", 0) {
		t.Fatal("Set")
	}
	if v, ok := published(b, "k"); ok && v != "v3" {
		t.Fatalf("b: published %q after its own write of v3", v)
	}
	eventually(t, "a drops k", func() bool { _, ok := a.near.m.Load("k"); return !ok })
	if v, ok := published(a, "k"); ok {
		t.Fatalf("a: published %q after the invalidation arrived", v)
	}
	waitClean(t, b)
	publishKey(t, a, "k", "v3")
	publishKey(t, b, "k", "v3")

	// A delete and del_prefix from the other node, and flush_all.
	b.Del("k")
	eventually(t, "a drops k after DEL", func() bool { _, ok := published(a, "k"); return !ok })
	wantGet(t, a, "k", "", false)
	for i := 0; i < 3; i++ {
		r.CLI("set", "t:p"+strconv.Itoa(i), "x")
		publishKey(t, a, "p"+strconv.Itoa(i), "x")
	}
	if n := b.DelPrefix("p"); n != 3 {
		t.Fatalf("DelPrefix = %d", n)
	}
	for i := 0; i < 3; i++ {
		k := "p" + strconv.Itoa(i)
		eventually(t, "a drops "+k, func() bool { _, ok := published(a, k); return !ok })
	}
	r.CLI("set", "t:f", "x")
	publishKey(t, a, "f", "x")
	a.Flush()
	if v, ok := published(a, "f"); ok {
		t.Fatalf("published %q after this node's flush_all", v)
	}
}

// TestNearPublishedReadYourWrites: after a node's write returns, C never
// reads the value it replaced, while other threads keep reading (and so
// publishing) the key. Fails if the direct path's dirty mark, or the
// mirror's check of dirty keys, does not unpublish.
func TestNearPublishedReadYourWrites(t *testing.T) {
	t.Parallel()
	r := redistest.Start(t, redistest.Options{})
	s := pubNode(t, r, 8<<20)
	const keys = 4
	var last [keys]atomic.Int64 // the last value whose Set returned
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var bad atomic.Value
	for k := 0; k < keys; k++ {
		key := "rw" + strconv.Itoa(k)
		s.Set(key, "0", 0)
		for g := 0; g < 2; g++ { // readers through Go: they publish
			testloop.UntilStopped(&wg, stop, func(int) {
				s.Get(key)
				time.Sleep(50 * time.Microsecond)
			})
		}
		testloop.UntilStopped(&wg, stop, func(int) { // C's reader
			l := last[k].Load()
			if v, ok := published(s, key); ok {
				n, _ := strconv.ParseInt(v, 10, 64)
				if n < l {
					bad.Store(key + ": published " + v + " after the Set of " + strconv.FormatInt(l, 10) + " returned")
				}
			}
			time.Sleep(10 * time.Microsecond)
		})
	}
	hits := 0
	for i := int64(1); i <= 200; i++ {
		for k := 0; k < keys; k++ {
			key := "rw" + strconv.Itoa(k)
			if !s.Set(key, strconv.FormatInt(i, 10), 0) {
				t.Fatal("Set")
			}
			last[k].Store(i)
			if v, ok := published(s, key); ok {
				if v != strconv.FormatInt(i, 10) {
					t.Fatalf("%s: published %q right after the Set of %d returned", key, v, i)
				}
			}
		}
		// Let the fencer clear the keys now and then, so they get
		// cached and published between writes.
		if i%50 == 0 {
			for w := 0; w < 50; w++ {
				time.Sleep(2 * time.Millisecond)
				for k := 0; k < keys; k++ {
					if _, ok := published(s, "rw"+strconv.Itoa(k)); ok {
						hits++
					}
				}
			}
		}
	}
	close(stop)
	wg.Wait()
	if b := bad.Load(); b != nil {
		t.Fatal(b)
	}
	if hits == 0 {
		t.Fatal("no key was ever published between writes: the test tested nothing")
	}
	t.Logf("published between writes %d times", hits)
}

// TestNearPublishedDroppedOnRestart: a Redis restart (its data gone)
// unpublishes everything once the node heard the reset.
func TestNearPublishedDroppedOnRestart(t *testing.T) {
	t.Parallel()
	r := redistest.Start(t, redistest.Options{})
	s := pubNode(t, r, 8<<20)
	var resets atomic.Int64
	s.addInvalidationListener(func(_ []string, all bool) {
		if all {
			resets.Add(1)
		}
	})
	r.CLI("set", "t:k", "v")
	publishKey(t, s, "k", "v")
	r.Restart()
	eventually(t, "the reset", func() bool { return resets.Load() > 0 })
	if v, ok := published(s, "k"); ok {
		t.Fatalf("published %q after the reset", v)
	}
	wantGet(t, s, "k", "", false)
}

// TestNearPublishedTTL: a published key with a TTL on Redis is not read
// by C past it (before Redis's own expiry reaches the node), and a key
// without TTL has no deadline.
func TestNearPublishedTTL(t *testing.T) {
	t.Parallel()
	// Redis's active expiry off: it would delete the key and send its
	// invalidation within about 100 ms of the TTL, hiding a mirror that
	// ignores the TTL. (Its lazy expiry needs an access, and the test
	// makes none after the TTL before it checks.)
	r := redistest.Start(t, redistest.Options{Extra: []string{"--enable-debug-command", "local"}})
	s := pubNode(t, r, 8<<20)
	r.CLI("debug", "set-active-expire", "0")
	// Long enough to be published on a busy machine, then let it pass.
	r.CLI("set", "t:k", "v", "px", "1500")
	set := time.Now()
	publishKey(t, s, "k", "v")
	if time.Since(set) > 1400*time.Millisecond {
		t.Skip("machine too slow to publish within the TTL")
	}
	for time.Since(set) < 1600*time.Millisecond {
		time.Sleep(10 * time.Millisecond)
	}
	// Redis may not have sent the expiry's invalidation yet (it expires
	// lazily or in its cycle): the deadline alone must stop C.
	if v, ok := published(s, "k"); ok {
		t.Fatalf("published %q past the key's TTL", v)
	}
	wantGet(t, s, "k", "", false)
}

// TestNearPublishedEviction: under a budget that evicts, what C reads is
// the near cache's value, and a published key is one the near cache
// holds. (Eviction is not an invalidation: a key evicted from the map
// but left in the mirror would still be current, since invalidations,
// resets and dirty marks delete the mirror by key whether or not the map
// has it; so this checks memory bookkeeping, and does not reliably fail
// when eviction leaves the mirror.)
func TestNearPublishedEviction(t *testing.T) {
	t.Parallel()
	r := redistest.Start(t, redistest.Options{})
	s := pubNode(t, r, 32<<10)
	w := mustNew(t, Options{Addresses: []string{r.Addr}, KeyPrefix: "t:", CommandTimeout: testTimeout})
	val := strings.Repeat("x", 900)
	for i := 0; i < 100; i++ {
		k := "e" + strconv.Itoa(i)
		if !w.Set(k, val+k, 0) {
			t.Fatal("Set")
		}
	}
	for round := 0; round < 3; round++ {
		for i := 0; i < 100; i++ {
			k := "e" + strconv.Itoa(i)
			wantGet(t, s, k, val+k, true)
			wantGet(t, s, k, val+k, true)
		}
	}
	n := 0
	for i := 0; i < 100; i++ {
		k := "e" + strconv.Itoa(i)
		v, ok := published(s, k)
		if !ok {
			continue
		}
		n++
		if v != val+k {
			t.Fatalf("%s: published a wrong value", k)
		}
		// The mirror is deleted before the entry, and no fill is in
		// flight here: a key published now is in the near cache.
		if _, ok := s.near.m.Load(k); !ok {
			t.Fatalf("%s published but not in the near cache", k)
		}
	}
	t.Logf("%d of 100 keys published with a 32 KB budget", n)
}

// TestNearPublishedRace: readers, writers on two nodes, invalidations and
// resets at once, under -race; C's reads (ReadPublished) after a node's
// own write returned never go backwards.
func TestNearPublishedRace(t *testing.T) {
	t.Parallel()
	r := redistest.Start(t, redistest.Options{})
	a, b := pubNode(t, r, 1<<20), pubNode(t, r, 1<<20)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var last [8]atomic.Int64
	var bad atomic.Value
	run := func(f func(i int)) { testloop.UntilStopped(&wg, stop, f) }
	for g := 0; g < 3; g++ {
		run(func(i int) { a.Get("r" + strconv.Itoa(i%8)) })
		run(func(i int) { b.Get("r" + strconv.Itoa(i%8)) })
	}
	run(func(i int) { // a's writer: a's C reads never go back
		k := i % 8
		v := int64(i + 1)
		a.Set("r"+strconv.Itoa(k), strconv.FormatInt(v, 10), 0)
		last[k].Store(v)
		time.Sleep(time.Millisecond)
	})
	run(func(i int) {
		for k := 0; k < 8; k++ {
			l := last[k].Load()
			if v, ok := published(a, "r"+strconv.Itoa(k)); ok {
				if n, _ := strconv.ParseInt(v, 10, 64); n < l {
					bad.Store("r" + strconv.Itoa(k) + ": published " + v + " after a's Set of " + strconv.FormatInt(l, 10))
				}
			}
		}
	})
	run(func(i int) { // b's writes to other keys, and resets
		b.Set("o"+strconv.Itoa(i%8), "x", 0)
		a.Get("o" + strconv.Itoa(i%8))
		if i%200 == 199 {
			a.near.invalidate(nil, true)
		}
	})
	time.Sleep(2 * time.Second)
	close(stop)
	wg.Wait()
	if v := bad.Load(); v != nil {
		t.Fatal(v)
	}
}

// TestNearPublishedNotWhileDirty: a read that passed Get's dirty check
// just before this node's write marked the key (so it fills the near
// cache after the mark, possibly from rueidis's copy of the old value)
// leaves nothing published while the key is dirty. Fails without the
// mirror's check of dirty keys (near_pub.go).
func TestNearPublishedNotWhileDirty(t *testing.T) {
	t.Parallel()
	r := redistest.Start(t, redistest.Options{})
	s := pubNode(t, r, 8<<20)
	r.CLI("set", "t:k", "old")
	wantGet(t, s, "k", "old", true) // rueidis and the near cache hold it
	// The write's mark, with the write itself held back: rueidis still
	// has "old", as it would until the write's invalidation arrives.
	s.dirty.mark(s, s.key("k"))
	for i := 0; i < 20; i++ {
		// What the racing reads do after their dirty check passed.
		if v, ok, _ := s.cachedGet("k"); !ok || v != "old" {
			t.Fatalf("cachedGet = %q, %v", v, ok)
		}
		if v, ok := published(s, "k"); ok {
			t.Fatalf("published %q while the key is dirty", v)
		}
		time.Sleep(5 * time.Millisecond)
	}
	s.dirty.done("k")
}
