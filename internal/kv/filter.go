package kv

import (
	"runtime"
	"sync/atomic"
	"unsafe"
)

// The presence filter: one-byte counters, 48 in each line of the lookup
// cache's table (hot.go), indexed by FilterHash of a key, counting the
// slots in the map whose key falls there. A slot is counted before it is
// inserted and uncounted after it is removed, so at any instant every slot
// in the map is counted: a zero counter proves that no key with that index
// is in the map, and a read may answer "missing" right then. A counter
// that reaches 255 stays there (it then proves nothing, which is safe).
//
// The store itself does not read it: it is for a caller in front of the
// store that can answer a miss more cheaply than by calling in, e.g.
// phpembed's C code, for which a call into Go costs more than the lookup
// (see PresenceFilter). Such a caller counts the misses it answers and
// reports them with SetExternalCounts.

// The filter's layout, for callers that read it themselves: the table has
// 1 << FilterLineBits lines of 64 bytes; a key's line is (h *
// LineMultiplier) >> (64 - FilterLineBits) and its counter within the line
// is c = ((h * FilterMultiplier) >> 58) * 48 >> 6, where h is
// FilterHash(key); the counter is bits 8*(c%4) .. 8*(c%4)+7 of the 32-bit
// word at byte offset 16 + 4*(c/4) of the line.
const (
	FilterLineBits   = hotBits
	LineMultiplier   = 0x9E3779B97F4A7C15
	FilterMultiplier = 0xD6E8FEB86659FD93
)

// FilterHash is the hash the presence filter is indexed by: PHP's string
// hash (zend_inline_hash_func: DJB "times 33" over the bytes, 5381 to
// start, the high bit set), so that a PHP caller can use the hash PHP
// already keeps in each string. Bytes count as signed where C's char is
// signed (amd64, 386), as they do in PHP there.
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

type presence = hotTable

func filterSlot(key string) (line uint64, word int, shift uint) {
	h := FilterHash(key)
	c := ((h * FilterMultiplier) >> 58) * lineCounters >> 6
	return hotIndex(h), int(c / 4), uint(c%4) * 8
}

// add counts a slot for key in, before it is inserted.
func (f *presence) add(key string) {
	l, w, sh := filterSlot(key)
	p := &f[l].cnt[w]
	for {
		old := atomic.LoadUint32(p)
		if old>>sh&0xff == 0xff || atomic.CompareAndSwapUint32(p, old, old+1<<sh) {
			return
		}
	}
}

// drop uncounts a slot for key, after it was removed.
func (f *presence) drop(key string) {
	l, w, sh := filterSlot(key)
	p := &f[l].cnt[w]
	for {
		old := atomic.LoadUint32(p)
		if old>>sh&0xff == 0xff || atomic.CompareAndSwapUint32(p, old, old-1<<sh) {
			return
		}
	}
}

// mayHave is false when key is surely not in the map.
func (f *presence) mayHave(key string) bool {
	l, w, sh := filterSlot(key)
	return atomic.LoadUint32(&f[l].cnt[w])>>sh&0xff != 0
}

// PresenceFilter returns the table holding the filter (layout above), for
// a caller that reads the counters itself, atomically, a 32-bit word at a
// time: a key whose counter is 0 was not in the store at the moment it was
// read. The table lives as long as the store; pin it (runtime.Pinner)
// before handing it to C. It holds Go pointers too, which C must not read.
func (s *Store) PresenceFilter() unsafe.Pointer { return unsafe.Pointer(s.hot) }

// SetExternalCounts adds the hits and misses a caller counted itself (of
// Peek, and of misses it answered from the presence filter) to Stats: f
// returns their running totals.
func (s *Store) SetExternalCounts(f func() (hits, misses int64)) { s.extCounts.Store(&f) }
