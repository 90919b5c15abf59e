package kv

import (
	"math/rand/v2"
	"sort"
	"strings"
	"sync/atomic"
	"unsafe"
)

// Eviction: when a write would pass the memory limit, entries are evicted
// until it fits. Candidates come from a pool refilled by one pass over the
// map that reservoir-samples entries (only those with a TTL for
// volatile-lru); for the LRU policies the pool holds the least recently
// used part of the sample, oldest first. A write under pressure therefore
// costs O(1) amortized, never a scan per write.

const (
	sampleSize = 2048 // entries sampled per refill
	poolKeep   = 512  // candidates kept per refill
)

type candidate struct {
	key   string
	sl    *slot // nil: a small record (index.go), of seq seq
	v     *vhdr
	clock uint32
	seq   uint32
}

// reserve adds n bytes to the accounted total if the limit allows,
// evicting as the policy says. Because the total is reserved before the
// write, concurrent writers cannot overshoot the limit.
func (s *Store) reserve(n int64) bool {
	if s.limit == 0 || n <= 0 {
		if n != 0 { // (an overwrite of the same size: no locked add)
			s.bytes.Add(n)
		}
		return true
	}
	if n > s.limit {
		return false
	}
	for {
		cur := s.bytes.Load()
		if cur+n <= s.limit {
			if s.bytes.CompareAndSwap(cur, cur+n) {
				return true
			}
			continue
		}
		if s.policy == NoEviction || !s.evictOne() {
			return false
		}
	}
}

// reserveGrowth is reserve for a write that may lose a race and undo:
// only growth is reserved now (a shrink is applied by doneGrowth once the
// write is done), so an undo never adds bytes back past the limit that
// other writers may have taken meanwhile. undoGrowth undoes it.
func (s *Store) reserveGrowth(grow int64) bool { return s.reserve(max(grow, 0)) }

func (s *Store) doneGrowth(grow int64) {
	if grow < 0 {
		s.bytes.Add(grow)
	}
}

func (s *Store) undoGrowth(grow int64) {
	if grow > 0 {
		s.bytes.Add(-grow)
	}
}

// evictOne removes one entry chosen by the policy; false if none can go.
func (s *Store) evictOne() bool {
	s.evictMu.Lock()
	defer s.evictMu.Unlock()
	for attempt := 0; attempt < 2; attempt++ {
		for len(s.pool) > 0 {
			c := s.pool[0]
			s.pool = s.pool[1:]
			if c.sl == nil {
				// Removed only while unchanged (same seq) and, on the
				// first attempt with LRU, not read since (same clock).
				clock := int64(-1)
				if attempt == 0 && s.policy != AllKeysRandom {
					clock = int64(c.clock)
				}
				if s.removeSmall(c.key, int64(c.seq), clock, &s.evictions) {
					return true
				}
				continue
			}
			// Skip a candidate replaced since it was sampled, or (LRU)
			// read since.
			if c.sl.v.Load() != c.v {
				continue
			}
			if attempt == 0 && s.policy != AllKeysRandom && s.clockOf(c.v) != c.clock {
				continue
			}
			if s.remove(c.key, c.sl, c.v, false, &s.evictions) != nil {
				return true
			}
		}
		s.refill()
	}
	return false
}

func (s *Store) refill() {
	sample := make([]candidate, 0, sampleSize)
	seen := 0
	now := s.now()
	s.m.RangeRec(func(key string, sl *slot, seq, clock uint32) bool {
		if sl == nil { // a small record: no TTL
			if s.policy == VolatileLRU {
				return true
			}
			c := candidate{key: strings.Clone(key), clock: clock &^ seenBit, seq: seq}
			seen++
			if len(sample) < sampleSize {
				sample = append(sample, c)
			} else if j := rand.IntN(seen); j < sampleSize {
				sample[j] = c
			}
			return true
		}
		v := sl.v.Load()
		if v == tomb || (s.policy == VolatileLRU && v.deadline() == 0) {
			return true
		}
		c := candidate{key: key, sl: sl, v: v, clock: s.clockOf(v)}
		if expiredAt(v, now) {
			c.clock = 0 // expired entries go first
		}
		seen++
		if len(sample) < sampleSize {
			sample = append(sample, c)
		} else if j := rand.IntN(seen); j < sampleSize {
			sample[j] = c
		}
		return true
	})
	if s.policy == AllKeysRandom {
		rand.Shuffle(len(sample), func(i, j int) { sample[i], sample[j] = sample[j], sample[i] })
	} else {
		sort.Slice(sample, func(i, j int) bool { return sample[i].clock < sample[j].clock })
	}
	if len(sample) > poolKeep {
		sample = sample[:poolKeep]
	}
	s.pool = sample
}

// stripedCounter is a counter spread over cache lines, picked by a cheap
// hash of the key's address, so threads hitting different keys do not
// contend on one word.
type stripedCounter struct {
	stripes [16]struct {
		n atomic.Int64
		_ [56]byte
	}
}

func (c *stripedCounter) add(key string, d int64) {
	i := 0
	if len(key) > 0 {
		p := uintptr(unsafe.Pointer(unsafe.StringData(key)))
		i = int((p>>4)^(p>>10)) & 15
	}
	c.stripes[i].n.Add(d)
}

func (c *stripedCounter) sum() int64 {
	var n int64
	for i := range c.stripes {
		n += c.stripes[i].n.Load()
	}
	return n
}
