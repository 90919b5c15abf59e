package kv

import (
	"strconv"
	"sync/atomic"
	"unsafe"
)

// Promoted counters: a counter's value kept in a table that C can read
// and update, so that phpembed increments it without a call into Go
// (which costs several times the increment). The table holds no Go
// pointers and lives as long as the store (phpembed pins it).
//
// An entry binds one key to one promoted counter version (vhdr.n ==
// promotedMark, its cell the entry's index | the binding's generation <<
// 32). Its word holds
//
//	value << 22 | generation << 2 | state
//
// state 1 (live) while that version is the key's current one. Every
// increment, from Go or from C, is a compare-and-swap of the whole word
// that keeps generation and state; values stay within ±2^41 (beyond, the
// counter is demoted and Go carries on with the full int64 range).
//
// Invariants (all transitions of an entry's binding happen under the
// bucket lock of its key):
//   - promote: only a new counter version (made under the lock, seen by
//     no one yet) without TTL is promoted, into an entry that is not live;
//     the binder claims the entry by making seq odd, writes key and word
//     (next generation), then makes seq even again.
//   - demote: before a promoted version stops being current (replaced,
//     deleted, expired, evicted, given a TTL, pushed out of range), its
//     word goes from live to dead by compare-and-swap, freezing the value;
//     an increment that lands before that is ordered before the change,
//     one after it fails and goes through the lock. Writers that replace a
//     slot's version without the lock (put's fast path) leave promoted
//     versions to the locked path, so under the lock a slot holding a
//     promoted version cannot change under the lock holder.
//   - C validates an entry by seq (even and unchanged around its reads of
//     key and word) and the key bytes, then compare-and-swaps the word it
//     read: it can only succeed on the same binding, unless the entry was
//     rebound 2^20 times in between.
const (
	ctabBits   = 12
	ctabSize   = 1 << ctabBits
	cKeyMax    = 40
	cStateLive = 1
	cGenShift  = 2
	cGenMask   = 1<<20 - 1
	cValShift  = 22
	cValMin    = -(1 << 41)
	cValMax    = 1<<41 - 1
	// CtabMultiplier: a key's entry is (FilterHash(key) * CtabMultiplier)
	// >> (64 - CtabBits).
	CtabMultiplier = 0xC2B2AE3D27D4EB4F
	CtabBits       = ctabBits
)

type centry struct {
	seq   atomic.Uint64 // odd while the entry is being bound
	word  atomic.Int64  // value << 22 | generation << 2 | state
	clock uint32        // access clock, atomic (C writes it too)
	klen  uint32        // written under seq, read by C
	key   [cKeyMax]byte // written under seq, read by C
}

// ctable is what C sees: the current access clock, then the entries.
type ctable struct {
	tick atomic.Uint32
	_    [60]byte
	e    [ctabSize]centry
}

// The layout C relies on (kvfuncs.c, struct kv_centry and kv_ctable).
var (
	_ [64 - unsafe.Sizeof(centry{})]byte
	_ [unsafe.Sizeof(centry{}) - 64]byte
	_ [unsafe.Offsetof(centry{}.word) - 8]byte
	_ [8 - unsafe.Offsetof(centry{}.word)]byte
	_ [unsafe.Offsetof(centry{}.clock) - 16]byte
	_ [16 - unsafe.Offsetof(centry{}.clock)]byte
	_ [unsafe.Offsetof(centry{}.klen) - 20]byte
	_ [20 - unsafe.Offsetof(centry{}.klen)]byte
	_ [unsafe.Offsetof(centry{}.key) - 24]byte
	_ [24 - unsafe.Offsetof(centry{}.key)]byte
	_ [unsafe.Offsetof(ctable{}.e) - 64]byte
	_ [64 - unsafe.Offsetof(ctable{}.e)]byte
)

const promotedMark = ^uint32(0) - 2

func (h *vhdr) isPromoted() bool { return h.n == promotedMark }

// cellOf is counter h's word, and the generation of its binding: 0 for
// a word in the version itself (never rebound); for a promoted version,
// its entry's, and a version whose generation is no longer its entry's is
// not current (the entry was rebound) and must not be read or changed
// through the entry.
func (s *Store) cellOf(h *vhdr) (*atomic.Int64, int64) {
	c := h.cell()
	if h.isPromoted() {
		return &s.ctab.e[*c&(ctabSize-1)].word, *c >> 32
	}
	return (*atomic.Int64)(unsafe.Pointer(c)), 0
}

func ctabIndex(key string) int64 {
	return int64((FilterHash(key) * CtabMultiplier) >> (64 - ctabBits))
}

func wordGen(w int64) int64 { return w >> cGenShift & cGenMask }

func inCounterRange(n int64) bool { return n >= cValMin && n <= cValMax }

// counterValue is a counter's value; false when h is a promoted version
// whose entry was rebound since (the caller looks again: h is not current).
func (s *Store) counterValue(h *vhdr) (int64, bool) {
	w, gen := s.cellOf(h)
	x := w.Load()
	return x >> cValShift, wordGen(x) == gen
}

// newCounterVersion makes the version of a counter holding n: a decimal
// string beyond the counter range (±2^41, rare: incremented through the
// lock), else a counter, promoted when it has no TTL, its key fits and its
// entry is free. Called under key's bucket lock; the version is seen by
// no one yet.
func (s *Store) newCounterVersion(key string, n, expires int64) *vhdr {
	tick := s.tick.Load()
	if !inCounterRange(n) {
		return newVersion(strconv.FormatInt(n, 10), expires, tick)
	}
	if expires != 0 || len(key) == 0 || len(key) > cKeyMax || s.watched(key) {
		return newCounter(n, expires, tick) // (a watched key's increments must reach Go: wait.go)
	}
	i := ctabIndex(key)
	e := &s.ctab.e[i]
	q := e.seq.Load()
	w := e.word.Load()
	if q&1 != 0 || w&3 == cStateLive || !e.seq.CompareAndSwap(q, q+1) {
		return newCounter(n, expires, tick)
	}
	e.klen = uint32(len(key))
	copy(e.key[:], key)
	gen := (wordGen(w) + 1) & cGenMask
	e.word.Store(n<<cValShift | gen<<cGenShift | cStateLive)
	atomic.StoreUint32(&e.clock, tick)
	e.seq.Store(q + 2)
	v := &counterVersion{vhdr: vhdr{clock: tick, n: promotedMark}, cell: i | gen<<32}
	return &v.vhdr
}

// freeze makes counter h's word dead, fixing its value, and returns that
// value: increments that land before it are ordered before whatever the
// caller (holding the bucket lock) does next, later ones fail and go
// through the lock. For a promoted counter this also frees its entry.
func (s *Store) freeze(h *vhdr) int64 {
	w, gen := s.cellOf(h)
	for {
		x := w.Load()
		if wordGen(x) != gen || x&3 != cStateLive || w.CompareAndSwap(x, x&^3) {
			return x >> cValShift
		}
	}
}

// demoteIf frees h's entry when h is a promoted counter or a published
// version (publish.go) that is about to stop being current. Called under
// the key's bucket lock, before the change.
func (s *Store) demoteIf(h *vhdr) {
	if h == nil || h == tomb {
		return
	}
	switch h.n {
	case promotedMark:
		s.freeze(h)
	case pubMark:
		s.pub.Load().retire(h)
	}
}

// incrCell adds delta to a live counter; false when its word is frozen or
// the result leaves the counter range (the caller then goes through the
// lock).
func (s *Store) incrCell(h *vhdr, delta int64) (int64, bool) {
	w, gen := s.cellOf(h)
	for {
		x := w.Load()
		n := x >> cValShift
		if wordGen(x) != gen || x&3 != cStateLive || !inCounterRange(delta) || !inCounterRange(n+delta) {
			return 0, false
		}
		if w.CompareAndSwap(x, (n+delta)<<cValShift|x&(1<<cValShift-1)) {
			t := s.tick.Load()
			c := &h.clock
			if h.isPromoted() {
				c = &s.ctab.e[*h.cell()&(ctabSize-1)].clock
			}
			if atomic.LoadUint32(c) != t {
				atomic.StoreUint32(c, t)
			}
			return n + delta, true
		}
	}
}

// clockOf is a version's access clock for LRU: for a promoted counter the
// later of its own and its entry's (C increments touch only the entry).
func (s *Store) clockOf(h *vhdr) uint32 {
	c := atomic.LoadUint32(&h.clock) &^ seenBit
	if h.isPublished() {
		return s.pub.Load().clockOf(h, c)
	}
	if h.isPromoted() {
		if w, gen := s.cellOf(h); wordGen(w.Load()) == gen {
			c = max(c, atomic.LoadUint32(&s.ctab.e[*h.cell()&(ctabSize-1)].clock))
		}
	}
	return c
}

// CounterTable returns the promoted counters' table for a caller that
// increments them itself (phpembed's C code), with the layout described
// above: a 64-byte header whose first 32-bit word is the current access
// clock, then 1 << CtabBits entries of 64 bytes (seq uint64, word int64,
// clock uint32, key length uint32, key [40]byte). Pin it before handing
// it to C; it holds no Go pointers.
func (s *Store) CounterTable() unsafe.Pointer { return unsafe.Pointer(s.ctab) }
