package kv

import (
	"strconv"
)

// UpdateOp says what Update does with the result of its function.
type UpdateOp int

const (
	UpdateKeep   UpdateOp = iota // leave the key as it is
	UpdateStore                  // store value, expiring at newExpiresAt (0 = never; in the past = delete; deadline.go)
	UpdateDelete                 // remove the key
)

// Now is the store's clock, in unix nanoseconds: the clock of the
// expiresAt values of Update, GetWithExpiry and Range (deadline.go: a
// negative one is minus unix ms, past the year 2262).
func (s *Store) Now() int64 { return s.now() }

// GetWithExpiry is Get plus the key's expiry (unix nanoseconds on Now's
// clock, 0 = none). It counts a hit or a miss as Get does.
func (s *Store) GetWithExpiry(key string) (value string, expiresAt int64, ok bool) {
	v, e, ok := s.readWithExpiry(key)
	if ok {
		s.hits.add(key, 1)
	} else {
		s.misses.add(key, 1)
	}
	return v, e, ok
}

// readWithExpiry: a live key's value (a counter's text in a new string)
// and expiry, touching it; it counts nothing.
func (s *Store) readWithExpiry(key string) (string, int64, bool) {
	for {
		h, r, ok := s.lookup(key, keyHash(key), nil, true)
		if !ok {
			return "", 0, false
		}
		if r.small {
			s.touchLine(r.line)
			return r.v, 0, true
		}
		if h.isMut() { // value and expiry of one write in place (readMut)
			var e int64
			if v, current := h.readMut(nil, &e); current {
				s.touch(h)
				return v, e, true
			}
			continue
		}
		if v, current := s.text(h, nil); current {
			s.touch(h)
			return v, h.deadline(), true
		}
	}
}

// Update applies fn to key's live value (exists=false when absent or
// expired) and does what it returns, atomically with every other
// operation on the key. fn runs under the key's bucket lock and may run
// more than once (when it loses a race with a lock-free writer, or the
// write must first make room by evicting), so it must be pure and quick.
// fn must not call the store (its bucket lock is held; the index's locks are
// not reentrant). A panic in fn is re-raised after the lock is released.
// old is safe to keep (a counter's text is a new string). It returns
// ErrNoMemory when the memory limit refuses a store; the old value stays.
//
// The whole read-modify-write happens under the bucket lock, because
// Expire changes a version's expiry in place under that lock: a
// lock-free compare-and-swap would not notice it and could write back
// the expiry fn read (SET KEEPTTL racing EXPIRE). Under the lock the only
// writers left are lock-free ones that replace the slot's version (the
// compare-and-swap below then fails and fn runs again) and counter
// increments, which a write stops by freezing the counter first.
func (s *Store) Update(key string, fn func(old string, expiresAt int64, exists bool) (value string, newExpiresAt int64, op UpdateOp)) error {
	var (
		sl      *slot  // a new slot, once an insert turned out to be needed
		stable  = key  // the key Compute sees: the slot's own copy once sl is set
		prepaid int64  // bytes reserved (evicting as needed) outside the lock
		tick    uint32 // for the new version's access clock
		caught  any    // a panic of fn, re-raised outside the lock
	)
	call := func(old string, exp int64, exists bool) (v string, e int64, op UpdateOp) {
		defer func() {
			if r := recover(); r != nil {
				caught, op = r, UpdateKeep
			}
		}()
		v, e, op = fn(old, exp, exists)
		if e != 0 && op == UpdateStore {
			s.noteTTL() // before a version with it is installed
		}
		return v, e, op
	}
	if _, h := s.find(key, keyHash(key)); h == nil || h == tomb {
		// Likely absent: bring a slot to insert, or fn would run twice.
		sl, stable = newSlot(key)
	}
	for {
		var (
			old                              *vhdr
			need                             int64 // > 0: reserve this much outside the lock, then try again
			inserted, stored, deleted, retry bool
			consumed, oldLive                bool
			frozenV                          *vhdr // a counter version this try froze
			frozenN                          int64 // and its value then
		)
		tick = s.tick.Load()
		if sl != nil {
			s.filter.add(key) // before the slot can be seen
		}
		s.m.Compute(stable, func(cur *slot, loaded bool) (*slot, ixOp) {
			if !loaded {
				v, exp, op := call("", 0, false)
				if op != UpdateStore || s.pastDeadline(exp) {
					return cur, ixCancel // nothing to change
				}
				if sl == nil {
					retry = true // come back with a slot holding a copy of key
					return cur, ixCancel
				}
				n := newVersion(v, exp, tick)
				c := cost(len(key), n)
				if !s.tryReserve(c - prepaid) {
					need = c
					return cur, ixCancel
				}
				consumed = true
				sl.v.Store(n)
				inserted = true
				return sl, ixUpdate
			}
			for { // under the bucket lock a slot in the map is never tomb
				o := s.settle(cur) // fn reads an immutable copy (mutable.go)
				live := s.live(o)
				var (
					text string
					exp  int64
					n    int64
				)
				counter := live && o.isCounter()
				if live {
					exp = o.deadline()
					switch {
					case o == frozenV:
						n = frozenN
						text = strconv.FormatInt(n, 10)
					case counter:
						n, _ = s.counterValue(o) // current under the lock: its binding holds
						text = strconv.FormatInt(n, 10)
					default:
						text = o.str()
					}
				}
				v, newExp, op := call(text, exp, live)
				if op == UpdateStore && s.pastDeadline(newExp) {
					op = UpdateDelete
				}
				if op == UpdateKeep || caught != nil {
					s.thaw(key, cur, o, frozenV, frozenN)
					return cur, ixCancel
				}
				if counter && o != frozenV {
					// Stop increments (Go's and C's) before writing, so none
					// lands between fn's read and the write; if one landed
					// since the read, fn runs again on the frozen value.
					frozenV, frozenN = o, s.freeze(o)
					if frozenN != n {
						continue
					}
				}
				if op == UpdateDelete {
					s.demoteIf(o)
					if cur.v.CompareAndSwap(o, tomb) {
						old, deleted, oldLive = o, true, live
						return cur, ixDelete
					}
					continue // a lock-free Set replaced it: fn again
				}
				n2 := newVersion(v, newExp, tick)
				grow := cost(len(key), n2) - cost(len(key), o)
				if !s.tryReserve(grow - prepaid) {
					s.thaw(key, cur, o, frozenV, frozenN)
					need = grow
					return cur, ixCancel
				}
				s.demoteIf(o)
				if cur.v.CompareAndSwap(o, n2) {
					old, stored, oldLive, consumed = o, true, live, true
					return cur, ixCancel
				}
				s.bytes.Add(prepaid - grow) // undo: a lock-free Set replaced it
			}
		})
		if sl != nil && !inserted {
			s.filter.drop(key)
		}
		if !consumed && prepaid != 0 {
			s.bytes.Add(-prepaid)
			prepaid = 0
		}
		if caught != nil {
			panic(caught)
		}
		switch {
		case retry:
			sl, stable = newSlot(key)
			continue
		case need > 0:
			if !s.reserve(need) {
				return ErrNoMemory
			}
			prepaid = need
			continue
		case inserted:
			s.keys.Add(1)
		case stored:
			if !oldLive {
				s.expirations.add(key, 1)
			}
		case deleted:
			s.removed(key, old)
			if !oldLive {
				s.expirations.add(key, 1)
			}
		default:
			return nil // kept
		}
		s.changed(key)
		return nil
	}
}

// pastDeadline: an expiry that has passed already (stores with it delete).
// A negative one is past the clock's range (deadline.go), never passed.
func (s *Store) pastDeadline(e int64) bool { return e > 0 && e <= s.now() }

// thaw puts back counter version o, frozen by this update (frozenV) but
// not replaced after all: a frozen word takes no increments, and a
// promoted one's entry may be rebound, so o is replaced by a fresh
// counter of the same value. Called under key's bucket lock.
func (s *Store) thaw(key string, cur *slot, o, frozenV *vhdr, n int64) {
	if frozenV == nil || o != frozenV {
		return
	}
	c := s.newCounterVersion(key, n, o.deadline())
	if !cur.v.CompareAndSwap(o, c) {
		s.demoteIf(c) // never current: free its entry
	}
}

// tryReserve is reserve without eviction, for a caller holding a bucket
// lock (evicting takes other keys' bucket locks). n may be negative.
func (s *Store) tryReserve(n int64) bool {
	if s.limit == 0 || n <= 0 {
		s.bytes.Add(n)
		return true
	}
	for {
		cur := s.bytes.Load()
		if cur+n > s.limit {
			return false
		}
		if s.bytes.CompareAndSwap(cur, cur+n) {
			return true
		}
	}
}
