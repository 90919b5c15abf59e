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

const mutMark = ^uint32(0) - 4 // the value lives in a mutVersion

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

func (h *vhdr) isMut() bool { return h.n == mutMark }

func (h *vhdr) mut() *mutVersion { return (*mutVersion)(unsafe.Pointer(h)) }

func (m *mutVersion) data() unsafe.Pointer { return unsafe.Add(unsafe.Pointer(m), mutHdr) }

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

// tryLock takes the version's lock: false while a writer holds it, or for
// good once it was replaced.
func (m *mutVersion) tryLock() (uint64, bool) {
	q := m.seq.Load()
	return q, q&1 == 0 && m.seq.CompareAndSwap(q, q+1)
}

// unlockUnchanged releases a lock under which nothing was written.
func (m *mutVersion) unlockUnchanged(q uint64) { m.seq.Store(q) }

// readMut copies the value, into scratch when it fits there (else into a
// new string); false when the version is locked (written now, or
// replaced: look the key up again). A caller passing scratch copies the
// value out before reusing it (GetTo's contract): PHP's get passes its C
// buffer, so reading an overwritten key allocates nothing.
func (h *vhdr) readMut(scratch []byte) (string, bool) {
	m := h.mut()
	for {
		q := m.seq.Load()
		if q&1 != 0 {
			runtime.Gosched() // a writer may be off the CPU
			return "", false
		}
		n := m.mlen.Load() // (<= mcap: a torn copy stays in bounds)
		if n == 0 {
			if m.seq.Load() == q {
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
		copyOut(b, m.data())
		if m.seq.Load() == q {
			return unsafe.String(&b[0], len(b)), true
		}
	}
}

// view is the value of a mutable version whose lock the caller holds.
func (m *mutVersion) view() string {
	n := m.mlen.Load()
	if n == 0 {
		return ""
	}
	return unsafe.String((*byte)(m.data()), int(n))
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
		if q, ok := o.mut().tryLock(); ok {
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
		n := newVersion(o.mut().view(), o.deadline(), atomic.LoadUint32(&o.clock))
		if cur.v.CompareAndSwap(o, n) { // (every replacer locks o first: no other outcome)
			return n // (same length: the bytes counted do not change)
		}
		o.mut().unlockUnchanged(q)
	}
}

// putInPlace writes value into old, key's live mutable version, if it
// fits. done: stored; refused: the memory limit said no; neither: look
// again (old changed or was replaced).
func (s *Store) putInPlace(key string, old *vhdr, value string, expires int64) (done, refused bool) {
	m := old.mut()
	oldLen := m.mlen.Load()
	if !m.fitsInPlace(len(value)) {
		return false, false
	}
	grow := int64(len(value)) - int64(oldLen)
	if !s.reserve(grow) {
		return false, true
	}
	q, ok := m.tryLock()
	if !ok || m.mlen.Load() != oldLen || !s.live(old) {
		if ok {
			m.unlockUnchanged(q)
		} else {
			runtime.Gosched()
		}
		s.bytes.Add(-grow)
		return false, false
	}
	copyIn(m.data(), value)
	// Only what changed is stored: an atomic store is a locked instruction
	// on amd64, and an overwrite of the same size and TTL changes neither.
	if oldLen != uint32(len(value)) {
		m.mlen.Store(uint32(len(value)))
	}
	if atomic.LoadInt64(&old.expires) != expires {
		atomic.StoreInt64(&old.expires, expires)
	}
	if t := s.tick.Load(); atomic.LoadUint32(&old.clock) != t {
		atomic.StoreUint32(&old.clock, t)
	}
	m.seq.Store(q + 2)
	s.changed(key)
	return true, false
}

// replaceMut swaps nv in for old, key's mutable version in slot sl, by the
// lock-free path: old is locked first (for good). ok: done; refused: the
// memory limit said no; neither: look again.
func (s *Store) replaceMut(key string, sl *slot, old, nv *vhdr, newCost int64, wasLive bool) (ok, refused bool) {
	m := old.mut()
	oldLen := m.mlen.Load()
	grow := newCost - (int64(len(key)) + int64(oldLen) + EntryOverhead)
	if !s.reserve(grow) { // (before the lock: reserve may evict)
		return false, true
	}
	q, locked := m.tryLock()
	if !locked || m.mlen.Load() != oldLen {
		if locked {
			m.unlockUnchanged(q)
		} else {
			runtime.Gosched()
		}
		s.bytes.Add(-grow)
		return false, false
	}
	if !sl.v.CompareAndSwap(old, nv) { // cannot fail: replacers lock old first
		m.unlockUnchanged(q)
		s.bytes.Add(-grow)
		return false, false
	}
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
			o.mut().unlockUnchanged(q)
		}
	}
}
