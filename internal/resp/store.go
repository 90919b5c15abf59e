package resp

import (
	"time"

	"github.com/ephpm/ephpm/internal/kv"
)

// UpdateOp says what an Update function does with its key (kv.UpdateOp's
// values).
type UpdateOp int

const (
	UpdateKeep   UpdateOp = iota // leave the key as it is
	UpdateStore                  // store the value, expiring at the returned time (0 = never)
	UpdateDelete                 // remove the key
)

// UpdateFunc computes a key's new state from its live value.
type UpdateFunc func(old string, expiresAt int64, exists bool) (value string, newExpiresAt int64, op UpdateOp)

// Store is what the RESP server needs of the key-value store: *kv.Store
// (through KVStore) in the server. Expiry times are unix nanoseconds on
// the store's clock (Now); 0 = none; past the year 2262 (beyond int64 ns)
// minus the unix milliseconds (kv.DeadlineFromMs, kv.DeadlineMs).
type Store interface {
	Get(key string) (string, bool)
	GetWithExpiry(key string) (value string, expiresAt int64, ok bool)
	Set(key, value string, ttl time.Duration) bool
	SetNX(key, value string, ttl time.Duration) bool
	Del(key string) bool
	Exists(key string) bool
	IncrBy(key string, delta int64) (int64, error)
	Expire(key string, ttl time.Duration) bool
	PTTL(key string) int64
	DelIfEquals(key, expected string) bool
	DelPrefix(prefix string) int
	Flush()
	Stats() kv.Stats
	Update(key string, fn UpdateFunc) error
	Range(fn func(key string, expiresAt int64) bool)
	RandomKey() (string, bool)
	Now() int64
	Wait(key string, last uint64, timeout time.Duration, cancel <-chan struct{}) (version uint64, value string, exists bool, ok bool)
}

// typedGetter is a store whose keys may hold other types than strings (the
// Redis backend: a list another client left under key_prefix). GetTyped
// is Get with Redis's WRONGTYPE reply as err for such a key, so that GET,
// STRLEN and GETRANGE answer it as redis-server does instead of as a
// missing key.
type typedGetter interface {
	GetTyped(key string) (value string, ok bool, err error)
}
