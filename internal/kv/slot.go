package kv

import (
	"sync/atomic"
	"unsafe"
)

// Memory layout of an entry. Per key the map holds one *slot, which lives
// as long as the key is in the map and holds the key's bytes; the slot
// points to the current version of the value, a vhdr. A version is
// immutable except for three atomic words: its expiry (Expire changes it
// in place), its access clock (LRU), and a counter's int64 cell. So a
// write to an existing key is one allocation and one compare-and-swap on
// the slot, with no map lock and no new map entry, and incr_by on a counter
// is a compare-and-swap on its cell.
//
// Ownership rules that make the lock-free paths linearizable:
//   - A slot's pointer only moves forward by CAS from the version a writer
//     read; deletion swaps in tomb (terminal) under the map's bucket lock,
//     and the entry is removed under that same lock, so a CAS that
//     succeeds always acts on a slot that is in the map.
//   - In-place changes (Expire, a counter's cell) act on the version they
//     loaded. One that lands on a version just replaced is ordered before
//     the replacing write: it started while that version was current, and
//     the replacing write never reads those words (conversions that do
//     read them, a string turned into a counter, run under the bucket lock,
//     as Expire does).

// slot is a key's cell in the map. The key bytes follow it in the same
// allocation (see newSlot), so a new key costs one allocation here.
type slot struct {
	v atomic.Pointer[vhdr]
}

// vhdr heads a version: a no-pointer allocation of vhdrSize bytes followed
// by the value bytes, or by an int64 cell for a counter.
type vhdr struct {
	expires int64  // unix nanos, 0 = none; atomic after publication
	clock   uint32 // access clock for LRU; atomic after publication
	n       uint32 // value length, or counterMark, promotedMark, longMark
}

const (
	vhdrSize    = int(unsafe.Sizeof(vhdr{}))
	counterMark = ^uint32(0)     // the value is an int64 cell, shown as decimal text
	longMark    = ^uint32(0) - 1 // the value length is the int64 after the header
	// promotedMark = ^uint32(0) - 2 (promote.go)
	pubMark = ^uint32(0) - 3 // a published string version (publish.go)
)

// tomb marks a slot whose key was deleted; it never leaves that slot.
var tomb = &vhdr{}

var zeroHdr [vhdrSize]byte

// newVersion copies value into a new version.
func newVersion(value string, expires int64, clock uint32) *vhdr {
	n := len(value)
	if uint64(n) >= uint64(smutMark) {
		b := make([]byte, vhdrSize+8+n)
		h := (*vhdr)(unsafe.Pointer(&b[0]))
		h.expires, h.clock, h.n = expires, clock, longMark
		*(*int64)(unsafe.Pointer(&b[vhdrSize])) = int64(n)
		copy(b[vhdrSize+8:], value)
		return h
	}
	// append onto the header's bytes allocates without zeroing what the
	// value then overwrites (make would clear it first: for a 64 KB value
	// that is as much memory traffic as the copy).
	// (zeroHdr's length is its capacity, so append never writes into it:
	// it always allocates.)
	var b []byte
	if n == 0 {
		b = make([]byte, vhdrSize)
	} else {
		b = append(zeroHdr[:], value...)
	}
	h := (*vhdr)(unsafe.Pointer(&b[0]))
	h.expires, h.clock, h.n = expires, clock, uint32(n)
	return h
}

// counterVersion is a counter: its cell is the counter's word (value <<
// 22 | state, see promote.go), or for a promoted counter the index and
// generation of its entry in the store's counter table.
type counterVersion struct {
	vhdr
	cell int64
}

// newCounter is a counter holding n (within ±2^41) in its own word.
func newCounter(n, expires int64, clock uint32) *vhdr {
	c := &counterVersion{vhdr: vhdr{expires: expires, clock: clock, n: counterMark}, cell: n<<cValShift | cStateLive}
	return &c.vhdr
}

// isCounter: a counter, promoted (promote.go) or not.
func (h *vhdr) isCounter() bool { return h.n == counterMark || h.n == promotedMark }

func (h *vhdr) cell() *int64 { return &(*counterVersion)(unsafe.Pointer(h)).cell }

func (h *vhdr) deadline() int64 { return atomic.LoadInt64(&h.expires) }

// str is a string value (not a counter, not mutable: see text).
func (h *vhdr) str() string {
	switch h.n {
	case 0:
		return ""
	case pubMark:
		return h.pub().str()
	case longMark:
		n := *(*int64)(unsafe.Add(unsafe.Pointer(h), vhdrSize))
		return unsafe.String((*byte)(unsafe.Add(unsafe.Pointer(h), vhdrSize+8)), int(n))
	}
	return unsafe.String((*byte)(unsafe.Add(unsafe.Pointer(h), vhdrSize)), int(h.n))
}

// size is the value's bytes as counted against the memory limit.
func (h *vhdr) size() int64 {
	switch h.n {
	case counterMark, promotedMark:
		return 8
	case pubMark:
		return int64(h.pub().vlen)
	case mutMark, smutMark:
		return int64(h.mlen())
	case longMark:
		return *(*int64)(unsafe.Add(unsafe.Pointer(h), vhdrSize))
	}
	return int64(h.n)
}

// cost of an entry with a key of klen bytes and version h.
func cost(klen int, h *vhdr) int64 { return int64(klen) + h.size() + EntryOverhead }

// Slots with the key inline, sized so that the whole object is a Go size
// class (8 + N bytes); longer keys get a separate copy.
type (
	slot8 struct {
		slot
		k [8]byte
	}
	slot16 struct {
		slot
		k [16]byte
	}
	slot24 struct {
		slot
		k [24]byte
	}
	slot40 struct {
		slot
		k [40]byte
	}
	slot56 struct {
		slot
		k [56]byte
	}
	slot72 struct {
		slot
		k [72]byte
	}
	slot88 struct {
		slot
		k [88]byte
	}
	slot104 struct {
		slot
		k [104]byte
	}
	slot120 struct {
		slot
		k [120]byte
	}
	slot152 struct {
		slot
		k [152]byte
	}
	slot184 struct {
		slot
		k [184]byte
	}
	slot248 struct {
		slot
		k [248]byte
	}
	slotBig struct {
		slot
		k string
	}
)

// maxInlineKey is the longest key stored inline in its slot.
const maxInlineKey = 248

// maxInlineValue is the longest value whose version a new key keeps in
// its slot's own allocation (newSlotWith): a read of such a key then
// finds the version in the slot's cache line (or the next), one
// dependent cache miss less (the index's bucket, then the slot, instead
// of bucket, slot, version); and a new key costs one allocation instead of
// two. An overwrite allocates its version apart (unless the version is
// mutable in the slot, SetHashed's, and the new value fits it: written in
// place), and the first one's bytes stay in the slot, dead, as long as
// the key: up to 16 + maxInlineValue bytes per overwritten key (24 + its
// capacity for a mutable one), hence small values only.
const maxInlineValue = 32

// newSlot makes an empty slot holding a copy of key, and returns that copy:
// the map must keep a key in the store's own memory, never the caller's.
func newSlot(key string) (*slot, string) {
	if len(key) == 0 {
		return new(slot), ""
	}
	if len(key) > maxInlineKey {
		b := &slotBig{k: string([]byte(key))}
		return &b.slot, b.k
	}
	p, _ := allocSlot(len(key))
	k := (*byte)(unsafe.Add(p, unsafe.Sizeof(slot{})))
	copy(unsafe.Slice(k, len(key)), key)
	return (*slot)(p), unsafe.String(k, len(key))
}

// inlineFits reports whether newSlotWith can hold key and value.
func inlineFits(key, value string, mutable bool) bool {
	if mutable {
		return len(value) <= maxInlineValue && (len(key)+7)&^7+smutHdr+max(len(value), 8) <= maxInlineKey
	}
	return len(value) <= maxInlineValue && (len(key)+7)&^7+vhdrSize+len(value) <= maxInlineKey
}

// newSlotWith is newSlot with the key's first version, a string value
// (inlineFits), in the same allocation: after the key's bytes, padded to
// 8, a vhdr and the value (an interior pointer keeps the whole object
// alive). When mutable, the version is a compact mutable one
// (mutable.go, smutMark) whose capacity is the rest of the allocation,
// so later sets that fit are written there in place; else an ordinary
// immutable version.
func newSlotWith(key, value string, expires int64, clock uint32, mutable bool) (*slot, string, *vhdr) {
	k8 := (len(key) + 7) &^ 7
	need := k8 + vhdrSize + len(value)
	if mutable {
		need = k8 + smutHdr + max(len(value), 8)
	}
	p, room := allocSlot(need)
	k := (*byte)(unsafe.Add(p, unsafe.Sizeof(slot{})))
	copy(unsafe.Slice(k, len(key)), key)
	h := (*vhdr)(unsafe.Add(p, int(unsafe.Sizeof(slot{}))+k8))
	if mutable {
		initSlotMut(h, room-k8-vhdrSize, value, expires, clock)
		return (*slot)(p), unsafe.String(k, len(key)), h
	}
	h.expires, h.clock, h.n = expires, clock, uint32(len(value))
	if len(value) > 0 { // (else the value's address may be the object's end)
		copy(unsafe.Slice((*byte)(unsafe.Add(unsafe.Pointer(h), vhdrSize)), len(value)), value)
	}
	return (*slot)(p), unsafe.String(k, len(key)), h
}

// allocSlot allocates the smallest slot type with at least n (1 ..
// maxInlineKey) bytes after its header; it returns them and how many.
func allocSlot(n int) (unsafe.Pointer, int) {
	switch {
	case n <= 8:
		return unsafe.Pointer(new(slot8)), 8
	case n <= 16:
		return unsafe.Pointer(new(slot16)), 16
	case n <= 24:
		return unsafe.Pointer(new(slot24)), 24
	case n <= 40:
		return unsafe.Pointer(new(slot40)), 40
	case n <= 56:
		return unsafe.Pointer(new(slot56)), 56
	case n <= 72:
		return unsafe.Pointer(new(slot72)), 72
	case n <= 88:
		return unsafe.Pointer(new(slot88)), 88
	case n <= 104:
		return unsafe.Pointer(new(slot104)), 104
	case n <= 120:
		return unsafe.Pointer(new(slot120)), 120
	case n <= 152:
		return unsafe.Pointer(new(slot152)), 152
	case n <= 184:
		return unsafe.Pointer(new(slot184)), 184
	}
	return unsafe.Pointer(new(slot248)), 248
}
