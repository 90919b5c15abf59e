package kvredis

import (
	"github.com/redis/rueidis"

	"github.com/ephpm/ephpm/internal/kvclient/wire"
)

// TTLs in whole seconds, for PHP's functions, whose TTLs may be longer than
// a time.Duration holds (about 292 years; PHP code passes e.g. 9999999999
// for "long"): Redis keeps any deadline in int64 ms, so it gets the
// seconds themselves (EX, EXPIRE) and the key's TTL stays what was asked.
// A TTL whose deadline would pass int64's last ms, which Redis refuses,
// becomes that last ms (PXAT / PEXPIREAT 9223372036854775807), as on the
// memory store: a PHP function has no error to give.

// SetSeconds is Set (SetNX when nx) with a TTL in seconds (<= 0: none).
// hash is unused (kv.Store's signature).
func (s *Store) SetSeconds(key string, _ uint64, value string, sec int64, nx bool) bool {
	if sec <= 0 {
		if nx {
			return s.SetNX(key, value, 0)
		}
		return s.Set(key, value, 0)
	}
	rk := s.key(key)
	opt, n := wire.SecondsExpiry(sec)
	args := []string{"SET", rk, value}
	if nx {
		args = append(args, "NX")
	}
	args = append(args, opt, n)
	op := "set"
	if nx {
		op = "setnx"
	}
	if r, ok, used := s.directSimple(op, true, rk, args...); used {
		return ok && r.Kind != wire.KindNil
	}
	rest := append([]string{owned(value)}, args[3:]...)
	m, ok := s.write(op, key, func(c rueidis.Client, rk string) rueidis.Completed {
		return c.B().Arbitrary("SET").Keys(rk).Args(rest...).Build()
	})
	return ok && !m.IsNil()
}

// ExpireSeconds is Expire with a TTL in seconds.
func (s *Store) ExpireSeconds(key string, sec int64) bool {
	if sec <= 0 {
		return false
	}
	rk := s.key(key)
	cmd, n := wire.ExpireSeconds(sec)
	if r, ok, used := s.directSimple("expire", true, rk, cmd, rk, n); used {
		return ok && r.Kind == wire.KindInt && r.Int == 1
	}
	m, ok := s.write("expire", key, func(c rueidis.Client, rk string) rueidis.Completed {
		return c.B().Arbitrary(cmd).Keys(rk).Args(n).Build()
	})
	return ok && intOf(m) == 1
}
