package kvclient

import (
	"math"
	"strconv"
	"time"
)

// TTLs in whole seconds, for PHP's functions in `ephpm php --config` (and
// EPHPM_KV_URL), whose TTLs may be longer than a time.Duration holds
// (about 292 years; PHP code passes e.g. 9999999999 or PHP_INT_MAX for
// "long"). phpembed uses these when a TTL does not fit a Duration, as it
// does with kv.Store and kvredis.Store, so a key set from the CLI gets the
// TTL it would get from PHP inside the server (SPEC section 7: the
// functions keep their results), not one cut to 292 years. A deadline past
// int64's last ms, which the server refuses, becomes that last ms (PXAT
// 9223372036854775807), as on the server's own store.

// farSecondsArgs is the expiry arguments for sec seconds (> 0): "EX sec",
// or "PXAT <int64 max>" when now+sec is within a day (of clock skew
// between this process and the server) of int64's last ms.
func farSecondsArgs(sec int64) (opt, n string) {
	nowMs := time.Now().UnixMilli()
	if sec > (math.MaxInt64-nowMs)/1000-86400 {
		return "PXAT", strconv.FormatInt(math.MaxInt64, 10)
	}
	return "EX", strconv.FormatInt(sec, 10)
}

// SetSeconds is Set (SetNX when nx) with a TTL in seconds (<= 0: none).
// hash is unused (kv.Store's signature).
func (c *Client) SetSeconds(key string, _ uint64, value string, sec int64, nx bool) bool {
	args := []string{"SET", key, value}
	if nx {
		args = append(args, "NX")
	}
	if sec > 0 {
		opt, n := farSecondsArgs(sec)
		args = append(args, opt, n)
	}
	r, ok := c.call(isOOM, args...)
	return ok && r.Kind == KindSimple // NX and a live key: nil
}

// ExpireSeconds is Expire with a TTL in seconds; <= 0 is false without
// asking the server, as Expire.
func (c *Client) ExpireSeconds(key string, sec int64) bool {
	if sec <= 0 {
		return false
	}
	cmd, n := "EXPIRE", strconv.FormatInt(sec, 10)
	if opt, at := farSecondsArgs(sec); opt == "PXAT" {
		cmd, n = "PEXPIREAT", at
	}
	v, ok := c.callInt(cmd, key, n)
	return ok && v == 1
}
