package kvredis

import (
	"testing"
	"time"
)

// wantTTL checks s.TTL(key) for a TTL of set given at or after since: the
// seconds left, rounded up, of some instant between since and now, so
// exactly ceil(set) while under a second passed (the usual case) and lower
// only by the whole seconds that really elapsed. On a loaded machine a
// second may pass between two round trips, which made an exact "== set"
// flaky; a lost TTL (-1), a missing key (-2), a wrong TTL or wrong rounding
// still fails.
func wantTTL(t *testing.T, s *Store, key string, set time.Duration, since time.Time) {
	t.Helper()
	n := s.TTL(key)
	left := set - time.Since(since)
	hi, lo := ceilSeconds(set), ceilSeconds(left)
	if n < lo || n > hi {
		t.Fatalf("TTL %q = %d, want %d (or down to %d: %v of %v left)", key, n, hi, lo, left.Round(time.Millisecond), set)
	}
}

// wantPTTL is wantTTL for s.PTTL(key): at most set, at least what the
// elapsed wall time leaves (1 ms for rounding).
func wantPTTL(t *testing.T, s *Store, key string, set time.Duration, since time.Time) {
	t.Helper()
	p := s.PTTL(key)
	left := set - time.Since(since)
	if p > set.Milliseconds() || p < left.Milliseconds()-1 {
		t.Fatalf("PTTL %q = %d, want at most %d and at least %d", key, p, set.Milliseconds(), left.Milliseconds()-1)
	}
}

func ceilSeconds(d time.Duration) int64 {
	return int64((d + time.Second - 1) / time.Second)
}
