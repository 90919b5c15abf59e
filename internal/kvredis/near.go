package kvredis

import (
	"hash/maphash"
	"strings"
	"sync/atomic"
	"time"

	"github.com/puzpuzpuz/xsync/v4"

	"github.com/ephpm/ephpm/internal/kv"
)

// nearCache answers a hot ephpm_kv_get without calling rueidis: a lookup
// in a concurrent map and a clock read (tens of ns), where rueidis's
// DoCache, even on a hit, needs the call's context with its timer (about
// 600 ns and five allocations, most of the cost). It holds only what
// rueidis's client cache returned (a value, or the absence of the key,
// with the expiry rueidis computed from the key's PTTL), so Redis tracks
// every key in it: rueidis's own cache may evict a key while we keep it,
// but Redis still sends the key's invalidation (it knows nothing of the
// client's evictions) and rueidis passes every invalidation on.
//
// Invariant: once an invalidation of a key (or a reset: all=true) has been
// delivered, no entry filled from an answer obtained before it is served.
// Invalidations delete the entry and bump the key's stripe counter (a
// reset bumps epoch); a fill stores only if neither moved between before
// its DoCache and after, and checks again after storing (undoing the store
// if one moved meanwhile), so a fill racing an invalidation never outlives
// it.
type nearCache struct {
	m       *xsync.Map[string, *nearEntry]
	start   time.Time // expiries are kept on the monotonic clock since start
	seed    maphash.Seed
	stripes [nearStripes]atomic.Uint64
	epoch   atomic.Uint64
	prefix  string // the store's KeyPrefix: map keys are without it

	size     atomic.Int64 // bytes of the entries (approximate)
	budget   int64
	evicting atomic.Bool

	// pub, once set (near_pub.go), mirrors the entries of keys Redis has
	// into an in-process store that publishes hot ones for PHP's C code,
	// which then answers them without calling Go. dirty reports keys the
	// direct path is writing (dirty.go), which must not be mirrored.
	pub   atomic.Pointer[kv.Store]
	dirty func(key string) bool
}

// nearStripes spreads invalidations of unrelated keys over counters, so
// that a stream of writes to a few hot keys does not keep others from
// being filled.
const nearStripes = 256

// nearEntryOverhead approximates the bytes of an entry beyond key and
// value (entry struct, map slot, string headers).
const nearEntryOverhead = 96

type nearEntry struct {
	val   string
	found bool // false: Redis has no such key (a cached miss)
	// expires is when the key expires on Redis, in ns since the cache's
	// start on the monotonic clock (immune to steps of the wall clock);
	// 0 when the key has no TTL: then only an invalidation ends the
	// entry, and a hit reads no clock at all.
	expires int64
	size    int64
}

func newNearCache(prefix string, budget int64) *nearCache {
	return &nearCache{
		m:      xsync.NewMap[string, *nearEntry](),
		start:  time.Now(),
		seed:   maphash.MakeSeed(),
		prefix: prefix,
		budget: budget,
	}
}

// lookup returns key's value (found=false: a cached miss) if its entry
// is live. Only an entry with an expiry reads the clock (the monotonic
// one: cheaper than time.Now). With the mirror on, a hit on a key Redis
// has also reads the mirror: its reads are what publishes it
// (kv.Store.Peek); the answer stays the entry's. (Not for cached misses,
// which are never mirrored: a lookup there first cost them 20 ns.)
func (n *nearCache) lookup(key string) (val string, found, ok bool) {
	e, hit := n.entry(key)
	if !hit {
		return "", false, false
	}
	if e.found {
		if p := n.pub.Load(); p != nil {
			p.Peek(key, kv.FilterHash(key), nil)
		}
	}
	return e.val, e.found, true
}

// entry returns key's map entry if it is live.
func (n *nearCache) entry(key string) (*nearEntry, bool) {
	e, ok := n.m.Load(key)
	if !ok || (e.expires != 0 && int64(time.Since(n.start)) >= e.expires) {
		return nil, false
	}
	return e, true
}

// fillToken is what a fill saw before asking rueidis.
type fillToken struct {
	stripe *atomic.Uint64
	s, e   uint64
}

// begin is called before a fill's DoCache.
func (n *nearCache) begin(key string) fillToken {
	st := &n.stripes[maphash.String(n.seed, key)%nearStripes]
	return fillToken{stripe: st, e: n.epoch.Load(), s: st.Load()}
}

func (t fillToken) unchanged(n *nearCache) bool {
	return t.stripe.Load() == t.s && n.epoch.Load() == t.e
}

// fill stores rueidis's answer for key unless an invalidation that could
// concern it came since begin. pxat is rueidis's expiry of its cached
// copy (unix ms): the key's expiry on Redis, or, for a key without one,
// the far-off client TTL (cacheTTL) from about nowMs.
func (n *nearCache) fill(key string, t fillToken, val string, found bool, pxat, nowMs int64) {
	size := int64(len(key)+len(val)) + nearEntryOverhead
	if size > n.budget/16 || !t.unchanged(n) || pxat <= nowMs {
		return
	}
	if p := n.pub.Load(); p != nil && !found {
		p.Del(key) // a mirrored value never outlives its entry
	}
	e := &nearEntry{val: val, found: found, size: size}
	if pxat < nowMs+cacheTTL.Milliseconds()/2 {
		e.expires = int64(time.Since(n.start)) + (pxat-nowMs)*int64(time.Millisecond)
	}
	if old, loaded := n.m.LoadAndStore(key, e); loaded {
		n.size.Add(size - old.size)
	} else {
		n.size.Add(size)
	}
	if !t.unchanged(n) {
		// An invalidation ran between the check and the store and may
		// have deleted before we stored: undo (at worst a newer fill's
		// entry goes too, which only costs a miss).
		n.remove(key)
	} else if found {
		n.mirror(key, t, val, pxat)
	}
	if n.size.Load() > n.budget {
		n.evict()
	}
}

// remove deletes key's entry: its mirror (and so its published copy)
// first.
func (n *nearCache) remove(key string) {
	if p := n.pub.Load(); p != nil {
		p.Del(key)
	}
	if old, ok := n.m.LoadAndDelete(key); ok {
		n.size.Add(-old.size)
	}
}

// invalidate is the invalidation listener: keys are Redis keys (with the
// prefix); all means everything is suspect.
func (n *nearCache) invalidate(keys []string, all bool) {
	if all {
		n.epoch.Add(1)
		if p := n.pub.Load(); p != nil {
			p.Flush() // also what a racing fill mirrored after its map entry went
		}
		n.deleteWhile(func() bool { return true })
		return
	}
	for _, k := range keys {
		if !strings.HasPrefix(k, n.prefix) {
			continue // not one of ours: we never cached it
		}
		k = k[len(n.prefix):]
		// Bump first, then delete: a fill that stored after our bump sees
		// the bump on its second check and undoes its store.
		n.stripes[maphash.String(n.seed, k)%nearStripes].Add(1)
		n.remove(k)
	}
}

// evict drops entries until the cache is 7/8 of its budget; one evictor
// at a time. The order is the map's, close to random, which is enough
// for a cache that Redis keeps correct: a dropped hot key is refilled by
// its next read from rueidis's cache.
func (n *nearCache) evict() {
	if !n.evicting.CompareAndSwap(false, true) {
		return
	}
	defer n.evicting.Store(false)
	target := n.budget - n.budget/8
	n.deleteWhile(func() bool { return n.size.Load() > target })
}

// deleteWhile deletes entries while more() holds, each one's mirror
// first.
func (n *nearCache) deleteWhile(more func() bool) {
	p := n.pub.Load()
	n.m.DeleteMatching(func(k string, e *nearEntry) (bool, bool) {
		if !more() {
			return false, true
		}
		if p != nil && e.found {
			p.Del(k)
		}
		n.size.Add(-e.size)
		return true, false
	})
}
