package kvredis

import (
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/redis/rueidis"

	"github.com/ephpm/ephpm/internal/kv"
	"github.com/ephpm/ephpm/internal/kvclient/wire"
)

// The operations of kv.Backend (SPEC section 1) on Redis. Each is one
// Redis command (or one script), so its atomicity is Redis's. A call that
// cannot reach Redis, or gets no answer within the command timeout,
// returns the failure value of its PHP function: a miss, false, -2, 0 or
// an error.

var _ kv.Backend = (*Store)(nil)

// Get returns the value of key; a miss when it is absent, expired or
// Redis cannot be asked. With the client cache on, a value Redis has told
// this node about is answered from memory until Redis invalidates it.
func (s *Store) Get(key string) (string, bool) {
	v, found, _ := s.get(key)
	return v, found
}

// GetTyped is Get that also tells a key of another Redis type (a list
// another client left under key_prefix) from a missing one: err is then
// Redis's own WRONGTYPE reply (its text starts "WRONGTYPE "), which the
// RESP endpoint answers as redis-server does. It comes from the reply of
// the GET itself: no round trip more. Any other failure is a miss, as
// for Get.
func (s *Store) GetTyped(key string) (string, bool, error) {
	return s.get(key)
}

func (s *Store) get(key string) (string, bool, error) {
	if s.tracking.Load() && !s.dirty.has(key) {
		return s.cachedGet(key)
	}
	return s.uncachedGet(key)
}

// uncachedGet is GET, not tracked. A WRONGTYPE reply is the caller's
// data (as for IncrBy), not a failure of Redis: returned, not counted or
// logged.
func (s *Store) uncachedGet(key string) (string, bool, error) {
	if v, found, err, used := s.directGet(key); used {
		return v, found, err
	}
	m, ok, wt := s.doTyped("get", func(c rueidis.Client) rueidis.Completed {
		return c.B().Get().Key(s.key(key)).Build()
	})
	if !ok {
		return "", false, wt
	}
	v, err := m.ToString()
	return v, err == nil, nil
}

// wrongType is err if it is Redis's WRONGTYPE reply, else nil.
func wrongType(err error) error {
	if err != nil && strings.HasPrefix(err.Error(), "WRONGTYPE ") {
		return err
	}
	return nil
}

// Set stores value with ttl (<= 0: no expiry). false when Redis refuses
// the write (maxmemory with noeviction: the old value stays) or cannot be
// asked.
func (s *Store) Set(key, value string, ttl time.Duration) bool {
	rk := s.key(key)
	if _, ok, used := s.directSimple("set", true, rk, directSetArgs(rk, value, false, ttl)...); used {
		return ok
	}
	value = owned(value)
	_, ok := s.write("set", key, func(c rueidis.Client, rk string) rueidis.Completed {
		b := c.B().Set().Key(rk).Value(value)
		if ttl > 0 {
			return b.PxMilliseconds(ms(ttl)).Build()
		}
		return b.Build()
	})
	return ok
}

// SetNX stores value only if key has no live entry (SET NX): of many
// callers, on any node, exactly one wins.
func (s *Store) SetNX(key, value string, ttl time.Duration) bool {
	rk := s.key(key)
	if r, ok, used := s.directSimple("setnx", true, rk, directSetArgs(rk, value, true, ttl)...); used {
		return ok && r.Kind != wire.KindNil
	}
	value = owned(value)
	m, ok := s.write("setnx", key, func(c rueidis.Client, rk string) rueidis.Completed {
		b := c.B().Set().Key(rk).Value(value).Nx()
		if ttl > 0 {
			return b.PxMilliseconds(ms(ttl)).Build()
		}
		return b.Build()
	})
	return ok && !m.IsNil()
}

// Del removes key; true if it existed.
func (s *Store) Del(key string) bool {
	rk := s.key(key)
	if r, ok, used := s.directSimple("del", true, rk, "DEL", rk); used {
		return ok && r.Kind == wire.KindInt && r.Int > 0
	}
	m, ok := s.write("del", key, func(c rueidis.Client, rk string) rueidis.Completed {
		return c.B().Del().Key(rk).Build()
	})
	return ok && intOf(m) > 0
}

// Exists reports whether key has a live entry. With the client cache on
// it is answered like Get (from the cache when Redis has told us the
// value); EXISTS itself cannot be cached by rueidis.
func (s *Store) Exists(key string) bool {
	if s.tracking.Load() && !s.dirty.has(key) {
		// A key of another type exists (EXISTS says 1, as without the
		// cache): the GET's WRONGTYPE reply tells so.
		_, ok, err := s.cachedGet(key)
		return ok || err != nil
	}
	rk := s.key(key)
	if r, ok, used := s.directSimple("exists", false, rk, "EXISTS", rk); used {
		return ok && r.Kind == wire.KindInt && r.Int > 0
	}
	m, ok := s.do("exists", func(c rueidis.Client) rueidis.Completed {
		return c.B().Exists().Key(s.key(key)).Build()
	})
	return ok && intOf(m) > 0
}

// IncrBy adds delta atomically (INCRBY: a missing key starts at 0 with no
// expiry, an existing key keeps its TTL). A value that is not a decimal
// int64 gives kv.ErrNotInteger and an overflow kv.ErrOverflow, the value
// untouched (Redis checks before writing); Redis's OOM refusal gives
// kv.ErrNoMemory; a transport failure its own error.
func (s *Store) IncrBy(key string, delta int64) (int64, error) {
	if n, err, used := s.directIncrBy(key, delta); used {
		return n, err
	}
	m, err := s.doWrite("incr", key, func(c rueidis.Client, rk string) rueidis.Completed {
		return c.B().Incrby().Key(rk).Increment(delta).Build()
	})
	if err == errNotConnected {
		return 0, err
	}
	if err == nil {
		if n, err := m.AsInt64(); err == nil {
			return n, nil
		}
		err = errUnexpectedReply
	}
	if re, ok := rueidis.IsRedisErr(err); ok {
		if kerr, known := s.incrReplyError(re.Error(), err); known {
			return 0, kerr
		}
	}
	s.fail("incr", err)
	return 0, err
}

// incrReplyError maps Redis's error replies to INCRBY: "ERR value is not
// an integer or out of range", "ERR increment or decrement would
// overflow", "WRONGTYPE ...", "OOM ...". Only the last is worth a log
// line: the others are the caller's data, as on the memory backend.
// known is false for any other reply.
func (s *Store) incrReplyError(msg string, err error) (kerr error, known bool) {
	switch {
	case strings.Contains(msg, "overflow"):
		return kv.ErrOverflow, true
	case strings.HasPrefix(msg, "OOM"):
		s.fail("incr", err)
		return kv.ErrNoMemory, true
	case strings.HasPrefix(msg, "WRONGTYPE"):
		return wrongTypeError{msg}, true
	case strings.Contains(msg, "not an integer"):
		return kv.ErrNotInteger, true
	}
	return nil, false
}

// wrongTypeError is Redis's WRONGTYPE reply to INCRBY (a key of another
// type): kv.ErrNotInteger to errors.Is, so PHP's incr gets false as for
// any value that is not an integer, and Redis's own text, which the RESP
// endpoint answers as redis-server does.
type wrongTypeError struct{ msg string }

func (e wrongTypeError) Error() string        { return e.msg }
func (e wrongTypeError) Is(target error) bool { return target == kv.ErrNotInteger }

// Expire sets key's TTL; false if key is missing, ttl <= 0 (the key is
// left unchanged, as the original does) or Redis cannot be asked.
func (s *Store) Expire(key string, ttl time.Duration) bool {
	if ttl <= 0 {
		return false
	}
	rk := s.key(key)
	if r, ok, used := s.directSimple("expire", true, rk, "PEXPIRE", rk, strconv.FormatInt(ms(ttl), 10)); used {
		return ok && r.Kind == wire.KindInt && r.Int == 1
	}
	m, ok := s.write("expire", key, func(c rueidis.Client, rk string) rueidis.Completed {
		return c.B().Pexpire().Key(rk).Milliseconds(ms(ttl)).Build()
	})
	return ok && intOf(m) == 1
}

// TTL is the seconds left, rounded up; -1 no expiry; -2 missing (or
// Redis cannot be asked).
func (s *Store) TTL(key string) int64 {
	p := s.PTTL(key)
	if p < 0 {
		return p
	}
	return (p + 999) / 1000
}

// PTTL is the milliseconds left; -1 no expiry; -2 missing (or Redis
// cannot be asked).
func (s *Store) PTTL(key string) int64 {
	rk := s.key(key)
	if r, ok, used := s.directSimple("pttl", false, rk, "PTTL", rk); used {
		if !ok || r.Kind != wire.KindInt {
			return -2
		}
		return r.Int
	}
	m, ok := s.do("pttl", func(c rueidis.Client) rueidis.Completed {
		return c.B().Pttl().Key(s.key(key)).Build()
	})
	if !ok {
		return -2
	}
	n, err := m.AsInt64()
	if err != nil {
		return -2
	}
	return n
}

// delIfEqualsScript deletes KEYS[1] only if its value is ARGV[1],
// atomically on the server (a lock is released only by its owner,
// whichever node asks).
const delIfEqualsScript = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`

var delIfEqualsSHA = func() string {
	sum := sha1.Sum([]byte(delIfEqualsScript))
	return hex.EncodeToString(sum[:])
}()

// DelIfEquals deletes key only if its value equals expected; true if it
// did. Decided by Redis (a script, by its SHA1; sent whole once when
// Redis does not know it yet), never by the client cache.
func (s *Store) DelIfEquals(key, expected string) bool {
	if ok, used := s.directDelIfEquals(key, expected); used {
		return ok
	}
	expected = owned(expected)
	m, err := s.doWrite("del_if_equals", key, func(c rueidis.Client, rk string) rueidis.Completed {
		return c.B().Evalsha().Sha1(delIfEqualsSHA).Numkeys(1).Key(rk).Arg(expected).Build()
	})
	if re, ok := rueidis.IsRedisErr(err); ok && re.IsNoScript() {
		m, err = s.doWrite("del_if_equals", key, func(c rueidis.Client, rk string) rueidis.Completed {
			return c.B().Eval().Script(delIfEqualsScript).Numkeys(1).Key(rk).Arg(expected).Build()
		})
	}
	if err != nil {
		if err != errNotConnected {
			s.fail("del_if_equals", err)
		}
		return false
	}
	return intOf(m) == 1
}

// owned copies a value that goes into a command. A call can return (its
// timeout) before rueidis has written the command, which then stays queued
// and is written when the connection moves again; the caller's string may
// view memory that is freed by then (PHP's, see phpembed.SetKVBackend):
// rueidis would send freed bytes, or fault on unmapped ones. Keys need no
// copy: s.key makes a new string.
func owned(v string) string { return strings.Clone(v) }

// ms is a positive duration in whole milliseconds, rounded up so that a
// TTL below 1 ms still expires (PX 0 is an error to Redis) and none is
// cut short.
func ms(d time.Duration) int64 {
	n := int64(d / time.Millisecond)
	if d%time.Millisecond != 0 {
		n++
	}
	return n
}

// intOf is an integer reply, 0 for anything else.
func intOf(m rueidis.RedisMessage) int64 {
	n, _ := m.AsInt64()
	return n
}

// errUnexpectedReply: Redis answered with a type the command never
// returns (a proxy or an incompatible server in between).
var errUnexpectedReply = errors.New("unexpected reply from Redis")
