package kv

import "math"

// Deadlines. A version's expiry (vhdr.expires) and every expiresAt of the
// store's API (Update, GetWithExpiry, Range) is one int64:
//
//	0      no expiry
//	> 0    unix nanoseconds on the store's clock (Now), up to 2262-04-11
//	< 0    minus unix milliseconds, for a deadline past the nanosecond
//	       range: -ms with ms > maxNsMs (Redis keeps any int64 of ms, and
//	       EXAT / PXAT / EXPIREAT / PEXPIREAT accept them)
//
// Why this and not milliseconds everywhere: every read of a key with a TTL
// compares the deadline with the clock, and the clock (Go's and C's,
// kvfuncs.c) counts nanoseconds; a deadline in ms would cost a division
// (or a multiplication with an overflow check) on that path, and PHP's
// relative TTLs, kept to the ns today, would be rounded. Negative numbers
// were free (no deadline was ever negative), so the far range takes them:
// the header keeps its 8 bytes, a near deadline is what it always was,
// and a far one is exact to the millisecond, which is all Redis keeps.
// A far deadline is never reached by a clock counting int64 ns, so "live"
// is e <= 0 || now < e, and C's published copy of a far deadline is 0 (no
// deadline to check): exact, as that clock cannot get there either.

// maxNsMs is the last unix ms whose nanoseconds fit an int64.
const maxNsMs = math.MaxInt64 / 1_000_000

// DeadlineFromMs is the deadline at unix time ms (ms > 0): nanoseconds
// when they fit, else the far form. ms <= 0 gives a deadline already past.
func DeadlineFromMs(ms int64) int64 {
	switch {
	case ms <= 0:
		return 1 // 1970: past, and not 0 (no expiry)
	case ms > maxNsMs:
		return -ms
	}
	return ms * 1e6
}

// DeadlineMs is deadline e (not 0) in unix milliseconds, rounded down as
// Redis's PEXPIRETIME reports a time it keeps in ms.
func DeadlineMs(e int64) int64 {
	if e < 0 {
		return -e
	}
	return e / 1e6
}

// DeadlineMsUp is DeadlineMs rounded up, for a backend that keeps ms
// (kvredis): a key never expires there before the time asked here.
func DeadlineMsUp(e int64) int64 {
	if e < 0 {
		return -e
	}
	ms := e / 1e6
	if e%1e6 != 0 {
		ms++
	}
	return ms
}

// deadlinePassed reports whether deadline e has passed at clock time now (ns).
func deadlinePassed(e, now int64) bool { return e > 0 && now >= e }

// msLeft is the milliseconds from now (ns) to deadline e (not 0), rounded
// up: PTTL. A far deadline is a whole number of ms, so its ceiling is
// e's ms minus now's ms rounded down (no overflow: both are ms).
func msLeft(e, now int64) int64 {
	if e < 0 {
		nowMs := now / 1e6
		if now%1e6 < 0 {
			nowMs--
		}
		return -e - nowMs
	}
	left := e - now
	ms := left / 1e6
	if left%1e6 > 0 {
		ms++ // round up, without the overflow of adding first
	}
	return ms
}

// addTTL is the deadline ttl ns after now (ttl > 0): nanoseconds when the
// sum fits, else the far form, rounded down to the millisecond as
// DeadlineMs reports a near one (so SET EX of centuries and PEXPIRETIME
// agree with Redis's now_ms + ttl; PTTL then shows the TTL given).
func addTTL(now, ttl int64) int64 {
	if now < 0 || ttl <= math.MaxInt64-now {
		return now + ttl
	}
	return DeadlineFromMs(now/1e6 + ttl/1e6 + (now%1e6+ttl%1e6)/1e6)
}
