package kvredis

import (
	"errors"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ephpm/ephpm/internal/kv"
	"github.com/ephpm/ephpm/internal/redistest"
)

// TestCluster: every function on a Redis Cluster of three primaries,
// with keys spread over the slots of every node, del_prefix and flush on
// every primary, and two nodes sharing the cluster through their client
// caches.
func TestCluster(t *testing.T) {
	t.Parallel()
	began := time.Now()
	cl := redistest.StartCluster(t, 3, redistest.Options{})
	t.Logf("cluster up after %v", time.Since(began))
	defer func() { t.Logf("test done after %v", time.Since(began)) }()
	mk := func() *Store {
		s := mustNew(t, Options{Addresses: cl.Addrs, KeyPrefix: "t:", ClientCache: 8 << 20, CommandTimeout: 5 * time.Second})
		waitReady(t, s)
		return s
	}
	a, b := mk(), mk()
	if m := a.rc().Mode(); m != "cluster" {
		t.Fatalf("rueidis mode %q, want cluster", m)
	}
	defer wantNoDirect(t, a) // a cluster: rueidis only

	// Keys over many slots, on every node (written concurrently: rueidis
	// pipelines them).
	var failed atomic.Int32
	var wg sync.WaitGroup
	for g := 0; g < 10; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := g; i < 300; i += 10 {
				if !a.Set("p:"+strconv.Itoa(i), strconv.Itoa(i), 0) || !a.Set("q:"+strconv.Itoa(i), "q", 0) {
					failed.Add(1)
				}
			}
		}(g)
	}
	wg.Wait()
	if failed.Load() != 0 {
		t.Fatalf("%d Sets failed", failed.Load())
	}
	raw := a.rc() // rueidis itself, to talk to Redis around the store
	do := func(args ...string) (string, error) {
		ctx, cancel := a.ctx()
		defer cancel()
		return raw.Do(ctx, raw.B().Arbitrary(args[0]).Keys(args[1]).Args(args[2:]...).Build()).ToString()
	}
	slots := map[int64]bool{}
	for i := 0; i < 20; i++ {
		ctx, cancel := a.ctx()
		n, err := raw.Do(ctx, raw.B().ClusterKeyslot().Key("t:p:"+strconv.Itoa(i)).Build()).AsInt64()
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		slots[n] = true
	}
	if len(slots) < 10 {
		t.Fatalf("20 keys fell in only %d slots", len(slots))
	}
	for i, n := range cl.Nodes {
		if size := n.CLI("dbsize"); size == "0" {
			t.Fatalf("node %d holds no key: the keys are not spread", i)
		}
	}
	for i := 0; i < 300; i += 7 {
		wantGet(t, b, "p:"+strconv.Itoa(i), strconv.Itoa(i), true)
	}

	// Every function, on keys of different slots.
	for _, k := range []string{"x", "y", "bin\x00\xff", "{tag}z"} {
		wantGet(t, a, k, "", false)
		if !a.Set(k, "v\x00", 0) || !a.Exists(k) {
			t.Fatalf("Set/Exists %q", k)
		}
		wantGet(t, b, k, "v\x00", true)
		if a.SetNX(k, "w", 0) {
			t.Fatalf("SetNX over a live key %q", k)
		}
		expireAt := time.Now()
		if !a.Expire(k, 3*time.Second) {
			t.Fatalf("Expire %q", k)
		}
		wantTTL(t, a, k, 3*time.Second, expireAt)
		wantPTTL(t, a, k, 3*time.Second, expireAt)
		if a.Expire(k, 0) {
			t.Fatalf("Expire 0 on %q", k)
		}
		wantTTL(t, a, k, 3*time.Second, expireAt) // unchanged by Expire 0
		if a.DelIfEquals(k, "v") || !a.DelIfEquals(k, "v\x00") {
			t.Fatalf("DelIfEquals %q", k)
		}
		wantGet(t, a, k, "", false)
		if a.Del(k) {
			t.Fatalf("Del of deleted %q = true", k)
		}
		eventually(t, "B sees the delete of "+k, func() bool { _, ok := b.Get(k); return !ok })
		if n, err := a.IncrBy(k, 41); n != 41 || err != nil {
			t.Fatalf("IncrBy %q = %d %v", k, n, err)
		}
		if n, err := b.IncrBy(k, 1); n != 42 || err != nil {
			t.Fatalf("IncrBy on B %q = %d %v", k, n, err)
		}
		wantGet(t, b, k, "42", true)
		if !a.Del(k) {
			t.Fatalf("Del %q", k)
		}
		setAt := time.Now()
		if !a.SetNX(k, "nx", time.Minute) {
			t.Fatalf("SetNX with TTL %q", k)
		}
		wantTTL(t, a, k, time.Minute, setAt)
	}
	a.Set("nan", "abc", 0)
	if _, err := a.IncrBy("nan", 1); !errors.Is(err, kv.ErrNotInteger) {
		t.Fatalf("IncrBy non-integer: %v", err)
	}

	// One SetNX winner across two nodes.
	var wins atomic.Int32
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func(s *Store) {
			defer wg.Done()
			if s.SetNX("race", "me", 0) {
				wins.Add(1)
			}
		}([]*Store{a, b}[i%2])
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Fatalf("%d SetNX winners", wins.Load())
	}

	// A write on the cluster with redis-cli invalidates the cached copy.
	wantGet(t, b, "p:1", "1", true)
	cl.CLI("set", "t:p:1", "cli")
	eventually(t, "B sees redis-cli's write", func() bool { v, _ := b.Get("p:1"); return v == "cli" })

	// del_prefix and flush walk every primary and keep foreign keys.
	for i := 0; i < 30; i++ {
		if _, err := do("SET", "foreign:"+strconv.Itoa(i), "f"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := do("SET", "t:p", "not under t:p:"); err != nil {
		t.Fatal(err)
	}
	if n := a.DelPrefix("p:"); n != 300 {
		t.Fatalf("DelPrefix(p:) = %d, want 300", n)
	}
	wantGet(t, a, "p:5", "", false)
	wantGet(t, a, "p", "not under t:p:", true)
	eventually(t, "B sees the prefix deleted", func() bool { _, ok := b.Get("p:7"); return !ok })
	wantGet(t, a, "q:5", "q", true)
	a.Flush()
	total := 0
	for _, n := range cl.Nodes {
		c, _ := strconv.Atoi(n.CLI("dbsize"))
		total += c
	}
	if total != 30 {
		t.Fatalf("after Flush the cluster holds %d keys, want the 30 foreign ones (t:p went too)", total)
	}
	if got := cl.CLI("get", "foreign:3"); got != "f" {
		t.Fatalf("foreign key changed: %q", got)
	}
	wantGet(t, a, "q:5", "", false)
	eventually(t, "B sees the flush", func() bool { _, ok := b.Get("q:9"); return !ok })
}
