package kv

import (
	"math"
	"testing"
	"time"
)

// The deadline encoding (deadline.go) at its edges: the last ms whose ns
// fit, the first that does not, int64's last ms, and the inverse.
func TestDeadlineEncoding(t *testing.T) {
	cases := []struct {
		ms, want int64
	}{
		{1, 1e6},
		{4102444800000, 4102444800000 * 1_000_000},
		{9999999999000, -9999999999000},
		{maxNsMs, maxNsMs * 1e6},
		{maxNsMs + 1, -(maxNsMs + 1)},
		{9999999999999, -9999999999999},
		{math.MaxInt64, -math.MaxInt64},
	}
	for _, c := range cases {
		e := DeadlineFromMs(c.ms)
		if e != c.want {
			t.Errorf("DeadlineFromMs(%d) = %d, want %d", c.ms, e, c.want)
		}
		if got := DeadlineMs(e); got != c.ms {
			t.Errorf("DeadlineMs(DeadlineFromMs(%d)) = %d", c.ms, got)
		}
		if got := DeadlineMsUp(e); got != c.ms {
			t.Errorf("DeadlineMsUp(DeadlineFromMs(%d)) = %d", c.ms, got)
		}
	}
	if e := DeadlineFromMs(0); e <= 0 || !deadlinePassed(e, 1) {
		t.Errorf("DeadlineFromMs(0) = %d: want a deadline already past", e)
	}
	if e := DeadlineFromMs(-5); e <= 0 || !deadlinePassed(e, 1) {
		t.Errorf("DeadlineFromMs(-5) = %d: want a deadline already past", e)
	}
	if DeadlineMsUp(1) != 1 || DeadlineMs(1) != 0 || DeadlineMsUp(2e6) != 2 {
		t.Error("DeadlineMsUp / DeadlineMs of ns deadlines")
	}
	// No clock value reaches a far deadline.
	for _, now := range []int64{0, 1, math.MaxInt64} {
		if deadlinePassed(-math.MaxInt64, now) || deadlinePassed(-(maxNsMs+1), now) {
			t.Errorf("a far deadline passed at %d", now)
		}
	}
	// A TTL carrying past int64 ns lands on its ms, rounded down.
	now := int64(1_700_000_000_123_456_789)
	const maxTTL = int64(math.MaxInt64)
	if e := addTTL(now, maxTTL); e != -(now/1e6+maxTTL/1e6+(now%1e6+maxTTL%1e6)/1e6) || e >= 0 {
		t.Errorf("addTTL(now, MaxInt64) = %d", e)
	}
	if e := addTTL(now, int64(time.Hour)); e != now+int64(time.Hour) {
		t.Errorf("addTTL of an hour = %d", e)
	}
	if got := msLeft(-9999999999999, now); got != 9999999999999-now/1e6 {
		t.Errorf("msLeft far = %d", got)
	}
}

// Keys whose deadline lies past the year 2262 keep it exactly, through
// every way a deadline is given and read, and stay live on any clock.
func TestFarDeadlines(t *testing.T) {
	s, clk := newStore(t, Options{SweepInterval: time.Hour})
	nowMs := clk.now() / 1e6
	year3000 := DeadlineFromMs(32503680000000)
	if year3000 >= 0 {
		t.Fatalf("year 3000 in ns? %d", year3000)
	}
	exact := DeadlineFromMs(math.MaxInt64)

	// Update (the RESP layer's EXAT / PXAT / EXPIREAT).
	for key, e := range map[string]int64{"y3000": year3000, "max": exact, "edge": DeadlineFromMs(maxNsMs + 1)} {
		if err := s.Update(key, func(string, int64, bool) (string, int64, UpdateOp) { return "v", e, UpdateStore }); err != nil {
			t.Fatal(err)
		}
		v, got, ok := s.GetWithExpiry(key)
		if !ok || v != "v" || got != e {
			t.Errorf("%s: GetWithExpiry = %q %d %v, want deadline %d", key, v, got, ok, e)
		}
		if p, want := s.PTTL(key), DeadlineMs(e)-nowMs; p != want {
			t.Errorf("%s: PTTL %d, want %d", key, p, want)
		}
		if ttl, want := s.TTL(key), (DeadlineMs(e)-nowMs+999)/1000; ttl != want {
			t.Errorf("%s: TTL %d, want %d", key, ttl, want)
		}
	}
	// Update keeps the deadline it is handed back (KEEPTTL, APPEND).
	s.Update("y3000", func(o string, e int64, _ bool) (string, int64, UpdateOp) { return o + "w", e, UpdateStore })
	if v, e, _ := s.GetWithExpiry("y3000"); v != "vw" || e != year3000 {
		t.Errorf("kept: %q %d", v, e)
	}
	// A Duration carrying past 2262 (PHP's huge TTLs, SET EX of centuries).
	huge := time.Duration(math.MaxInt64)
	s.Set("set", "v", huge)
	s.SetNX("setnx", "v", huge)
	s.Set("exp", "v", 0)
	s.Expire("exp", huge)
	s.IncrBy("ctr", 1)
	s.Expire("ctr", huge)
	for _, k := range []string{"set", "setnx", "exp", "ctr"} {
		if p := s.PTTL(k); p != int64(huge/time.Millisecond) && p != int64(huge/time.Millisecond)+1 {
			t.Errorf("%s: PTTL %d, want %d", k, p, int64(huge/time.Millisecond))
		}
	}
	// The counter keeps counting and keeps its deadline.
	if n, err := s.IncrBy("ctr", 2); err != nil || n != 3 {
		t.Errorf("incr: %d %v", n, err)
	}
	if _, e, _ := s.GetWithExpiry("ctr"); e >= 0 {
		t.Errorf("counter lost its far deadline: %d", e)
	}

	// The clock at its very end: still live, the sweeper leaves them.
	clk.ns.Store(math.MaxInt64 - 1)
	if n := s.SweepExpired(); n != 0 {
		t.Errorf("the sweeper removed %d far keys", n)
	}
	for _, k := range []string{"y3000", "max", "edge", "set", "setnx", "exp", "ctr"} {
		if !s.Exists(k) {
			t.Errorf("%s gone at the clock's end", k)
		}
	}
	// A deadline in the past still deletes, a far one never does.
	clk.ns.Store(1_700_000_000_000_000_000)
	s.Update("y3000", func(string, int64, bool) (string, int64, UpdateOp) {
		return "v", DeadlineFromMs(nowMs - 1), UpdateStore
	})
	if s.Exists("y3000") {
		t.Error("a past deadline kept the key")
	}
}

// With published values on, a far deadline is published as none (C's
// clock never reaches it) and read from the copy; Expire to another far
// deadline retires the copy like any other.
func TestFarDeadlinePublished(t *testing.T) {
	s, clk, cnow := publishedStore(t, Options{})
	e := DeadlineFromMs(32503680000000)
	s.Update("f", func(string, int64, bool) (string, int64, UpdateOp) { return "far", e, UpdateStore })
	readTwice(s, "f")
	v, dl, ok := s.pubRead("f", cnow)
	if !ok || v != "far" || dl != 0 {
		t.Fatalf("published far key: %q %d %v", v, dl, ok)
	}
	clk.advance(200 * 365 * 24 * time.Hour)
	if v, _, ok := s.pubRead("f", cnow); !ok || v != "far" {
		t.Fatalf("published far key after 200 years: %q %v", v, ok)
	}
	s.Expire("f", time.Second)
	if _, _, ok := s.pubRead("f", cnow); ok {
		t.Fatal("Expire left the copy")
	}
	readTwice(s, "f")
	if _, dl, ok := s.pubRead("f", cnow); !ok || dl != clk.now()+int64(time.Second) {
		t.Fatalf("republished with %d %v", dl, ok)
	}
}

// PHP's TTLs in seconds past what a Duration holds (SetSeconds,
// ExpireSeconds) are exact; past int64's last ms they end there.
func TestSecondsTTL(t *testing.T) {
	s, clk := newStore(t, Options{})
	const long = 9999999999
	nowMs := clk.now() / 1e6
	s.SetSeconds("a", keyHash("a"), "v", long, false)
	if ttl, p := s.TTL("a"), s.PTTL("a"); ttl != long || p != long*1000 {
		t.Errorf("TTL %d PTTL %d, want %d", ttl, p, long)
	}
	if _, e, _ := s.GetWithExpiry("a"); DeadlineMs(e) != nowMs+long*1000 {
		t.Errorf("deadline %d ms, want %d", DeadlineMs(e), nowMs+long*1000)
	}
	if s.SetSeconds("a", keyHash("a"), "w", long, true) {
		t.Error("nx over a live key")
	}
	if !s.SetSeconds("b", keyHash("b"), "v", 100, true) || s.TTL("b") != 100 {
		t.Errorf("a short TTL: %d", s.TTL("b"))
	}
	if !s.SetSeconds("c", keyHash("c"), "v", 0, false) || s.TTL("c") != -1 {
		t.Error("no TTL")
	}
	s.SetSeconds("m", keyHash("m"), "v", math.MaxInt64, false)
	if _, e, _ := s.GetWithExpiry("m"); e != -math.MaxInt64 {
		t.Errorf("saturated deadline %d", e)
	}
	if !s.ExpireSeconds("c", long) || s.TTL("c") != long {
		t.Errorf("ExpireSeconds: %d", s.TTL("c"))
	}
	if s.ExpireSeconds("c", 0) || s.ExpireSeconds("nokey", long) {
		t.Error("ExpireSeconds of 0 s or a missing key")
	}
	if !s.ExpireSeconds("c", 5) || s.TTL("c") != 5 {
		t.Error("ExpireSeconds back to 5 s")
	}
	clk.advance(5 * time.Second)
	if s.Exists("c") {
		t.Error("alive after its 5 s")
	}
}
