// Package kv is ephpm's built-in key-value store: a concurrent map of
// binary-safe keys to values with TTLs, atomic counters, compare-and-delete
// and a memory limit with eviction. One Store serves every PHP thread of a
// server process. Pure Go, usable on its own.
//
// Reads take no lock: a lookup is one xsync.Map load, plus an atomic store
// of a coarse access clock when it changed (for LRU eviction).
package kv

import (
	"errors"
	"fmt"
	"math"
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
// as counted against the memory limit: the map entry (48 bytes: key and
// value headers, expiry), the map bucket slot (about 32), and the 4-byte
// access clock with allocation rounding (16).
const EntryOverhead = 96

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
}

// Stats are the store's counters.
type Stats struct {
	Hits, Misses, Keys, Bytes, Evictions, Expirations int64
}

// item is the map value. data holds, in one allocation, a 4-byte access
// clock, the key and the value; the map key is a substring of it, so a
// key costs no allocation of its own.
type item struct {
	data    string
	expires int64 // unix nanos; 0 = no expiry
}

const header = 4 // bytes of access clock at the front of data

func (it item) value(klen int) string { return it.data[header+klen:] }

func (it item) cost() int64 { return int64(len(it.data)-header) + EntryOverhead }

// sameAlloc reports whether a and b are the same stored version.
func sameAlloc(a, b item) bool {
	return unsafe.StringData(a.data) == unsafe.StringData(b.data) && a.expires == b.expires
}

// clock is the access clock word of it.
func (it item) clock() *uint32 { return (*uint32)(unsafe.Pointer(unsafe.StringData(it.data))) }

// Store is the key-value store. Safe for concurrent use.
type Store struct {
	m      *xsync.Map[string, item]
	limit  int64
	policy Policy
	now    func() int64
	epoch  int64

	tick  atomic.Uint32 // coarse access clock, in 100 ms steps since epoch
	bytes atomic.Int64
	keys  atomic.Int64

	hits, misses, evictions, expirations stripedCounter

	evictMu sync.Mutex
	pool    []candidate

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
		m:      xsync.NewMap[string, item](),
		limit:  opts.MemoryLimit,
		policy: opts.Policy,
		now:    now,
		epoch:  now(),
		stop:   make(chan struct{}),
	}
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
	for {
		select {
		case <-s.stop:
			return
		case <-clock.C:
			s.updateTick()
		case <-sweep.C:
			s.updateTick()
			s.SweepExpired()
		}
	}
}

func (s *Store) updateTick() {
	t := (s.now() - s.epoch) / int64(100*time.Millisecond)
	if t < 1 {
		t = 1
	}
	s.tick.Store(uint32(min(t, math.MaxUint32)))
}

// touch records an access for LRU; a store only when the clock moved, so
// hot keys read by many threads do not bounce a cache line.
func (s *Store) touch(it item) {
	t := s.tick.Load()
	if p := it.clock(); atomic.LoadUint32(p) != t {
		atomic.StoreUint32(p, t)
	}
}

func (s *Store) expired(it item, now int64) bool {
	return it.expires != 0 && now >= it.expires
}

// isExpired reads the clock only for entries that have a TTL: the clock
// is a system call on some machines, and most entries have none.
func (s *Store) isExpired(it item) bool {
	return it.expires != 0 && s.now() >= it.expires
}

func (s *Store) newItem(key, value string, expires int64) item {
	b := make([]byte, header+len(key)+len(value))
	*(*uint32)(unsafe.Pointer(&b[0])) = s.tick.Load()
	copy(b[header:], key)
	copy(b[header+len(key):], value)
	return item{data: unsafe.String(&b[0], len(b)), expires: expires}
}

func keyOf(it item, klen int) string { return it.data[header : header+klen] }

func (s *Store) deadline(ttl time.Duration) int64 {
	if ttl <= 0 {
		return 0
	}
	return s.now() + int64(ttl)
}

// lookup returns the live item for key, dropping it if it expired.
func (s *Store) lookup(key string) (item, bool) {
	it, ok := s.m.Load(key)
	if !ok {
		return item{}, false
	}
	if it.expires != 0 && s.now() >= it.expires {
		s.removeIf(key, it, &s.expirations)
		return item{}, false
	}
	return it, true
}

// removeIf deletes key if it still holds exactly version it, and counts
// the removal in counter.
func (s *Store) removeIf(key string, it item, counter *stripedCounter) bool {
	removed := false
	s.m.Compute(key, func(cur item, loaded bool) (item, xsync.ComputeOp) {
		if loaded && sameAlloc(cur, it) {
			removed = true
			return cur, xsync.DeleteOp
		}
		return cur, xsync.CancelOp
	})
	if removed {
		s.bytes.Add(-it.cost())
		s.keys.Add(-1)
		if counter != nil {
			counter.add(key, 1)
		}
	}
	return removed
}

// Get returns the value of a live key. The returned string is the store's
// own immutable copy: no copy is made, and key is not retained, so a view
// of foreign memory (unsafe.String over a C buffer) is fine.
func (s *Store) Get(key string) (string, bool) {
	it, ok := s.lookup(key)
	if !ok {
		s.misses.add(key, 1)
		return "", false
	}
	s.touch(it)
	s.hits.add(key, 1)
	return it.value(len(key)), true
}

// Exists reports whether key is live. It counts neither a hit nor a miss.
func (s *Store) Exists(key string) bool {
	_, ok := s.lookup(key)
	return ok
}

// Set stores value under key with ttl (<= 0: no expiry), replacing value
// and TTL. Key and value are copied. It returns false only when the memory
// limit refuses the write (noeviction), leaving the old value in place.
func (s *Store) Set(key, value string, ttl time.Duration) bool {
	return s.put(key, value, s.deadline(ttl), false)
}

// SetNX stores value only if key has no live entry. Of many concurrent
// callers exactly one wins.
func (s *Store) SetNX(key, value string, ttl time.Duration) bool {
	return s.put(key, value, s.deadline(ttl), true)
}

func (s *Store) put(key, value string, expires int64, onlyIfAbsent bool) bool {
	newCost := int64(len(key)+len(value)) + EntryOverhead
	// Reserve the growth first, so the limit holds under concurrency;
	// estimate it from the current entry, correct after the write.
	var oldCost int64
	if old, ok := s.m.Load(key); ok {
		if onlyIfAbsent && !s.isExpired(old) {
			return false
		}
		oldCost = old.cost()
	}
	reserved := max(newCost-oldCost, 0)
	if !s.reserve(reserved) {
		return false
	}
	it := s.newItem(key, value, expires)
	var (
		old      item
		loaded   bool
		inserted bool
	)
	s.m.Compute(keyOf(it, len(key)), func(cur item, ok bool) (item, xsync.ComputeOp) {
		old, loaded = cur, ok
		if ok && onlyIfAbsent && !s.isExpired(cur) {
			return cur, xsync.CancelOp
		}
		inserted = true
		return it, xsync.UpdateOp
	})
	if !inserted {
		s.bytes.Add(-reserved)
		return false
	}
	delta := newCost - reserved
	if loaded {
		delta -= old.cost()
		if s.isExpired(old) {
			s.expirations.add(key, 1)
		}
	} else {
		s.keys.Add(1)
	}
	s.bytes.Add(delta)
	return true
}

// Del removes key; it reports whether a live entry was there.
func (s *Store) Del(key string) bool {
	var old item
	var loaded bool
	s.m.Compute(key, func(cur item, ok bool) (item, xsync.ComputeOp) {
		old, loaded = cur, ok
		if !ok {
			return cur, xsync.CancelOp
		}
		return cur, xsync.DeleteOp
	})
	if !loaded {
		return false
	}
	s.bytes.Add(-old.cost())
	s.keys.Add(-1)
	if s.isExpired(old) {
		s.expirations.add(key, 1)
		return false
	}
	return true
}

// IncrBy adds delta to the decimal integer stored at key and returns the
// new value. A missing key starts at 0 with no expiry; an existing key
// keeps its TTL. A value that is not a decimal int64 gives ErrNotInteger,
// leaving the value untouched; so does an overflow (ErrOverflow).
func (s *Store) IncrBy(key string, delta int64) (int64, error) {
	// At most 20 digits and a sign; a new key also costs its entry.
	reserved := int64(21)
	if old, ok := s.m.Load(key); !ok || s.isExpired(old) {
		reserved += int64(len(key)) + EntryOverhead
	}
	if !s.reserve(reserved) {
		return 0, ErrNoMemory
	}
	// The map keeps the key passed to Compute, so it must be ours, not
	// the caller's: allocate the new entry's memory first (room for the
	// longest int64) and compute on the key inside it.
	buf := make([]byte, header+len(key)+20)
	*(*uint32)(unsafe.Pointer(&buf[0])) = s.tick.Load()
	copy(buf[header:], key)
	stable := unsafe.String(&buf[header], len(key))
	var (
		result  int64
		err     error
		old     item
		loaded  bool
		written item
	)
	s.m.Compute(stable, func(cur item, ok bool) (item, xsync.ComputeOp) {
		old, loaded, err = cur, ok, nil
		var n, expires int64
		if ok && !s.isExpired(cur) {
			v, perr := parseInt(cur.value(len(key)))
			if perr != nil {
				err = ErrNotInteger
				return cur, xsync.CancelOp
			}
			n, expires = v, cur.expires
		}
		if (delta > 0 && n > math.MaxInt64-delta) || (delta < 0 && n < math.MinInt64-delta) {
			err = ErrOverflow
			return cur, xsync.CancelOp
		}
		r := n + delta
		digits := strconv.AppendInt(buf[:header+len(key)], r, 10)
		written = item{data: unsafe.String(&buf[0], len(digits)), expires: expires}
		result = r
		return written, xsync.UpdateOp
	})
	if err != nil {
		s.bytes.Add(-reserved)
		return 0, err
	}
	change := written.cost()
	if loaded {
		change -= old.cost()
		if s.isExpired(old) {
			s.expirations.add(key, 1)
		}
	} else {
		s.keys.Add(1)
	}
	s.bytes.Add(change - reserved)
	return result, nil
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
func (s *Store) Expire(key string, ttl time.Duration) bool {
	if ttl <= 0 {
		return false
	}
	expires := s.now() + int64(ttl)
	for {
		cur, ok := s.lookup(key)
		if !ok {
			return false
		}
		// A new version with its own memory: the map keeps the key
		// passed to Compute, which must not be the caller's.
		next := s.newItem(key, cur.value(len(key)), expires)
		done, changed := false, false
		s.m.Compute(keyOf(next, len(key)), func(now item, ok bool) (item, xsync.ComputeOp) {
			if !ok || !sameAlloc(now, cur) {
				changed = true
				return now, xsync.CancelOp
			}
			done = true
			return next, xsync.UpdateOp
		})
		if done {
			return true
		}
		if !changed {
			return false
		}
	}
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
	it, ok := s.lookup(key)
	if !ok {
		return -2
	}
	if it.expires == 0 {
		return -1
	}
	left := it.expires - s.now()
	return (left + int64(time.Millisecond) - 1) / int64(time.Millisecond)
}

// DelIfEquals deletes key only if its live value equals expected
// (atomic compare-and-delete, e.g. releasing a lock only for its owner).
func (s *Store) DelIfEquals(key, expected string) bool {
	var old item
	deleted := false
	s.m.Compute(key, func(cur item, ok bool) (item, xsync.ComputeOp) {
		if !ok || s.isExpired(cur) || cur.value(len(key)) != expected {
			return cur, xsync.CancelOp
		}
		old, deleted = cur, true
		return cur, xsync.DeleteOp
	})
	if deleted {
		s.bytes.Add(-old.cost())
		s.keys.Add(-1)
	}
	return deleted
}

// DelPrefix removes every key starting with prefix; it returns how many
// live keys it removed.
func (s *Store) DelPrefix(prefix string) int {
	n := 0
	now := s.now()
	s.m.Range(func(key string, it item) bool {
		if strings.HasPrefix(key, prefix) {
			live := !s.expired(it, now)
			if s.removeIf(key, it, nil) && live {
				n++
			}
		}
		return true
	})
	return n
}

// Flush removes every key.
func (s *Store) Flush() {
	s.m.Range(func(key string, it item) bool {
		s.removeIf(key, it, nil)
		return true
	})
}

// SweepExpired removes every expired key now (the background sweeper
// calls it each interval) and returns how many it removed.
func (s *Store) SweepExpired() int {
	n := 0
	now := s.now()
	s.m.Range(func(key string, it item) bool {
		if s.expired(it, now) && s.removeIf(key, it, &s.expirations) {
			n++
		}
		return true
	})
	return n
}

// Stats returns the counters.
func (s *Store) Stats() Stats {
	return Stats{
		Hits:        s.hits.sum(),
		Misses:      s.misses.sum(),
		Keys:        s.keys.Load(),
		Bytes:       s.bytes.Load(),
		Evictions:   s.evictions.sum(),
		Expirations: s.expirations.sum(),
	}
}

// Len is the number of entries, expired ones not yet reclaimed included.
func (s *Store) Len() int { return s.m.Size() }
