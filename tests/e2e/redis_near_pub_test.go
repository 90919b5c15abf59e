package e2e

import (
	"fmt"
	"net/url"
	"testing"
	"time"

	"github.com/ephpm/ephpm/internal/redistest"
)

// nearPub runs one request of kv_near_pub.php on node s.
func nearPub(t *testing.T, s *server, q url.Values) map[string]any {
	t.Helper()
	return decodeJSON(t, s.get(t, "/kv_near_pub.php?"+q.Encode()))
}

// makeHot reads key on every node until each answers want (from its
// client cache, which publishes a key read again within 400 ms: then C
// answers it).
func makeHot(t *testing.T, nodes []*server, key string, want any) {
	t.Helper()
	for _, n := range nodes {
		m := nearPub(t, n, url.Values{"op": {"hot"}, "key": {key}, "n": {"30"}, "ms": {"300"}})
		if !jsonEqual(m["value"], want) {
			t.Fatalf("node %s: hot read of %s = %v, want %v", n.Addr, key, m["value"], want)
		}
	}
}

// watchFor has node s read key until it answers want (nil: a miss), and
// then 200 times more: every later read must answer want too.
func watchFor(t *testing.T, s *server, key string, want any, what string) {
	t.Helper()
	q := url.Values{"op": {"watch"}, "key": {key}}
	if want == nil {
		q.Set("null", "1")
	} else {
		q.Set("want", want.(string))
	}
	m := nearPub(t, s, q)
	if m["seen"] != true {
		t.Fatalf("node %s, %s: %s never read as %v within 10 s (%v reads, last %v): a stale copy is still answered", s.Addr, what, key, want, m["reads"], m["last"])
	}
	if o, _ := m["other"].([]any); len(o) > 0 {
		t.Fatalf("node %s, %s: after reading %v, %d later reads of %s answered %v", s.Addr, what, want, len(o), key, o[:min(len(o), 5)])
	}
}

// TestRedisNearPublished: with the Redis backend, a node's hot keys are
// answered by C from its near cache's published table
// (kvredis/near_pub.go). Every way a cached copy must go is checked
// through PHP on every node: redis-cli's write and another node's, this
// node's own writes read back at once, del_prefix, a TTL, a Redis
// restart. Each fails (a watch never sees the new value, or sees the old
// one again) if the published copy outlives the near cache's entry.
func TestRedisNearPublished(t *testing.T) {
	rds := redistest.Start(t, redistest.Options{Extra: []string{"--enable-debug-command", "local"}})
	const prefix = "np:"
	nodes := startRedisNodes(t, 3, redisNodeConfig{
		Addrs: []string{rds.Addr}, KeyPrefix: prefix, ClientCache: "16MB", CommandTimeout: "2s",
	})
	a, b := nodes[0], nodes[1]

	t.Run("redis_cli_write", func(t *testing.T) {
		rds.CLI("set", prefix+"hot", "v1")
		makeHot(t, nodes, "hot", "v1")
		rds.CLI("set", prefix+"hot", "v2")
		for _, n := range nodes {
			watchFor(t, n, "hot", "v2", "after redis-cli SET")
		}
	})

	t.Run("other_node_write", func(t *testing.T) {
		makeHot(t, nodes, "hot", "v2")
		expectKV(t, a, true, "set", "key", "hot", "value", "v3")
		// A reads its own write at once; the others once the
		// invalidation arrives, and never the old copy after.
		expectKV(t, a, "v3", "get", "key", "hot")
		for _, n := range nodes {
			watchFor(t, n, "hot", "v3", "after node A's set")
		}
		makeHot(t, nodes, "hot", "v3")
		expectKV(t, b, 1.0, "del", "key", "hot")
		expectKV(t, b, nil, "get", "key", "hot")
		for _, n := range nodes {
			watchFor(t, n, "hot", nil, "after node B's del")
		}
	})

	t.Run("own_writes", func(t *testing.T) {
		m := nearPub(t, a, url.Values{"op": {"own"}, "key": {"own"}, "n": {"60"}})
		if missed, _ := m["missed"].([]any); len(missed) > 0 {
			t.Fatalf("%d of 60 reads right after a set missed it: %v", len(missed), missed[:min(len(missed), 5)])
		}
	})

	t.Run("del_prefix", func(t *testing.T) {
		for i := 0; i < 3; i++ {
			rds.CLI("set", fmt.Sprintf("%sdp:%d", prefix, i), "x")
		}
		for i := 0; i < 3; i++ {
			makeHot(t, nodes, fmt.Sprintf("dp:%d", i), "x")
		}
		expectKV(t, b, 3.0, "del_prefix", "prefix", "dp:")
		for _, n := range nodes {
			for i := 0; i < 3; i++ {
				watchFor(t, n, fmt.Sprintf("dp:%d", i), nil, "after del_prefix")
			}
		}
	})

	t.Run("ttl", func(t *testing.T) {
		// Redis's active expiry off: only the node's own deadline (and
		// Redis's lazy expiry, which needs a read that reaches Redis)
		// can end the copy. If C ignored the deadline, the watch would
		// never see the miss: nothing else reaches Redis.
		rds.CLI("debug", "set-active-expire", "0")
		defer rds.CLI("debug", "set-active-expire", "1")
		set := time.Now() // before: the SET runs before redis-cli returns
		rds.CLI("set", prefix+"ttl", "t", "px", "2500")
		makeHot(t, nodes, "ttl", "t")
		if time.Since(set) > 2*time.Second {
			t.Skip("machine too slow to make the key hot within its TTL")
		}
		for i, n := range nodes {
			watchFor(t, n, "ttl", nil, "past the TTL")
			if el := time.Since(set); i == 0 && el < 2500*time.Millisecond {
				t.Fatalf("the key read as gone after %v, before its TTL of 2.5 s", el)
			}
		}
	})

	t.Run("redis_restart", func(t *testing.T) {
		rds.CLI("set", prefix+"r", "before")
		makeHot(t, nodes, "r", "before")
		rds.Restart()
		for _, n := range nodes {
			watchFor(t, n, "r", nil, "after Redis restarted empty")
		}
	})
}
