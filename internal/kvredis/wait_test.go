package kvredis

import (
	"sync"
	"testing"
	"time"

	"github.com/ephpm/ephpm/internal/redistest"
)

// waitNodes starts a Redis and two stores on it (two nodes), with key
// prefix "w:" and the client cache of the given size.
func waitNodes(t *testing.T, cache int64) (*redistest.Server, *Store, *Store) {
	t.Helper()
	rs := redistest.Start(t, redistest.Options{})
	mk := func() *Store {
		s := mustNew(t, Options{Addresses: []string{rs.Addr}, KeyPrefix: "w:", ClientCache: cache, CommandTimeout: 5 * time.Second})
		if err := s.Ping(); err != nil {
			t.Fatal(err)
		}
		return s
	}
	return rs, mk(), mk()
}

type waitResult struct {
	ver    uint64
	val    string
	exists bool
	ok     bool
	took   time.Duration
}

// waitAsync runs s.Wait on a goroutine and delivers its result.
func waitAsync(s *Store, key string, last uint64, timeout time.Duration, cancel <-chan struct{}) <-chan waitResult {
	ch := make(chan waitResult, 1)
	go func() {
		start := time.Now()
		v, val, ex, ok := s.Wait(key, last, timeout, cancel)
		ch <- waitResult{v, val, ex, ok, time.Since(start)}
	}()
	return ch
}

func recvWait(t *testing.T, ch <-chan waitResult, within time.Duration) waitResult {
	t.Helper()
	select {
	case r := <-ch:
		return r
	case <-time.After(within):
		t.Fatalf("Wait did not return within %v", within)
		return waitResult{}
	}
}

// waitersGone checks that no registry entry is left once waits ended.
func waitersGone(t *testing.T, s *Store) {
	t.Helper()
	s.waits.mu.Lock()
	defer s.waits.mu.Unlock()
	if n := s.waits.n.Load(); n != 0 || len(s.waits.m) != 0 {
		t.Errorf("wait registry after the waits: n=%d, %d entries", n, len(s.waits.m))
	}
}

// keepPoll sets the fallback poll intervals for one test.
func keepPoll(t *testing.T, d time.Duration) {
	oc, ou := pollCached, pollUncached
	pollCached, pollUncached = d, d
	t.Cleanup(func() { pollCached, pollUncached = oc, ou })
}

// TestWaitVersions: last 0 answers at once; the version depends only on
// the value (the same on every node, binary-safe) and marks a missing key.
func TestWaitVersions(t *testing.T) {
	_, a, b := waitNodes(t, 8<<20)
	v, val, ex, ok := a.Wait("k", 0, 0, nil)
	if !ok || ex || val != "" || v != absentVersion {
		t.Fatalf("Wait(missing, 0) = %d %q %v %v", v, val, ex, ok)
	}
	if !a.Set("k", "bin\x00ary", 0) {
		t.Fatal("Set failed")
	}
	va, val, ex, ok := a.Wait("k", 0, 0, nil)
	if !ok || !ex || val != "bin\x00ary" || va <= absentVersion || va >= 1<<63 {
		t.Fatalf("Wait(k, 0) on A = %d %q %v %v", va, val, ex, ok)
	}
	if vb, _, _, _ := b.Wait("k", 0, 0, nil); vb != va {
		t.Errorf("version on B %d, on A %d: want the same", vb, va)
	}
	if va == valueVersion("bin", true) || valueVersion("", true) == absentVersion {
		t.Error("versions of different states collide")
	}
	// Its own version again, no wait: nothing changed, ok=false at once.
	start := time.Now()
	if _, _, _, ok := b.Wait("k", va, 0, nil); ok {
		t.Error("Wait with the current version and no timeout returned ok")
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("a Wait with timeout 0 took %v", d)
	}
	// A version from elsewhere (stale) answers at once.
	if v, val, _, ok := b.Wait("k", 12345, time.Minute, nil); !ok || v != va || val != "bin\x00ary" {
		t.Errorf("Wait(k, stale) = %d %q %v", v, val, ok)
	}
	waitersGone(t, a)
	waitersGone(t, b)
}

// TestWaitWokenByInvalidation: with the client cache on and the fallback
// poll pushed out to a minute, only Redis's invalidation can wake a
// waiter; a write through another node, a SET and a DEL made directly
// with redis-cli each wake it, and many waiters on one key share one
// registry entry.
func TestWaitWokenByInvalidation(t *testing.T) {
	keepPoll(t, time.Minute)
	rs, a, b := waitNodes(t, 8<<20)
	b.Set("k", "v1", 0)
	v1, _, _, _ := a.Wait("k", 0, 0, nil)

	const n = 20
	var chans []<-chan waitResult
	for range n {
		chans = append(chans, waitAsync(a, "k", v1, 30*time.Second, nil))
	}
	time.Sleep(200 * time.Millisecond) // let them read and park
	a.waits.mu.Lock()
	entries := len(a.waits.m)
	a.waits.mu.Unlock()
	if entries != 1 {
		t.Errorf("registry entries with %d waiters on one key: %d, want 1", n, entries)
	}
	wrote := time.Now()
	b.Set("k", "v2", 0)
	for _, ch := range chans {
		r := recvWait(t, ch, 20*time.Second)
		if !r.ok || r.val != "v2" || r.ver != valueVersion("v2", true) {
			t.Fatalf("after B's write: %+v", r)
		}
	}
	t.Logf("%d waiters woken %v after another node's write", n, time.Since(wrote))

	ch := waitAsync(a, "k", valueVersion("v2", true), 30*time.Second, nil)
	time.Sleep(100 * time.Millisecond)
	rs.CLI("SET", "w:k", "v3")
	if r := recvWait(t, ch, 20*time.Second); !r.ok || r.val != "v3" || !r.exists {
		t.Fatalf("after redis-cli SET: %+v", r)
	}

	ch = waitAsync(a, "k", valueVersion("v3", true), 30*time.Second, nil)
	time.Sleep(100 * time.Millisecond)
	rs.CLI("DEL", "w:k")
	if r := recvWait(t, ch, 20*time.Second); !r.ok || r.exists || r.ver != absentVersion {
		t.Fatalf("after redis-cli DEL: %+v", r)
	}

	// Rewriting the same value is not a change.
	ch = waitAsync(a, "k", absentVersion, 30*time.Second, nil)
	time.Sleep(100 * time.Millisecond)
	rs.CLI("SET", "w:k", "same")
	r := recvWait(t, ch, 20*time.Second)
	ch = waitAsync(a, "k", r.ver, 500*time.Millisecond, nil)
	time.Sleep(100 * time.Millisecond)
	rs.CLI("SET", "w:k", "same")
	if r := recvWait(t, ch, 20*time.Second); r.ok {
		t.Errorf("rewriting the same value woke the waiter: %+v", r)
	}
	waitersGone(t, a)
}

// TestWaitExpiryAndPoll: without the client cache the poll finds a
// change; a key expiring in Redis ends a wait too.
func TestWaitExpiryAndPoll(t *testing.T) {
	rs, a, b := waitNodes(t, 0)
	b.Set("k", "v1", 0)
	v1, _, _, _ := a.Wait("k", 0, 0, nil)
	ch := waitAsync(a, "k", v1, 30*time.Second, nil)
	time.Sleep(100 * time.Millisecond)
	b.Set("k", "v2", 0)
	if r := recvWait(t, ch, 20*time.Second); !r.ok || r.val != "v2" {
		t.Fatalf("after B's write, no client cache: %+v", r)
	}

	rs.CLI("SET", "w:e", "soon", "PX", "300")
	ve, _, _, _ := a.Wait("e", 0, 0, nil)
	if ve == absentVersion {
		t.Fatal("key with a TTL missing at once")
	}
	ch = waitAsync(a, "e", ve, 30*time.Second, nil)
	if r := recvWait(t, ch, 20*time.Second); !r.ok || r.exists {
		t.Fatalf("after the key's expiry: %+v", r)
	}
	waitersGone(t, a)
}

// TestWaitTimeoutCancelClose: a wait with nothing changing ends with
// ok=false at its timeout, when cancel is closed, and when the store is
// closed.
func TestWaitTimeoutCancelClose(t *testing.T) {
	_, a, _ := waitNodes(t, 8<<20)
	r := recvWait(t, waitAsync(a, "k", absentVersion, 400*time.Millisecond, nil), 20*time.Second)
	if r.ok || r.took < 400*time.Millisecond {
		t.Errorf("timeout: %+v", r)
	}

	cancel := make(chan struct{})
	ch := waitAsync(a, "k", absentVersion, time.Minute, cancel)
	time.Sleep(100 * time.Millisecond)
	close(cancel)
	if r := recvWait(t, ch, 20*time.Second); r.ok || r.took > 15*time.Second {
		t.Errorf("cancel: %+v", r)
	}

	ch = waitAsync(a, "k", absentVersion, time.Minute, nil)
	time.Sleep(100 * time.Millisecond)
	a.Close()
	if r := recvWait(t, ch, 20*time.Second); r.ok {
		t.Errorf("store closed: %+v", r)
	}
	waitersGone(t, a)
}

// TestWaitRedisDown: with Redis gone a wait fails within the command
// timeout instead of hanging to its own timeout.
func TestWaitRedisDown(t *testing.T) {
	rs := redistest.Start(t, redistest.Options{})
	s := mustNew(t, Options{Addresses: []string{rs.Addr}, KeyPrefix: "w:", ClientCache: 8 << 20, CommandTimeout: 500 * time.Millisecond})
	if err := s.Ping(); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	ch := waitAsync(s, "k", absentVersion, time.Minute, nil)
	go func() {
		defer wg.Done()
		time.Sleep(200 * time.Millisecond)
		rs.Stop()
	}()
	r := recvWait(t, ch, 20*time.Second)
	wg.Wait()
	if r.ok {
		t.Errorf("Wait with Redis killed: %+v", r)
	}
	// A failing wait returns within the command timeout, but not at
	// once: a PHP loop around it must not spin.
	start := time.Now()
	if _, _, _, ok := s.Wait("k", 0, time.Minute, nil); ok {
		t.Error("Wait(last 0) with Redis down returned ok")
	}
	if d := time.Since(start); d > 10*time.Second || d < 400*time.Millisecond {
		t.Errorf("Wait with Redis down took %v, want about the command timeout (500ms)", d)
	}
	start = time.Now()
	if _, _, _, ok := s.Wait("k", 0, 0, nil); ok || time.Since(start) > 5*time.Second {
		t.Errorf("Wait without timeout, Redis down: ok=%v after %v", ok, time.Since(start))
	}
	waitersGone(t, s)
}

// TestWaitClusterInvalidation: in a Redis Cluster, with the poll pushed
// out, waiters on keys of different slots are woken by writes through
// another node (Redis's invalidations from each primary).
func TestWaitClusterInvalidation(t *testing.T) {
	keepPoll(t, time.Minute)
	c := redistest.StartCluster(t, 3, redistest.Options{})
	mk := func() *Store {
		return mustNew(t, Options{Addresses: c.Addrs, KeyPrefix: "w:", ClientCache: 8 << 20, CommandTimeout: 5 * time.Second})
	}
	a, b := mk(), mk()
	keys := []string{"alpha", "bravo", "charlie", "delta", "echo", "foxtrot"}
	var chans []<-chan waitResult
	for _, k := range keys {
		v, _, _, ok := a.Wait(k, 0, 0, nil)
		if !ok {
			t.Fatalf("Wait(%q, 0) failed", k)
		}
		chans = append(chans, waitAsync(a, k, v, 30*time.Second, nil))
	}
	time.Sleep(200 * time.Millisecond)
	for _, k := range keys {
		if !b.Set(k, "new-"+k, 0) {
			t.Fatalf("Set(%q) on B failed", k)
		}
	}
	for i, ch := range chans {
		if r := recvWait(t, ch, 20*time.Second); !r.ok || r.val != "new-"+keys[i] {
			t.Errorf("waiter on %q: %+v", keys[i], r)
		}
	}
	waitersGone(t, a)
}

// TestWaitPollsOncePerKey: the waiters of one key take turns polling it,
// so Redis sees about one read per interval, not one per waiter; and a
// change found by one waiter's poll wakes them all.
func TestWaitPollsOncePerKey(t *testing.T) {
	keepPoll(t, 100*time.Millisecond)
	_, a, b := waitNodes(t, 0)
	const n = 20
	before := a.stats.trips.Load()
	var chans []<-chan waitResult
	for range n {
		chans = append(chans, waitAsync(a, "k", absentVersion, time.Second, nil))
	}
	for _, ch := range chans {
		if r := recvWait(t, ch, 20*time.Second); r.ok {
			t.Fatalf("nothing changed, yet: %+v", r)
		}
	}
	// n first reads, then about 10 polls in the second; one per waiter
	// per interval would be about 200.
	if reads := a.stats.trips.Load() - before; reads > 3*n {
		t.Errorf("%d waiters for 1 s at a 100 ms poll made %d reads", n, reads)
	}
	chans = chans[:0]
	for range n {
		chans = append(chans, waitAsync(a, "k", absentVersion, 30*time.Second, nil))
	}
	time.Sleep(300 * time.Millisecond)
	b.Set("k", "v", 0)
	for _, ch := range chans {
		if r := recvWait(t, ch, 20*time.Second); !r.ok || r.val != "v" {
			t.Errorf("after a write found by a poll: %+v", r)
		}
	}
	waitersGone(t, a)
}
