package kv

import (
	"math/rand/v2"
	"strings"
	"sync"
)

// Range calls fn for each live key with its expiry (unix nanoseconds on
// Now's clock, 0 = none) until fn returns false. It is weakly
// consistent: a key live for the whole call is seen exactly once; one
// written, deleted or expiring meanwhile may or may not be. It holds no
// lock while fn runs, so fn may call the store.
func (s *Store) Range(fn func(key string, expiresAt int64) bool) {
	s.m.Range(func(key string, sl *slot) bool {
		if sl == nil {
			return fn(key, 0) // a small record (index.go): no TTL
		}
		h := sl.v.Load()
		if h == tomb || !s.live(h) {
			return true
		}
		return fn(key, h.deadline())
	})
}

// RandomKey returns a live key picked at random, false when there is none.
//
// The map offers no random access, so keys come from a pool: a uniform
// sample (reservoir sampling over one pass) of about 1/32 of the keys
// (64 .. 65536), shuffled, handed out one per call and checked live
// then. A pass over n keys thus serves n/32 calls: O(1) amortized, about
// 32 entries visited per call. A pool older than randomPoolMaxAge (store
// clock) is refilled, so new keys get their chance.
func (s *Store) RandomKey() (string, bool) {
	p := &s.randomPool
	p.mu.Lock()
	defer p.mu.Unlock()
	refilled := false
	for {
		if len(p.cands) == 0 || (!refilled && s.now()-p.filledAt > randomPoolMaxAge) {
			if refilled {
				return "", false // one fresh pass found no live key
			}
			s.refillRandom(p)
			refilled = true
			continue
		}
		c := p.cands[len(p.cands)-1]
		p.cands[len(p.cands)-1] = candidate{}
		p.cands = p.cands[:len(p.cands)-1]
		if c.sl == nil {
			if _, _, ok := s.lookup(c.key, keyHash(c.key), nil, false); ok {
				return c.key, true
			}
		} else if h := c.sl.v.Load(); h != tomb && s.live(h) {
			return c.key, true
		}
	}
}

const randomPoolMaxAge = 5e9 // 5 s

type randomPool struct {
	mu       sync.Mutex
	cands    []candidate
	filledAt int64
}

func (s *Store) refillRandom(p *randomPool) {
	k := int(min(max(s.keys.Load()/32, 64), 1<<16))
	sample := p.cands[:0]
	if cap(sample) > 4*k { // the store shrank: let the old array go
		sample = nil
	}
	seen := 0
	s.m.Range(func(key string, sl *slot) bool {
		if sl != nil {
			if h := sl.v.Load(); h == tomb || !s.live(h) {
				return true
			}
		} else {
		}
		seen++
		c := candidate{key: key, sl: sl}
		if sl == nil {
			c.key = strings.Clone(key) // (not a view of the line: see index.Range)
		}
		if len(sample) < k {
			sample = append(sample, c)
		} else if j := rand.IntN(seen); j < k {
			sample[j] = c
		}
		return true
	})
	rand.Shuffle(len(sample), func(i, j int) { sample[i], sample[j] = sample[j], sample[i] })
	p.cands = sample
	p.filledAt = s.now()
}

func (s *Store) dropRandomPool() {
	p := &s.randomPool
	p.mu.Lock()
	p.cands = nil
	p.mu.Unlock()
}
