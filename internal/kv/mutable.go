package kv

import (
	"runtime"
	"slices"
	"sync/atomic"
	"unsafe"
)

// Mutable versions: overwriting a key without a new allocation.
//
// A set allocates a new version and swaps it in; the allocation (and the
// garbage collection it feeds) was most of a set's cost in Go (issue 16:
// about 400 CPU ns of a 1 KB set on 1K keys, mostly zeroing and faulting
// fresh memory). So a key's second version (its first overwrite) is made
// mutable: a header with a seqlock word, the value's length and its
// capacity (the allocation's whole size class), and later sets whose value
// fits are written into it in place.
//
// The protocol (seq, even = stable):
//   - A writer in place takes seq from even q to q+1 by compare-and-swap,
//     writes the bytes, length, expiry and access clock, then stores q+2.
//   - Anything that replaces or removes a mutable version (a set that does
//     not fit, del, eviction, expiry, publishing, Update, incr) first takes
//     the same lock and never releases it: the version stays odd for
//     good. So holding the lock means the version is still the key's
//     current one, an in-place write never lands on a replaced version,
//     and the bytes counted when a version leaves (cost) are its last.
//   - Readers copy the value under seq (odd: look the key up again; seq
//     changed across the copy: copy again) and never keep a view of it:
//     text() returns a copy, and the paths that compare or parse the value
//     under the bucket lock (DelIfEquals, Update, incr, publish) first
//     settle it: lock it and swap in an immutable copy.
//   - A writer in place reserves its growth before taking the lock
//     (reserve may evict, and eviction takes version locks), and gives it
//     back when the length it saw changed before it got the lock.
//
// Every set still bumps the key's version for ephpm_kv_wait (changed) and
// counts its bytes exactly; C never reads Go versions (only the published
// table, which a mutable version leaves locked behind like any other).

const (
	mutMark  = ^uint32(0) - 4 // the value lives in a mutVersion
	smutMark = ^uint32(0) - 5 // the value lives in a slot's own mutable version (below)
)

// A key's first version, when small, lives in its slot's own allocation
// (slot.go, newSlotWith). Made by SetHashed (PHP's set, whose readers
// copy every value into PHP's own string anyway) it is a mutable version
// of a compact layout: the vhdr, then one lock word
//
//	len << 56 | cap << 48 | seq (48 bits, odd while locked)
//
// then cap bytes (the rest of the slot's allocation) of which the first
// len hold the value. So overwrites that fit are written into the slot's
// own cache line: a set on a key no cache holds (a million keys written
// evenly) waits for the index's bucket and the slot, not for a third
// line, the separate mutable version a first overwrite allocated; and the
// first overwrite allocates nothing. The protocol is the mutVersion's
// (the lock word is at the same offset, with the same lock bit); the
// length lives in the lock word, so a reader's length and sequence come
// from one load. 48 bits of sequence wrap after 2^47 writes.
// Versions made by Set (the Go API, RESP) stay immutable: Get returns a
// view of them without a copy.
const (
	smutHdr     = vhdrSize + 8
	smutSeqMask = 1<<48 - 1
)

// mutVersion is a mutable string version: mutHdr bytes, then mcap bytes
// of which the first mlen hold the value.
type mutVersion struct {
	vhdr
	seq  atomic.Uint64
	mlen atomic.Uint32
	mcap uint32
}

const mutHdr = int(unsafe.Sizeof(mutVersion{}))

// maxMutValue is the largest value kept in a mutable version: a larger one
// is copied under the seqlock by every reader, and its in-place write
// holds readers off for as long.
const maxMutValue = 64 << 10

func (h *vhdr) isMut() bool { return h.n-smutMark < 2 } // mutMark or smutMark

func (h *vhdr) mut() *mutVersion { return (*mutVersion)(unsafe.Pointer(h)) }

func (m *mutVersion) data() unsafe.Pointer { return unsafe.Add(unsafe.Pointer(m), mutHdr) }

// The operations below work on both layouts (mutVersion, smutMark).

// lockWord is the seqlock word: mutVersion.seq, or the compact layout's
// word (both right after the vhdr, locked while odd).
func (h *vhdr) lockWord() *atomic.Uint64 {
	return (*atomic.Uint64)(unsafe.Add(unsafe.Pointer(h), vhdrSize))
}

// mdata is where the value's bytes start.
func (h *vhdr) mdata() unsafe.Pointer {
	if h.n == smutMark {
		return unsafe.Add(unsafe.Pointer(h), smutHdr)
	}
	return unsafe.Add(unsafe.Pointer(h), mutHdr)
}

// mlen is the value's length now (under the lock: the last written).
func (h *vhdr) mlen() uint32 {
	if h.n == smutMark {
		return uint32(h.lockWord().Load() >> 56)
	}
	return h.mut().mlen.Load()
}

// mfits: a value of n bytes may be written into h in place (for the
// compact layout: its capacity, fixed by the slot's allocation).
func (h *vhdr) mfits(n int) bool {
	if h.n == smutMark {
		return n <= int(h.lockWord().Load()>>48&0xff)
	}
	return h.mut().fitsInPlace(n)
}

// mtryLock takes the version's lock: false while a writer holds it, or
// for good once it was replaced.
func (h *vhdr) mtryLock() (uint64, bool) {
	w := h.lockWord()
	q := w.Load()
	return q, q&1 == 0 && w.CompareAndSwap(q, q+1)
}

// munlockUnchanged releases a lock (taken at q) under which nothing was
// written.
func (h *vhdr) munlockUnchanged(q uint64) { h.lockWord().Store(q) }

// mrelease releases a lock taken at q after the value was rewritten to n
// bytes (oldLen before).
func (h *vhdr) mrelease(q uint64, oldLen, n uint32) {
	if h.n == smutMark {
		h.lockWord().Store(uint64(n)<<56 | q&(0xff<<48) | (q&smutSeqMask+2)&smutSeqMask)
		return
	}
	// (Only what changed is stored: an atomic store is a locked
	// instruction on amd64.)
	if oldLen != n {
		h.mut().mlen.Store(n)
	}
	h.mut().seq.Store(q + 2)
}

// initSlotMut lays out h, in a slot's allocation with room bytes after
// the vhdr (room - 8 >= 8 and a multiple of 8, so the value's address is
// never the allocation's end and the race build's word copies stay
// inside), as a compact mutable version holding value.
func initSlotMut(h *vhdr, room int, value string, expires int64, clock uint32) {
	h.expires, h.clock, h.n = expires, clock, smutMark
	h.lockWord().Store(uint64(len(value))<<56 | uint64(room-8)<<48)
	if len(value) > 0 {
		copyIn(h.mdata(), value)
	}
}

// sizeClasses are Go's small object size classes (runtime/sizeclasses.go)
// from 48 bytes: a mutable version takes its whole class as capacity, so a
// value that grows a little still fits.
var sizeClasses = [...]int{48, 64, 80, 96, 112, 128, 144, 160, 176, 192, 208, 224, 240, 256, 288, 320, 352, 384,
	416, 448, 480, 512, 576, 640, 704, 768, 896, 1024, 1152, 1280, 1408, 1536, 1792, 2048, 2304, 2688, 3072,
	3200, 3456, 4096, 4864, 5376, 6144, 6528, 6784, 6912, 8192, 9472, 9728, 10240, 10880, 12288, 13568,
	14336, 16384, 18432, 19072, 20480, 21760, 24576, 27264, 28672, 32768}

// classSize is the size of the Go allocation holding n bytes (n >= 1).
func classSize(n int) int {
	if n <= 1024 {
		return int(smallClass[(n+7)>>3])
	}
	if i, ok := slices.BinarySearch(sizeClasses[:], n); ok || i < len(sizeClasses) {
		return sizeClasses[i]
	}
	return (n + 8191) &^ 8191 // a large object: whole pages
}

// smallClass[(n+7)/8] is classSize(n) for n <= 1024.
var smallClass = func() (t [129]uint16) {
	for i := range t {
		n := max(i*8, 1)
		for _, c := range sizeClasses {
			if n <= c {
				t[i] = uint16(c)
				break
			}
		}
	}
	return t
}()

// fitsInPlace: value of n bytes is written into m in place only when a new
// mutable version for it would take the same size class, so a value that
// shrank much never keeps a large allocation alive (memory_limit counts
// values' bytes, and must keep bounding what the store holds).
func (m *mutVersion) fitsInPlace(n int) bool {
	return n <= int(m.mcap) && classSize(mutHdr+n) == mutHdr+int(m.mcap)
}

// mutFits: value may live in a mutable version.
func mutFits(value string) bool { return len(value) <= maxMutValue }

// newMutVersion makes a mutable version holding value (mutFits).
func newMutVersion(value string, expires int64, clock uint32) *vhdr {
	size := classSize(mutHdr + len(value))
	b := make([]byte, size) // (a pointer-free object, as every version)
	m := (*mutVersion)(unsafe.Pointer(&b[0]))
	m.expires, m.clock, m.n = expires, clock, mutMark
	m.mcap = uint32(size - mutHdr)
	m.mlen.Store(uint32(len(value)))
	copyIn(m.data(), value)
	return &m.vhdr
}

// newOverwrite is the version that replaces a key's value: mutable when
// the value may be, so the key's next sets are written in place.
func newOverwrite(value string, expires int64, clock uint32) *vhdr {
	if mutFits(value) {
		return newMutVersion(value, expires, clock)
	}
	return newVersion(value, expires, clock)
}

// readMut copies the value, into scratch when it fits there (else into a
// new string); false when the version is locked (written now, or
// replaced: look the key up again). A caller passing scratch copies the
// value out before reusing it (GetTo's contract): PHP's get passes its C
// buffer, so reading an overwritten key allocates nothing.
func (h *vhdr) readMut(scratch []byte) (string, bool) {
	w := h.lockWord()
	for {
		q := w.Load()
		if q&1 != 0 {
			runtime.Gosched() // a writer may be off the CPU
			return "", false
		}
		// (<= the capacity: a torn copy stays in bounds. The compact
		// layout's length is in the word just loaded.)
		var n uint32
		if h.n == smutMark {
			n = uint32(q >> 56)
		} else {
			n = h.mut().mlen.Load()
		}
		if n == 0 {
			if w.Load() == q {
				return "", true
			}
			continue
		}
		var b []byte
		if int(n) <= len(scratch) {
			b = scratch[:n]
		} else {
			b = make([]byte, n)
		}
		copyOut(b, h.mdata())
		if w.Load() == q {
			return unsafe.String(&b[0], len(b)), true
		}
	}
}

// mview is the value of a mutable version whose lock the caller holds.
func (h *vhdr) mview() string {
	n := h.mlen()
	if n == 0 {
		return ""
	}
	return unsafe.String((*byte)(h.mdata()), int(n))
}

// lockCurrent returns cur's current version, locked when it is mutable
// (its lock then never released unless the caller does). Under the bucket
// lock: the only other lockers are writers in place, which hold it
// briefly, and lock-free writers that replace it (then cur moves on).
func lockCurrent(cur *slot) (*vhdr, uint64) {
	for {
		o := cur.v.Load()
		if !o.isMut() {
			return o, 0
		}
		if q, ok := o.mtryLock(); ok {
			return o, q
		}
		runtime.Gosched()
	}
}

// settle replaces cur's current version, when mutable, by an immutable
// copy, and returns the current version: for the paths that read the value
// under the bucket lock and then replace it or not (no in-place write may
// land between). Called under the bucket lock.
func (s *Store) settle(cur *slot) *vhdr {
	for {
		o, q := lockCurrent(cur)
		if !o.isMut() {
			return o
		}
		n := newVersion(o.mview(), o.deadline(), atomic.LoadUint32(&o.clock))
		if cur.v.CompareAndSwap(o, n) { // (every replacer locks o first: no other outcome)
			return n // (same length: the bytes counted do not change)
		}
		o.munlockUnchanged(q)
	}
}

// putInPlace writes value into old, key's live mutable version, if it
// fits. done: stored; refused: the memory limit said no; neither: look
// again (old changed or was replaced).
func (s *Store) putInPlace(key string, old *vhdr, value string, expires int64) (done, refused bool) {
	oldLen := old.mlen()
	if !old.mfits(len(value)) {
		return false, false
	}
	grow := int64(len(value)) - int64(oldLen)
	if !s.reserveGrowth(grow) {
		return false, true
	}
	q, ok := old.mtryLock()
	if !ok || old.mlen() != oldLen || !s.live(old) {
		if ok {
			old.munlockUnchanged(q)
		} else {
			runtime.Gosched()
		}
		s.undoGrowth(grow)
		return false, false
	}
	s.doneGrowth(grow)
	if len(value) > 0 {
		copyIn(old.mdata(), value)
	}
	// Only what changed is stored: an atomic store is a locked instruction
	// on amd64, and an overwrite of the same size and TTL changes neither.
	if atomic.LoadInt64(&old.expires) != expires {
		atomic.StoreInt64(&old.expires, expires)
	}
	if t := s.tick.Load(); atomic.LoadUint32(&old.clock) != t {
		atomic.StoreUint32(&old.clock, t)
	}
	old.mrelease(q, oldLen, uint32(len(value)))
	s.changed(key)
	return true, false
}

// replaceMut swaps nv in for old, key's mutable version in slot sl, by the
// lock-free path: old is locked first (for good). ok: done; refused: the
// memory limit said no; neither: look again.
func (s *Store) replaceMut(key string, sl *slot, old, nv *vhdr, newCost int64, wasLive bool) (ok, refused bool) {
	oldLen := old.mlen()
	grow := newCost - (int64(len(key)) + int64(oldLen) + EntryOverhead)
	if !s.reserveGrowth(grow) { // (before the lock: reserve may evict)
		return false, true
	}
	q, locked := old.mtryLock()
	if !locked || old.mlen() != oldLen {
		if locked {
			old.munlockUnchanged(q)
		} else {
			runtime.Gosched()
		}
		s.undoGrowth(grow)
		return false, false
	}
	if !sl.v.CompareAndSwap(old, nv) { // cannot fail: replacers lock old first
		old.munlockUnchanged(q)
		s.undoGrowth(grow)
		return false, false
	}
	s.doneGrowth(grow)
	if !wasLive {
		s.expirations.add(key, 1)
	}
	s.changed(key)
	return true, false
}

// swapTomb takes cur's current version out (del, flush), locking it
// first when mutable. Called under the bucket lock.
func swapTomb(s *Store, cur *slot) *vhdr {
	for {
		o, q := lockCurrent(cur)
		s.demoteIf(o)
		if cur.v.CompareAndSwap(o, tomb) {
			return o
		}
		if o.isMut() {
			o.munlockUnchanged(q)
		}
	}
}
