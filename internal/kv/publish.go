package kv

import (
	"encoding/binary"
	"sync"
	"sync/atomic"
	"unsafe"
)

// Published values: copies of hot keys' values in memory outside the Go
// heap (an anonymous mapping, never unmapped), which phpembed's C code
// reads itself, so that a get hit needs no call into Go (which costs more
// than the lookup and the copy). Go writes the table; C only reads it
// (and stores an access clock).
//
// Layout (all little-endian, offsets in bytes, see PubLayout*):
//
//	header (64): tick uint32 (access clock) | _ uint32 | cbase int64 |
//	             entries uint32 (1 << bits) | bits uint32 | arena uint64 (offset) |
//	             arenaSize uint64 | epoch uint64 | shareMin uint32 |
//	             strType uint32 | slotNext uint32 | slots uint32
//	hint bits (1 << bits bits, 64-bit words): bit i set while entry i may be
//	             live; only a hint (the entry decides), so that a key never
//	             published costs C a load from this small array, not a miss
//	             on a 64-byte entry among a megabyte of them
//	entries (64 each, from byte pubHeader + pubHints): seq uint64 | deadline int64 | off uint64 | gen uint64 |
//	             hash uint64 | klen uint32 | vlen uint32 | clock uint32 |
//	             live uint32 | cap uint32 | _ uint32
//	reader slots (slots of 64 bytes, just before the arena): one per PHP
//	             thread that took a shared string (C claims one by adding
//	             to slotNext); see "Shared strings" below
//	arena: buffers holding a key's bytes, padding to 8 bytes, then the value
//	             as a PHP string (zend_string: refcount uint32 | type_info
//	             uint32 | hash uint64 | len uint64 | bytes | NUL), so that C
//	             can hand large values to PHP without copying them.
//
// A key's entry is (FilterHash(key) * PubMultiplier) >> (64 - bits): PHP's
// own hash of the string, which PHP keeps in it, so C hashes nothing.
//
// Protocol (a seqlock per entry):
//   - Every change of an entry is made by one owner at a time, who claims
//     it by turning seq odd (compare-and-swap), writes, and stores seq + 2
//     (even) at the end. A claim always ends with the entry dead or bound
//     to a new generation: an odd seq means "the binding seen before is
//     gone for good", which is what lets a retiring writer go on without
//     waiting (retire).
//   - A binding ties the entry to one published version (vhdr.n ==
//     pubMark, which records the entry's index and generation): live = 1
//     only while that version is its key's current version. It is bound
//     under the key's bucket lock, right after that version was installed
//     by compare-and-swap (the claim is held across both), and killed under
//     the key's bucket lock before the version stops being current
//     (demoteIf: replaced, deleted, expired, evicted, flushed, given a new
//     TTL). Lock-free writers (put's fast path) leave published versions
//     to the locked path, as they do promoted counters (promote.go), so
//     under the lock a published version cannot change under its holder.
//     Killing an entry early is always safe (C then asks Go), so other
//     keys' publishers may take an entry over, and arena pressure may kill
//     entries, without the bound key's lock.
//   - C reads seq (even, else give up), the entry's fields, checks the key
//     (hash, length, bytes) and the deadline, re-reads seq (unchanged: the
//     fields were one binding's), allocates the PHP string, copies the
//     value, and re-reads seq once more: unchanged means the binding was
//     live, hence its version current, for the whole copy, so the value
//     was current at an instant of the call. Buffers are freed only by a
//     claim holder, after the claim, so a buffer reused meanwhile only
//     fails that last check. Anything else (changed seq, dead entry, other
//     key, deadline near) goes to Go, which is always exact.
//   - Deadlines are the store's (unix ns of its clock, Store.now). C reads
//     CLOCK_MONOTONIC_COARSE and adds cbase, which is calibrated so that
//     the sum is never below the store's clock (coarse resolution and the
//     calibration's uncertainty included): C may call a live entry
//     expired (then Go answers), never an expired one live. cbase = 0 (a
//     store with its own Clock, or no such clock here): C never answers an
//     entry with a deadline.
//
// Shared strings (values of at least shareMin bytes, when phpembed turned
// them on with SetSharedStrings): C returns the zend_string in the arena
// itself to PHP instead of copying it, flagged interned (PHP then never
// counts references to it, frees it or changes it: every write PHP makes
// into a string first checks that it is not interned, and its hash is
// written here by Go, so PHP has no reason to compute it). Such a buffer
// may be referenced by a PHP variable after its binding died, so it is not
// reused until no PHP thread can still hold it: epoch-based reclamation.
// A thread announces, before its final seq check, the epoch it saw (in its
// reader slot, once per request: the first announcement of a request
// stays), and clears its slot when its request has ended
// (ephpm_kv_request_done, after php_request_shutdown). Killing an entry
// whose buffer may be shared puts the buffer in limbo with R = the epoch,
// which it then advances; the buffer is reused once every slot is 0 or
// above R. Why that is enough: a reader whose last seq check succeeded read
// seq before the killer's claim, so its announcement (made before, with a
// full fence between) is seen by any scan after the kill, and is <= R.
// C shares only in requests that end through ephpm_request_run (never in a
// worker script, whose request does not end, nor in `ephpm php`); a
// thread that holds a slot for long only keeps buffers in limbo: the
// arena fills and publishing stops (C then asks Go), nothing is reused.
//
// When: a version is published on its second read through Peek (phpembed's
// get) within pubWindow access-clock ticks (100 ms each), at most
// pubBudget times per tick, so a set costs nothing more and keys read once
// (or seldom) are never copied.
// Values up to MaxPublishedValue bytes, keys up to maxPubKey bytes; the
// arena is bounded (pubArenaSize, touched pages only), the copies are a
// cache and do not count against the memory limit.

const (
	pubBits      = 14
	pubEntries   = 1 << pubBits
	pubHeader    = 64
	pubHints     = pubEntries / 8
	pubEntrySize = 64
	pubArenaSize = 128 << 20
	pubBudget    = 1024 // publications per tick
	pubWindow    = 4    // ticks: a second read within them publishes
	pubSlots     = 256  // reader slots (PHP threads that share strings)
	pubSlotSize  = 64
	zstrHeader   = 24 // refcount, type_info, hash, len: then the bytes
	maxPubKey    = 250
	// MaxPublishedValue is the largest value copied for C.
	MaxPublishedValue = 64 << 10
	// PubMultiplier: a key's entry is (FilterHash(key) * PubMultiplier) >>
	// (64 - bits).
	PubMultiplier = 0x9FB21C651E98DF25

	// seenBit in a version's access clock: read (by Peek) during the tick
	// held in the other bits; a second read within pubWindow ticks of it
	// publishes.
	seenBit = 1 << 31
)

// pentry is one entry, a view of the mapping.
type pentry struct {
	seq      atomic.Uint64
	deadline atomic.Int64
	off      atomic.Uint64
	gen      atomic.Uint64
	hash     atomic.Uint64
	klen     atomic.Uint32
	vlen     atomic.Uint32
	clock    atomic.Uint32
	live     atomic.Uint32
	cap      uint32 // the buffer's size; claim holders only
	_        uint32
}

type pheader struct {
	tick      atomic.Uint32
	_         uint32
	cbase     int64
	entries   uint32
	bits      uint32
	arena     uint64
	arenaSize uint64
	epoch     atomic.Uint64 // reclamation epoch, from 1
	shareMin  atomic.Uint32 // C shares values of at least this size; 0: never
	strType   uint32        // the zend_string type_info C asked for
	slotNext  atomic.Uint32 // reader slots claimed by C (may exceed slots)
	slots     uint32
}

var (
	_ [pubEntrySize - unsafe.Sizeof(pentry{})]byte
	_ [unsafe.Sizeof(pentry{}) - pubEntrySize]byte
	_ [unsafe.Offsetof(pentry{}.hash) - 32]byte
	_ [32 - unsafe.Offsetof(pentry{}.hash)]byte
	_ [unsafe.Offsetof(pentry{}.live) - 52]byte
	_ [52 - unsafe.Offsetof(pentry{}.live)]byte
	_ [64 - unsafe.Sizeof(pheader{})]byte
	_ [unsafe.Sizeof(pheader{}) - 64]byte
	_ [unsafe.Offsetof(pheader{}.epoch) - 40]byte
	_ [40 - unsafe.Offsetof(pheader{}.epoch)]byte
)

type pubTable struct {
	mem   []byte // the whole mapping
	hdr   *pheader
	hints []atomic.Uint64
	e     []pentry
	slots []atomic.Uint64 // reader slots, pubSlotSize/8 words apart
	arena []byte

	budget atomic.Int32 // publications left in this tick

	mu          sync.Mutex // the arena allocator and reclaim cursor
	next        uint64     // bump pointer
	free        map[uint32][]uint64
	limbo       []limboBuf // killed shared buffers, not yet reusable
	cursor      int
	reclaimedAt uint32 // the tick of the last reclaim
}

// limboBuf is an arena buffer whose binding died while PHP may still
// hold it as a shared string; reusable once no reader slot is in (0, R].
type limboBuf struct {
	off   uint64
	c     uint32
	epoch uint64 // R
}

const pubTableSize = pubHeader + pubHints + pubEntries*pubEntrySize + pubSlots*pubSlotSize + pubArenaSize

// newPubTable lays the table out in mem (zeroed, 64-byte aligned).
func newPubTable(mem []byte, cbase int64) *pubTable {
	p := &pubTable{mem: mem, free: map[uint32][]uint64{}}
	p.hdr = (*pheader)(unsafe.Pointer(&mem[0]))
	p.hints = unsafe.Slice((*atomic.Uint64)(unsafe.Pointer(&mem[pubHeader])), pubEntries/64)
	p.e = unsafe.Slice((*pentry)(unsafe.Pointer(&mem[pubHeader+pubHints])), pubEntries)
	so := pubHeader + pubHints + pubEntries*pubEntrySize
	p.slots = unsafe.Slice((*atomic.Uint64)(unsafe.Pointer(&mem[so])), pubSlots*pubSlotSize/8)
	ao := uint64(so + pubSlots*pubSlotSize)
	p.arena = mem[ao:]
	p.hdr.epoch.Store(1)
	p.hdr.slots = pubSlots
	p.hdr.cbase = cbase
	p.hdr.entries = pubEntries
	p.hdr.bits = pubBits
	p.hdr.arena = ao
	p.hdr.arenaSize = uint64(len(p.arena))
	p.hdr.tick.Store(1)
	p.budget.Store(pubBudget)
	return p
}

func pubIndex(hash uint64) uint64 { return (hash * PubMultiplier) >> (64 - pubBits) }

// EnablePublishing turns published values on (see above) and returns the
// table for C, or nil where this platform has no mapping or clock for it.
// Idempotent. The table lives as long as the process: C may be reading it.
func (s *Store) EnablePublishing() unsafe.Pointer {
	s.pubOnce.Do(func() {
		mem := mapAnon(pubTableSize)
		if mem == nil {
			return
		}
		var cbase int64
		if !s.customClock {
			cbase = calibrateCoarse(s.now)
		}
		p := newPubTable(mem, cbase)
		p.hdr.tick.Store(s.tick.Load())
		s.pub.Store(p)
	})
	if p := s.pub.Load(); p != nil {
		return unsafe.Pointer(&p.mem[0])
	}
	return nil
}

// pubVersion is a published string version: its value (also in the Go
// heap, as every version's, for Go readers) follows it; ref names the
// entry and generation of its binding. Immutable.
type pubVersion struct {
	vhdr
	gen  uint64
	idx  uint32
	vlen uint32
}

const pubVersionSize = int(unsafe.Sizeof(pubVersion{}))

var zeroPubHdr [pubVersionSize]byte // read only (see newVersion)

func (h *vhdr) isPublished() bool { return h.n == pubMark }

// lockedOnly: versions that only writers holding the bucket lock replace
// (their C-visible state must change first).
func (h *vhdr) lockedOnly() bool { return h.n == promotedMark || h.n == pubMark }

func (h *vhdr) pub() *pubVersion { return (*pubVersion)(unsafe.Pointer(h)) }

func newPubVersion(value string, expires int64, clock uint32, idx uint32, gen uint64) *vhdr {
	var b []byte
	if len(value) == 0 {
		b = make([]byte, pubVersionSize)
	} else {
		b = append(zeroPubHdr[:], value...) // allocates, without zeroing the value's bytes
	}
	p := (*pubVersion)(unsafe.Pointer(&b[0]))
	p.expires, p.clock, p.n = expires, clock, pubMark
	p.gen, p.idx, p.vlen = gen, idx, uint32(len(value))
	return &p.vhdr
}

func (p *pubVersion) str() string {
	if p.vlen == 0 {
		return ""
	}
	return unsafe.String((*byte)(unsafe.Add(unsafe.Pointer(p), pubVersionSize)), int(p.vlen))
}

// bound reports whether h's binding is live (C may answer from it).
func (p *pubTable) bound(h *vhdr) bool {
	v := h.pub()
	e := &p.e[v.idx]
	q := e.seq.Load()
	return q&1 == 0 && e.gen.Load() == v.gen && e.live.Load() == 1
}

// retire kills h's binding if it is still live. Called by the holder of
// h's key's bucket lock before h stops being current.
func (p *pubTable) retire(h *vhdr) {
	v := h.pub()
	e := &p.e[v.idx]
	for {
		q := e.seq.Load()
		if q&1 != 0 {
			return // claimed by someone else: that binding is gone for good
		}
		if e.gen.Load() != v.gen || e.live.Load() == 0 {
			return
		}
		if e.seq.CompareAndSwap(q, q+1) {
			p.kill(e)
			e.seq.Store(q + 2)
			return
		}
	}
}

// kill marks a claimed entry dead and frees its buffer (or, when C may
// have handed it to PHP as a shared string, puts it in limbo).
func (p *pubTable) kill(e *pentry) {
	if e.live.Load() == 1 {
		e.live.Store(0)
		p.hint(e, false)
		if m := p.hdr.shareMin.Load(); m != 0 && e.vlen.Load() >= m {
			p.retireShared(e.off.Load(), e.cap)
		} else {
			p.release(e.off.Load(), e.cap)
		}
	}
	e.cap = 0
}

// retireShared puts a killed buffer in limbo at the current epoch R and
// advances the epoch (so announcements made from now on are above R).
// Called after the entry's claim (its seq odd), which is what the readers'
// final check orders against.
func (p *pubTable) retireShared(off uint64, c uint32) {
	if c == 0 {
		return
	}
	r := p.hdr.epoch.Add(1) - 1
	p.mu.Lock()
	p.limbo = append(p.limbo, limboBuf{off, c, r})
	p.mu.Unlock()
}

// collectLocked moves limbo buffers no reader can hold to the free lists:
// those retired before the oldest announcement still standing (all of
// them when no slot is taken). Under p.mu.
func (p *pubTable) collectLocked() {
	if len(p.limbo) == 0 {
		return
	}
	oldest := uint64(0) // 0: none
	n := min(p.hdr.slotNext.Load(), p.hdr.slots)
	for i := uint32(0); i < n; i++ {
		if a := p.slots[i*pubSlotSize/8].Load(); a != 0 && (oldest == 0 || a < oldest) {
			oldest = a
		}
	}
	kept := p.limbo[:0]
	for _, b := range p.limbo {
		if oldest == 0 || b.epoch < oldest {
			p.free[b.c] = append(p.free[b.c], b.off)
		} else {
			kept = append(kept, b)
		}
	}
	clear(p.limbo[len(kept):])
	p.limbo = kept
}

// SetSharedStrings lets C hand values of at least minLen bytes to PHP as
// zend_strings in the table (see "Shared strings" above), typed typeInfo
// (the interned string type PHP's headers define). minLen 0 turns it off
// for values published from then on. phpembed calls it once, after
// EnablePublishing, before PHP runs.
func (s *Store) SetSharedStrings(typeInfo uint32, minLen int) {
	p := s.pub.Load()
	if p == nil {
		return
	}
	// Once only: turning it off again would let kill reuse a buffer PHP
	// still holds; changing the size would leave buffers published
	// without their hash.
	if p.hdr.shareMin.Load() != 0 || minLen <= 0 || minLen > MaxPublishedValue || typeInfo == 0 {
		return
	}
	p.hdr.strType = typeInfo
	p.hdr.shareMin.Store(uint32(minLen))
}

// bufSize is the arena bytes a key and value take: the key, padding to 8
// bytes, the zend_string header, the value and its NUL.
func bufSize(klen, vlen int) int { return (klen+7)&^7 + zstrHeader + vlen + 1 }

// hint sets or clears entry e's hint bit.
func (p *pubTable) hint(e *pentry, on bool) {
	i := (uintptr(unsafe.Pointer(e)) - uintptr(unsafe.Pointer(&p.e[0]))) / pubEntrySize
	w, bit := &p.hints[i/64], uint64(1)<<(i%64)
	if on {
		w.Or(bit)
	} else {
		w.And(^bit)
	}
}

// clockOf: the later of h's own clock and its binding's (C touches only
// the entry).
func (p *pubTable) clockOf(h *vhdr, c uint32) uint32 {
	v := h.pub()
	e := &p.e[v.idx]
	if e.gen.Load() == v.gen {
		c = max(c, e.clock.Load())
	}
	return c
}

// Arena allocation: size classes of 1/32 of a power of two (at least 64
// bytes: at most about 3% lost to rounding beyond 2 KB), a free list per
// class, a bump pointer for the rest.
func sizeClass(n int) uint32 {
	g := 64
	for g*32 < n {
		g *= 2
	}
	return uint32((n + g - 1) / g * g)
}

func (p *pubTable) alloc(n int) (uint64, uint32, bool) {
	c := sizeClass(n)
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.free[c]) == 0 {
		p.collectLocked()
	}
	if l := p.free[c]; len(l) > 0 {
		off := l[len(l)-1]
		p.free[c] = l[:len(l)-1]
		return off, c, true
	}
	if p.next+uint64(c) <= uint64(len(p.arena)) {
		off := p.next
		p.next += uint64(c)
		return off, c, true
	}
	return 0, 0, false
}

func (p *pubTable) release(off uint64, c uint32) {
	if c == 0 {
		return
	}
	p.mu.Lock()
	p.free[c] = append(p.free[c], off)
	p.mu.Unlock()
}

// reclaim kills up to 512 entries not read during the last tick, scanning
// on from where the previous call stopped, so that a full arena makes
// room for keys read now. At most once a tick: the arena stays full while
// every published key is being read, and the scan is not free.
func (p *pubTable) reclaim(tick uint32) {
	p.mu.Lock()
	if p.reclaimedAt == tick {
		p.mu.Unlock()
		return
	}
	p.reclaimedAt = tick
	start := p.cursor
	p.cursor = (p.cursor + 512) % pubEntries
	p.mu.Unlock()
	for i := 0; i < 512; i++ {
		e := &p.e[(start+i)%pubEntries]
		q := e.seq.Load()
		if q&1 != 0 || e.live.Load() == 0 || e.clock.Load()+1 >= tick {
			continue
		}
		if e.seq.CompareAndSwap(q, q+1) {
			p.kill(e)
			e.seq.Store(q + 2)
		}
	}
}

// maybePublish is Peek's look at a live string version h of key (slot
// sl): it notes the read, and publishes h when it was read before within
// pubWindow ticks. (Within one tick, as first written, left large values
// unpublished on a busy machine: a pass over 1000 keys of 64 KB through
// Go took longer than a tick, so no key was read twice in one, and every
// read stayed on the slow path that kept them apart.)
func (s *Store) maybePublish(key string, sl *slot, h *vhdr) {
	t := s.tick.Load()
	c := atomic.LoadUint32(&h.clock)
	if c&seenBit != 0 && t-(c&^seenBit) < pubWindow {
		s.publish(key, sl, h)
		return
	}
	if c != t|seenBit {
		atomic.StoreUint32(&h.clock, t|seenBit)
	}
}

// peekTouchLine is peekTouch for a small record's line (index.go): a
// small record read twice within pubWindow is made indirect (its own
// slot) and published, as any other value (C reads only the published
// table yet).
func (s *Store) peekTouchLine(key string, l *iline) {
	if s.pub.Load() == nil {
		s.touchLine(l)
		return
	}
	t := s.tick.Load()
	c := l.clock.Load()
	if c&seenBit != 0 && t-(c&^seenBit) < pubWindow {
		s.publish(key, nil, nil)
		return
	}
	if c != t|seenBit {
		l.clock.Store(t | seenBit)
	}
}

// publish copies h, key's current version in slot sl, into the table
// and installs a published version in its place (see the protocol above).
// sl nil: key was a small record (index.go), made indirect here.
func (s *Store) publish(key string, sl *slot, h *vhdr) {
	p := s.pub.Load()
	if len(key) == 0 || len(key) > maxPubKey {
		return
	}
	if sl != nil && (h.isCounter() || h.n == longMark || h.size() > MaxPublishedValue) {
		return
	}
	if sl != nil && h.isPublished() && p.bound(h) {
		return
	}
	hash := FilterHash(key)
	idx := pubIndex(hash)
	e := &p.e[idx]
	// Another key's live binding is taken over only when it was not read
	// in this tick or the last, so two hot keys sharing an entry do not
	// take it from each other on every read.
	if e.live.Load() == 1 && e.clock.Load()+1 >= s.tick.Load() {
		return
	}
	// (A load first: once the budget is spent, reads do not all write
	// the one shared word.)
	if p.budget.Load() <= 0 || p.budget.Add(-1) < 0 {
		return
	}
	s.m.Compute(key, func(cur *slot, loaded bool) (*slot, ixOp) {
		if sl == nil && loaded { // (a small record, now indirect: its version)
			h = cur.v.Load()
			if h.isCounter() || h.isPublished() || h.n == longMark || h.size() > MaxPublishedValue {
				return cur, ixCancel
			}
		} else if !loaded || cur != sl || cur.v.Load() != h {
			return cur, ixCancel
		}
		if !s.live(h) {
			return cur, ixCancel
		}
		if h.isMut() {
			h = s.settle(cur) // its value, no longer written in place
		}
		value := h.str()
		q := e.seq.Load()
		if q&1 != 0 || !e.seq.CompareAndSwap(q, q+1) {
			return cur, ixCancel
		}
		p.kill(e) // whatever it held (a dead binding of h included)
		gen := e.gen.Load() + 1
		e.gen.Store(gen)
		off, c, ok := p.alloc(bufSize(len(key), len(value)))
		if !ok { // the arena is full: no more tries this tick
			e.seq.Store(q + 2)
			p.budget.Store(0)
			p.reclaim(s.tick.Load())
			return cur, ixCancel
		}
		p.writeBuf(off, key, value)
		nv := newPubVersion(value, h.deadline(), s.tick.Load(), uint32(idx), gen)
		if !cur.v.CompareAndSwap(h, nv) { // a lock-free Set got there first
			p.release(off, c)
			e.seq.Store(q + 2)
			return cur, ixCancel
		}
		e.off.Store(off)
		e.cap = c
		e.klen.Store(uint32(len(key)))
		e.vlen.Store(uint32(len(value)))
		e.hash.Store(hash)
		// A deadline past the clock's range (negative, deadline.go) is
		// published as none: C's clock (int64 ns) never reaches it.
		e.deadline.Store(max(nv.deadline(), 0))
		e.clock.Store(s.tick.Load())
		e.live.Store(1)
		e.seq.Store(q + 2)
		p.hint(e, true)
		return cur, ixCancel
	})
}

// writeBuf fills the buffer at off: the key, then the value as a
// zend_string (see the layout above). The hash PHP would compute is
// written only for values C may share (only those can reach PHP's
// hash tables unchanged); the others are copied by C.
func (p *pubTable) writeBuf(off uint64, key, value string) {
	b := p.arena[off:]
	copy(b, key)
	z := b[(len(key)+7)&^7:]
	binary.LittleEndian.PutUint32(z[0:], 1)
	binary.LittleEndian.PutUint32(z[4:], p.hdr.strType)
	h := uint64(0)
	if m := p.hdr.shareMin.Load(); m != 0 && uint32(len(value)) >= m {
		h = phpHash(value)
	}
	binary.LittleEndian.PutUint64(z[8:], h)
	binary.LittleEndian.PutUint64(z[16:], uint64(len(value)))
	copy(z[zstrHeader:], value)
	z[zstrHeader+len(value)] = 0
}

// phpHash is FilterHash (PHP's zend_hash_func) eight bytes per step:
// h*33^8 + the eight bytes' terms, which do not depend on h, so the
// loop's chain is one multiply per 8 bytes instead of eight (a 64 KB
// value is hashed when it is published).
func phpHash(v string) uint64 {
	const (
		p1 = 33
		p2 = p1 * 33
		p3 = p2 * 33
		p4 = p3 * 33
		p5 = p4 * 33
		p6 = p5 * 33
		p7 = p6 * 33
		p8 = p7 * 33
	)
	c := func(b byte) uint64 {
		if charSigned {
			return uint64(int64(int8(b)))
		}
		return uint64(b)
	}
	h := uint64(5381)
	i := 0
	for ; i+8 <= len(v); i += 8 {
		t := c(v[i])*p7 + c(v[i+1])*p6 + c(v[i+2])*p5 + c(v[i+3])*p4 +
			c(v[i+4])*p3 + c(v[i+5])*p2 + c(v[i+6])*p1 + c(v[i+7])
		h = h*p8 + t
	}
	for ; i < len(v); i++ {
		h = h*33 + c(v[i])
	}
	return h | 1<<63
}

// dropPublished turns published values off and unmaps the table. Only for
// a store no C code reads (tests, which make thousands of stores).
func (s *Store) dropPublished() {
	if p := s.pub.Swap(nil); p != nil {
		unmapAnon(p.mem)
	}
}
