package kv

import (
	"runtime"
	"sync/atomic"
)

// The presence filter: 2^20 one-byte counters, indexed by FilterHash of a
// key, counting the slots in the map whose key falls there. A slot is
// counted before it is inserted and uncounted after it is removed, so at
// any instant every slot in the map is counted: a zero counter proves that
// no key with that index is in the map, and a read may answer "missing"
// right then. A counter that reaches 255 stays there (it then proves
// nothing, which is safe).
//
// The store itself does not read it: it is for a caller in front of the
// store that can answer a miss more cheaply than by calling in, e.g.
// phpembed's C code, for which a call into Go costs more than the lookup
// (see PresenceFilter). Such a caller counts the misses it answers and
// reports them with SetExternalCounts.

// FilterBits: the presence filter has 1 << FilterBits counters.
const FilterBits = 20

const (
	filterBits  = FilterBits
	filterSize  = 1 << filterBits // counters
	filterWords = filterSize / 4  // four counters per uint32 word
)

// FilterHash is the hash the presence filter is indexed by: PHP's string
// hash (zend_inline_hash_func: DJB "times 33" over the bytes, 5381 to
// start, the high bit set), so that a PHP caller can use the hash PHP
// already keeps in each string. Bytes count as signed where C's char is
// signed (amd64, 386), as they do in PHP there. A key's counter is
// filterIndex(FilterHash(key)): byte i of the filter being bits 8*(i%4) ..
// 8*(i%4)+7 of word i/4.
func FilterHash(key string) uint64 {
	h := uint64(5381)
	if charSigned {
		for i := 0; i < len(key); i++ {
			h = h*33 + uint64(int64(int8(key[i])))
		}
	} else {
		for i := 0; i < len(key); i++ {
			h = h*33 + uint64(key[i])
		}
	}
	return h | 1<<63
}

const charSigned = runtime.GOARCH == "amd64" || runtime.GOARCH == "386"

// FilterMultiplier: a counter's index is (hash * FilterMultiplier) >>
// (64 - FilterBits), which spreads DJB's weak high bits.
const FilterMultiplier = 0xD6E8FEB86659FD93

type presence [filterWords]uint32

func filterSlot(key string) (word uint32, shift uint) {
	i := (FilterHash(key) * FilterMultiplier) >> (64 - filterBits)
	return uint32(i / 4), uint(i%4) * 8
}

// add counts a slot for key in, before it is inserted.
func (f *presence) add(key string) {
	w, sh := filterSlot(key)
	p := &f[w]
	for {
		old := atomic.LoadUint32(p)
		if old>>sh&0xff == 0xff || atomic.CompareAndSwapUint32(p, old, old+1<<sh) {
			return
		}
	}
}

// drop uncounts a slot for key, after it was removed.
func (f *presence) drop(key string) {
	w, sh := filterSlot(key)
	p := &f[w]
	for {
		old := atomic.LoadUint32(p)
		if old>>sh&0xff == 0xff || atomic.CompareAndSwapUint32(p, old, old-1<<sh) {
			return
		}
	}
}

// mayHave is false when key is surely not in the map.
func (f *presence) mayHave(key string) bool {
	w, sh := filterSlot(key)
	return atomic.LoadUint32(&f[w])>>sh&0xff != 0
}

// PresenceFilter returns the filter's words, for a caller that reads it
// itself (atomically, a 32-bit word at a time): a key whose counter is 0
// was not in the store at the moment it was read. The array lives as long
// as the store; pin it (runtime.Pinner) before handing it to C.
func (s *Store) PresenceFilter() *[filterWords]uint32 { return (*[filterWords]uint32)(s.filter) }

// SetExternalCounts adds the hits and misses a caller counted itself (of
// Peek, and of misses it answered from the presence filter) to Stats: f
// returns their running totals.
func (s *Store) SetExternalCounts(f func() (hits, misses int64)) { s.extCounts.Store(&f) }
