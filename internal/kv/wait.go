package kv

import (
	"strings"
	"sync"
	"time"

	"github.com/puzpuzpuz/xsync/v4"
)

// Waiting for a key to change (Wait) without memory for keys nobody
// waits on: versions live in a registry of watched keys, not in the
// entries. A key's registry entry is made by its first waiter, with a
// fresh version from the store's global sequence, and is dropped
// watchLinger after its last waiter left, so that a caller looping
// Wait -> Wait with the version it got misses nothing in between. Every
// change of a watched key takes the next number of the global sequence,
// so a version is never handed out twice for one key: an entry dropped
// and made again can only make a waiter return early (its version is
// new), never miss a change.
//
// Writers call changed(key) after each write, delete or expiry. While the
// registry is empty that is one atomic load (watching). Otherwise it is a
// lock-free registry lookup, and for a watched key a version bump and a
// channel close under the entry's mutex.
//
// Ordering: a waiter publishes its registry entry, then reads the value;
// a writer changes the value, then loads watching and looks the key up.
// All of these are sequentially consistent atomics, so either the writer
// sees the entry (and bumps it) or the waiter reads the new value.
//
// Counters promoted to the C table (promote.go) are incremented by C
// without any call into Go, so nothing would notify: registering a watch
// demotes the key's counter under its bucket lock, and newCounterVersion
// does not promote a key that has a registry entry.

const watchLinger = 60 * time.Second

type watchEntry struct {
	mu      sync.Mutex
	version uint64
	ch      chan struct{} // closed at the next change; nil until a waiter asks
	waiters int
	idle    time.Time // when waiters last dropped to 0
	dead    bool      // dropped from the registry: make a new one
}

// changed tells key's waiters that it was written, deleted or expired.
// One atomic load when nobody waits anywhere.
func (s *Store) changed(key string) {
	if s.watching.Load() != 0 {
		s.notify(key)
	}
}

func (s *Store) notify(key string) {
	e, ok := s.watches.Load(key)
	if !ok {
		return
	}
	e.mu.Lock()
	e.version = s.wseq.Add(1)
	if e.ch != nil {
		close(e.ch)
		e.ch = nil
	}
	e.mu.Unlock()
}

// watched reports whether key has a registry entry (newCounterVersion
// keeps such keys out of the C table).
func (s *Store) watched(key string) bool {
	if s.watching.Load() == 0 {
		return false
	}
	_, ok := s.watches.Load(key)
	return ok
}

// watch registers a waiter on key and returns its entry.
func (s *Store) watch(key string) *watchEntry {
	for {
		e, ok := s.watches.Load(key)
		if !ok {
			e, _ = s.watches.LoadOrCompute(strings.Clone(key), func() (*watchEntry, bool) {
				// Counted before it is published: a writer that can see
				// the entry also sees watching != 0.
				s.watching.Add(1)
				return &watchEntry{version: s.wseq.Add(1)}, false
			})
		}
		e.mu.Lock()
		if e.dead {
			e.mu.Unlock()
			continue
		}
		e.waiters++
		e.mu.Unlock()
		s.demoteWatched(key)
		return e
	}
}

// demoteWatched takes key's counter out of the C table, under the bucket
// lock: a newCounterVersion under that lock either saw the registry entry
// (and did not promote) or finished before this runs (and is demoted
// here). Every waiter does it, before its first read of the value, so no
// C increment can slip between that read and the demotion.
func (s *Store) demoteWatched(key string) {
	s.m.Compute(key, func(cur *slot, loaded bool) (*slot, ixOp) {
		if loaded {
			if o := cur.v.Load(); o.isPromoted() {
				c := newCounter(s.freeze(o), o.deadline(), s.tick.Load())
				cur.v.CompareAndSwap(o, c) // cannot fail under the lock (promoted)
			}
		}
		return cur, ixCancel
	})
}

func (s *Store) unwatch(e *watchEntry) {
	e.mu.Lock()
	e.waiters--
	if e.waiters == 0 {
		e.idle = time.Now()
	}
	e.mu.Unlock()
}

// state is e's version and a channel closed at its next change.
func (e *watchEntry) state() (uint64, <-chan struct{}) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.ch == nil {
		e.ch = make(chan struct{})
	}
	return e.version, e.ch
}

func (e *watchEntry) current() uint64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.version
}

// pruneWatches drops the entries idle for longer than linger.
func (s *Store) pruneWatches(linger time.Duration) {
	if s.watching.Load() == 0 {
		return
	}
	now := time.Now()
	s.watches.Range(func(key string, e *watchEntry) bool {
		e.mu.Lock()
		stale := e.waiters == 0 && now.Sub(e.idle) > linger
		e.mu.Unlock()
		if !stale {
			return true
		}
		dropped := false
		s.watches.Compute(key, func(cur *watchEntry, loaded bool) (*watchEntry, xsync.ComputeOp) {
			if !loaded || cur != e {
				return cur, xsync.CancelOp
			}
			e.mu.Lock()
			defer e.mu.Unlock()
			if e.waiters != 0 || now.Sub(e.idle) <= linger {
				return cur, xsync.CancelOp
			}
			e.dead, dropped = true, true
			return cur, xsync.DeleteOp
		})
		if dropped {
			s.watching.Add(-1) // after the entry left the map
		}
		return true
	})
}

// Wait returns key's current version, value and existence as soon as its
// version differs from last: at once when last is 0 or already differs,
// else when the key is next written, deleted or expires (at its
// deadline). ok is false when timeout (<= 0: do not wait) passes first,
// cancel is closed, or the store is closed. Versions are > 0 and < 2^63.
// The waiting goroutine is parked on a channel; nothing polls.
//
// The version returned was read before the value: when a change races
// the read, the value may be newer than the version, and the next Wait
// then returns at once with the newer version (early, never missed).
func (s *Store) Wait(key string, last uint64, timeout time.Duration, cancel <-chan struct{}) (version uint64, value string, exists bool, ok bool) {
	e := s.watch(key)
	defer s.unwatch(e)
	var (
		end   = time.Now().Add(timeout)
		timer *time.Timer
	)
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for tries := 0; ; tries++ {
		ver, ch := e.state()
		v, exp, live := s.readWithExpiry(key) // drops (and so bumps) an expired entry
		if ver2 := e.current(); ver2 != ver && tries < 3 {
			continue // changed while read: read a consistent pair if quickly possible
		}
		if ver != last {
			return ver, v, live, true
		}
		left := time.Until(end)
		if timeout <= 0 || left <= 0 {
			return 0, "", false, false
		}
		if exp > 0 { // (a negative one is past the clock's range: deadline.go)
			// Wake at the deadline: the read then drops the expired
			// key, which bumps the version.
			left = min(left, time.Duration(max(exp-s.now(), 0)))
		}
		if timer == nil {
			timer = time.NewTimer(left)
		} else {
			timer.Reset(left)
		}
		select {
		case <-ch:
		case <-timer.C:
		case <-cancel:
			return 0, "", false, false
		case <-s.stop:
			return 0, "", false, false
		}
		tries = -1
	}
}
