package kv

import (
	"hash/maphash"
	"runtime"
	"sync"
	"sync/atomic"
	"unsafe"
)

// The store's own index from keys to records (bench/kv/ONE-MISS.md, step
// 2: record tables, Go readers).
//
// Each of 64 segments (1/64 of the hash space, each with its own lock:
// the "bucket lock" the rest of the store speaks of) holds a table of
// 64-byte lines, one key per line, open addressing with linear probing,
// a table size that is not a power of two (line = (h32 * n) >> 32):
//
//	seq   u32  seqlock: odd while a writer changes the line
//	tag   u32  32 bits of the key's hash (not those picking the line)
//	meta  u32  state << 30 | key length byte << 8 | value length (small)
//	clock u32  access clock (LRU, publishing), racy stores as a version's
//	data  48 B small: the key, then at its length rounded up to 8 the
//	           value; indirect: the key's slot's handle in the last word
//
// A small record (key of at most 40 bytes, key rounded up to 8 plus value
// rounded up to 8 at most 48 bytes, no TTL) lives in its line and nowhere
// else: a cold read costs one dependent cache miss (the line), not two
// (index bucket, then slot) or three. Anything else is an indirect
// record: the line holds the tag, the key length and a handle into the
// table's array of *slot, and every path of the store (slot.go,
// mutable.go, promote.go, publish.go) works on that slot as before.
//
// Concurrency: every change to a line is made under the segment lock
// (writers of small values in place too), inside the line's seqlock;
// readers take no lock. Within one table a line only goes empty -> small
// or indirect -> deleted, or small -> indirect (materialize: the value
// leaves the line for a slot, the key bytes stay), and is never reused
// until the segment's table is rebuilt into a new one (under the lock,
// then published by one atomic store). So:
//   - a key's tag, length and key bytes never change while its line is
//     used: a reader that finds them different from its key's may skip
//     the line without validating the seqlock, and a key live for a whole
//     probe is found before the first empty line;
//   - a small value is copied under the seqlock (seq even and unchanged
//     around the copy; else the line is read again);
//   - a reader still on an outgrown table sees the state at the moment it
//     was replaced, within its call (the old table is not written again).
//
// The tables are Go memory without pointers (the slots are held by the
// table's slot array), so C may not read them yet (ONE-MISS step 3 moves
// them outside the Go heap).

const (
	ixSegBits  = 6
	ixSegs     = 1 << ixSegBits
	ixMinLines = 8
	// smallData is the bytes of a line that hold a small record.
	smallData = 48
	// maxSmallKey: the handle of a materialized record goes in the last
	// word, which a small record's key must leave alone.
	maxSmallKey = 40
)

// Line states (meta >> 30).
const (
	stEmpty = iota
	stSmall
	stInd
	stDel
)

// ixOp is what a Compute callback asks for.
type ixOp int

const (
	ixCancel ixOp = iota // leave the entry as it was
	ixUpdate             // store the returned slot (insert only: see Compute)
	ixDelete             // remove the entry
)

// smallOp is what a callback on a small record asks for.
type smallOp int

const (
	smCancel smallOp = iota // leave it
	smDelete                // remove it
	smWrite                 // write the value given in place (smallFits)
	smSlow                  // make it indirect and call the slot callback
)

type iline struct {
	seq   atomic.Uint32
	tag   atomic.Uint32
	meta  atomic.Uint32
	clock atomic.Uint32
	data  [smallData / 8]uint64
}

var (
	_ [64 - unsafe.Sizeof(iline{})]byte
	_ [unsafe.Sizeof(iline{}) - 64]byte
)

type slotArr struct{ p []atomic.Pointer[slot] }

type itable struct {
	l     []iline
	slots atomic.Pointer[slotArr] // indirect records' slots, by handle
	nsl   int                     // handles given out (under the segment lock)
}

type iseg struct {
	mu   sync.Mutex
	t    atomic.Pointer[itable]
	used int // lines not empty (under mu)
	live int // lines holding a record (under mu)
	size atomic.Int64
	_    [64 - 8 - 8 - 8 - 8 - 8]byte
}

type index struct {
	seed maphash.Seed
	segs [ixSegs]iseg
}

// bigKeyLen is the length byte of keys not stored inline (slotBig).
const bigKeyLen = 255

func newIndex() *index { return &index{seed: maphash.MakeSeed()} }

func lenByte(n int) uint32 {
	if n > maxInlineKey {
		return bigKeyLen
	}
	return uint32(n)
}

// smallFits: key and value may be a small record (no TTL: the caller's).
func smallFits(klen, vlen int) bool {
	return klen <= maxSmallKey && (klen+7)&^7+(vlen+7)&^7 <= smallData
}

// slotKey is the key held by sl, whose length byte is ln.
func slotKey(sl *slot, ln uint32) string {
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
func holds(sl *slot, ln uint32, key string) bool {
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

func ixTag(h uint64) uint32 { return uint32(h >> 32) }

func ixStart(h uint64, n int) int { return int((uint64(uint32(h)) * uint64(n)) >> 32) }

// lineKey is a small or indirect line's key bytes (small: klen <= 40).
func (l *iline) key(klen int) string {
	if klen == 0 {
		return ""
	}
	return unsafe.String((*byte)(unsafe.Pointer(&l.data[0])), klen)
}

func (l *iline) valPtr(klen int) unsafe.Pointer {
	return unsafe.Add(unsafe.Pointer(&l.data[0]), (klen+7)&^7)
}

// handle of an indirect line (atomic: it overwrites a materialized small
// record's value words, which readers may be copying).
func (l *iline) handle() uint32 { return uint32(atomic.LoadUint64(&l.data[smallData/8-1])) }

func (t *itable) slot(h uint32) *slot { return t.slots.Load().p[h].Load() }

// addSlot gives sl a handle in t. Under the segment lock.
func (t *itable) addSlot(sl *slot) uint32 {
	a := t.slots.Load()
	if a == nil || t.nsl == len(a.p) {
		n := &slotArr{p: make([]atomic.Pointer[slot], max(8, 2*t.nsl))}
		if a != nil {
			for i := range a.p {
				n.p[i].Store(a.p[i].Load())
			}
		}
		t.slots.Store(n)
		a = n
	}
	a.p[t.nsl].Store(sl)
	t.nsl++
	return uint32(t.nsl - 1)
}

// rec is what a lock-free look-up found.
type rec struct {
	sl    *slot  // an indirect record's slot
	line  *iline // the record's line (small: for its clock)
	v     string // a small record's value (copied: into scratch if it fits)
	vlen  int    // a small record's value length
	small bool
}

// get looks key up with no lock. A small record's value is copied when
// copyVal (into scratch when it fits, else a new string). found false:
// absent.
func (x *index) get(key string, scratch []byte, copyVal bool) (r rec, found bool) {
	h := x.hash(key)
	sg := x.seg(h)
	tag, kb, klen := ixTag(h), lenByte(len(key)), len(key)
	spins := 0
retry:
	for {
		t := sg.t.Load()
		if t == nil {
			return r, false
		}
		n := len(t.l)
		for i := ixStart(h, n); ; {
			l := &t.l[i]
			q := l.seq.Load()
			if q&1 != 0 {
				if spins++; spins > 50 {
					runtime.Gosched() // the writer may be off the CPU
				}
				continue retry
			}
			m := l.meta.Load()
			st := m >> 30
			if st == stEmpty {
				return r, false
			}
			if st != stDel && l.tag.Load() == tag && (m>>8)&0xff == kb {
				if st == stInd {
					// (nil: deleted since meta was read; the key was not
					// live for the whole probe, so going on is right.)
					if sl := t.slot(l.handle()); sl != nil && holds(sl, kb, key) {
						return rec{sl: sl, line: l}, true
					}
				} else if l.key(klen) == key {
					vl := int(m & 0xff)
					r = rec{line: l, vlen: vl, small: true}
					if copyVal && vl > 0 {
						var b []byte
						if vl <= len(scratch) {
							b = scratch[:vl]
						} else {
							b = make([]byte, vl)
						}
						copyOut(b, l.valPtr(klen))
						r.v = unsafe.String(&b[0], vl)
					}
					if l.seq.Load() != q {
						continue retry
					}
					return r, true
				}
			}
			if i++; i == n {
				i = 0
			}
		}
	}
}

// Load returns key's slot when key is an indirect record. No lock, no
// allocation. (A small record has none: false.)
func (x *index) Load(key string) (*slot, bool) {
	r, ok := x.get(key, nil, false)
	if !ok || r.small {
		return nil, false
	}
	return r.sl, true
}

// Has reports whether key has a record (small or indirect).
func (x *index) Has(key string) bool {
	_, ok := x.get(key, nil, false)
	return ok
}

// Compute calls fn with key's slot (loaded false: absent) under the key's
// segment lock and does what it returns: ixUpdate inserts the slot
// returned when the key was absent (the store never replaces a key's slot
// by another; a slot leaves only deleted), ixDelete removes the key. A
// small record is made indirect first (its value moved into a new slot
// of its own, mutable as SetHashed's). fn must not call Compute (the lock
// is not reentrant); it may Load.
func (x *index) Compute(key string, fn func(cur *slot, loaded bool) (*slot, ixOp)) {
	x.ComputeRec(key, nil, fn, "", 0, false)
}

// ComputeRec is Compute with a say on small records: when key is one,
// onSmall (if not nil) is called with its value (a view valid during the
// call: writers hold the lock), its seq and its access clock, and its
// answer done (smWrite: value, with clock; smSlow: the record is made
// indirect and fn called). When key is absent and insSmall, the small
// record key = value (smallFits) is inserted, with clock, without
// calling fn. It reports whether a small record was inserted.
func (x *index) ComputeRec(key string, onSmall func(v string, seq, clock uint32) smallOp, fn func(cur *slot, loaded bool) (*slot, ixOp), value string, clock uint32, insSmall bool) bool {
	h := x.hash(key)
	sg := x.seg(h)
	sg.mu.Lock()
	defer sg.mu.Unlock()
	tag, kb, klen := ixTag(h), lenByte(len(key)), len(key)
	t := sg.t.Load()
	var (
		line *iline
		cur  *slot
	)
	if t != nil {
		n := len(t.l)
		for i := ixStart(h, n); ; {
			l := &t.l[i]
			m := l.meta.Load()
			st := m >> 30
			if st == stEmpty {
				break
			}
			if st != stDel && l.tag.Load() == tag && (m>>8)&0xff == kb {
				if st == stInd {
					if sl := t.slot(l.handle()); holds(sl, kb, key) {
						line, cur = l, sl
						break
					}
				} else if l.key(klen) == key {
					line = l
					break
				}
			}
			if i++; i == n {
				i = 0
			}
		}
	}
	if line != nil && cur == nil { // a small record
		m := line.meta.Load()
		op := smSlow
		if onSmall != nil {
			op = onSmall(unsafe.String((*byte)(line.valPtr(klen)), int(m&0xff)), line.seq.Load(), line.clock.Load())
		}
		switch op {
		case smCancel:
			return false
		case smDelete:
			sg.deleteLine(x, t, line)
			return false
		case smWrite:
			q := line.seq.Load()
			line.seq.Store(q + 1)
			if len(value) > 0 {
				copyIn(line.valPtr(klen), value)
			}
			line.meta.Store(m&^0xff | uint32(len(value)))
			if line.clock.Load() != clock {
				line.clock.Store(clock)
			}
			line.seq.Store(q + 2)
			return false
		}
		cur = x.materialize(t, line, key)
	}
	if line == nil && insSmall {
		if t == nil || (sg.used+1)*8 > len(t.l)*7 {
			t = sg.rebuild(x, t, 1)
		}
		ixPlaceSmall(t, h, key, value, clock)
		sg.used++
		sg.live++
		sg.size.Add(1)
		return true
	}
	nsl, op := fn(cur, line != nil)
	switch {
	case op == ixDelete && line != nil:
		sg.deleteLine(x, t, line)
	case op == ixUpdate && line == nil:
		if t == nil || (sg.used+1)*8 > len(t.l)*7 {
			t = sg.rebuild(x, t, 1)
		}
		ixPlaceInd(t, h, kb, nsl)
		sg.used++
		sg.live++
		sg.size.Add(1)
	case op == ixUpdate && cur != nsl:
		panic("kv: index: a key's slot replaced by another")
	}
	return false
}

// deleteLine marks line (of table t, holding a record) deleted; under the
// segment lock.
func (sg *iseg) deleteLine(x *index, t *itable, line *iline) {
	m := line.meta.Load()
	q := line.seq.Load()
	line.seq.Store(q + 1)
	if m>>30 == stInd {
		t.slots.Load().p[line.handle()].Store(nil) // (the table keeps no deleted slot alive)
	}
	line.meta.Store(stDel<<30 | m&^(3<<30))
	line.seq.Store(q + 2)
	sg.live--
	sg.size.Add(-1)
	if len(t.l) > ixMinLines && sg.live*16 < len(t.l) {
		sg.rebuild(x, t, 0) // shrink: see rebuild's comment
	}
}

// materialize moves line's small record (of key) into a new slot of its
// own and makes the line indirect; under the segment lock.
func (x *index) materialize(t *itable, line *iline, key string) *slot {
	m := line.meta.Load()
	klen := len(key)
	v := unsafe.String((*byte)(line.valPtr(klen)), int(m&0xff))
	var sl *slot
	if inlineFits(key, v, true) {
		var h *vhdr
		sl, _, h = newSlotWith(key, v, 0, line.clock.Load(), true)
		sl.v.Store(h)
	} else {
		sl, _ = newSlot(key)
		sl.v.Store(newVersion(v, 0, line.clock.Load()))
	}
	hd := t.addSlot(sl)
	q := line.seq.Load()
	line.seq.Store(q + 1)
	atomic.StoreUint64(&line.data[smallData/8-1], uint64(hd))
	line.meta.Store(stInd<<30 | m&(0xff<<8))
	line.seq.Store(q + 2)
	return sl
}

// ixFree is the first empty line of h's probe sequence in t (which has
// one: tables are at most 7/8 full).
func ixFree(t *itable, h uint64) *iline {
	n := len(t.l)
	for i := ixStart(h, n); ; {
		if t.l[i].meta.Load()>>30 == stEmpty {
			return &t.l[i]
		}
		if i++; i == n {
			i = 0
		}
	}
}

// ixPlaceSmall writes the small record key = value into its line of t.
// The key and value bytes and the clock are written before meta, which
// publishes them.
func ixPlaceSmall(t *itable, h uint64, key, value string, clock uint32) {
	l := ixFree(t, h)
	l.tag.Store(ixTag(h))
	if len(key) > 0 {
		copy(unsafe.Slice((*byte)(unsafe.Pointer(&l.data[0])), len(key)), key)
	}
	if len(value) > 0 {
		copyIn(l.valPtr(len(key)), value)
	}
	l.clock.Store(clock)
	l.meta.Store(stSmall<<30 | uint32(len(key))<<8 | uint32(len(value)))
}

// ixPlaceInd puts sl (key length byte kb) into its line of t.
func ixPlaceInd(t *itable, h uint64, kb uint32, sl *slot) {
	l := ixFree(t, h)
	l.tag.Store(ixTag(h))
	atomic.StoreUint64(&l.data[smallData/8-1], uint64(t.addSlot(sl)))
	l.meta.Store(stInd<<30 | kb<<8)
}

// rebuild makes the segment a new table with room for extra more keys,
// at a load of about 7/10 (deleted lines dropped), and publishes it.
// (Between 7/10 and 7/8 a small record costs 73-91 bytes of table; a
// rebuild to 7/12, growing by 1.5x, left 1M keys at 108 heap bytes each
// against the bucket index's 98.)
// Under mu.
//
// An insert calls it to grow (the table 7/8 used, deleted lines
// counted), a delete to shrink: when fewer than 1/16 of the table's lines
// are live (and it is larger than the smallest). Without the shrink, a
// Flush or a DelPrefix of most keys (both delete key by key) left every
// segment its big table and its deleted lines until 7/8 were used
// again: after a million keys flushed, every miss probing them. A
// rebuilt table is neither shrunk again before its live keys fall by a
// further 10/11 nor grown before about 7/40 of its lines are inserted: no
// rebuilding back and forth, O(1) per operation (about 6 lines copied
// per insert). A reader still probing
// the old table sees it as it was at the swap.
func (sg *iseg) rebuild(x *index, old *itable, extra int) *itable {
	nl := max(ixMinLines, (sg.live+extra)*10/7+1)
	t := &itable{l: make([]iline, nl)}
	if old != nil {
		for i := range old.l {
			l := &old.l[i]
			m := l.meta.Load()
			kb := (m >> 8) & 0xff
			switch m >> 30 {
			case stSmall:
				k := l.key(int(kb))
				nl := ixFree(t, x.hash(k))
				nl.tag.Store(l.tag.Load())
				nl.data = l.data // (no writer: all hold the segment lock)
				nl.clock.Store(l.clock.Load())
				nl.seq.Store(l.seq.Load()) // (eviction's candidates compare it)
				nl.meta.Store(m)
			case stInd:
				sl := old.slot(l.handle())
				ixPlaceInd(t, x.hash(slotKey(sl, kb)), kb, sl)
			}
		}
	}
	sg.used = sg.live
	sg.t.Store(t)
	return t
}

// Range calls fn for each key and its slot (nil for a small record)
// until fn returns false, segment by segment: a key present for the
// whole call is seen exactly once, and no key is seen twice. Each
// segment's live records are listed under its lock and fn runs on the
// list with no lock held: walking the table itself, lock-free, would meet
// a key twice when it is deleted and set again meanwhile (its new line
// lies after its deleted one in its probe sequence), and KEYS, SCAN and
// DBSIZE would list or count it twice. A small record's key is a view of
// its line's bytes (which never change: the table stays alive while the
// string is held; keep a copy for long).
func (x *index) Range(fn func(key string, sl *slot) bool) {
	x.RangeRec(func(key string, sl *slot, _, _ uint32) bool { return fn(key, sl) })
}

// RangeRec is Range with a small record's seq and access clock (0 for
// an indirect one) as they were when listed.
func (x *index) RangeRec(fn func(key string, sl *slot, seq, clock uint32) bool) {
	type seen struct {
		k          string
		sl         *slot
		seq, clock uint32
	}
	var buf []seen
	for s := range x.segs {
		sg := &x.segs[s]
		buf = buf[:0]
		sg.mu.Lock()
		if t := sg.t.Load(); t != nil {
			for i := range t.l {
				l := &t.l[i]
				m := l.meta.Load()
				kb := (m >> 8) & 0xff
				switch m >> 30 {
				case stSmall:
					buf = append(buf, seen{k: l.key(int(kb)), seq: l.seq.Load(), clock: l.clock.Load()})
				case stInd:
					sl := t.slot(l.handle())
					buf = append(buf, seen{k: slotKey(sl, kb), sl: sl})
				}
			}
		}
		sg.mu.Unlock()
		for i := range buf {
			if !fn(buf[i].k, buf[i].sl, buf[i].seq, buf[i].clock) {
				return
			}
			buf[i] = seen{} // the copy keeps nothing alive once seen
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
