package kvredis

import (
	"errors"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ephpm/ephpm/internal/kv"
	"github.com/ephpm/ephpm/internal/redistest"
)

// TestGetSetDelExists: the basic functions, binary-safe, with the keys
// under KeyPrefix on Redis.
func TestGetSetDelExists(t *testing.T) {
	t.Parallel()
	cacheModes(t, func(t *testing.T, cache int64) {
		r, s := standalone(t, cache)
		wantGet(t, s, "a", "", false)
		if s.Exists("a") {
			t.Fatal("Exists of a missing key")
		}
		if !s.Set("a", "1", 0) {
			t.Fatal("Set failed")
		}
		wantGet(t, s, "a", "1", true)
		if got := r.CLI("get", "t:a"); got != "1" {
			t.Fatalf("redis has t:a = %q", got)
		}
		if !s.Exists("a") {
			t.Fatal("Exists after Set")
		}
		if !s.Set("a", "2", 0) {
			t.Fatal("Set over a value failed")
		}
		wantGet(t, s, "a", "2", true)
		if !s.Del("a") {
			t.Fatal("Del of an existing key = false")
		}
		if s.Del("a") {
			t.Fatal("Del of a missing key = true")
		}
		wantGet(t, s, "a", "", false)
		if s.Exists("a") {
			t.Fatal("Exists after Del")
		}

		// Binary-safe keys and values, empty value.
		k, v := "bin\x00key\xff", "val\x00ue\r\n"
		if !s.Set(k, v, 0) {
			t.Fatal("Set binary failed")
		}
		wantGet(t, s, k, v, true)
		wantGet(t, s, "bin", "", false)
		if got := r.CLI("strlen", "t:bin\x00key\xff"[:5]); got != "0" {
			t.Fatalf("a NUL truncated the key: strlen t:bin = %s", got)
		}
		if !s.Set("empty", "", 0) {
			t.Fatal("Set empty failed")
		}
		wantGet(t, s, "empty", "", true)
		if !s.Exists("empty") {
			t.Fatal("an empty value does not exist")
		}
		if !s.Del(k) || s.Exists(k) {
			t.Fatal("Del binary")
		}
	})
}

// TestSetTTLAndExpiry: a TTL given to Set and SetNX lands on Redis, <= 0
// means none, Set replaces the TTL, and an expired key is a miss (also
// from the client cache, which keeps the key's expiry).
func TestSetTTLAndExpiry(t *testing.T) {
	t.Parallel()
	cacheModes(t, func(t *testing.T, cache int64) {
		_, s := standalone(t, cache)
		setAt := time.Now()
		s.Set("ttl", "v", 10*time.Second)
		wantPTTL(t, s, "ttl", 10*time.Second, setAt)
		wantTTL(t, s, "ttl", 10*time.Second, setAt)
		s.Set("ttl", "v", 0)
		if n := s.TTL("ttl"); n != -1 {
			t.Fatalf("Set without TTL kept the old TTL: %d", n)
		}
		s.Set("neg", "v", -time.Second)
		if n := s.TTL("neg"); n != -1 {
			t.Fatalf("Set with ttl < 0: TTL %d, want -1", n)
		}
		if n := s.TTL("missing"); n != -2 {
			t.Fatalf("TTL of missing = %d", n)
		}
		if n := s.PTTL("missing"); n != -2 {
			t.Fatalf("PTTL of missing = %d", n)
		}
		if n := s.PTTL("neg"); n != -1 {
			t.Fatalf("PTTL without expiry = %d", n)
		}

		// Expiry: read while live (cached), then a miss once expired.
		s.Set("short", "v", 300*time.Millisecond)
		wantGet(t, s, "short", "v", true)
		time.Sleep(400 * time.Millisecond)
		wantGet(t, s, "short", "", false)
		if s.Exists("short") {
			t.Fatal("an expired key exists")
		}
		// Sub-millisecond TTLs round up to 1 ms instead of being refused.
		if !s.Set("tiny", "v", time.Microsecond) {
			t.Fatal("Set with a 1 µs TTL failed")
		}
	})
}

// TestTTLRoundsUp: seconds left are rounded up, as the memory backend.
func TestTTLRoundsUp(t *testing.T) {
	t.Parallel()
	_, s := standalone(t, 0)
	s.Set("k", "v", 0)
	if !s.Expire("k", 1500*time.Millisecond) {
		t.Fatal("Expire failed")
	}
	// TTL is the rounded-up seconds of some PTTL between p (before) and
	// p2 (after): 2 for anything in (1000, 1500], as long as the machine
	// did not stall for half a second between the calls.
	p := s.PTTL("k")
	if p <= 0 || p > 1500 {
		t.Fatalf("PTTL = %d", p)
	}
	n := s.TTL("k")
	p2 := s.PTTL("k")
	if hi, lo := (p+999)/1000, (p2+999)/1000; n < lo || n > hi {
		t.Fatalf("TTL with %d ms left (%d after) = %d, want %d (rounded up)", p, p2, n, hi)
	}
}

// TestSetNX: insert only when absent, with its TTL; one winner among 50
// concurrent callers.
func TestSetNX(t *testing.T) {
	t.Parallel()
	cacheModes(t, func(t *testing.T, cache int64) {
		_, s := standalone(t, cache)
		if !s.SetNX("n", "first", 10*time.Second) {
			t.Fatal("SetNX on a missing key = false")
		}
		if s.SetNX("n", "second", 0) {
			t.Fatal("SetNX on a live key = true")
		}
		wantGet(t, s, "n", "first", true)
		if p := s.PTTL("n"); p <= 0 || p > 10000 {
			t.Fatalf("SetNX's TTL: PTTL %d", p)
		}
		if !s.SetNX("n0", "v", 0) || s.TTL("n0") != -1 {
			t.Fatal("SetNX without TTL")
		}
		// An expired key is absent for SetNX.
		s.Set("e", "old", 100*time.Millisecond)
		time.Sleep(200 * time.Millisecond)
		if !s.SetNX("e", "new", 0) {
			t.Fatal("SetNX over an expired key = false")
		}
		wantGet(t, s, "e", "new", true)

		var wins atomic.Int32
		var wg sync.WaitGroup
		for i := 0; i < 50; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				if s.SetNX("race", strconv.Itoa(i), 0) {
					wins.Add(1)
				}
			}(i)
		}
		wg.Wait()
		if wins.Load() != 1 {
			t.Fatalf("%d SetNX winners among 50, want 1", wins.Load())
		}
	})
}

// TestIncrBy: counts from 0, keeps the TTL, refuses non-integers and
// overflow leaving the value untouched.
func TestIncrBy(t *testing.T) {
	t.Parallel()
	cacheModes(t, func(t *testing.T, cache int64) {
		_, s := standalone(t, cache)
		if n, err := s.IncrBy("c", 5); n != 5 || err != nil {
			t.Fatalf("IncrBy missing = %d, %v", n, err)
		}
		if n := s.TTL("c"); n != -1 {
			t.Fatalf("a new counter has TTL %d", n)
		}
		wantGet(t, s, "c", "5", true) // cached now
		if n, err := s.IncrBy("c", 1); n != 6 || err != nil {
			t.Fatalf("IncrBy = %d, %v", n, err)
		}
		wantGet(t, s, "c", "6", true) // the node reads its own increment
		if n, err := s.IncrBy("c", -10); n != -4 || err != nil {
			t.Fatalf("IncrBy -10 = %d, %v", n, err)
		}

		s.Set("ttl", "10", 100*time.Second)
		if n, err := s.IncrBy("ttl", 1); n != 11 || err != nil {
			t.Fatalf("IncrBy = %d, %v", n, err)
		}
		if p := s.PTTL("ttl"); p <= 90000 {
			t.Fatalf("IncrBy lost the TTL: PTTL %d", p)
		}

		for _, bad := range []string{"abc", "1.5", " 1", "", "99999999999999999999"} {
			s.Set("bad", bad, 0)
			if _, err := s.IncrBy("bad", 1); !errors.Is(err, kv.ErrNotInteger) {
				t.Fatalf("IncrBy on %q: err %v, want ErrNotInteger", bad, err)
			}
			wantGet(t, s, "bad", bad, true)
		}
		s.Set("max", "9223372036854775807", 0)
		if _, err := s.IncrBy("max", 1); !errors.Is(err, kv.ErrOverflow) {
			t.Fatalf("overflow: err %v, want ErrOverflow", err)
		}
		wantGet(t, s, "max", "9223372036854775807", true)
		s.Set("min", "-9223372036854775808", 0)
		if _, err := s.IncrBy("min", -1); !errors.Is(err, kv.ErrOverflow) {
			t.Fatalf("underflow: err %v, want ErrOverflow", err)
		}
		if st := s.Stats(); st.Errors["redis"] != 0 {
			t.Fatalf("the caller's bad values were counted as Redis errors: %v", st.Errors)
		}
	})
}

// TestExpire: sets a TTL on an existing key; <= 0 is refused and leaves
// the key as it was; a missing key is false.
func TestExpire(t *testing.T) {
	t.Parallel()
	cacheModes(t, func(t *testing.T, cache int64) {
		_, s := standalone(t, cache)
		if s.Expire("missing", time.Second) {
			t.Fatal("Expire of a missing key = true")
		}
		s.Set("k", "v", 0)
		wantGet(t, s, "k", "v", true)
		for _, d := range []time.Duration{0, -time.Second} {
			if s.Expire("k", d) {
				t.Fatalf("Expire(%v) = true", d)
			}
			if n := s.TTL("k"); n != -1 {
				t.Fatalf("Expire(%v) changed the TTL to %d", d, n)
			}
			wantGet(t, s, "k", "v", true)
		}
		expireAt := time.Now()
		if !s.Expire("k", 5*time.Second) {
			t.Fatal("Expire = false")
		}
		wantTTL(t, s, "k", 5*time.Second, expireAt)
		// A cached value obeys a shortened TTL.
		if !s.Expire("k", 200*time.Millisecond) {
			t.Fatal("Expire = false")
		}
		time.Sleep(300 * time.Millisecond)
		wantGet(t, s, "k", "", false)
	})
}

// TestDelIfEquals: deletes only on an equal value, decided by Redis,
// also after Redis forgot the script.
func TestDelIfEquals(t *testing.T) {
	t.Parallel()
	cacheModes(t, func(t *testing.T, cache int64) {
		r, s := standalone(t, cache)
		if s.DelIfEquals("lock", "me") {
			t.Fatal("DelIfEquals of a missing key = true")
		}
		s.Set("lock", "owner\x00a", 0)
		wantGet(t, s, "lock", "owner\x00a", true)
		if s.DelIfEquals("lock", "owner") {
			t.Fatal("DelIfEquals with a prefix of the value = true")
		}
		wantGet(t, s, "lock", "owner\x00a", true)
		r.CLI("script", "flush")
		if !s.DelIfEquals("lock", "owner\x00a") {
			t.Fatal("DelIfEquals with the value = false (after SCRIPT FLUSH)")
		}
		wantGet(t, s, "lock", "", false)
		if r.CLI("exists", "t:lock") != "0" {
			t.Fatal("the key is still on Redis")
		}
	})
}

// TestDelPrefixAndFlush: only keys starting with the prefix (taken
// literally, glob characters included) and only under KeyPrefix; keys of
// other applications survive.
func TestDelPrefixAndFlush(t *testing.T) {
	t.Parallel()
	cacheModes(t, func(t *testing.T, cache int64) {
		r := redistest.Start(t, redistest.Options{})
		// A KeyPrefix with glob characters must be escaped too.
		s := mustNew(t, Options{Addresses: []string{r.Addr}, KeyPrefix: "app[1]*:", ClientCache: cache, CommandTimeout: testTimeout})
		for _, k := range []string{"user:1", "user:2", "user*x", "user*", "users", "u\x00ser", "other"} {
			if !s.Set(k, "v", 0) {
				t.Fatal("Set failed")
			}
			wantGet(t, s, k, "v", true) // cached
		}
		// Outside KeyPrefix: another application's keys, and keys a glob
		// of an unescaped prefix would match.
		for _, k := range []string{"user:1", "app1:user:1", "app[1]x:user:1", "zzz"} {
			r.CLI("set", k, "foreign")
		}
		mset := []string{"mset"} // several SCAN batches, written at once
		for i := 0; i < 2500; i++ {
			mset = append(mset, "app[1]*:bulk:"+strconv.Itoa(i), "v")
		}
		r.CLI(mset...)
		if n := s.DelPrefix("bulk:"); n != 2500 {
			t.Fatalf("DelPrefix bulk: = %d, want 2500", n)
		}
		if n := s.DelPrefix("user*"); n != 2 { // user*x, user*
			t.Fatalf("DelPrefix(user*) = %d, want 2", n)
		}
		wantGet(t, s, "user*x", "", false)
		wantGet(t, s, "user:1", "v", true)
		if n := s.DelPrefix("user"); n != 3 {
			t.Fatalf("DelPrefix(user) = %d, want 3", n)
		}
		wantGet(t, s, "user:2", "", false)
		wantGet(t, s, "users", "", false)
		if n := s.DelPrefix("user"); n != 0 {
			t.Fatalf("DelPrefix again = %d", n)
		}
		if n := s.DelPrefix("u\x00"); n != 1 {
			t.Fatalf("DelPrefix(u NUL) = %d", n)
		}
		wantGet(t, s, "other", "v", true)
		s.Flush()
		wantGet(t, s, "other", "", false)
		keys := cliKeys(r)
		if len(keys) != 4 {
			t.Fatalf("after Flush Redis holds %q, want the 4 foreign keys", keys)
		}
		for _, k := range keys {
			if r.CLI("get", k) != "foreign" {
				t.Fatalf("foreign key %q changed", k)
			}
		}
	})
}

// TestSetRefusedByMaxmemory: with maxmemory and noeviction Redis refuses
// writes: Set is false and the old value stays; IncrBy is ErrNoMemory.
func TestSetRefusedByMaxmemory(t *testing.T) {
	t.Parallel()
	r := redistest.Start(t, redistest.Options{Extra: []string{"--maxmemory-policy", "noeviction"}})
	s := mustNew(t, Options{Addresses: []string{r.Addr}, KeyPrefix: "t:", ClientCache: 1 << 20, CommandTimeout: testTimeout})
	if !s.Set("keep", "old", 0) {
		t.Fatal("first Set failed")
	}
	if _, err := s.IncrBy("n", 1); err != nil {
		t.Fatal(err)
	}
	wantGet(t, s, "keep", "old", true)
	// A limit below what Redis uses now: every write is refused.
	used := 0
	for _, line := range strings.Split(r.CLI("info", "memory"), "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "used_memory:"); ok {
			used, _ = strconv.Atoi(v)
		}
	}
	if used == 0 {
		t.Fatal("no used_memory in INFO")
	}
	r.CLI("config", "set", "maxmemory", strconv.Itoa(used/2))
	if s.Set("keep", "new", 0) {
		t.Fatal("Set over maxmemory = true")
	}
	wantGet(t, s, "keep", "old", true)
	if s.SetNX("fresh", "v", 0) {
		t.Fatal("SetNX over maxmemory = true")
	}
	if _, err := s.IncrBy("n", 1); !errors.Is(err, kv.ErrNoMemory) {
		t.Fatalf("IncrBy over maxmemory: %v, want ErrNoMemory", err)
	}
	wantGet(t, s, "n", "1", true)
	if st := s.Stats(); st.Errors["redis"] < 3 {
		t.Fatalf("refused writes not counted: %+v", st)
	}
	r.CLI("config", "set", "maxmemory", "0")
	if !s.Set("keep", "new", 0) {
		t.Fatal("Set after the limit was lifted failed")
	}
	wantGet(t, s, "keep", "new", true)
}
