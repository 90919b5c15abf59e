// Package kv is ephpm's built-in key-value store: a concurrent map of
// binary-safe keys to values with TTLs, atomic counters, compare-and-delete
// and a memory limit with eviction. One Store serves every PHP thread of a
// server process. Pure Go, usable on its own.
//
// Where the time goes, hottest first:
//   - Reads take no lock and allocate nothing: a small record (key + value
//     <= 48 bytes, no TTL) is read from its line of the store's index
//     (index.go: one cache miss) under the line's seqlock; anything else
//     through a lookup cache entry (hot.go) and the key's slot, else the
//     index's line and then the slot; plus an atomic store of a coarse
//     access clock when it changed (for LRU eviction). (Get without
//     scratch copies a small record's value into a new string.)
//   - A write to an existing key is one allocation (the new value version)
//     and one compare-and-swap on the key's slot (slot.go); incr_by on a
//     counter is one compare-and-swap on its word, which for counters
//     without TTL lives in a table that phpembed's C code increments
//     itself (promote.go).
//   - A new key, a delete, an expiry, Expire and conversions take the map's
//     bucket lock (the index's segment lock, index.Compute).
//   - A presence filter (filter.go) lets a caller in front of the store
//     (phpembed's C code) answer a miss without calling in at all.
//   - Every write then loads one word to learn whether anybody waits for
//     a key to change (Wait, wait.go); only then does it look further.
//   - Update (update.go), the read-modify-write the RESP commands are made
//     of, runs under the bucket lock: one allocation for the new version.
package kv

import (
	"errors"
	"fmt"
	"math"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/puzpuzpuz/xsync/v4"
)

// Policy says what a write does when the memory limit is reached.
type Policy string

const (
	AllKeysLRU    Policy = "allkeys-lru"    // evict the least recently used key (approximate)
	VolatileLRU   Policy = "volatile-lru"   // same, among keys with a TTL only
	AllKeysRandom Policy = "allkeys-random" // evict a random key
	NoEviction    Policy = "noeviction"     // refuse the write
)

// EntryOverhead is what one entry costs beyond its key and value bytes,
// as counted against the memory limit. It was measured with xsync's map:
// the map entry (24 bytes: key header and slot pointer), the slot header
// (8), the version header (16: expiry, access clock, length) and the
// entry's share of the map's buckets (about 32). With the store's own
// index (index.go: a 64-byte line per key, 7/10 to 7/8 full, a small
// record's key and value inside it) a small record costs 73-91 bytes
// in all, its key and value included; it stays 80, so that a
// memory_limit keeps admitting the keys it did. (An upper bound except
// for a key overwritten after its first version was kept in its slot,
// slot.go's maxInlineValue, by a value that did not fit there: up to 48
// dead bytes more, about 93 in all; a version mutable in its slot
// leaves its 24-byte header and its capacity, rounded up to the slot's
// size class: 56 bytes with a 16-byte key, up to about 100 for long keys.)
const EntryOverhead = 80

var (
	// ErrNotInteger: IncrBy on a value that is not a decimal int64.
	ErrNotInteger = errors.New("kv: value is not an integer")
	// ErrOverflow: IncrBy would leave the int64 range.
	ErrOverflow = errors.New("kv: increment would overflow")
	// ErrNoMemory: the memory limit refused the write.
	ErrNoMemory = errors.New("kv: memory limit reached")
)

// Options configure a Store.
type Options struct {
	// MemoryLimit in bytes (keys + values + EntryOverhead each); 0 = none.
	MemoryLimit int64
	// Policy when the limit is reached; "" = allkeys-lru.
	Policy Policy
	// SweepInterval between passes of the expiry sweeper; 0 = 1s.
	SweepInterval time.Duration
	// Clock returns unix nanoseconds; nil = time.Now. For tests.
	Clock func() int64
	// ReturnMemory hands memory back to the OS as the store grows: each
	// time its bytes grew by a quarter (and 32 MB) since the last time, the
	// sweeper runs debug.FreeOSMemory. The map's tables double as it grows,
	// and Go keeps the outgrown ones resident long after freeing them (a
	// million small keys: 161 bytes of RSS per key instead of 131 of heap).
	// It affects the whole process, so the server turns it on, not tests.
	//
	// It also gives the GC a floor while the store is small (see
	// gcFloor): a pointer-free allocation of gcFloor bytes, never
	// touched (no RSS), that the collector counts as live, so the heap
	// goal is not 4-8 MB and a collection does not come every few
	// thousand sets of 1 KB values (from PHP such a set cost 2.3x
	// APCu's, most of it GC and page faults; 0.95x with a 16 MB floor,
	// 0.55-0.75x with 64 MB, which however made 16-byte sets slower,
	// 1.5x against 1.0x). The price is that up to about gcFloor of
	// garbage may stay resident between collections. Dropped once the
	// store holds more than gcFloor bytes, when its own size keeps the
	// goal high.
	ReturnMemory bool
}

// gcFloor is the size of the GC floor of Options.ReturnMemory.
var gcFloor = 16 << 20

// Stats are the store's counters.
type Stats struct {
	Hits, Misses, Keys, Bytes, Evictions, Expirations int64
}

// Store is the key-value store. Safe for concurrent use.
type Store struct {
	// Read by every call: kept together, at the front.
	m      *index    // keys to slots (index.go)
	hot    *hotTable // lookup cache in front of m (hot.go)
	now    func() int64
	tick   atomic.Uint32 // coarse access clock, in 100 ms steps since epoch
	limit  int64
	policy Policy
	epoch  int64
	filter *presence // presence filter (filter.go)
	ctab   *ctable   // promoted counters (promote.go)
	// watching counts the keys with waiters (wait.go): every write loads
	// it, and does nothing more while it is 0.
	watching atomic.Int32

	bytes atomic.Int64
	keys  atomic.Int64

	hits, misses, evictions, expirations stripedCounter

	extCounts atomic.Pointer[func() (hits, misses int64)]

	evictMu sync.Mutex
	pool    []candidate

	randomPool randomPool // RandomKey's sample (scan.go)

	watches *xsync.Map[string, *watchEntry] // keys with waiters (wait.go)
	wseq    atomic.Uint64                   // versions handed out

	returnMemory bool
	returnedAt   int64  // bytes when memory was last returned (sweeper only)
	ballast      []byte // the GC floor (Options.ReturnMemory); sweeper only after New

	// Published values for C (publish.go): nil until EnablePublishing.
	pub         atomic.Pointer[pubTable]
	hadTTL      atomic.Bool // a deadline was ever set (noteTTL)
	pubOnce     sync.Once
	customClock bool // Options.Clock given: C cannot compare deadlines

	stop chan struct{}
	done sync.WaitGroup
	once sync.Once
}

// New makes a store and starts its background sweeper; Close stops it.
func New(opts Options) (*Store, error) {
	switch opts.Policy {
	case "":
		opts.Policy = AllKeysLRU
	case AllKeysLRU, VolatileLRU, AllKeysRandom, NoEviction:
	default:
		return nil, fmt.Errorf("kv: unknown eviction policy %q (want allkeys-lru, volatile-lru, allkeys-random or noeviction)", opts.Policy)
	}
	if opts.MemoryLimit < 0 {
		return nil, fmt.Errorf("kv: negative memory limit %d", opts.MemoryLimit)
	}
	if opts.SweepInterval <= 0 {
		opts.SweepInterval = time.Second
	}
	now := opts.Clock
	if now == nil {
		// time.Since reads only the monotonic clock: half the cost of
		// time.Now, which matters as every TTL check reads it.
		start, unix := time.Now(), time.Now().UnixNano()
		now = func() int64 { return unix + int64(time.Since(start)) }
	}
	s := &Store{
		m:            newIndex(),
		watches:      xsync.NewMap[string, *watchEntry](),
		limit:        opts.MemoryLimit,
		policy:       opts.Policy,
		returnMemory: opts.ReturnMemory,
		customClock:  opts.Clock != nil,
		now:          now,
		epoch:        now(),
		stop:         make(chan struct{}),
	}
	if opts.ReturnMemory {
		s.ballast = make([]byte, gcFloor) // never written: no page is touched
	}
	s.hot = new(hotTable)
	s.filter = s.hot
	s.ctab = new(ctable)
	s.ctab.tick.Store(1)
	s.tick.Store(1)
	s.done.Add(1)
	go s.background(opts.SweepInterval)
	return s, nil
}

// Close stops the background sweeper. The store stays usable.
func (s *Store) Close() {
	s.once.Do(func() {
		close(s.stop)
		s.done.Wait()
	})
}

func (s *Store) background(sweepEvery time.Duration) {
	defer s.done.Done()
	clock := time.NewTicker(100 * time.Millisecond)
	defer clock.Stop()
	sweep := time.NewTicker(sweepEvery)
	defer sweep.Stop()
	for ticks := 0; ; {
		select {
		case <-s.stop:
			return
		case <-clock.C:
			s.updateTick()
			if ticks++; ticks%10 == 0 {
				s.pruneWatches(watchLinger)
			}
		case <-sweep.C:
			s.updateTick()
			s.SweepExpired()
			s.maybeReturnMemory()
		}
	}
}

// maybeReturnMemory: see Options.ReturnMemory. Growth by a quarter each
// time bounds the full collections this costs to a handful per size class
// of the store, whatever its write rate.
func (s *Store) maybeReturnMemory() {
	if !s.returnMemory {
		return
	}
	b := s.bytes.Load()
	if s.ballast != nil && b > int64(gcFloor) {
		s.ballast = nil // the store's own bytes keep the heap goal up now
	}
	if b >= s.returnedAt+max(32<<20, s.returnedAt/4) {
		s.returnedAt = b
		debug.FreeOSMemory()
	}
}

func (s *Store) updateTick() {
	t := (s.now() - s.epoch) / int64(100*time.Millisecond)
	if t < 1 {
		t = 1
	}
	// (Below seenBit: a version's clock keeps that bit for itself.)
	s.tick.Store(uint32(min(t, seenBit-1)))
	s.ctab.tick.Store(uint32(min(t, seenBit-1)))
	if p := s.pub.Load(); p != nil {
		p.hdr.tick.Store(uint32(min(t, seenBit-1)))
		p.budget.Store(pubBudget)
	}
}

// touch records an access for LRU; a store only when the clock moved, so
// hot keys read by many threads do not bounce a cache line.
func (s *Store) touch(h *vhdr) {
	t := s.tick.Load()
	if c := atomic.LoadUint32(&h.clock); c != t && c != t|seenBit {
		atomic.StoreUint32(&h.clock, t)
	}
}

// peekTouch is Peek's touch: with published values on, it also counts
// the read towards publishing (publish.go).
func (s *Store) peekTouch(key string, sl *slot, h *vhdr) {
	if s.pub.Load() != nil && !h.isCounter() {
		s.maybePublish(key, sl, h)
		return
	}
	s.touch(h)
}

// live reports whether version h has not expired. It reads the clock only
// for versions with a TTL: the clock is a system call on some machines,
// and most entries have none.
func (s *Store) live(h *vhdr) bool {
	e := h.deadline()
	return e <= 0 || s.now() < e // (e < 0: past the clock's range, deadline.go)
}

func expiredAt(h *vhdr, now int64) bool { return deadlinePassed(h.deadline(), now) }

// deadline is the deadline ttl from now (deadline.go's encoding): a TTL
// past the nanosecond clock's range (centuries) is kept in milliseconds,
// exact, never wrapped into the past.
func (s *Store) deadline(ttl time.Duration) int64 {
	if ttl <= 0 {
		return 0
	}
	s.noteTTL()
	return addTTL(s.now(), int64(ttl))
}

// deadlineSec is deadline for a TTL of sec seconds, which may exceed a
// Duration: past that, now's ms plus sec*1000, saturating at int64's
// last ms (Redis refuses such a TTL; a PHP function has no error to give).
func (s *Store) deadlineSec(sec int64) int64 {
	if sec <= 0 {
		return 0
	}
	if sec <= math.MaxInt64/int64(time.Second) {
		return s.deadline(time.Duration(sec) * time.Second)
	}
	s.noteTTL()
	nowMs := max(s.now()/1e6, 0)
	if sec > (math.MaxInt64-nowMs)/1000 {
		return DeadlineFromMs(math.MaxInt64)
	}
	return DeadlineFromMs(nowMs + sec*1000)
}

func overflows(n, delta int64) bool {
	return (delta > 0 && n > math.MaxInt64-delta) || (delta < 0 && n < math.MinInt64-delta)
}

// lookup returns key's live version, dropping an expired one; for a small
// record (index.go: always live) nil and r.small, its value copied when
// copyVal (into scratch if it fits). No lock. hash: see find.
func (s *Store) lookup(key string, hash uint64, scratch []byte, copyVal bool) (*vhdr, rec, bool) {
	sl, h, r := s.findRec(key, hash, scratch, copyVal)
	if r.small {
		return nil, r, true
	}
	if h == nil || h == tomb {
		return nil, r, false
	}
	if e := h.deadline(); e > 0 && s.now() >= e {
		s.remove(key, sl, h, true, &s.expirations)
		return nil, r, false
	}
	return h, r, true
}

// touchLine is touch for a small record's line.
func (s *Store) touchLine(l *iline) {
	t := s.tick.Load()
	if c := l.clock.Load(); c != t && c != t|seenBit {
		l.clock.Store(t)
	}
}

// remove deletes key if it still holds slot sl at version h (at any
// version when h is nil; only while expired when onlyExpired), counting
// the removal in counter. It returns the version removed, or nil.
func (s *Store) remove(key string, sl *slot, h *vhdr, onlyExpired bool, counter *stripedCounter) *vhdr {
	var old *vhdr
	s.m.Compute(key, func(cur *slot, loaded bool) (*slot, ixOp) {
		if !loaded || cur != sl {
			return cur, ixCancel
		}
		if h == nil {
			old = swapTomb(s, cur)
			return cur, ixDelete
		}
		o, q := lockCurrent(cur)
		unlock := func() {
			if o.isMut() {
				o.munlockUnchanged(q)
			}
		}
		if o != h || (onlyExpired && s.live(h)) { // (Expire moved it on meanwhile)
			unlock()
			return cur, ixCancel
		}
		s.demoteIf(h)
		if !cur.v.CompareAndSwap(h, tomb) {
			unlock()
			return cur, ixCancel
		}
		old = h
		return cur, ixDelete
	})
	if old != nil {
		s.removed(key, old)
		if counter != nil {
			counter.add(key, 1)
		}
		s.changed(key)
	}
	return old
}

// text is the value as PHP sees it; a counter's decimal text is appended
// to scratch[:0] (no allocation when scratch holds 20 bytes). False: h is
// a promoted counter no longer current; look again.
func (s *Store) text(h *vhdr, scratch []byte) (string, bool) {
	if h.isCounter() {
		return s.counterText(h, scratch)
	}
	if h.isMut() {
		return h.readMut(scratch, nil) // a copy (mutable.go)
	}
	return h.str(), true
}

func (s *Store) counterText(h *vhdr, scratch []byte) (string, bool) {
	n, ok := s.counterValue(h)
	b := strconv.AppendInt(scratch[:0], n, 10)
	return unsafe.String(unsafe.SliceData(b), len(b)), ok
}

// Get returns the value of a live key. The returned string is the store's
// own immutable copy: no copy is made (except a counter's decimal text,
// and the value of a small record or a mutable version, which writers
// change in place: a new string), and key is not retained, so a view of
// foreign memory (unsafe.String over a C buffer) is fine.
func (s *Store) Get(key string) (string, bool) {
	return s.GetTo(key, keyHash(key), nil) // a counter's text: a new string
}

// GetInto is GetTo with the store's own hash of key (as Get): for a
// caller that copies the value out before reusing scratch (RESP's GET,
// which writes it into its reply), so that a small record's hit
// allocates nothing either.
func (s *Store) GetInto(key string, scratch []byte) (string, bool) {
	return s.GetTo(key, keyHash(key), scratch)
}

// GetTo is Get for a caller that copies the value out before reusing
// scratch: a counter's decimal text (20 bytes suffice), and the copy of an
// overwritten key's value (mutable.go) when it fits, are written into
// scratch instead of a new string, so such a hit does not allocate. hash is any
// 64-bit hash of key that is the same for equal keys (phpembed passes
// PHP's); it picks the entry of the lookup cache (hot.go).
func (s *Store) GetTo(key string, hash uint64, scratch []byte) (string, bool) {
	v, ok := s.read(key, hash, scratch)
	if ok {
		s.hits.add(key, 1)
	} else {
		s.misses.add(key, 1)
	}
	return v, ok
}

// read returns key's live value and touches it; it counts nothing.
func (s *Store) read(key string, hash uint64, scratch []byte) (string, bool) {
	for {
		h, r, ok := s.lookup(key, hash, scratch, true)
		if !ok {
			return "", false
		}
		if r.small {
			s.touchLine(r.line)
			return r.v, true
		}
		if v, current := s.text(h, scratch); current {
			s.touch(h)
			return v, true
		}
	}
}

// Peek is GetTo for a caller that counts hits and misses itself (and
// reports them with SetExternalCounts): it touches no counter.
func (s *Store) Peek(key string, hash uint64, scratch []byte) (string, bool) {
	// The lookup cache's hit path, written out here (find is too big to
	// inline, and this is the hottest path of all).
	e := &s.hot[hotIndex(hash)]
	if m := e.meta.Load(); m&0x1ff == uint64(len(key))<<1 && m != 0 {
		sl := e.sl.Load()
		if e.meta.Load() == m && sameKey(sl, key) {
			if h := sl.v.Load(); h != tomb && s.live(h) {
				if h.n-1 < smutMark-1 { // a plain string of 1 byte .. less than 4 GB
					s.peekTouch(key, sl, h)
					return unsafe.String((*byte)(unsafe.Add(unsafe.Pointer(h), vhdrSize)), int(h.n)), true
				}
				if v, current := s.text(h, scratch); current {
					s.peekTouch(key, sl, h)
					return v, true
				}
			}
		}
	}
	return s.peekSlow(key, hash, scratch)
}

// peekSlow is read with peekTouch.
func (s *Store) peekSlow(key string, hash uint64, scratch []byte) (string, bool) {
	for {
		sl, h, r := s.findRec(key, hash, scratch, true)
		if r.small {
			s.peekTouchLine(key, r.line)
			return r.v, true
		}
		if h == nil || h == tomb {
			return "", false
		}
		if e := h.deadline(); e > 0 && s.now() >= e {
			s.remove(key, sl, h, true, &s.expirations)
			return "", false
		}
		if v, current := s.text(h, scratch); current {
			s.peekTouch(key, sl, h)
			return v, true
		}
	}
}

// Exists reports whether key is live. It counts neither a hit nor a miss.
func (s *Store) Exists(key string) bool {
	_, _, ok := s.lookup(key, keyHash(key), nil, false)
	return ok
}

// Set stores value under key with ttl (<= 0: no expiry), replacing value
// and TTL. Key and value are copied. It returns false only when the memory
// limit refuses the write (noeviction), leaving the old value in place.
func (s *Store) Set(key, value string, ttl time.Duration) bool {
	return s.put(key, keyHash(key), value, s.deadline(ttl), false, false)
}

// SetHashed is Set with the caller's hash of key (see GetTo), for a
// caller whose readers copy values out (PHP's get: GetTo and Peek with
// scratch): a new key's small value is kept mutable in its slot
// (mutable.go, smutMark), so the key's later sets that fit are written
// there in place. Get (no scratch) of such a key copies the value.
func (s *Store) SetHashed(key string, hash uint64, value string, ttl time.Duration) bool {
	return s.put(key, hash, value, s.deadline(ttl), false, true)
}

// SetSeconds is SetHashed (SetNX when nx) with the TTL in seconds (<= 0:
// none), which may be longer than a Duration holds (PHP's TTLs): exact to
// the ms past the year 2262 (deadline.go).
func (s *Store) SetSeconds(key string, hash uint64, value string, sec int64, nx bool) bool {
	return s.put(key, hash, value, s.deadlineSec(sec), nx, true)
}

// SetNX stores value only if key has no live entry. Of many concurrent
// callers exactly one wins.
func (s *Store) SetNX(key, value string, ttl time.Duration) bool {
	return s.put(key, keyHash(key), value, s.deadline(ttl), true, false)
}

// put: an existing key takes the new version by one compare-and-swap on
// its slot, with no lock; a new key is inserted under the bucket lock.
// The growth is reserved before the write, so the limit holds under
// concurrency. slotMut: a new key's small value is made mutable in its
// slot (SetHashed).
func (s *Store) put(key string, hash uint64, value string, expires int64, onlyIfAbsent, slotMut bool) bool {
	// (cost(len(key), v) of any version v holding value.)
	newCost := int64(len(key)) + int64(len(value)) + EntryOverhead
	var nv *vhdr // made once a key to overwrite is found
	for {
		sl, old, r := s.findRec(key, hash, nil, false)
		if r.small {
			if onlyIfAbsent {
				return false // (a small record has no TTL: live)
			}
			done, refused := s.putSmall(key, value, expires, r.vlen)
			if done || refused {
				return done
			}
			continue
		}
		if old == nil || old == tomb || old.lockedOnly() {
			break // (a promoted counter or published value is demoted under the lock)
		}
		wasLive := s.live(old)
		if onlyIfAbsent && wasLive {
			return false
		}
		if old.isMut() {
			if wasLive && old.mfits(len(value)) {
				done, refused := s.putInPlace(key, old, value, expires)
				if done || refused {
					return done
				}
				continue
			}
			if nv == nil {
				nv = newOverwrite(value, expires, s.tick.Load())
			}
			if ok, refused := s.replaceMut(key, sl, old, nv, newCost, wasLive); ok || refused {
				return ok
			}
			continue
		}
		if nv == nil {
			nv = newOverwrite(value, expires, s.tick.Load())
		}
		grow := newCost - cost(len(key), old)
		if !s.reserveGrowth(grow) {
			return false
		}
		if sl.v.CompareAndSwap(old, nv) {
			s.doneGrowth(grow)
			if !wasLive {
				s.expirations.add(key, 1)
			}
			s.changed(key)
			return true
		}
		s.undoGrowth(grow) // lost a race: undo and look again
	}
	return s.putLocked(key, value, expires, nv, newCost, onlyIfAbsent, slotMut)
}

// putSmall overwrites key's small record (index.go), whose value was
// vlen bytes long when put looked, under the bucket lock: in place when
// the new value is a small record too, else by making the record
// indirect and replacing its version. The growth is reserved first (it
// may evict, which takes bucket locks). done: stored; refused: the memory
// limit said no; neither: look again (the record changed or is gone).
func (s *Store) putSmall(key, value string, expires int64, vlen int) (done, refused bool) {
	grow := int64(len(value)) - int64(vlen)
	if !s.reserveGrowth(grow) {
		return false, true
	}
	inPlace := expires == 0 && smallFits(len(key), len(value))
	tick := s.tick.Load()
	seen := false
	s.m.ComputeRec(key, func(v string, _, _ uint32) smallOp {
		if len(v) != vlen {
			return smCancel
		}
		seen, done = true, inPlace
		if inPlace {
			return smWrite
		}
		return smSlow
	}, func(cur *slot, loaded bool) (*slot, ixOp) {
		if !seen || !loaded { // (an indirect record: not the one put saw)
			return cur, ixCancel
		}
		// Just made indirect: its version is the small one (mutable,
		// and a lock-free writer may have found the slot meanwhile).
		o, q := lockCurrent(cur)
		if o.isMut() && int(o.mlen()) == vlen && !o.isCounter() {
			nv := newOverwrite(value, expires, tick)
			if cur.v.CompareAndSwap(o, nv) { // (every replacer locks o first)
				done = true
				return cur, ixCancel
			}
		}
		if o.isMut() {
			o.munlockUnchanged(q)
		}
		return cur, ixCancel
	}, value, tick, false)
	if !done {
		s.undoGrowth(grow)
		return false, false
	}
	s.doneGrowth(grow)
	s.changed(key)
	return true, false
}

// putLocked is put under the bucket lock. nv is value's version when put
// made one already, else nil: a new key with a small value then gets its
// version inside its slot (newSlotWith; mutable when slotMut), or is a
// small record (index.go) when it has no TTL and fits one.
func (s *Store) putLocked(key, value string, expires int64, nv *vhdr, newCost int64, onlyIfAbsent, slotMut bool) bool {
	// The key was absent a moment ago: reserve its whole entry.
	if !s.reserve(newCost) {
		return false
	}
	if nv == nil && expires == 0 && smallFits(len(key), len(value)) {
		return s.putSmallNew(key, value, newCost, onlyIfAbsent)
	}
	// The map keeps the key passed to Compute when it inserts, so that
	// key must be the store's own copy: the one in the new slot.
	var (
		sl     *slot
		stable string
		first  *vhdr // the version a new slot starts with
	)
	if nv == nil && inlineFits(key, value, slotMut) {
		sl, stable, first = newSlotWith(key, value, expires, s.tick.Load(), slotMut)
	} else {
		if nv == nil {
			nv = newVersion(value, expires, s.tick.Load())
		}
		sl, stable = newSlot(key)
		first = nv
	}
	var (
		old                        *vhdr
		inserted, refused, oldLive bool
	)
	s.filter.add(key) // before the slot can be seen
	s.m.Compute(stable, func(cur *slot, loaded bool) (*slot, ixOp) {
		if !loaded {
			sl.v.Store(first)
			inserted = true
			return sl, ixUpdate
		}
		if nv == nil || first == nv { // the key came meanwhile: a version of its own
			nv = newOverwrite(value, expires, s.tick.Load())
		}
		old, oldLive, refused = s.overwriteLocked(cur, nv, onlyIfAbsent)
		return cur, ixCancel
	})
	if !inserted {
		s.filter.drop(key)
	}
	switch {
	case refused:
		s.bytes.Add(-newCost)
		return false
	case inserted:
		s.keys.Add(1)
	default:
		s.bytes.Add(-cost(len(key), old))
		if !oldLive {
			s.expirations.add(key, 1)
		}
	}
	s.changed(key)
	return true
}

// overwriteLocked replaces cur's current version by nv, under the key's
// bucket lock (both locked put paths). refused: onlyIfAbsent and the key
// is live (nothing replaced); oldLive: the replaced version was live.
func (s *Store) overwriteLocked(cur *slot, nv *vhdr, onlyIfAbsent bool) (old *vhdr, oldLive, refused bool) {
	for { // under the bucket lock a slot in the map is never tomb
		o, q := lockCurrent(cur) // (a mutable one locked for good once replaced)
		oldLive = s.live(o)
		if onlyIfAbsent && oldLive {
			if o.isMut() {
				o.munlockUnchanged(q)
			}
			return nil, oldLive, true
		}
		s.demoteIf(o)
		if cur.v.CompareAndSwap(o, nv) {
			return o, oldLive, false
		}
		if o.isMut() {
			o.munlockUnchanged(q)
		}
	}
}

// putSmallNew is putLocked for a small record: inserted, or written over
// the key's record when it came meanwhile. newCost is reserved.
func (s *Store) putSmallNew(key, value string, newCost int64, onlyIfAbsent bool) bool {
	var (
		old                        *vhdr
		oldSmall                   = -1 // a small record's value length, overwritten
		inserted, refused, oldLive bool
		nv                         *vhdr
		tick                       = s.tick.Load()
	)
	s.filter.add(key) // before the record can be seen
	inserted = s.m.ComputeRec(key, func(v string, _, _ uint32) smallOp {
		if onlyIfAbsent {
			refused = true
			return smCancel
		}
		oldSmall = len(v)
		return smWrite
	}, func(cur *slot, loaded bool) (*slot, ixOp) {
		if !loaded { // (not called: the index inserts)
			return cur, ixCancel
		}
		if nv == nil {
			nv = newOverwrite(value, 0, tick)
		}
		old, oldLive, refused = s.overwriteLocked(cur, nv, onlyIfAbsent)
		return cur, ixCancel
	}, value, tick, true)
	if !inserted {
		s.filter.drop(key)
	}
	switch {
	case refused:
		s.bytes.Add(-newCost)
		return false
	case inserted:
		s.keys.Add(1)
	case oldSmall >= 0:
		s.bytes.Add(-(int64(len(key)) + int64(oldSmall) + EntryOverhead))
	default:
		s.bytes.Add(-cost(len(key), old))
		if !oldLive {
			s.expirations.add(key, 1)
		}
	}
	s.changed(key)
	return true
}

// removedSmall accounts for key's small record of vlen value bytes, just
// taken out of the map.
func (s *Store) removedSmall(key string, vlen int) {
	s.filter.drop(key)
	s.bytes.Add(-(int64(len(key)) + int64(vlen) + EntryOverhead))
	s.keys.Add(-1)
}

// removeSmall deletes key's small record if it is one (and has seq seq,
// unless seq < 0; and, when clock >= 0, access clock clock), counting the
// removal in counter; it reports whether it removed a live key. With seq
// and clock < 0 (Flush, DelPrefix: a key listed as small) it removes the
// key's record whatever it is now (it may have been made indirect since
// it was listed: it is the same key, present for the whole call).
func (s *Store) removeSmall(key string, seq, clock int64, counter *stripedCounter) bool {
	vlen := -1
	var old *vhdr
	s.m.ComputeRec(key, func(v string, q, c uint32) smallOp {
		if (seq >= 0 && int64(q) != seq) || (clock >= 0 && int64(c&^seenBit) != clock) {
			return smCancel
		}
		vlen = len(v)
		return smDelete
	}, func(cur *slot, loaded bool) (*slot, ixOp) {
		if !loaded || seq >= 0 || clock >= 0 {
			return cur, ixCancel
		}
		old = swapTomb(s, cur)
		return cur, ixDelete
	}, "", 0, false)
	live := true
	switch {
	case vlen >= 0:
		s.removedSmall(key, vlen)
	case old != nil:
		s.removed(key, old)
		live = s.live(old)
	default:
		return false
	}
	if counter != nil {
		counter.add(key, 1)
	}
	s.changed(key)
	return live
}

// Del removes key; it reports whether a live entry was there.
func (s *Store) Del(key string) bool {
	var old *vhdr
	vlen := -1
	s.m.ComputeRec(key, func(v string, _, _ uint32) smallOp {
		vlen = len(v)
		return smDelete
	}, func(cur *slot, loaded bool) (*slot, ixOp) {
		if !loaded {
			return cur, ixCancel
		}
		old = swapTomb(s, cur)
		return cur, ixDelete
	}, "", 0, false)
	if vlen >= 0 {
		s.removedSmall(key, vlen)
		s.changed(key)
		return true
	}
	if old == nil {
		return false
	}
	s.removed(key, old)
	s.changed(key)
	if !s.live(old) {
		s.expirations.add(key, 1)
		return false
	}
	return true
}

// IncrBy adds delta to the decimal integer stored at key and returns the
// new value. A missing key starts at 0 with no expiry; an existing key
// keeps its TTL. A value that is not a decimal int64 gives ErrNotInteger,
// leaving the value untouched; so does an overflow (ErrOverflow).
//
// A counter is kept as an int64 cell (Get shows its decimal text), so
// incrementing a live counter is a compare-and-swap on that cell: no lock,
// no allocation. Anything else (a new key, an expired one, a decimal
// string turned into a counter) goes through the bucket lock.
func (s *Store) IncrBy(key string, delta int64) (int64, error) {
	return s.IncrByHashed(key, keyHash(key), delta)
}

// IncrByHashed is IncrBy with the caller's hash of key (see GetTo).
func (s *Store) IncrByHashed(key string, hash uint64, delta int64) (int64, error) {
	var h *vhdr
	// The lookup cache's hit path written out (as in Peek), else find.
	e := &s.hot[hotIndex(hash)]
	if m := e.meta.Load(); m&0x1ff == uint64(len(key))<<1 && m != 0 {
		if sl := e.sl.Load(); e.meta.Load() == m && sameKey(sl, key) {
			h = sl.v.Load()
		}
	}
	if h == nil || h == tomb {
		_, h = s.find(key, hash)
	}
	if h != nil && h.isCounter() && s.live(h) {
		if n, ok := s.incrCell(h, delta); ok {
			s.changed(key)
			return n, nil
		}
	}
	return s.incrLocked(key, delta)
}

func (s *Store) incrLocked(key string, delta int64) (int64, error) {
	// Reserve the growth: a new key costs its whole entry, a string
	// turned into a counter the difference (a cell is 8 bytes).
	reserved := int64(len(key)) + 8 + EntryOverhead
	if r, ok := s.m.get(key, nil, false); ok {
		if r.small {
			reserved = max(8-int64(r.vlen), 0)
		} else if h := r.sl.v.Load(); h != tomb && s.live(h) {
			reserved = max(8-h.size(), 0)
		}
	}
	if !s.reserve(reserved) {
		return 0, ErrNoMemory
	}
	var (
		sl     *slot
		stable = key // not kept: Compute below inserts only with a slot's own key
	)
	for {
		var (
			result              int64
			err                 error
			old, nv             *vhdr
			inserted, retry     bool
			oldExpired, changed bool
		)
		if sl != nil {
			s.filter.add(key) // before the slot can be seen
		}
		s.m.Compute(stable, func(cur *slot, loaded bool) (*slot, ixOp) {
			if !loaded {
				if sl == nil {
					retry = true
					return cur, ixCancel
				}
				nv = s.newCounterVersion(key, delta, 0)
				sl.v.Store(nv)
				result, inserted = delta, true
				return sl, ixUpdate
			}
			for { // under the bucket lock a slot in the map is never tomb
				o := s.settle(cur) // a mutable value is parsed as an immutable copy
				var n, expires int64
				live := s.live(o)
				counter := live && o.isCounter()
				if counter {
					if r, ok := s.incrCell(o, delta); ok {
						result = r
						return cur, ixCancel
					}
					// Frozen (a writer is replacing it) or the result
					// leaves the counter range: carry on from its value,
					// frozen so that no increment is lost.
					n, expires = s.freeze(o), o.deadline()
				} else if live {
					v, perr := parseInt(o.str())
					if perr != nil {
						err = ErrNotInteger
						return cur, ixCancel
					}
					n, expires = v, o.deadline()
				}
				r, overflow := n+delta, overflows(n, delta)
				if overflow {
					if !counter {
						err = ErrOverflow
						return cur, ixCancel
					}
					r = n // the frozen counter is replaced by its value
				}
				s.demoteIf(o)
				c := s.newCounterVersion(key, r, expires)
				if cur.v.CompareAndSwap(o, c) {
					old, nv, result = o, c, r
					oldExpired, changed = !live, true
					if overflow {
						err = ErrOverflow
					}
					return cur, ixCancel
				}
				s.demoteIf(c) // never current: free its entry
			}
		})
		if sl != nil && !inserted {
			s.filter.drop(key)
		}
		if retry {
			sl, stable = newSlot(key)
			continue
		}
		if err != nil {
			s.bytes.Add(-reserved)
			return 0, err
		}
		var change int64
		switch {
		case inserted:
			s.keys.Add(1)
			change = cost(len(key), nv)
		case changed:
			change = cost(len(key), nv) - cost(len(key), old)
			if oldExpired {
				s.expirations.add(key, 1)
			}
		}
		s.bytes.Add(change - reserved)
		s.changed(key)
		return result, nil
	}
}

// parseInt is strict: an optional '-', then digits; no '+', spaces or
// other decoration (as Redis).
func parseInt(v string) (int64, error) {
	if v == "" || v[0] == '+' || len(v) > 20 {
		return 0, ErrNotInteger
	}
	if len(v) > 1 && (v[0] == '0' || (v[0] == '-' && v[1] == '0')) {
		return 0, ErrNotInteger
	}
	return strconv.ParseInt(v, 10, 64)
}

// Expire sets a live key's TTL; ttl <= 0 returns false and changes nothing.
// It changes the current version's expiry in place, under the bucket
// lock (see slot.go for why that is safe).
func (s *Store) Expire(key string, ttl time.Duration) bool {
	if ttl <= 0 {
		return false
	}
	return s.expireAt(key, s.deadline(ttl))
}

// ExpireSeconds is Expire with the TTL in seconds, which may be longer
// than a Duration holds (PHP's ephpm_kv_expire): exact to the ms past the
// year 2262 (deadline.go).
func (s *Store) ExpireSeconds(key string, sec int64) bool {
	if sec <= 0 {
		return false
	}
	return s.expireAt(key, s.deadlineSec(sec))
}

// expireAt is Expire to deadline expires (not 0).
func (s *Store) expireAt(key string, expires int64) bool {
	done := false
	s.m.Compute(key, func(cur *slot, loaded bool) (*slot, ixOp) {
		if loaded {
			if o := cur.v.Load(); s.live(o) {
				if o.isPromoted() { // promoted counters have no TTL
					c := newCounter(s.freeze(o), expires, s.tick.Load())
					cur.v.CompareAndSwap(o, c) // cannot fail under the lock
				} else {
					// C compares the published copy's own deadline:
					// retire it first (a later read publishes again).
					s.demoteIf(o)
					atomic.StoreInt64(&o.expires, expires)
				}
				done = true
			}
		}
		return cur, ixCancel
	})
	if done {
		s.changed(key)
	}
	return done
}

// TTL is the seconds left, rounded up; -1 without expiry; -2 if missing.
func (s *Store) TTL(key string) int64 {
	ms := s.PTTL(key)
	if ms < 0 {
		return ms
	}
	return (ms + 999) / 1000
}

// PTTL is the milliseconds left, rounded up; -1 / -2 as TTL.
func (s *Store) PTTL(key string) int64 {
	h, r, ok := s.lookup(key, keyHash(key), nil, false)
	if !ok {
		return -2
	}
	if r.small {
		return -1
	}
	e := h.deadline()
	if e == 0 {
		return -1
	}
	return msLeft(e, s.now())
}

// DelIfEquals deletes key only if its live value equals expected
// (atomic compare-and-delete, e.g. releasing a lock only for its owner).
func (s *Store) DelIfEquals(key, expected string) bool {
	var old *vhdr
	var scratch [20]byte
	vlen := -1
	s.m.ComputeRec(key, func(v string, _, _ uint32) smallOp {
		if v != expected {
			return smCancel
		}
		vlen = len(v)
		return smDelete
	}, func(cur *slot, loaded bool) (*slot, ixOp) {
		if !loaded {
			return cur, ixCancel
		}
		for {
			o := s.settle(cur) // a mutable value is compared as an immutable copy
			if !s.live(o) {
				return cur, ixCancel
			}
			if o.isCounter() {
				// Compare and freeze in one step (the word compared is
				// the word frozen), so no increment slips in between.
				w, gen := s.cellOf(o)
				x := w.Load()
				if wordGen(x) != gen || string(strconv.AppendInt(scratch[:0], x>>cValShift, 10)) != expected {
					return cur, ixCancel
				}
				if x&3 == cStateLive && !w.CompareAndSwap(x, x&^3) {
					continue
				}
			} else if o.str() != expected {
				return cur, ixCancel
			} else {
				s.demoteIf(o) // a published value (publish.go)
			}
			if cur.v.CompareAndSwap(o, tomb) {
				old = o
				return cur, ixDelete
			}
		}
	}, "", 0, false)
	if vlen >= 0 {
		s.removedSmall(key, vlen)
		s.changed(key)
		return true
	}
	if old == nil {
		return false
	}
	s.removed(key, old)
	s.changed(key)
	return true
}

// removed accounts for key's version old, just taken out of the map.
func (s *Store) removed(key string, old *vhdr) {
	s.filter.drop(key)
	s.bytes.Add(-cost(len(key), old))
	s.keys.Add(-1)
}

// DelPrefix removes every key starting with prefix; it returns how many
// live keys it removed.
func (s *Store) DelPrefix(prefix string) int {
	n := 0
	s.m.Range(func(key string, sl *slot) bool {
		if strings.HasPrefix(key, prefix) {
			if sl == nil {
				if s.removeSmall(key, -1, -1, nil) {
					n++
				}
			} else if old := s.remove(key, sl, nil, false, nil); old != nil && s.live(old) {
				n++
			}
		}
		return true
	})
	return n
}

// Flush removes every key.
func (s *Store) Flush() {
	s.m.Range(func(key string, sl *slot) bool {
		if sl == nil {
			s.removeSmall(key, -1, -1, nil)
		} else {
			s.remove(key, sl, nil, false, nil)
		}
		return true
	})
	s.dropRandomPool() // its candidates would keep the removed slots alive
}

// SweepExpired removes every expired key now (the background sweeper
// calls it each interval) and returns how many it removed.
func (s *Store) SweepExpired() int {
	// A store that never held a key with a TTL has nothing to expire: a
	// walk over all its keys (a million cache misses a second for a
	// million keys) would only compete with the requests for the CPU and
	// the caches.
	if !s.hadTTL.Load() {
		return 0
	}
	n := 0
	now := s.now()
	s.m.Range(func(key string, sl *slot) bool {
		if sl == nil { // a small record has no TTL
			return true
		}
		if h := sl.v.Load(); h != tomb && expiredAt(h, now) && s.remove(key, sl, h, true, &s.expirations) != nil {
			n++
		}
		return true
	})
	return n
}

// noteTTL records that a deadline is about to be given to a version (before
// it can be seen), for SweepExpired. Never cleared: exact, and a store
// that uses TTLs once keeps sweeping, as before.
func (s *Store) noteTTL() {
	if !s.hadTTL.Load() {
		s.hadTTL.Store(true)
	}
}

// Stats returns the counters.
func (s *Store) Stats() Stats {
	var extHits, extMisses int64
	if f := s.extCounts.Load(); f != nil {
		extHits, extMisses = (*f)()
	}
	return Stats{
		Hits:        s.hits.sum() + extHits,
		Misses:      s.misses.sum() + extMisses,
		Keys:        s.keys.Load(),
		Bytes:       s.bytes.Load(),
		Evictions:   s.evictions.sum(),
		Expirations: s.expirations.sum(),
	}
}

// Len is the number of entries, expired ones not yet reclaimed included.
func (s *Store) Len() int { return s.m.Size() }
