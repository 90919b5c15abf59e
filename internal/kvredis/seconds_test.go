package kvredis

import (
	"math"
	"strconv"
	"testing"
	"time"
)

// PHP's TTLs longer than a Duration holds reach Redis exactly (EX, EXPIRE),
// and one whose deadline would pass int64's last ms ends there instead of
// being refused. Then the RESP view of the same keys (GetWithExpiry, which
// reads deadlines past 2^53 ms in a transaction, not the Lua script).
func TestSecondsTTLBeyondDuration(t *testing.T) {
	cacheModes(t, func(t *testing.T, cache int64) {
		r, s := standalone(t, cache)
		const long = 9999999999 // PHP's "forever"
		nowS := time.Now().Unix()
		if !s.SetSeconds("a", 0, "v", long, false) {
			t.Fatal("SetSeconds refused")
		}
		if ttl := s.TTL("a"); ttl > long || ttl < long-5 {
			t.Errorf("TTL %d, want %d", ttl, long)
		}
		if got := r.CLI("EXPIRETIME", "t:a"); got != strconv.FormatInt(nowS+long, 10) && got != strconv.FormatInt(nowS+long+1, 10) {
			t.Errorf("EXPIRETIME on Redis %s, want about %d", got, nowS+long)
		}
		if s.SetSeconds("a", 0, "w", long, true) {
			t.Error("SetSeconds NX over a live key")
		}
		if !s.SetSeconds("b", 0, "v", long, true) {
			t.Error("SetSeconds NX of a new key refused")
		}
		if !s.SetSeconds("c", 0, "v", math.MaxInt64, false) {
			t.Fatal("SetSeconds of int64's max refused")
		}
		if got := r.CLI("PEXPIRETIME", "t:c"); got != "9223372036854775807" {
			t.Errorf("PEXPIRETIME of a saturated TTL %s", got)
		}
		s.Set("d", "v", 0)
		if !s.ExpireSeconds("d", long) {
			t.Fatal("ExpireSeconds refused")
		}
		if ttl := s.TTL("d"); ttl > long || ttl < long-5 {
			t.Errorf("TTL after ExpireSeconds %d", ttl)
		}
		if !s.ExpireSeconds("d", math.MaxInt64) || r.CLI("PEXPIRETIME", "t:d") != "9223372036854775807" {
			t.Errorf("ExpireSeconds(max): %s", r.CLI("PEXPIRETIME", "t:d"))
		}
		if s.ExpireSeconds("nokey", long) || s.ExpireSeconds("d", 0) {
			t.Error("ExpireSeconds of a missing key or 0 s")
		}
		// GetWithExpiry past 2^53 ms is exact (Lua would round it).
		if v, e, ok := s.GetWithExpiry("c"); !ok || v != "v" || e != -math.MaxInt64 {
			t.Errorf("GetWithExpiry of PXAT max: %q %d %v", v, e, ok)
		}
		r.CLI("SET", "t:e", "x", "PXAT", "9223372036854775000")
		if v, e, ok := s.GetWithExpiry("e"); !ok || v != "x" || e != -9223372036854775000 {
			t.Errorf("GetWithExpiry past 2^53: %q %d %v", v, e, ok)
		}
		if _, _, ok := s.GetWithExpiry("nokey"); ok {
			t.Error("GetWithExpiry of a missing key")
		}
	})
}

// A PTTL (Redis without PEXPIRETIME) of a deadline near int64's last ms,
// read on a clock ahead of Redis's, saturates instead of wrapping into a
// negative (which would read as "no expiry").
func TestPTTLExpirySaturates(t *testing.T) {
	now := time.Now()
	if got := pttlExpiry(math.MaxInt64-now.UnixMilli()+5, now); got != math.MaxInt64 {
		t.Errorf("pttlExpiry near the limit = %d", got)
	}
	if got := pttlExpiry(1000, now); got != now.UnixMilli()+1000 {
		t.Errorf("pttlExpiry(1000) = %d", got)
	}
	if got := pttlExpiry(-2, now); got != -2 {
		t.Errorf("pttlExpiry(-2) = %d", got)
	}
}
