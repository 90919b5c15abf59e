package kvredis

import (
	"crypto/sha256"
	"encoding/binary"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/redis/rueidis"
)

// Waiting for a key to change (ephpm_kv_wait) on Redis. Redis keeps no
// version per key, so the version is derived from the value: a 63-bit
// hash of it (absentVersion for a missing key). It changes whenever the
// value or the key's existence changes, and it is the same on every node,
// so a wait started with node A's version continues on node B. The price:
// rewriting a key with the value it already has, a TTL change, or a
// change and its undo between two reads are not seen as changes.
//
// A waiter reads the key through the client cache, which makes Redis
// track it for this node's connection; when any client writes the key,
// Redis sends an invalidation, and the store's listener wakes the key's
// waiters, which read again. Invalidations come only with the client
// cache on (Options.ClientCache > 0) and may be lost with a connection
// (rueidis then reports a reset, which wakes every waiter), so the key's
// waiters also read it afresh every pollCached / pollUncached, taking
// turns: one read per interval per key, however many wait on it.
//
// Resources: one listener for the store's life, and one entry per Redis
// key someone waits on, removed with its last waiter.

// absentVersion is the version of a missing key; a present key's version
// is never 0 or 1.
const absentVersion = 1

// pollCached and pollUncached are the fallback read intervals with and
// without the client cache (without it, polling is the only way a waiter
// learns of a change). Variables for the tests.
var (
	pollCached   = 250 * time.Millisecond
	pollUncached = 100 * time.Millisecond
)

// waitRegistry holds the keys waited on, by Redis key.
type waitRegistry struct {
	once sync.Once // registers the invalidation listener
	n    atomic.Int32
	mu   sync.Mutex
	m    map[string]*waitEntry
}

// waitEntry is one waited-on key: ch is closed (and replaced) when Redis
// says the key changed.
type waitEntry struct {
	ch      chan struct{}
	waiters int
	// polledAt is when a waiter of the key last read it afresh: the key's
	// waiters take turns, so a key is polled once per interval however
	// many wait on it.
	polledAt time.Time
	// seen is the version of the last read by any waiter (0: none yet).
	// A read that finds another wakes the others: a poll that found a
	// change no invalidation reported must wake every waiter.
	seen uint64
}

// valueVersion is the version of a key's state (see above).
func valueVersion(value string, exists bool) uint64 {
	if !exists {
		return absentVersion
	}
	h := sha256.Sum256(unsafe.Slice(unsafe.StringData(value), len(value)))
	v := binary.BigEndian.Uint64(h[:8]) >> 1 // < 2^63
	if v <= absentVersion {
		v += 2
	}
	return v
}

// enter registers a waiter on the Redis key rk.
func (s *Store) enterWait(rk string) *waitEntry {
	r := &s.waits
	r.once.Do(func() { s.addInvalidationListener(r.invalidated) })
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.m == nil {
		r.m = make(map[string]*waitEntry)
	}
	e := r.m[rk]
	if e == nil {
		e = &waitEntry{ch: make(chan struct{})}
		r.m[rk] = e
		r.n.Add(1)
	}
	e.waiters++
	return e
}

// leaveWait unregisters a waiter; the key's entry goes with its last one.
func (s *Store) leaveWait(rk string, e *waitEntry) {
	r := &s.waits
	r.mu.Lock()
	defer r.mu.Unlock()
	e.waiters--
	if e.waiters == 0 {
		delete(r.m, rk)
		r.n.Add(-1)
	}
}

// changed returns the channel closed at e's next invalidation.
func (r *waitRegistry) changed(e *waitEntry) <-chan struct{} {
	r.mu.Lock()
	defer r.mu.Unlock()
	return e.ch
}

// claimPoll reports whether the caller should read e's key afresh now:
// no waiter of it did within d.
func (r *waitRegistry) claimPoll(e *waitEntry, d time.Duration) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := time.Now()
	if now.Sub(e.polledAt) < d {
		return false
	}
	e.polledAt = now
	return true
}

// observed records the version a waiter read, waking the key's other
// waiters when it differs from the last one read.
func (r *waitRegistry) observed(e *waitEntry, ver uint64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if e.seen != 0 && e.seen != ver {
		close(e.ch)
		e.ch = make(chan struct{})
	}
	e.seen = ver
}

// invalidated is the invalidation listener: it wakes the waiters of the
// keys Redis named, or all of them after a reset. It runs on a rueidis
// reading goroutine: one atomic load while nobody waits.
func (r *waitRegistry) invalidated(keys []string, all bool) {
	if r.n.Load() == 0 {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	wake := func(e *waitEntry) {
		close(e.ch)
		e.ch = make(chan struct{})
	}
	if all {
		for _, e := range r.m {
			wake(e)
		}
		return
	}
	for _, k := range keys {
		if e := r.m[k]; e != nil {
			wake(e)
		}
	}
}

// Wait returns key's version, value and existence as soon as its version
// (valueVersion: a hash of the value, the same on every node) differs
// from last: at once when last is 0 or already differs, else when a write
// by any client changes the value or the key's existence (Redis's
// invalidation wakes it at once with the client cache on; a poll every
// pollCached / pollUncached catches the rest). ok is false when timeout
// (<= 0: do not wait) passes first, cancel is closed, the store is closed,
// or Redis cannot be read (the failure is logged; the call then returns
// after at most the command timeout, not at once, so that a loop around
// it does not spin while Redis is down).
func (s *Store) Wait(key string, last uint64, timeout time.Duration, cancel <-chan struct{}) (version uint64, value string, exists bool, ok bool) {
	rk := s.key(key)
	e := s.enterWait(rk)
	defer s.leaveWait(rk, e)
	poll := pollUncached
	if s.tracking.Load() { // Redis's invalidations wake us; the poll is the fallback
		poll = pollCached
	}
	var (
		end    = time.Now().Add(timeout)
		timer  *time.Timer
		cached = true // read through the client cache, which (re)tracks the key
	)
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		ch := s.waits.changed(e) // before the read: a change after it closes ch
		v, live, readOK := s.waitRead(rk, cached)
		if !readOK {
			// Fail, but not at once: a PHP loop around ephpm_kv_wait
			// would otherwise spin on a Redis that refuses connections.
			// A hung Redis takes the command timeout as well.
			s.failedWaitPause(min(time.Until(end), s.opts.CommandTimeout), cancel)
			return 0, "", false, false
		}
		ver := valueVersion(v, live)
		s.waits.observed(e, ver)
		if ver != last {
			return ver, v, live, true
		}
		for reread := false; !reread; {
			left := time.Until(end)
			if timeout <= 0 || left <= 0 {
				return 0, "", false, false
			}
			if timer == nil {
				timer = time.NewTimer(min(left, poll))
			} else {
				timer.Reset(min(left, poll))
			}
			select {
			case <-ch:
				cached, reread = true, true
			case <-timer.C:
				// A poll, past the client cache in case an invalidation
				// was lost and the cached value is stale; unless another
				// waiter of the key just polled (it wakes us on a change).
				if s.waits.claimPoll(e, poll) {
					cached, reread = false, true
				}
			case <-cancel:
				return 0, "", false, false
			case <-s.closed:
				return 0, "", false, false
			}
		}
	}
}

// failedWaitPause sleeps d (<= 0: not at all), ending early on cancel or
// when the store is closed.
func (s *Store) failedWaitPause(d time.Duration, cancel <-chan struct{}) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-cancel:
	case <-s.closed:
	}
}

// waitRead reads the Redis key rk, through the client cache (tracking it,
// so its next change is reported) or straight from Redis. ok is false
// when Redis failed.
func (s *Store) waitRead(rk string, cached bool) (value string, exists, ok bool) {
	c := s.rc()
	if c == nil {
		s.fail("wait", errNotConnected)
		return "", false, false
	}
	ctx, cancel := s.ctx()
	defer cancel()
	start := time.Now()
	var r rueidis.RedisResult
	if cached && s.dirty.has(rk[len(s.prefix):]) {
		// This node is writing the key over the direct path (dirty.go):
		// the caches may still hold the value before its write. The
		// tracked read keeps Redis invalidating the key for the waiter;
		// the value is read untracked after it.
		c.DoCache(ctx, c.B().Get().Key(rk).Cache(), cacheTTL)
		r = c.Do(ctx, c.B().Get().Key(rk).Build())
	} else if cached {
		r = c.DoCache(ctx, c.B().Get().Key(rk).Cache(), cacheTTL)
	} else {
		r = c.Do(ctx, c.B().Get().Key(rk).Build())
	}
	if !r.IsCacheHit() {
		s.roundTrip(start)
	}
	v, err := r.ToString()
	if err != nil {
		if !rueidis.IsRedisNil(err) {
			s.fail("wait", err)
			return "", false, false
		}
		s.log.recovered()
		return "", false, true
	}
	s.log.recovered()
	return v, true, true
}
