package kv

import (
	"hash/maphash"
	"sync"
	"sync/atomic"
	"unsafe"
)

// The store's own index from keys to slots (it replaced xsync.Map, which
// kept a 24-byte entry object per key, {key string, slot pointer}, beside
// the slot: with a million small keys that entry plus xsync's buckets were
// about 59 of the 131 bytes of Go heap per key).
//
// Here a key costs one cell of a bucket: the slot pointer, a tag byte and
// its key-length byte, 64 bytes per 6 cells, at a load between 3/8 and
// 3/4 (14 to 28 bytes per key). The key's bytes are the slot's own
// (slot.go), so a lookup reads the bucket and then the slot (one
// dependent miss less than bucket -> entry -> slot when the entry and the
// slot were not in one line).
//
// Concurrency: readers take no lock; writers (Compute) take the lock of
// the key's segment (1/64 of the hash space), which is the "bucket lock"
// the rest of the store speaks of. Within one table a cell only moves
// forward: empty -> a slot -> deleted (a sentinel), and is never reused
// until the segment's table is rebuilt into a new one (which a writer
// does under the lock when the table is 3/4 full, counting deleted
// cells, or when a delete leaves fewer than 1/16 of its cells live, and
// then publishes by one atomic store). Hence a reader probing
// a table sees each cell in one of those states, a key live for its whole
// probe is in a cell before the first empty one it meets, and a reader
// still on an outgrown table sees the state of a moment during its call
// (a key deleted later is tomb in its slot, which the store checks: a
// slot is tombed before it is removed). The tag and length are stored
// before the cell's pointer (which publishes them), and never change
// while the cell holds a slot.

const (
	ixSegBits = 6
	ixSegs    = 1 << ixSegBits
	ixCells   = 6 // per 64-byte bucket
)

// ixOp is what a Compute callback asks for.
type ixOp int

const (
	ixCancel ixOp = iota // leave the entry as it was
	ixUpdate             // store the returned slot (insert only: see Compute)
	ixDelete             // remove the entry
)

// ibucket is one cache line: the tags and key lengths of its cells, one
// byte each, then the cells.
type ibucket struct {
	tags  atomic.Uint64
	lens  atomic.Uint64
	cells [ixCells]atomic.Pointer[slot]
}

var (
	_ [64 - unsafe.Sizeof(ibucket{})]byte
	_ [unsafe.Sizeof(ibucket{}) - 64]byte
)

type itable struct {
	b    []ibucket
	mask uint64
}

type iseg struct {
	mu   sync.Mutex
	t    atomic.Pointer[itable]
	used int // cells holding a slot or deleted (under mu)
	live int // cells holding a slot (under mu)
	size atomic.Int64
	_    [64 - 8 - 8 - 8 - 8 - 8]byte
}

type index struct {
	seed maphash.Seed
	segs [ixSegs]iseg
}

// deletedSlot marks a cell whose key was removed (until the next rebuild).
var deletedSlot = new(slot)

// bigKeyLen is the length byte of keys not stored inline (slotBig).
const bigKeyLen = 255

func newIndex() *index { return &index{seed: maphash.MakeSeed()} }

func lenByte(n int) uint64 {
	if n > maxInlineKey {
		return bigKeyLen
	}
	return uint64(n)
}

// slotKey is the key held by sl, whose length byte is ln.
func slotKey(sl *slot, ln uint64) string {
	switch ln {
	case 0:
		return "" // (a bare slot: nothing follows it)
	case bigKeyLen:
		return (*slotBig)(unsafe.Pointer(sl)).k
	}
	return unsafe.String((*byte)(unsafe.Add(unsafe.Pointer(sl), unsafe.Sizeof(slot{}))), int(ln))
}

// holds reports whether sl (of key length byte ln == lenByte(len(key)))
// holds key.
func holds(sl *slot, ln uint64, key string) bool {
	switch ln {
	case 0:
		return true
	case bigKeyLen:
		return (*slotBig)(unsafe.Pointer(sl)).k == key
	}
	return sameKey(sl, key)
}

func (x *index) hash(key string) uint64 { return maphash.String(x.seed, key) }

func (x *index) seg(h uint64) *iseg { return &x.segs[h>>(64-ixSegBits)] }

func ixTag(h uint64) uint64 { return (h >> (64 - ixSegBits - 8)) & 0xff }

// Load returns key's slot. No lock, no allocation.
func (x *index) Load(key string) (*slot, bool) {
	h := x.hash(key)
	t := x.seg(h).t.Load()
	if t == nil {
		return nil, false
	}
	tag, ln := ixTag(h), lenByte(len(key))
	for i := h & t.mask; ; i = (i + 1) & t.mask {
		b := &t.b[i]
		for c := 0; c < ixCells; c++ {
			p := b.cells[c].Load()
			if p == nil {
				return nil, false
			}
			if p == deletedSlot {
				continue
			}
			// (Loaded after the pointer, which was stored after them.)
			if (b.tags.Load()>>(8*c))&0xff == tag && (b.lens.Load()>>(8*c))&0xff == ln && holds(p, ln, key) {
				return p, true
			}
		}
	}
}

// Compute calls fn with key's slot (loaded false: absent) under the key's
// segment lock and does what it returns: ixUpdate inserts the slot
// returned when the key was absent (the store never replaces a key's slot
// by another; a slot leaves only deleted), ixDelete removes the key. fn
// must not call Compute (the lock is not reentrant); it may Load.
func (x *index) Compute(key string, fn func(cur *slot, loaded bool) (*slot, ixOp)) {
	h := x.hash(key)
	sg := x.seg(h)
	sg.mu.Lock()
	defer sg.mu.Unlock()
	tag, ln := ixTag(h), lenByte(len(key))
	t := sg.t.Load()
	var (
		cell *atomic.Pointer[slot]
		cur  *slot
	)
	if t != nil {
	probe:
		for i := h & t.mask; ; i = (i + 1) & t.mask {
			b := &t.b[i]
			for c := 0; c < ixCells; c++ {
				p := b.cells[c].Load()
				if p == nil {
					break probe
				}
				if p != deletedSlot && (b.tags.Load()>>(8*c))&0xff == tag && (b.lens.Load()>>(8*c))&0xff == ln && holds(p, ln, key) {
					cell, cur = &b.cells[c], p
					break probe
				}
			}
		}
	}
	nv, op := fn(cur, cell != nil)
	switch {
	case op == ixDelete && cell != nil:
		cell.Store(deletedSlot)
		sg.live--
		sg.size.Add(-1)
		if len(t.b) > 1 && sg.live*16 < len(t.b)*ixCells {
			sg.rebuild(x, t) // shrink: see rebuild's comment
		}
	case op == ixUpdate && cell == nil:
		if t == nil || (sg.used+1)*4 > len(t.b)*ixCells*3 {
			t = sg.rebuild(x, t)
		}
		ixPlace(t, h, ln, nv)
		sg.used++
		sg.live++
		sg.size.Add(1)
	case op == ixUpdate && cur != nv:
		panic("kv: index: a key's slot replaced by another")
	}
}

// ixPlace puts sl into the first empty cell of its probe sequence in t
// (which has one: tables are at most 3/4 full).
func ixPlace(t *itable, h, ln uint64, sl *slot) {
	for i := h & t.mask; ; i = (i + 1) & t.mask {
		b := &t.b[i]
		for c := 0; c < ixCells; c++ {
			if b.cells[c].Load() == nil {
				sh := uint(8 * c)
				b.tags.Store(b.tags.Load()&^(0xff<<sh) | ixTag(h)<<sh)
				b.lens.Store(b.lens.Load()&^(0xff<<sh) | ln<<sh)
				b.cells[c].Store(sl) // publishes the tag and length
				return
			}
		}
	}
}

// rebuild makes the segment a new table with room for one more key, at
// a load of 3/8 (deleted cells dropped), and publishes it. Under mu.
//
// An insert calls it to grow (the table 3/4 used, deleted cells
// counted), a delete to shrink: when fewer than 1/16 of the table's
// cells are live (and it has more than one bucket). Without the shrink,
// a Flush or a DelPrefix of most keys (both delete key by key through
// Compute) left every segment its big table and its deleted cells until
// 3/8 of its cells were inserted again: after a million keys flushed, 16
// MB of tables held and every miss probing them. A rebuilt table of more
// than one bucket is at a load of about 3/16 to 3/8, so it is neither
// shrunk again before its live keys fall by a further 2/3 nor grown
// before about 3/8 of its cells are inserted: no rebuilding back and
// forth, and a table of c cells is rebuilt after at least about c/8
// deletes or 3c/8 inserts since it was made, O(1) per operation. A
// reader still probing the old table sees it as it was at the swap, as
// with growth. The smallest table, one bucket, is never shrunk (nothing
// to gain, and a key set and deleted there would rebuild on every delete).
func (sg *iseg) rebuild(x *index, old *itable) *itable {
	nb := 1
	for nb*ixCells*3 < (sg.live+1)*8 {
		nb *= 2
	}
	t := &itable{b: make([]ibucket, nb), mask: uint64(nb - 1)}
	if old != nil {
		for i := range old.b {
			b := &old.b[i]
			for c := 0; c < ixCells; c++ {
				p := b.cells[c].Load()
				if p == nil || p == deletedSlot {
					continue
				}
				ln := (b.lens.Load() >> (8 * c)) & 0xff
				ixPlace(t, x.hash(slotKey(p, ln)), ln, p)
			}
		}
	}
	sg.used = sg.live
	sg.t.Store(t)
	return t
}

// Range calls fn for each key and slot until fn returns false, segment by
// segment: a key present for the whole call is seen exactly once, and no
// key is seen twice. Each segment's live cells are copied under its lock
// and fn runs on the copy with no lock held: walking the table itself,
// lock-free, would meet a key twice when it is deleted and set again
// meanwhile (its new cell lies after its deleted one in its probe
// sequence), and KEYS, SCAN and DBSIZE would list or count it twice.
// The copy holds the segment's writers for a memcpy of its cells (about
// 16K at a million keys).
func (x *index) Range(fn func(key string, sl *slot) bool) {
	type seen struct {
		sl *slot
		ln uint64
	}
	var buf []seen
	for s := range x.segs {
		sg := &x.segs[s]
		buf = buf[:0]
		sg.mu.Lock()
		if t := sg.t.Load(); t != nil {
			for i := range t.b {
				b := &t.b[i]
				for c := 0; c < ixCells; c++ {
					p := b.cells[c].Load()
					if p == nil || p == deletedSlot {
						continue
					}
					buf = append(buf, seen{p, (b.lens.Load() >> (8 * c)) & 0xff})
				}
			}
		}
		sg.mu.Unlock()
		for i := range buf {
			if !fn(slotKey(buf[i].sl, buf[i].ln), buf[i].sl) {
				return
			}
			buf[i].sl = nil // the copy keeps no slot alive once seen
		}
	}
}

// Size is the number of keys.
func (x *index) Size() int {
	n := int64(0)
	for s := range x.segs {
		n += x.segs[s].size.Load()
	}
	return int(n)
}
