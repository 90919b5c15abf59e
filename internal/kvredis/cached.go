package kvredis

import (
	"time"

	"github.com/redis/rueidis"
)

// cacheTTL is the client TTL given to DoCache: rueidis keeps a value that
// long at most, and never beyond the key's own expiry, which it reads
// with PTTL in the same MULTI as the GET. It is far off on purpose: Redis
// invalidates every change (and expiry) of a tracked key, the caches are
// dropped with their connection, and a bound this long tells the near
// cache that a key has no TTL of its own (its expiry is then not checked
// on every hit).
const cacheTTL = 50 * 365 * 24 * time.Hour

// cachedGet is Get through the client cache: the near cache first, then
// rueidis's DoCache (its own cache, or a GET that Redis then tracks for
// this connection). err: Redis's WRONGTYPE reply (GetTyped).
func (s *Store) cachedGet(key string) (string, bool, error) {
	if v, found, ok := s.near.lookup(key); ok {
		s.stats.cacheHits.Add(1)
		return v, found, nil
	}
	c := s.rc()
	if c == nil {
		s.fail("get", errNotConnected)
		return "", false, nil
	}
	tok := s.near.begin(key)
	ctx, cancel := s.ctx()
	start := time.Now()
	rk := s.key(key)
	r := c.DoCache(ctx, c.B().Get().Key(rk).Cache(), cacheTTL)
	cancel()
	if r.IsCacheHit() {
		s.stats.cacheHits.Add(1)
	} else {
		s.stats.cacheMisses.Add(1)
		s.roundTrip(start)
	}
	v, err := r.ToString()
	found := err == nil
	if err != nil && !rueidis.IsRedisNil(err) {
		if _, ok := rueidis.IsRedisErr(err); ok {
			// Redis refused the tracked read: over maxmemory with
			// noeviction it refuses the MULTI around it (OOM) though a
			// plain GET still works; a key of another type (WRONGTYPE)
			// is never cached. Read uncached.
			return s.uncachedGet(key)
		}
		s.fail("get", err)
		return "", false, nil
	}
	s.log.recovered()
	// CachePXAT is -1 when rueidis did not cache the answer (an
	// invalidation came while it was on its way): then neither do we.
	if pxat := r.CachePXAT(); pxat > 0 {
		// The near cache keeps its key: not key, which may view the
		// caller's memory for this call only (PHP's string, see
		// phpembed.SetKVBackend), but the same bytes inside rk, ours.
		s.near.fill(rk[len(s.prefix):], tok, v, found, pxat, time.Now().UnixMilli())
	}
	return v, found, nil
}

// doWrite runs a command that changes key. With the client cache on, it
// is pipelined with a fence, a PTTL of the same key: Redis sends this
// connection's invalidation of key (if it tracks key for us) after the
// write's reply and before the fence's, and rueidis handles messages in
// order, so when doWrite returns, the caches no longer hold the old value
// and this node reads its own write. (Every command to one Redis node
// goes over one connection: ClientOption.PipelineMultiplex = -1.)
func (s *Store) doWrite(op, key string, build func(c rueidis.Client, rkey string) rueidis.Completed) (rueidis.RedisMessage, error) {
	c := s.rc()
	if c == nil {
		s.fail(op, errNotConnected)
		return rueidis.RedisMessage{}, errNotConnected
	}
	rk := s.key(key)
	ctx, cancel := s.ctx()
	defer cancel()
	start := time.Now()
	var m rueidis.RedisMessage
	var err error
	if s.tracking.Load() {
		rs := c.DoMulti(ctx, build(c, rk), c.B().Pttl().Key(rk).Build())
		m, err = rs[0].ToMessage()
	} else {
		m, err = c.Do(ctx, build(c, rk)).ToMessage()
	}
	s.roundTrip(start)
	if err != nil && !rueidis.IsRedisNil(err) {
		return m, err
	}
	s.log.recovered()
	return m, nil
}

// write is doWrite for callers whose only failure value is "not done":
// every error is counted and logged.
func (s *Store) write(op, key string, build func(c rueidis.Client, rkey string) rueidis.Completed) (rueidis.RedisMessage, bool) {
	m, err := s.doWrite(op, key, build)
	if err != nil {
		if err != errNotConnected {
			s.fail(op, err)
		}
		return m, false
	}
	return m, true
}
