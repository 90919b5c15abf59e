package kv

import (
	"encoding/binary"
	"math/bits"
	"math/rand/v2"
	"sync/atomic"
	"unsafe"
)

// The lookup cache: a small direct-mapped table in front of the map, from
// a key's hash to its slot. A hit costs a few loads and one key compare
// instead of the map's own hashing and probing, which is most of what a
// read, an overwrite or an increment costs. The hash is the caller's
// (phpembed passes PHP's own, which PHP computes once per string and
// caches in it), so a hit hashes nothing.
//
// A cache entry is only a hint and is validated on use: the slot's key
// bytes must equal the key, and the slot must not be tomb. A slot that is
// not tomb is in the map (a slot is tombed before it is removed), and the
// map holds at most one slot per key, so such a slot is the key's current
// one. Collisions, crafted or not, only cost misses: the map behind it has
// its own seeded hash.
//
// Each cache entry is a seqlock over two words: meta (sequence << 9 | key length
// << 1 | busy bit) and the slot pointer. Keys longer than maxInlineKey (not
// stored inline in their slot) and the empty key are not cached.

const (
	hotBits = 14 // 16384 lines of 64 bytes
	hotSize = 1 << hotBits
	// hotFillOneIn: on a miss, an occupied entry is replaced one time in
	// this many, so keys that are each read once do not make every read
	// pay for a write, and two hot keys sharing an entry do not thrash.
	hotFillOneIn = 8
)

// hotEntry is one 64-byte line of the table: a lookup cache entry and 48
// counters of the presence filter (filter.go). They share the line so
// that a PHP get, which reads a counter in C before it calls into Go,
// finds the cache entry already in the CPU cache. phpembed's kvfuncs.c
// relies on this layout (see PresenceFilter).
type hotEntry struct {
	meta atomic.Uint64
	sl   atomic.Pointer[slot]
	cnt  [lineCounters / 4]uint32
}

const lineCounters = 48

var (
	_ [64 - unsafe.Sizeof(hotEntry{})]byte // exactly one cache line
	_ [unsafe.Sizeof(hotEntry{}) - 64]byte
	_ [unsafe.Offsetof(hotEntry{}.cnt) - 16]byte // counters at byte 16 (kvfuncs.c)
	_ [16 - unsafe.Offsetof(hotEntry{}.cnt)]byte
)

type hotTable [hotSize]hotEntry

// hotIndex spreads any hash (PHP's is weak in its high bits) over the table.
func hotIndex(h uint64) uint64 { return (h * LineMultiplier) >> (64 - hotBits) }

// find returns key's slot and its current version (nil, nil when absent;
// the version may be tomb when the key is being deleted). h is any hash of
// key that is equal for equal keys. Small enough to inline: a cache hit
// is a few loads and a key compare.
func (s *Store) find(key string, h uint64) (*slot, *vhdr) {
	e := &s.hot[hotIndex(h)]
	m := e.meta.Load()
	sl := e.sl.Load()
	// Not busy, same key length (never 0: empty keys are not cached),
	// no writer in between, same key bytes.
	if m&0x1ff == uint64(len(key))<<1 && m != 0 && e.meta.Load() == m && sameKey(sl, key) {
		if v := sl.v.Load(); v != tomb {
			return sl, v
		}
	}
	return s.findSlow(key, e, m)
}

// sameKey reports whether sl's inline key is key (of the length cached).
func sameKey(sl *slot, key string) bool {
	n := len(key)
	in := unsafe.Slice((*byte)(unsafe.Add(unsafe.Pointer(sl), unsafe.Sizeof(slot{}))), n)
	if n >= 8 && n <= 16 {
		k := unsafe.Slice(unsafe.StringData(key), n)
		// (Parenthesised: in Go ^ and | bind alike, left to right, and
		// a^b | c^d unbracketed is ((a^b)|c)^d, which called "key:1397"
		// equal to "key:1314", whose bits it contains.)
		return (binary.LittleEndian.Uint64(in)^binary.LittleEndian.Uint64(k))|
			(binary.LittleEndian.Uint64(in[n-8:])^binary.LittleEndian.Uint64(k[n-8:])) == 0
	}
	return unsafe.String(unsafe.SliceData(in), n) == key
}

// findSlow asks the map, and caches what it finds in entry e (read as m).
// A small record (index.go) is not found here: nil, nil (see findRec).
func (s *Store) findSlow(key string, e *hotEntry, m uint64) (*slot, *vhdr) {
	sl, ok := s.m.Load(key)
	if !ok {
		return nil, nil
	}
	return s.cacheSlot(key, e, m, sl)
}

// findRec is find for the callers that take small records too: r.small
// when key is one (its value copied into scratch or a new string when
// copyVal), else find's answer.
func (s *Store) findRec(key string, h uint64, scratch []byte, copyVal bool) (*slot, *vhdr, rec) {
	e := &s.hot[hotIndex(h)]
	m := e.meta.Load()
	sl := e.sl.Load()
	if m&0x1ff == uint64(len(key))<<1 && m != 0 && e.meta.Load() == m && sameKey(sl, key) {
		if v := sl.v.Load(); v != tomb {
			return sl, v, rec{}
		}
	}
	r, ok := s.m.get(key, scratch, copyVal)
	if !ok {
		return nil, nil, rec{}
	}
	if r.small {
		return nil, nil, r
	}
	sl, v := s.cacheSlot(key, e, m, r.sl)
	return sl, v, rec{}
}

// cacheSlot returns sl and its version, caching sl in entry e (read as m).
func (s *Store) cacheSlot(key string, e *hotEntry, m uint64, sl *slot) (*slot, *vhdr) {
	v := sl.v.Load()
	n := len(key)
	if v != tomb && n != 0 && n <= maxInlineKey && m&1 == 0 &&
		(m == 0 || rand.Uint32()%hotFillOneIn == 0) && e.meta.CompareAndSwap(m, m|1) {
		e.sl.Store(sl)
		e.meta.Store((m>>9+1)<<9 | uint64(n)<<1)
	}
	return sl, v
}

// keyHash is the hash the methods without one use: cheap, from up to
// three 8-byte words of the key and its length. It only picks a cache
// entry, so it need not be strong (see above).
func keyHash(key string) uint64 {
	b := unsafe.Slice(unsafe.StringData(key), len(key))
	n := len(b)
	var x, y uint64
	switch {
	case n >= 8:
		x = binary.LittleEndian.Uint64(b)
		y = binary.LittleEndian.Uint64(b[n-8:])
		if n > 16 {
			x ^= bits.RotateLeft64(binary.LittleEndian.Uint64(b[n/2-4:]), 31)
		}
	case n >= 4:
		x = uint64(binary.LittleEndian.Uint32(b))
		y = uint64(binary.LittleEndian.Uint32(b[n-4:]))
	case n > 0:
		x = uint64(b[0]) | uint64(b[n/2])<<8 | uint64(b[n-1])<<16
	}
	hi, lo := bits.Mul64(x^0xA0761D6478BD642F, y^uint64(n)^0xE7037ED1A0B428DB)
	return hi ^ lo
}
