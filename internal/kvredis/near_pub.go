package kvredis

import (
	"time"
	"unsafe"

	"github.com/ephpm/ephpm/internal/kv"
)

// Published near-cache hits. With the memory backend, PHP's C code answers
// a hit on a hot key from the store's published table (kv/publish.go)
// without a call into Go; here the near cache mirrors each entry of a key
// Redis has (not the cached misses, which stay Go-only: a near-cache miss
// is not a Redis miss) into a kv.Store of its own with publishing on, and
// phpembed hands C that store's table, and only it: never the store's
// presence filter or counter table (counters never trust the client
// cache).
//
// Why C then never serves what the near cache would not:
//   - The mirror holds a key only between a fill that passed every check
//     and the removal of its entry. Every removal — an invalidation from
//     Redis, a reset (reconnect, Close), the direct path's dirty mark
//     (dirty.go, before the write is sent), the fill's own undo, eviction
//     — deletes the mirrored key (kv.Store.Del / Flush, which retire the
//     published copy under the key's lock before they return) before the
//     entry itself goes, so once a removal returned, C cannot read the old
//     copy (publish.go's protocol: a C read that overlaps the retirement
//     fails its last seq check and asks Go).
//   - A fill mirrors after its map entry is stored and its token checked,
//     then checks the token again (and the dirty keys): an invalidation
//     that came meanwhile bumped the stripe or epoch first, so either it
//     deletes after our Set or we see its bump and delete ourselves —
//     near.go's rule for the map, applied to the mirror.
//   - A key the direct path is writing is dirty from before its write is
//     sent until a fence after its reply (dirty.go); a fill that began
//     after the mark's bump can still get the old value from rueidis's
//     cache, so it does not keep a mirror while the key is dirty (checked
//     after the Set: mark adds the dirty entry before it bumps the stripe,
//     so a fill whose token saw the bump sees the entry), and the
//     invalidation of that write, which comes before the fence clears
//     the key, bumps the stripe again.
//   - Expiry: the mirror is set with the key's remaining TTL on Redis
//     (rueidis's PXAT minus now, just before the Set), so the store's
//     deadline, which C checks on a clock never behind the store's, is
//     the near entry's. A key without TTL has none.
//   - Memory: the mirror's MemoryLimit is the client cache's budget; its
//     own eviction only drops keys (C then asks Go).

// PublishNearCache turns the mirror on and returns its published table
// for phpembed (nil without a client cache, or where the platform has no
// table). Idempotent; call it before PHP runs (entries filled before are
// simply not mirrored).
func (s *Store) PublishNearCache() unsafe.Pointer {
	if s.near == nil || !s.tracking.Load() {
		return nil
	}
	if p := s.near.pub.Load(); p != nil {
		return p.EnablePublishing()
	}
	m, err := kv.New(kv.Options{MemoryLimit: s.near.budget})
	if err != nil {
		return nil
	}
	t := m.EnablePublishing()
	if t == nil {
		m.Close()
		return nil
	}
	if !s.near.pub.CompareAndSwap(nil, m) {
		m.Close()
		return s.near.pub.Load().EnablePublishing()
	}
	return t
}

// NearMirror is the mirror (nil when off): phpembed sets its shared
// strings; tests read its table.
func (s *Store) NearMirror() *kv.Store {
	if s.near == nil {
		return nil
	}
	return s.near.pub.Load()
}

// mirror copies a fill's found value into the published store (see
// above); the fill's map entry is stored and its token was unchanged.
func (n *nearCache) mirror(key string, t fillToken, val string, pxat int64) {
	p := n.pub.Load()
	if p == nil || len(val) > kv.MaxPublishedValue {
		return
	}
	var ttl time.Duration
	if now := time.Now(); pxat < now.UnixMilli()+cacheTTL.Milliseconds()/2 {
		ttl = time.Duration(pxat*int64(time.Millisecond) - now.UnixNano())
		if ttl <= 0 {
			return
		}
	}
	p.Set(key, val, ttl)
	if !t.unchanged(n) || (n.dirty != nil && n.dirty(key)) {
		n.remove(key)
	}
}

// SetExternalHits adds the hits C answered from the published table
// (counted there) to Stats' client-cache hits.
func (s *Store) SetExternalHits(f func() int64) {
	s.stats.externalHits.Store(&f)
}
