package kvredis

import (
	"sync/atomic"
	"time"

	"github.com/puzpuzpuz/xsync/v4"
)

// dirtyKeys keeps a node reading its own direct writes (direct.go) while
// the client cache is on.
//
// The rule. Before a direct write of key k is sent, k is marked dirty
// (its entry's inFlight is raised) and the near cache's entry for k is
// invalidated as Redis's invalidation would (stripe bumped, entry
// deleted). After the reply, inFlight is lowered and doneAt set to the
// time (monotonic). While k has an entry, Get and Exists of k bypass both
// caches (a GET or EXISTS that Redis answers, not tracked). A background
// fencer (run) removes entries: it notes the time t, sends a PING through
// rueidis, and when the PING's reply is back removes every entry with
// inFlight == 0 and doneAt < t.
//
// Why that is enough: after our write W's reply, no cached copy older
// than W may be served by this node.
//   - While k's entry exists nothing cached is served for k.
//   - The entry goes only after a PING sent after W's reply (doneAt < t),
//     so Redis ran the PING after W. Every command of this node to Redis,
//     cached reads and the PING included, goes over one tracking
//     connection (PipelineMultiplex = -1), whose messages Redis sends and
//     rueidis handles in order. If a tracked read of k ran on Redis before
//     W, Redis sent its reply before W ran, then k's invalidation when W
//     ran, then the PING's reply: by the time the PING's reply is handed
//     to the fencer, rueidis has dropped that copy from its cache and the
//     near cache's invalidation listener has run (a near fill of an
//     answer obtained before an invalidation is never kept: near.go's
//     invariant). A tracked read that ran after W returns W's value or a
//     later one. So once the entry is gone, both caches hold nothing older
//     than W.
//   - Fills racing the mark: a cached read that began before the mark
//     took its fill token before the mark's stripe bump, so its answer is
//     not stored in the near cache; rueidis's copy of it is covered by the
//     point above (that read ran before W, or it returns W or later).
//   - Several writes of k at once: inFlight counts them; the entry goes
//     only when none is in flight and the last finished before a PING.
//     mark and done change an entry, and the fencer removes it, inside
//     the map's Compute (under the entry's bucket lock), so a mark never
//     lands on an entry being removed.
//
// The rule proposed first, clearing k on Redis's invalidation of k, is
// not safe: the invalidation handled after W's reply may be for an
// earlier write W0 (the tracking connection lags the direct one), and a
// tracked read that ran between W0 and W is handled after it and cached
// until W's own invalidation comes.
//
// When the fencer fences (lazily). An entry only sends reads of its key
// to Redis, which is always right, so nothing forces a fence soon after a
// write: it is only needed before this node reads the key again from a
// cache. A fence is a PING through rueidis, whose writer and reader
// goroutines (and the fencer) must each be woken: several thread
// wake-ups, which on 2 busy CPUs cost more than the write's own round
// trip (README, "Where a round trip's time goes"; perf counted them per
// ephpm_kv_set when a fence followed every write burst of 1 ms). So the
// fencer fences:
//   - soon (at most one fence per fenceEvery) when a reader met a dirty
//     key (has, true): that read went to Redis, and the next reads of the
//     key are cached again once the fence is back;
//   - soon when more than dirtyMax keys are dirty (the map stays small);
//   - otherwise every fenceLazy while any key is dirty, to empty the map.
//
// A stream of writes that nobody reads back on this node (counters,
// sets) then costs one PING per fenceLazy instead of one per fenceEvery.
// The first key to become dirty with none before wakes the fencer (one
// wake-up per burst of writes); later writes wake nobody.
//
// A reset (rueidis dropping its cache on reconnect) leaves entries alone:
// they only send reads to Redis. A failed write (Redis down) keeps its
// entry until a fence succeeds: its effect is unknown.
type dirtyKeys struct {
	// n is the number of entries: Get's fast path loads only it.
	n    atomic.Int64
	m    *xsync.Map[string, *dirtyEntry]
	base time.Time // doneAt and fence times are ns since base (monotonic)
	// kick: a key became dirty while none was (the fencer, idle, starts
	// its lazy timer). soon: fence as soon as fenceEvery allows.
	kick, soon chan struct{}
	// lazy and max are fenceLazy and dirtyMax (tests set others).
	lazy time.Duration
	max  int64
	// fences counts the fences that came back (tests).
	fences atomic.Int64
}

type dirtyEntry struct {
	inFlight int32 // changed only inside the map's Compute
	doneAt   int64
}

// fenceEvery is the least time between two fences: a written key that is
// read back is read from Redis (not the caches) for about this long plus
// a round trip after its first read.
const fenceEvery = time.Millisecond

// fenceLazy is the time between fences while keys are dirty but nobody
// reads them; dirtyMax the number of dirty keys that asks for a fence at
// once.
const (
	fenceLazy = 50 * time.Millisecond
	dirtyMax  = 4096
)

// start makes the map and starts the fencer (once, before the direct
// path is enabled).
func (d *dirtyKeys) start(s *Store) {
	d.m = xsync.NewMap[string, *dirtyEntry]()
	d.base = time.Now()
	d.kick = make(chan struct{}, 1)
	d.soon = make(chan struct{}, 1)
	d.lazy, d.max = fenceLazy, dirtyMax
	if s.opts.fenceLazy > 0 {
		d.lazy = s.opts.fenceLazy
	}
	if s.opts.dirtyMax > 0 {
		d.max = s.opts.dirtyMax
	}
	go d.run(s)
}

func (d *dirtyKeys) now() int64 { return int64(time.Since(d.base)) }

// nudge sends on a 1-buffered channel without blocking.
func nudge(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// has reports whether key (without the prefix) is dirty; the caller then
// reads it from Redis, and the fencer is asked to fence soon so that the
// key's next reads are cached again. With no dirty key, one atomic load.
func (d *dirtyKeys) has(key string) bool {
	if !d.contains(key) {
		return false
	}
	nudge(d.soon)
	return true
}

// contains is has without asking for a fence (the near cache's mirror
// checks its fills against it, near_pub.go).
func (d *dirtyKeys) contains(key string) bool {
	if d.n.Load() == 0 {
		return false
	}
	_, ok := d.m.Load(key)
	return ok
}

// mark is called before a direct write of rk is sent.
func (d *dirtyKeys) mark(s *Store, rk string) {
	key := rk[len(s.prefix):] // ours: rk is a new string (s.key)
	var n int64
	d.m.Compute(key, func(e *dirtyEntry, loaded bool) (*dirtyEntry, xsync.ComputeOp) {
		if !loaded {
			e = &dirtyEntry{}
			n = d.n.Add(1)
		}
		e.inFlight++
		return e, xsync.UpdateOp
	})
	switch {
	case n == 1:
		nudge(d.kick)
	case n > d.max:
		nudge(d.soon)
	}
	if s.near != nil {
		// As an invalidation does: a fill that began before this bump is
		// not stored; the entry is gone.
		s.near.invalidate([]string{rk}, false)
	}
}

// done is called after the direct write's reply (or failure).
func (d *dirtyKeys) done(key string) {
	t := d.now()
	d.m.Compute(key, func(e *dirtyEntry, loaded bool) (*dirtyEntry, xsync.ComputeOp) {
		if !loaded {
			return e, xsync.CancelOp // cannot happen: mark made it
		}
		e.inFlight--
		e.doneAt = t
		return e, xsync.UpdateOp
	})
}

// clearBefore removes the entries with no write in flight whose last
// write finished before t.
func (d *dirtyKeys) clearBefore(t int64) {
	d.m.Range(func(key string, _ *dirtyEntry) bool {
		d.m.Compute(key, func(e *dirtyEntry, loaded bool) (*dirtyEntry, xsync.ComputeOp) {
			if !loaded || e.inFlight > 0 || e.doneAt >= t {
				return e, xsync.CancelOp
			}
			d.n.Add(-1)
			return e, xsync.DeleteOp
		})
		return true
	})
}

// run is the fencer: while there are dirty keys, a PING through rueidis
// (on the tracking connection) when asked (soon) or every fenceLazy, at
// most one per fenceEvery, then the entries done before it are cleared.
// Ends when the store closes.
func (d *dirtyKeys) run(s *Store) {
	lazy := time.NewTimer(d.lazy)
	lazy.Stop()
	// sleep waits for dur or the store's closing (false).
	sleep := func(dur time.Duration) bool {
		t := time.NewTimer(dur)
		defer t.Stop()
		select {
		case <-s.closed:
			return false
		case <-t.C:
			return true
		}
	}
	var last time.Time // when the last fence was sent
	for {
		select {
		case <-d.kick:
		case <-d.soon:
		case <-s.closed:
			return
		}
		lazy.Reset(d.lazy)
		for d.n.Load() > 0 {
			select {
			case <-d.soon:
			case <-lazy.C:
			case <-s.closed:
				return
			}
			if wait := fenceEvery - time.Since(last); wait > 0 && !sleep(wait) {
				return
			}
			t := d.now()
			last = time.Now()
			err := s.pingFence()
			lazy.Reset(d.lazy)
			if err != nil {
				// Redis is down or slow: the keys stay dirty (reads go to
				// Redis and fail like any call). Try again later.
				if !sleep(100 * time.Millisecond) {
					return
				}
				nudge(d.soon)
				continue
			}
			d.fences.Add(1)
			d.clearBefore(t)
		}
		lazy.Stop()
	}
}

// pingFence is a PING on the tracking connection within the command
// timeout.
func (s *Store) pingFence() error {
	c := s.rc()
	if c == nil {
		return errNotConnected
	}
	ctx, cancel := s.ctx()
	defer cancel()
	return c.Do(ctx, c.B().Ping().Build()).Error()
}
