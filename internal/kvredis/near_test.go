package kvredis

import (
	"testing"
	"time"
)

// TestNearCacheRules: the near cache's own rules, without Redis: a key's
// expiry is kept (no value served after it, even without an
// invalidation), a key without one is not clock-checked, a fill that
// raced an invalidation of its key or a reset is not kept, and entries
// of other keys' stripes are kept.
func TestNearCacheRules(t *testing.T) {
	t.Parallel()
	n := newNearCache("p:", 1<<20)
	now := func() int64 { return time.Now().UnixMilli() }

	n.fill("ttl", n.begin("ttl"), "v", true, now()+150, now())
	if e, ok := n.entry("ttl"); !ok || e.val != "v" || e.expires == 0 {
		t.Fatalf("a live entry with an expiry: %+v %v", e, ok)
	}
	time.Sleep(200 * time.Millisecond)
	if _, ok := n.entry("ttl"); ok {
		t.Fatal("an entry was served after its key's expiry")
	}
	n.fill("past", n.begin("past"), "v", true, now()-1, now())
	if _, ok := n.entry("past"); ok {
		t.Fatal("an already expired answer was cached")
	}

	// No TTL on Redis: rueidis reports the far client TTL.
	n.fill("forever", n.begin("forever"), "v", true, now()+cacheTTL.Milliseconds(), now())
	if e, ok := n.entry("forever"); !ok || e.expires != 0 {
		t.Fatalf("an entry without expiry: %+v %v", e, ok)
	}
	n.fill("miss", n.begin("miss"), "", false, now()+cacheTTL.Milliseconds(), now())
	if e, ok := n.entry("miss"); !ok || e.found {
		t.Fatalf("a cached miss: %+v %v", e, ok)
	}

	// An invalidation of the key between begin and fill: not stored.
	tok := n.begin("k")
	n.invalidate([]string{"p:k"}, false)
	n.fill("k", tok, "old", true, now()+cacheTTL.Milliseconds(), now())
	if _, ok := n.entry("k"); ok {
		t.Fatal("a fill that raced its key's invalidation was kept")
	}
	// A reset between begin and fill: not stored.
	tok = n.begin("k")
	n.invalidate(nil, true)
	n.fill("k", tok, "old", true, now()+cacheTTL.Milliseconds(), now())
	if _, ok := n.entry("k"); ok {
		t.Fatal("a fill that raced a reset was kept")
	}
	if _, ok := n.entry("forever"); ok {
		t.Fatal("a reset kept an entry")
	}
	// Invalidations of keys outside the prefix or of other keys leave
	// the entry.
	n.fill("k", n.begin("k"), "v", true, now()+cacheTTL.Milliseconds(), now())
	n.invalidate([]string{"k", "other:k", "p:kk"}, false)
	if _, ok := n.entry("k"); !ok {
		t.Fatal("an invalidation of another key dropped the entry")
	}
	n.invalidate([]string{"p:k"}, false)
	if _, ok := n.entry("k"); ok {
		t.Fatal("the key's invalidation left the entry")
	}
	if sz := n.size.Load(); sz != 0 {
		t.Fatalf("empty near cache accounts %d bytes", sz)
	}
}
