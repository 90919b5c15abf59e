package kvclient

import "github.com/ephpm/ephpm/internal/kvclient/wire"

// TTLs in whole seconds, for PHP's functions in `ephpm php --config` (and
// EPHPM_KV_URL), whose TTLs may be longer than a time.Duration holds
// (about 292 years; PHP code passes e.g. 9999999999 or PHP_INT_MAX for
// "long"). phpembed uses these when a TTL does not fit a Duration, as it
// does with kv.Store and kvredis.Store, so a key set from the CLI gets the
// TTL it would get from PHP inside the server (SPEC section 7: the
// functions keep their results), not one cut to 292 years. A deadline past
// int64's last ms, which the server refuses, becomes that last ms (PXAT
// 9223372036854775807), as on the server's own store.

// SetSeconds is Set (SetNX when nx) with a TTL in seconds (<= 0: none).
// hash is unused (kv.Store's signature).
func (c *Client) SetSeconds(key string, _ uint64, value string, sec int64, nx bool) bool {
	args := []string{"SET", key, value}
	if nx {
		args = append(args, "NX")
	}
	if sec > 0 {
		opt, n := wire.SecondsExpiry(sec)
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
	cmd, n := wire.ExpireSeconds(sec)
	v, ok := c.callInt(cmd, key, n)
	return ok && v == 1
}
