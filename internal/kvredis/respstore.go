package kvredis

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/redis/rueidis"

	"github.com/ephpm/ephpm/internal/kv"
)

// What the RESP endpoint (resp.RedisStore) needs beyond kv.Backend: reads
// with the expiry, an atomic read-modify-write, a walk over the keys, a
// random key and the clock. Expiry times are absolute unix nanoseconds
// (past the year 2262 minus unix ms: kv's deadline.go):
// Redis's PEXPIRETIME (Redis >= 7.0, any Valkey) and SET PXAT, so the RESP
// endpoint answers EXPIRETIME exactly as Redis does; a node's clock and
// Redis's are assumed to agree (NTP), as the RESP commands compute
// absolute times on the node's clock. A Redis without PEXPIRETIME (6.x)
// answers "unknown command": the expiry is then PTTL from now (Redis's
// clock in the script, the node's elsewhere), at the cost of a second
// round trip for Update and Range. None of these reads trusts the client
// cache.

// getWithExpiry reads a value and its expiry in one atomic step (a
// script: a MULTI would need a dedicated connection).
var getWithExpiry = rueidis.NewLuaScript(`local v = redis.call('GET', KEYS[1])
if not v then return false end
local t = redis.pcall('PEXPIRETIME', KEYS[1])
if type(t) == 'table' and t.err then
  t = redis.call('PTTL', KEYS[1])
  if t >= 0 then
    local now = redis.call('TIME')
    t = now[1] * 1000 + math.floor(now[2] / 1000) + t
  end
end
return {v, t}`)

// GetWithExpiry returns key's value and its expiry (unix ns, 0 = none).
// ok is false when the key is missing or Redis failed (logged).
func (s *Store) GetWithExpiry(key string) (value string, expiresAt int64, ok bool) {
	c := s.rc()
	if c == nil {
		s.fail("getex", errNotConnected)
		return "", 0, false
	}
	ctx, cancel := s.ctx()
	defer cancel()
	start := time.Now()
	r := getWithExpiry.Exec(ctx, c, []string{s.key(key)}, nil)
	s.roundTrip(start)
	vals, err := r.ToArray()
	if err != nil {
		if !rueidis.IsRedisNil(err) {
			s.fail("getex", err)
		} else {
			s.log.recovered()
		}
		return "", 0, false
	}
	if len(vals) != 2 {
		s.fail("getex", errors.New("unexpected reply to the GET+PEXPIRETIME script"))
		return "", 0, false
	}
	v, err1 := vals[0].ToString()
	t, err2 := vals[1].AsInt64()
	if err := errors.Join(err1, err2); err != nil {
		s.fail("getex", err)
		return "", 0, false
	}
	if t > maxExactLua || t < -2 {
		// Past 2^53 ms (Lua's numbers are doubles) the script's expiry
		// is rounded, or wrapped to a negative: read it again in a
		// transaction, exact.
		return s.getWithExpiryExact(ctx, c, key)
	}
	s.log.recovered()
	return v, expiryNanos(t), true
}

// maxExactLua is the largest expiry in ms the script returns exactly: a
// Lua number (a double) holds every integer up to 2^53 (the year 287396).
const maxExactLua = 1 << 53

// getWithExpiryExact is GetWithExpiry through MULTI, GET, PEXPIRETIME,
// EXEC on a dedicated connection (PTTL from now on a Redis without
// PEXPIRETIME), for the expiries the script cannot return exactly.
func (s *Store) getWithExpiryExact(ctx context.Context, c rueidis.Client, key string) (string, int64, bool) {
	rk := s.key(key)
	dc, release := c.Dedicate()
	defer release()
	start := time.Now()
	legacy := false
	rs := dc.DoMulti(ctx, dc.B().Multi().Build(), dc.B().Get().Key(rk).Build(),
		dc.B().Pexpiretime().Key(rk).Build(), dc.B().Exec().Build())
	if unknownCommand(rs[2].Error()) { // (EXEC then reports EXECABORT)
		legacy, start = true, time.Now()
		rs = dc.DoMulti(ctx, dc.B().Multi().Build(), dc.B().Get().Key(rk).Build(),
			dc.B().Pttl().Key(rk).Build(), dc.B().Exec().Build())
	}
	s.roundTrip(start)
	res, err := rs[3].ToArray()
	if err == nil && len(res) != 2 {
		err = errors.New("unexpected reply to MULTI GET PEXPIRETIME EXEC")
	}
	if err != nil {
		dc.Close() // it may be left inside the transaction
		s.fail("getex", err)
		return "", 0, false
	}
	v, err := res[0].ToString()
	if rueidis.IsRedisNil(err) {
		s.log.recovered()
		return "", 0, false
	}
	t, err2 := res[1].AsInt64()
	if err := errors.Join(err, err2); err != nil {
		s.fail("getex", err)
		return "", 0, false
	}
	if legacy {
		t = pttlExpiry(t, start)
	}
	s.log.recovered()
	return v, expiryNanos(t), true
}

// unknownCommand reports whether err is Redis's answer to a command it
// does not have (PEXPIRETIME before Redis 7).
func unknownCommand(err error) bool {
	re, ok := rueidis.IsRedisErr(err)
	return ok && strings.Contains(re.Error(), "unknown command")
}

// pttlExpiry turns a PTTL reply (ms left, -1 none, -2 missing) into
// PEXPIRETIME's terms on the node's clock.
func pttlExpiry(pttl int64, now time.Time) int64 {
	if pttl < 0 {
		return pttl
	}
	if nowMs := now.UnixMilli(); pttl <= math.MaxInt64-nowMs {
		return nowMs + pttl
	}
	return math.MaxInt64 // (this clock ahead of Redis's, near int64's last ms)
}

// expiryNanos turns PEXPIRETIME's reply (ms, -1 none) into the store's
// deadline: unix ns, or past the year 2262 kv's far form (minus the ms),
// so any int64 of ms Redis keeps comes back exact (kv.DeadlineFromMs).
func expiryNanos(ms int64) int64 {
	if ms <= 0 {
		return 0
	}
	return kv.DeadlineFromMs(ms)
}

// errUpdateConflicts: Update gave up because other clients kept changing
// the key within the command timeout.
var errUpdateConflicts = errors.New("kvredis: key kept changing during an update")

// Update runs fn on key's live value (old, its expiry in unix ns or 0, and
// whether it exists) and applies what fn returns, atomically: WATCH, GET
// and PEXPIRETIME on a dedicated connection, then MULTI, SET (PXAT, or
// KEEPTTL when fn kept the expiry, or none) or DEL, EXEC. When another
// client changed the key in between, EXEC fails and it starts again, so fn
// may run more than once; the last run's result is what was applied.
// A store whose expiry is already past deletes the key. The error is
// kv.ErrNoMemory when Redis refuses the write (maxmemory), else the
// transport or Redis error; the whole update is bounded by the command
// timeout.
func (s *Store) Update(key string, fn func(old string, expiresAt int64, exists bool) (string, int64, kv.UpdateOp)) error {
	c := s.rc()
	if c == nil {
		s.fail("update", errNotConnected)
		return errNotConnected
	}
	ctx, cancel := s.ctx()
	defer cancel()
	rk := s.key(key)
	dc, release := c.Dedicate()
	defer release()
	defer func() {
		if r := recover(); r != nil {
			dc.Close() // a panic in fn leaves the WATCH: drop the connection
			panic(r)
		}
	}()
	for {
		done, wrote, err := s.updateOnce(ctx, dc, rk, fn)
		if err != nil {
			// The connection may be left mid-transaction (a WATCH, a
			// reply not read): never give it back to the pool.
			dc.Close()
			s.fail("update", err)
			return err
		}
		if done {
			s.log.recovered()
			if wrote {
				s.updateFence(ctx, c, rk)
			}
			return nil
		}
		if ctx.Err() != nil {
			dc.Close()
			s.fail("update", context.DeadlineExceeded)
			return errUpdateConflicts
		}
	}
}

// updateOnce is one try of Update. done is false when EXEC failed because
// the key changed after WATCH; wrote says whether it changed the key.
func (s *Store) updateOnce(ctx context.Context, dc rueidis.DedicatedClient, rk string, fn func(string, int64, bool) (string, int64, kv.UpdateOp)) (done, wrote bool, err error) {
	start := time.Now()
	rs := dc.DoMulti(ctx,
		dc.B().Watch().Key(rk).Build(),
		dc.B().Get().Key(rk).Build(),
		dc.B().Pexpiretime().Key(rk).Build())
	s.roundTrip(start)
	if err := rs[0].Error(); err != nil {
		return false, false, err
	}
	old, err := rs[1].ToString()
	exists := err == nil
	if err != nil && !rueidis.IsRedisNil(err) {
		return false, false, err
	}
	t, err := rs[2].AsInt64()
	if unknownCommand(err) {
		// Redis < 7: PTTL, still under the WATCH.
		start = time.Now()
		t, err = dc.Do(ctx, dc.B().Pttl().Key(rk).Build()).AsInt64()
		s.roundTrip(start)
		t = pttlExpiry(t, start)
	}
	if err != nil {
		return false, false, err
	}
	exp := expiryNanos(t)
	v, newExp, op := fn(old, exp, exists)
	v = owned(v) // fn's value may view the RESP connection's buffer (see owned)
	var write rueidis.Completed
	switch {
	case op == kv.UpdateDelete || (op == kv.UpdateStore && newExp > 0 && newExp <= time.Now().UnixNano()):
		if !exists {
			return true, false, s.unwatch(ctx, dc)
		}
		write = dc.B().Del().Key(rk).Build()
	case op == kv.UpdateStore && newExp == 0:
		write = dc.B().Set().Key(rk).Value(v).Build()
	case op == kv.UpdateStore && exists && newExp == exp:
		write = dc.B().Set().Key(rk).Value(v).Keepttl().Build()
	case op == kv.UpdateStore:
		// Rounded up to the millisecond: never expire before the time
		// asked; a far deadline (past 2262, negative) is its exact ms.
		write = dc.B().Set().Key(rk).Value(v).PxatMillisecondsTimestamp(kv.DeadlineMsUp(newExp)).Build()
	default:
		return true, false, s.unwatch(ctx, dc)
	}
	start = time.Now()
	rs = dc.DoMulti(ctx, dc.B().Multi().Build(), write, dc.B().Exec().Build())
	s.roundTrip(start)
	for _, r := range rs[:2] {
		if err := r.Error(); err != nil {
			return false, false, redisWriteError(err)
		}
	}
	res, err := rs[2].ToArray()
	if rueidis.IsRedisNil(err) {
		return false, false, nil // the key changed after WATCH: again
	}
	if err != nil {
		return false, false, redisWriteError(err)
	}
	for _, r := range res {
		if err := r.Error(); err != nil {
			return false, false, redisWriteError(err)
		}
	}
	return true, true, nil
}

// updateFence makes this node read its own update: the write went over a
// dedicated connection, so Redis's invalidation of rk for the tracking
// connection may still be on its way. A PTTL of rk over that connection
// (see doWrite) is answered after the invalidation, which rueidis handles
// first. A failed fence is not the update's failure: the invalidation
// still comes, only later.
func (s *Store) updateFence(ctx context.Context, c rueidis.Client, rk string) {
	if !s.tracking.Load() {
		return
	}
	start := time.Now()
	c.Do(ctx, c.B().Pttl().Key(rk).Build())
	s.roundTrip(start)
}

// unwatch ends the WATCH of an update that writes nothing, so that the
// dedicated connection goes back to the pool clean.
func (s *Store) unwatch(ctx context.Context, dc rueidis.DedicatedClient) error {
	start := time.Now()
	err := dc.Do(ctx, dc.B().Unwatch().Build()).Error()
	s.roundTrip(start)
	return err
}

// redisWriteError is kv.ErrNoMemory for Redis's OOM reply (maxmemory
// with noeviction), else err.
func redisWriteError(err error) error {
	var re *rueidis.RedisError
	if errors.As(err, &re) && (strings.HasPrefix(re.Error(), "OOM") || strings.Contains(re.Error(), "OOM command not allowed")) {
		return kv.ErrNoMemory
	}
	return err
}

// Range calls fn with every key under KeyPrefix (the prefix stripped) and
// its expiry (unix ns, 0 = none), until fn returns false. It walks every
// primary with SCAN MATCH <prefix>*, and asks each page's expiries in one
// pipelined round trip (INFO's keyspace line counts the keys with one);
// a key deleted between the two is left out. Like SCAN, a key present for
// the whole walk is seen (at least once), keys added or removed meanwhile
// may or may not be. A Redis failure ends the walk early (logged).
func (s *Store) Range(fn func(key string, expiresAt int64) bool) {
	c := s.rc()
	if c == nil {
		s.fail("range", errNotConnected)
		return
	}
	pattern := globEscape(s.prefix) + "*"
	for _, node := range s.primaries(c) {
		var cursor uint64
		for {
			entry, ok := s.scan("range", node, cursor, pattern)
			if !ok {
				return
			}
			if len(entry.Elements) > 0 && !s.rangePage(node, entry.Elements, fn) {
				return
			}
			if cursor = entry.Cursor; cursor == 0 {
				break
			}
		}
	}
}

// rangePage asks the expiries of one SCAN page and hands the live keys to
// fn. It is false when fn asked to stop or Redis failed.
func (s *Store) rangePage(node rueidis.Client, keys []string, fn func(string, int64) bool) bool {
	cmds := make(rueidis.Commands, len(keys))
	for i, k := range keys {
		cmds[i] = node.B().Pexpiretime().Key(k).Build()
	}
	ctx, cancel := s.ctx()
	defer cancel()
	start := time.Now()
	rs := node.DoMulti(ctx, cmds...)
	s.roundTrip(start)
	legacy := len(rs) > 0 && unknownCommand(rs[0].Error())
	if legacy {
		// Redis < 7: PTTLs instead.
		for i, k := range keys {
			cmds[i] = node.B().Pttl().Key(k).Build()
		}
		start = time.Now()
		rs = node.DoMulti(ctx, cmds...)
		s.roundTrip(start)
	}
	for i, r := range rs {
		t, err := r.AsInt64()
		if legacy && err == nil {
			t = pttlExpiry(t, start)
		}
		if err != nil {
			s.fail("range", err)
			return false
		}
		if t == -2 {
			continue // gone since the SCAN
		}
		if !fn(keys[i][len(s.prefix):], expiryNanos(t)) {
			return false
		}
	}
	return true
}

// primaries are the nodes that own keys: the one server, or in a cluster
// the primaries (rueidis may also know replicas, which hold copies that
// a walk must not count twice). A node whose role cannot be asked is left
// out (logged).
func (s *Store) primaries(c rueidis.Client) []rueidis.Client {
	nodes := c.Nodes()
	if c.Mode() != rueidis.ClientModeCluster {
		out := make([]rueidis.Client, 0, len(nodes))
		for _, n := range nodes {
			out = append(out, n)
		}
		return out
	}
	var out []rueidis.Client
	for _, n := range nodes {
		ctx, cancel := s.ctx()
		start := time.Now()
		role, err := n.Do(ctx, n.B().Role().Build()).ToArray()
		s.roundTrip(start)
		cancel()
		if err != nil {
			s.fail("range", err)
			continue
		}
		if len(role) > 0 {
			if r, _ := role[0].ToString(); r == "master" {
				out = append(out, n)
			}
		}
	}
	return out
}

// randomKeyTries is how many RANDOMKEYs RandomKey asks before it walks the
// keys instead: in a Redis shared with other applications most random
// keys may lie outside KeyPrefix.
const randomKeyTries = 8

// RandomKey returns a random key under KeyPrefix (prefix stripped), or
// false when there is none (or Redis failed). It asks RANDOMKEY of random
// primaries and keeps the first key under KeyPrefix; when none is found
// after a few tries it picks one uniformly while walking every key
// (Range), which is O(keys) but right however few of them are ours.
func (s *Store) RandomKey() (string, bool) {
	c := s.rc()
	if c == nil {
		s.fail("randomkey", errNotConnected)
		return "", false
	}
	nodes := s.primaries(c)
	if len(nodes) == 0 {
		return "", false
	}
	for range randomKeyTries {
		n := nodes[rand.IntN(len(nodes))]
		ctx, cancel := s.ctx()
		start := time.Now()
		k, err := n.Do(ctx, n.B().Randomkey().Build()).ToString()
		s.roundTrip(start)
		cancel()
		switch {
		case err == nil && strings.HasPrefix(k, s.prefix):
			s.log.recovered()
			return k[len(s.prefix):], true
		case err != nil && !rueidis.IsRedisNil(err):
			s.fail("randomkey", err)
			return "", false
		}
	}
	// Reservoir sampling: the i-th key replaces the pick with chance 1/i.
	var pick string
	seen := 0
	s.Range(func(k string, _ int64) bool {
		seen++
		if rand.IntN(seen) == 0 {
			pick = k
		}
		return true
	})
	return pick, seen > 0
}

// Now is the clock of expiry times: the node's, in unix ns.
func (s *Store) Now() int64 { return time.Now().UnixNano() }

// KVStats are the counters the RESP endpoint reports (INFO, DBSIZE) in
// the memory store's terms: hits and misses are this node's client-cache
// hits and misses. Keys is Redis's DBSIZE summed over the primaries when
// KeyPrefix is empty (every key is ours: exact and O(1)); with a prefix
// Redis cannot count our keys without walking them all, so Keys is 0 and
// DBSIZE walks them (exact, O(keys)) while INFO stays cheap. Bytes,
// evictions and expirations are Redis's business (its own INFO) and 0
// here.
func (s *Store) KVStats() kv.Stats {
	st := kv.Stats{Hits: s.stats.cacheHits.Load(), Misses: s.stats.cacheMisses.Load()}
	c := s.rc()
	if s.prefix != "" || c == nil {
		return st
	}
	for _, n := range s.primaries(c) {
		ctx, cancel := s.ctx()
		start := time.Now()
		k, err := n.Do(ctx, n.B().Dbsize().Build()).AsInt64()
		s.roundTrip(start)
		cancel()
		if err != nil {
			s.fail("dbsize", err)
			return st
		}
		st.Keys += k
	}
	return st
}
