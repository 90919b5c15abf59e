package e2e

// The RESP endpoint ([kv.resp], SPEC section 7) of nodes on the Redis
// backend: every node's endpoint is a view of the one shared store, under
// key_prefix, and writes through it reach every node's client cache.

import (
	"strings"
	"testing"
	"time"

	"github.com/ephpm/ephpm/internal/redistest"
)

func TestRedisNodesRESPEndpoint(t *testing.T) {
	rds := redistest.Start(t, redistest.Options{})
	const prefix = "site1:"
	nodes := startRedisNodes(t, 3, redisNodeConfig{
		Addrs: []string{rds.Addr}, KeyPrefix: prefix, ClientCache: "16MB", CommandTimeout: "2s", RESP: true,
	})
	a, b, c := nodes[0], nodes[1], nodes[2]
	// PHP on A writes, B's RESP endpoint reads (keys without the
	// prefix, as PHP names them).
	setAt := time.Now()
	expectKV(t, a, true, "set", "key", "resp:k", "value", "from PHP on A", "ttl", "100")
	if got := respCLI(t, b, "GET", "resp:k"); got != "from PHP on A" {
		t.Errorf("GET resp:k over B's RESP endpoint = %q", got)
	}
	ttlLeft(t, "TTL resp:k over C's RESP endpoint", respCLI(t, c, "TTL", "resp:k"), 100, setAt)
	// A write over B's RESP endpoint reaches the client caches of
	// every node.
	for _, n := range nodes {
		expectKV(t, n, "from PHP on A", "get", "key", "resp:k")
	}
	if got := respCLI(t, b, "SET", "resp:k", "from RESP on B"); got != "OK" {
		t.Fatalf("SET over B's RESP endpoint: %s", got)
	}
	// B's PHP reads B's own write at once; A and C once the invalidation
	// reached them.
	expectKV(t, b, "from RESP on B", "get", "key", "resp:k")
	for _, n := range []*server{a, c} {
		expectSoon(t, n, "from RESP on B", "get", "key", "resp:k")
	}
	if got := rds.CLI("GET", prefix+"resp:k"); got != "from RESP on B" {
		t.Errorf("Redis has %q under %sresp:k", got, prefix)
	}
	// Counters through both doors add up.
	for i := 0; i < 5; i++ {
		kv(t, nodes[i%3], "incr", "key", "resp:ctr")
		respCLI(t, nodes[(i+1)%3], "INCR", "resp:ctr")
	}
	expectSoon(t, a, "10", "get", "key", "resp:ctr")
	// The endpoint sees only keys under key_prefix.
	rds.CLI("SET", "not-ours", "x")
	keys := respCLI(t, c, "KEYS", "*")
	if !strings.Contains(keys, "resp:ctr") || strings.Contains(keys, "not-ours") || strings.Contains(keys, prefix) {
		t.Errorf("KEYS * over C's RESP endpoint: %q, want our keys without the prefix and no foreign key", keys)
	}
	rds.CLI("DEL", "not-ours")
}
