package kv

import "time"

// Backend is what the ephpm_kv_* PHP functions need of a store, with their
// results (SPEC section 1): *Store in the server's own process, a RESP client
// of a running server for `ephpm php --config`, and later a Redis-backed
// store. A backend that cannot reach its store answers with the failure
// value of each call (miss, false, -2, 0).
type Backend interface {
	Get(key string) (string, bool)
	Set(key, value string, ttl time.Duration) bool
	SetNX(key, value string, ttl time.Duration) bool
	Del(key string) bool
	Exists(key string) bool
	IncrBy(key string, delta int64) (int64, error)
	Expire(key string, ttl time.Duration) bool
	TTL(key string) int64
	PTTL(key string) int64
	DelIfEquals(key, expected string) bool
	DelPrefix(prefix string) int
	Flush()
	// Wait returns key's version and value once its version differs from
	// last (at once when last is 0); ok=false after timeout or when cancel
	// is closed. Every write, delete or expiry gives the key a new
	// version (> 0, < 2^63). See Store.Wait.
	Wait(key string, last uint64, timeout time.Duration, cancel <-chan struct{}) (version uint64, value string, exists bool, ok bool)
}

var _ Backend = (*Store)(nil)
