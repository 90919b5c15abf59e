package kvredis

import (
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ephpm/ephpm/internal/kv"
	"github.com/ephpm/ephpm/internal/redistest"
)

func pexpiretime(t *testing.T, rs *redistest.Server, key string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(rs.CLI("PEXPIRETIME", key), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestUpdateOps: what each result of the function does on Redis, and
// GetWithExpiry agreeing with Redis's PEXPIRETIME.
func TestUpdateOps(t *testing.T) {
	rs := redistest.Start(t, redistest.Options{})
	s := mustNew(t, Options{Addresses: []string{rs.Addr}, KeyPrefix: "u:", ClientCache: 8 << 20, CommandTimeout: 5 * time.Second})
	upd := func(key string, fn func(string, int64, bool) (string, int64, kv.UpdateOp)) {
		t.Helper()
		if err := s.Update(key, fn); err != nil {
			t.Fatalf("Update(%q): %v", key, err)
		}
	}
	calls := 0
	upd("k", func(old string, exp int64, exists bool) (string, int64, kv.UpdateOp) {
		calls++
		if exists || old != "" || exp != 0 {
			t.Errorf("missing key seen as %q %d %v", old, exp, exists)
		}
		return "", 0, kv.UpdateKeep
	})
	if calls != 1 || rs.CLI("EXISTS", "u:k") != "0" {
		t.Fatalf("Keep on a missing key: %d calls, exists %s", calls, rs.CLI("EXISTS", "u:k"))
	}
	at := time.Now().Add(time.Hour).Truncate(time.Millisecond).UnixNano()
	upd("k", func(string, int64, bool) (string, int64, kv.UpdateOp) { return "v\x001", at, kv.UpdateStore })
	if got := rs.CLI("STRLEN", "u:k"); got != "3" {
		t.Errorf("STRLEN of the stored value on Redis: %s, want 3", got)
	}
	if ms := pexpiretime(t, rs, "u:k"); ms != at/1e6 {
		t.Errorf("PEXPIRETIME on Redis %d, want %d", ms, at/1e6)
	}
	v, exp, ok := s.GetWithExpiry("k")
	if !ok || v != "v\x001" || exp != at {
		t.Errorf("GetWithExpiry = %q %d %v, want %d", v, exp, ok, at)
	}
	// Keeping the expiry it read keeps Redis's TTL (KEEPTTL).
	upd("k", func(old string, exp int64, exists bool) (string, int64, kv.UpdateOp) {
		if !exists || old != "v\x001" || exp != at {
			t.Errorf("Update saw %q %d %v", old, exp, exists)
		}
		return old + "2", exp, kv.UpdateStore
	})
	if ms := pexpiretime(t, rs, "u:k"); ms != at/1e6 {
		t.Errorf("PEXPIRETIME after keeping the expiry %d, want %d", ms, at/1e6)
	}
	// No expiry, then an expiry in the past deletes.
	upd("k", func(old string, _ int64, _ bool) (string, int64, kv.UpdateOp) { return old, 0, kv.UpdateStore })
	if rs.CLI("TTL", "u:k") != "-1" {
		t.Errorf("TTL after storing without expiry: %s", rs.CLI("TTL", "u:k"))
	}
	if v, exp, ok := s.GetWithExpiry("k"); !ok || exp != 0 || v != "v\x0012" {
		t.Errorf("GetWithExpiry = %q %d %v", v, exp, ok)
	}
	upd("k", func(old string, _ int64, _ bool) (string, int64, kv.UpdateOp) {
		return old, time.Now().Add(-time.Second).UnixNano(), kv.UpdateStore
	})
	if rs.CLI("EXISTS", "u:k") != "0" {
		t.Error("a store with a past expiry left the key")
	}
	rs.CLI("SET", "u:d", "x")
	upd("d", func(string, int64, bool) (string, int64, kv.UpdateOp) { return "", 0, kv.UpdateDelete })
	if rs.CLI("EXISTS", "u:d") != "0" {
		t.Error("UpdateDelete left the key")
	}
	if _, _, ok := s.GetWithExpiry("d"); ok {
		t.Error("GetWithExpiry of a deleted key ok")
	}
	// A key of another type is an error, not a crash.
	rs.CLI("LPUSH", "u:list", "x")
	if err := s.Update("list", func(o string, e int64, x bool) (string, int64, kv.UpdateOp) { return "y", 0, kv.UpdateStore }); err == nil {
		t.Error("Update of a list: no error")
	}
	if _, _, ok := s.GetWithExpiry("list"); ok {
		t.Error("GetWithExpiry of a list: ok")
	}
	// The connection that failed is not reused: the next update works.
	upd("after", func(string, int64, bool) (string, int64, kv.UpdateOp) { return "1", 0, kv.UpdateStore })
	if rs.CLI("GET", "u:after") != "1" {
		t.Error("Update after a failed one did not store")
	}
}

// TestUpdateAtomicAcrossNodes: read-modify-write increments through two
// stores (two nodes) from many goroutines lose nothing (WATCH conflicts
// are retried), in standalone and in a cluster.
func TestUpdateAtomicAcrossNodes(t *testing.T) {
	for _, mode := range []string{"standalone", "cluster"} {
		t.Run(mode, func(t *testing.T) {
			var addrs []string
			var cli func(...string) string
			if mode == "cluster" {
				c := redistest.StartCluster(t, 3, redistest.Options{})
				addrs, cli = c.Addrs, c.CLI
			} else {
				rs := redistest.Start(t, redistest.Options{})
				addrs, cli = []string{rs.Addr}, rs.CLI
			}
			nodes := []*Store{
				mustNew(t, Options{Addresses: addrs, KeyPrefix: "a:", ClientCache: 8 << 20, CommandTimeout: 10 * time.Second}),
				mustNew(t, Options{Addresses: addrs, KeyPrefix: "a:", CommandTimeout: 10 * time.Second}),
			}
			const workers, each = 4, 40
			var wg sync.WaitGroup
			errs := make(chan error, 2*workers)
			for _, s := range nodes {
				for range workers {
					wg.Add(1)
					go func() {
						defer wg.Done()
						for range each {
							err := s.Update("n", func(old string, exp int64, exists bool) (string, int64, kv.UpdateOp) {
								n, _ := strconv.Atoi(old)
								return strconv.Itoa(n + 1), exp, kv.UpdateStore
							})
							if err != nil {
								errs <- err
								return
							}
						}
					}()
				}
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
			if got, want := cli("GET", "a:n"), strconv.Itoa(2*workers*each); got != want {
				t.Errorf("after concurrent updates: %s, want %s", got, want)
			}
		})
	}
}

// TestRangeRandomKeyStats: Range walks only the keys under the prefix
// (glob characters in it are literal) on every primary of a cluster, with
// their expiries; RandomKey finds one of ours among many others; KVStats
// counts keys by DBSIZE only without a prefix.
func TestRangeRandomKeyStats(t *testing.T) {
	c := redistest.StartCluster(t, 3, redistest.Options{})
	const prefix = "a*:"
	s := mustNew(t, Options{Addresses: c.Addrs, KeyPrefix: prefix, CommandTimeout: 10 * time.Second})
	if err := s.Ping(); err != nil {
		t.Fatal(err)
	}
	const n = 300
	for i := range n {
		ttl := time.Duration(0)
		if i%3 == 0 {
			ttl = time.Hour
		}
		if !s.Set("key"+strconv.Itoa(i), "v", ttl) {
			t.Fatal("Set failed")
		}
	}
	// Outside the prefix, though "a*:*" unescaped would match them (one
	// hash tag: one MSET).
	outside := []string{"MSET"}
	for i := range 50 {
		outside = append(outside, "ab:{o}"+strconv.Itoa(i), "x")
	}
	c.CLI(outside...)
	for _, node := range c.Nodes {
		if k, _ := strconv.Atoi(node.CLI("DBSIZE")); k == 0 {
			t.Fatalf("node %s holds no key: keys not spread", node.Addr)
		}
	}
	seen := map[string]bool{}
	withExp := 0
	now := time.Now().UnixNano()
	s.Range(func(k string, exp int64) bool {
		if seen[k] {
			t.Errorf("Range gave %q twice", k)
		}
		seen[k] = true
		if exp != 0 {
			withExp++
			if exp < now || exp > now+int64(2*time.Hour) {
				t.Errorf("expiry of %q: %d", k, exp)
			}
		}
		return true
	})
	if len(seen) != n || withExp != n/3 {
		t.Errorf("Range: %d keys (%d with expiry), want %d (%d)", len(seen), withExp, n, n/3)
	}
	for k := range seen {
		if !strings.HasPrefix(k, "key") {
			t.Errorf("Range gave %q", k)
		}
	}
	stopped := 0
	s.Range(func(string, int64) bool { stopped++; return stopped < 5 })
	if stopped != 5 {
		t.Errorf("Range went on after false: %d calls", stopped)
	}
	if k, ok := s.RandomKey(); !ok || !seen[k] {
		t.Errorf("RandomKey = %q %v", k, ok)
	}
	if st := s.KVStats(); st.Keys != 0 {
		t.Errorf("KVStats.Keys with a prefix: %d, want 0 (DBSIZE walks)", st.Keys)
	}
	all := mustNew(t, Options{Addresses: c.Addrs, CommandTimeout: 10 * time.Second})
	if st := all.KVStats(); st.Keys != n+50 {
		t.Errorf("KVStats.Keys without a prefix: %d, want %d", st.Keys, n+50)
	}

	// Standalone, one key of ours among 2000 others: RANDOMKEY rarely
	// hits it, the walk does.
	rs := redistest.Start(t, redistest.Options{})
	args := []string{"MSET"}
	for i := range 2000 {
		args = append(args, "other:"+strconv.Itoa(i), "x")
	}
	rs.CLI(args...)
	one := mustNew(t, Options{Addresses: []string{rs.Addr}, KeyPrefix: "mine:", CommandTimeout: 10 * time.Second})
	if k, ok := one.RandomKey(); ok {
		t.Errorf("RandomKey with none of ours = %q", k)
	}
	rs.CLI("SET", "mine:only", "1")
	if k, ok := one.RandomKey(); !ok || k != "only" {
		t.Errorf("RandomKey = %q %v, want only", k, ok)
	}
}

// TestRESPOpsRedisHung: with Redis hung (SIGSTOP) Update, GetWithExpiry,
// Range and RandomKey fail within about the command timeout instead of
// hanging, and work again once it answers.
func TestRESPOpsRedisHung(t *testing.T) {
	rs := redistest.Start(t, redistest.Options{})
	s := mustNew(t, Options{Addresses: []string{rs.Addr}, KeyPrefix: "h:", ClientCache: 8 << 20, CommandTimeout: 300 * time.Millisecond})
	set1 := func(string, int64, bool) (string, int64, kv.UpdateOp) { return "1", 0, kv.UpdateStore }
	if err := s.Update("k", set1); err != nil {
		t.Fatal(err)
	}
	rs.Pause()
	resumed := false
	defer func() {
		if !resumed {
			rs.Resume()
		}
	}()
	bounded := func(what string, f func()) {
		t.Helper()
		start := time.Now()
		f()
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("%s with Redis hung took %v", what, d)
		}
	}
	bounded("Update", func() {
		if err := s.Update("k", set1); err == nil {
			t.Error("Update with Redis hung: no error")
		}
	})
	bounded("GetWithExpiry", func() {
		if _, _, ok := s.GetWithExpiry("k"); ok {
			t.Error("GetWithExpiry with Redis hung: ok")
		}
	})
	bounded("Range", func() { s.Range(func(string, int64) bool { return true }) })
	bounded("RandomKey", func() { s.RandomKey() })
	if st := s.Stats(); st.Errors["timeout"] == 0 {
		t.Errorf("no timeout counted: %+v", st.Errors)
	}
	rs.Resume()
	resumed = true
	deadline := time.Now().Add(15 * time.Second)
	for {
		err := s.Update("k", func(string, int64, bool) (string, int64, kv.UpdateOp) { return "2", 0, kv.UpdateStore })
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Update after Redis resumed: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if v, _, ok := s.GetWithExpiry("k"); !ok || v != "2" {
		t.Errorf("after resume: %q %v", v, ok)
	}
}

// TestUpdateReadOwnWrite: a Get on the same node right after an Update
// sees the update, though the key is kept in the client cache by
// concurrent readers and the update went over another connection.
func TestUpdateReadOwnWrite(t *testing.T) {
	rs := redistest.Start(t, redistest.Options{})
	s := mustNew(t, Options{Addresses: []string{rs.Addr}, KeyPrefix: "o:", ClientCache: 8 << 20, CommandTimeout: 5 * time.Second})
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				case <-time.After(50 * time.Microsecond):
					s.Get("k")
				}
			}
		}()
	}
	defer func() { close(stop); wg.Wait() }()
	stale := 0
	for i := range 300 {
		want := strconv.Itoa(i)
		if err := s.Update("k", func(string, int64, bool) (string, int64, kv.UpdateOp) { return want, 0, kv.UpdateStore }); err != nil {
			t.Fatal(err)
		}
		if v, _ := s.Get("k"); v != want {
			stale++
		}
	}
	if stale > 0 {
		t.Errorf("%d of 300 reads right after an Update saw an older value", stale)
	}
}

// TestRESPOpsWithoutPEXPIRETIME: on a Redis without PEXPIRETIME (6.x;
// here renamed away) expiries come from PTTL, close to the exact ones.
func TestRESPOpsWithoutPEXPIRETIME(t *testing.T) {
	rs := redistest.Start(t, redistest.Options{Extra: []string{"--rename-command", "PEXPIRETIME", ""}})
	s := mustNew(t, Options{Addresses: []string{rs.Addr}, KeyPrefix: "l:", CommandTimeout: 5 * time.Second})
	at := time.Now().Add(time.Hour).Truncate(time.Millisecond).UnixNano()
	near := func(what string, got int64) {
		t.Helper()
		if d := time.Duration(got - at); d < -time.Second || d > time.Second {
			t.Errorf("%s: expiry %d is %v from %d", what, got, d, at)
		}
	}
	if err := s.Update("k", func(string, int64, bool) (string, int64, kv.UpdateOp) { return "v", at, kv.UpdateStore }); err != nil {
		t.Fatal(err)
	}
	v, exp, ok := s.GetWithExpiry("k")
	if !ok || v != "v" {
		t.Fatalf("GetWithExpiry = %q %v", v, ok)
	}
	near("GetWithExpiry", exp)
	var seen int64
	if err := s.Update("k", func(o string, e int64, ex bool) (string, int64, kv.UpdateOp) {
		seen = e
		return o + "2", e, kv.UpdateStore
	}); err != nil {
		t.Fatal(err)
	}
	near("Update's view", seen)
	if ttl, _ := strconv.Atoi(rs.CLI("TTL", "l:k")); ttl < 3590 || ttl > 3600 {
		t.Errorf("TTL after keeping the expiry: %d", ttl)
	}
	s.Range(func(k string, e int64) bool {
		near("Range", e)
		return true
	})
	rs.CLI("SET", "l:p", "x")
	n := 0
	s.Range(func(k string, e int64) bool {
		n++
		if k == "p" && e != 0 {
			t.Errorf("Range: expiry of a persistent key %d", e)
		}
		return true
	})
	if n != 2 {
		t.Errorf("Range saw %d keys, want 2", n)
	}
}

// TestUpdatePanic: a panic in the function reaches the caller, and the
// connection it left under WATCH is not reused (later updates of the
// same key, changed meanwhile, still apply).
func TestUpdatePanic(t *testing.T) {
	rs := redistest.Start(t, redistest.Options{})
	s := mustNew(t, Options{Addresses: []string{rs.Addr}, KeyPrefix: "p:", CommandTimeout: 5 * time.Second})
	func() {
		defer func() {
			if r := recover(); r != "boom" {
				t.Errorf("recovered %v, want boom", r)
			}
		}()
		s.Update("k", func(string, int64, bool) (string, int64, kv.UpdateOp) { panic("boom") })
	}()
	rs.CLI("SET", "p:k", "changed")
	for i := range 3 {
		calls := 0
		err := s.Update("k", func(o string, e int64, _ bool) (string, int64, kv.UpdateOp) {
			calls++
			return o + strconv.Itoa(i), e, kv.UpdateStore
		})
		if err != nil || calls != 1 {
			t.Errorf("update %d after a panic: err %v, %d calls", i, err, calls)
		}
	}
	if got := rs.CLI("GET", "p:k"); got != "changed012" {
		t.Errorf("after the updates: %q", got)
	}
}

// TestUpdateOOM: Redis refusing the write (maxmemory, noeviction) is
// kv.ErrNoMemory, and the old value stays.
func TestUpdateOOM(t *testing.T) {
	rs := redistest.Start(t, redistest.Options{})
	s := mustNew(t, Options{Addresses: []string{rs.Addr}, KeyPrefix: "m:", CommandTimeout: 5 * time.Second})
	rs.CLI("SET", "m:k", "old")
	rs.CLI("CONFIG", "SET", "maxmemory-policy", "noeviction")
	rs.CLI("CONFIG", "SET", "maxmemory", "1")
	err := s.Update("k", func(o string, e int64, _ bool) (string, int64, kv.UpdateOp) { return o + "new", e, kv.UpdateStore })
	if !errors.Is(err, kv.ErrNoMemory) {
		t.Errorf("Update over maxmemory: %v, want kv.ErrNoMemory", err)
	}
	rs.CLI("CONFIG", "SET", "maxmemory", "0")
	if got := rs.CLI("GET", "m:k"); got != "old" {
		t.Errorf("value after the refused update: %q", got)
	}
}
