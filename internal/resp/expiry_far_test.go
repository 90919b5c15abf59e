package resp

import (
	"strconv"
	"strings"
	"testing"
)

// farStep is one command of farCases and how far its integer reply may be
// from Redis's: 0 = byte for byte; else the replies must both be integers
// within tol (a TTL read a few ms apart, an absolute time computed from a
// relative one on two clocks).
type farStep struct {
	cmd []string
	tol int64
}

func far(tol int64, cmd ...string) farStep { return farStep{cmd, tol} }

// farCases: deadlines Redis keeps in int64 ms that the store's int64 ns
// cannot hold (past 2262-04-11), the limits of every command that takes
// one, and what reads them back.
var farCases = [][]farStep{
	// SET EXAT / PXAT far, exact; TTL and PTTL of them.
	{far(0, "SET", "a", "v", "EXAT", "9999999999"), far(0, "EXPIRETIME", "a"), far(0, "PEXPIRETIME", "a"), far(2, "TTL", "a"),
		far(2000, "PTTL", "a"), far(0, "GET", "a"), far(0, "EXISTS", "a"), far(0, "TYPE", "a"),
		far(0, "SET", "b", "v", "PXAT", "9223372036854775807"), far(0, "PEXPIRETIME", "b"), far(0, "EXPIRETIME", "b"),
		far(2, "TTL", "b"), far(2000, "PTTL", "b"), far(0, "GET", "b")},
	// The limits: just below, at and past int64 ms; zero and negative.
	{far(0, "SET", "c", "v", "EXAT", "9223372036854775"), far(0, "PEXPIRETIME", "c"), far(0, "EXPIRETIME", "c"),
		far(0, "SET", "c", "v", "EXAT", "9223372036854776"), far(0, "SET", "c", "v", "EXAT", "0"), far(0, "SET", "c", "v", "EXAT", "-1"),
		far(0, "SET", "c", "v", "PXAT", "0"), far(0, "SET", "c", "v", "PXAT", "-5"), far(0, "SET", "c", "v", "PXAT", "9223372036854775808"),
		far(0, "SET", "c", "v", "PXAT", "9223372036854775806"), far(0, "PEXPIRETIME", "c"), far(0, "EXPIRETIME", "c"),
		far(0, "SET", "c", "v", "PXAT", "9223372036854000"), far(0, "PEXPIRETIME", "c"), // the last ms whose ns fit
		far(0, "SET", "c", "v", "PXAT", "9223372036855000"), far(0, "PEXPIRETIME", "c"), // the first that does not
		far(0, "SET", "c", "v", "PXAT", "9223372036854775"), far(0, "PEXPIRETIME", "c"),
		far(0, "SET", "c", "v", "PXAT", "9223372036854776"), far(0, "PEXPIRETIME", "c"),
		far(0, "SET", "r", "v", "PXAT", "32503680000499"), far(0, "EXPIRETIME", "r"), // rounding of EXPIRETIME
		far(0, "SET", "r", "v", "PXAT", "32503680000500"), far(0, "EXPIRETIME", "r"),
		far(0, "SET", "c", "v", "EXAT", "1"), far(0, "GET", "c"), far(0, "SET", "c", "v", "PXAT", "1", "GET"), far(0, "EXISTS", "c")},
	// EXPIREAT / PEXPIREAT with NX, XX, GT, LT around far deadlines (GT and
	// LT seconds apart: a backend without PEXPIRETIME learns an expiry
	// from PTTL and its own clock, a few ms off).
	{far(0, "SET", "d", "v"), far(0, "EXPIREAT", "d", "9223372036854775"), far(0, "PEXPIRETIME", "d"),
		far(0, "EXPIREAT", "d", "9223372036854776"), far(0, "EXPIREAT", "d", "-9223372036854776"),
		far(0, "PEXPIREAT", "d", "9223372036854775807"), far(0, "EXPIRETIME", "d"), far(0, "PEXPIRETIME", "d"),
		far(0, "PEXPIREAT", "d", "9223372036854770000", "GT"), far(0, "PEXPIREAT", "d", "9223372036854770000", "LT"),
		far(0, "PEXPIRETIME", "d"), far(0, "EXPIREAT", "d", "32503680000", "NX"), far(0, "EXPIREAT", "d", "32503680000", "LT"),
		far(0, "EXPIRETIME", "d"), far(0, "PEXPIREAT", "d", "32503680005000", "GT"), far(0, "PEXPIRETIME", "d"),
		far(0, "EXPIREAT", "d", "32503680000", "GT"), far(0, "EXPIREAT", "d", "9999999999", "XX"), far(0, "PEXPIRETIME", "d"),
		far(0, "PERSIST", "d"), far(0, "EXPIREAT", "d", "9999999999", "XX"), far(0, "EXPIREAT", "d", "9999999999", "GT"),
		far(0, "EXPIREAT", "d", "9999999999", "LT"), far(0, "PEXPIRETIME", "d"),
		far(0, "EXPIREAT", "d", "0"), far(0, "EXISTS", "d"), far(0, "SET", "d", "v"), far(0, "EXPIREAT", "d", "-9223372036854775"),
		far(0, "EXISTS", "d"), far(0, "SET", "d", "v"), far(0, "PEXPIREAT", "d", "-9223372036854775808"), far(0, "EXISTS", "d"),
		far(0, "EXPIREAT", "nokey", "9999999999")},
	// Relative TTLs of centuries: SET EX / PX (with NX), SETEX, PSETEX,
	// EXPIRE, PEXPIRE, GETEX; and the overflow limits.
	{far(0, "SET", "e", "v", "EX", "9223372034854775"), far(0, "SET", "e", "v", "PX", "9223372036854775807"),
		far(0, "SET", "e", "v", "EX", "8000000000"), far(2, "TTL", "e"), far(2000, "PTTL", "e"), far(2, "EXPIRETIME", "e"),
		far(0, "SET", "e", "v", "EX", "8000000000", "NX"), far(0, "SET", "e2", "v", "EX", "8000000000", "NX"), far(2, "TTL", "e2"),
		far(0, "SET", "e", "w", "PX", "9000000000000000000"), far(2000, "PTTL", "e"), far(2000, "PEXPIRETIME", "e"), far(0, "GET", "e"),
		far(0, "SETEX", "f", "8000000000", "v"), far(2, "TTL", "f"), far(0, "SETEX", "f", "9223372036854775", "v"),
		far(0, "PSETEX", "f", "9000000000000000000", "v"), far(2000, "PTTL", "f"), far(0, "PSETEX", "f", "9223372036854775807", "v"),
		far(0, "EXPIRE", "f", "8000000000"), far(2, "TTL", "f"), far(0, "PEXPIRE", "f", "9000000000000000000"), far(2000, "PTTL", "f"),
		far(0, "EXPIRE", "f", "9223372036854775"), far(0, "EXPIRE", "f", "8000000000", "GT"), far(0, "EXPIRE", "f", "8000000000", "LT"),
		far(2, "TTL", "f"), far(0, "SET", "g", "v"), far(0, "GETEX", "g", "EXAT", "32503680000"), far(0, "EXPIRETIME", "g"),
		far(0, "GETEX", "g", "PXAT", "9223372036854775807"), far(0, "PEXPIRETIME", "g"), far(0, "GETEX", "g", "EX", "8000000000"),
		far(2, "TTL", "g"), far(0, "GETEX", "g", "PX", "9223372036854775807"), far(0, "GETEX", "g", "PERSIST"), far(0, "TTL", "g")},
	// A year-3000 key through the commands that keep a TTL.
	{far(0, "SET", "y", "v", "EXAT", "32503680000"), far(2, "TTL", "y"), far(2000, "PTTL", "y"), far(0, "EXPIRETIME", "y"),
		far(0, "PEXPIRETIME", "y"), far(0, "SET", "n", "5", "PXAT", "32503680000123"), far(0, "INCR", "n"), far(0, "INCRBY", "n", "10"),
		far(0, "PEXPIRETIME", "n"), far(0, "APPEND", "n", "1"), far(0, "PEXPIRETIME", "n"), far(0, "SET", "n", "7", "KEEPTTL"),
		far(0, "PEXPIRETIME", "n"), far(0, "INCRBYFLOAT", "n", "0.5"), far(0, "PEXPIRETIME", "n"), far(0, "SETRANGE", "n", "0", "9"),
		far(0, "PEXPIRETIME", "n"), far(0, "RENAME", "n", "m"), far(0, "PEXPIRETIME", "m"), far(0, "GET", "m"), far(0, "PERSIST", "m"),
		far(0, "TTL", "m"), far(0, "SET", "y", "w", "KEEPTTL", "GET"), far(0, "EXPIRETIME", "y"), far(0, "GETSET", "y", "x"), far(0, "TTL", "y")},
}

// farReplyInt parses an integer reply (":n\r\n").
func farReplyInt(r string) (int64, bool) {
	if !strings.HasPrefix(r, ":") {
		return 0, false
	}
	n, err := strconv.ParseInt(strings.TrimSuffix(r[1:], "\r\n"), 10, 64)
	return n, err == nil
}

// compareFar runs farCases on s and on the redis-server at redisAddr.
// fromPTTL: s's backend learns expiries from PTTL and its own clock (a
// Redis without PEXPIRETIME), so an absolute time may be a few ms off.
func compareFar(t *testing.T, s *Server, redisAddr string, fromPTTL bool) {
	t.Helper()
	for i, seq := range farCases {
		ours := dialAddr(t, "tcp", s.Addr().String())
		theirs := dialAddr(t, "tcp", redisAddr)
		ours.do("FLUSHALL")
		theirs.do("FLUSHALL")
		for _, st := range seq {
			want := theirs.do(st.cmd...)
			got := ours.do(st.cmd...)
			if got == want {
				continue
			}
			tol := st.tol
			if fromPTTL && tol == 0 && (st.cmd[0] == "PEXPIRETIME" || st.cmd[0] == "EXPIRETIME") {
				tol = 1
				if st.cmd[0] == "PEXPIRETIME" {
					tol = 1000
				}
			}
			if tol > 0 {
				g, ok1 := farReplyInt(got)
				w, ok2 := farReplyInt(want)
				if ok1 && ok2 && g >= 0 && w >= 0 && g-w <= tol && w-g <= tol {
					continue
				}
			}
			t.Errorf("case %d %q:\n got %q\nwant %q", i, st.cmd, got, want)
		}
	}
}

// TestFarExpiryMatchesRedis: deadlines past the year 2262 (Redis keeps any
// int64 of ms) are exact on the memory store, as redis-server 7 answers.
func TestFarExpiryMatchesRedis(t *testing.T) {
	s, _ := startServer(t, Config{})
	compareFar(t, s, startRedis(t), false)
}

// TestFarExpiryRedisStoreMatchesRedis: the same over the Redis backend
// (kvredis hands the deadline to Redis as PXAT), with and without
// PEXPIRETIME on the backing Redis.
func TestFarExpiryRedisStoreMatchesRedis(t *testing.T) {
	redisAddr := startRedis(t)
	t.Run("redis7", func(t *testing.T) {
		s, _ := startRedisBacked(t)
		compareFar(t, s, redisAddr, false)
	})
	t.Run("noPEXPIRETIME", func(t *testing.T) {
		s, _ := startRedisBacked(t, "--rename-command", "PEXPIRETIME", "")
		compareFar(t, s, redisAddr, true)
	})
}
