package e2e

// Three ephpm nodes sharing one Redis (SPEC section 9), each with its
// client-side cache on: what one node writes, the others read at once;
// counters, setnx and compare-and-delete are decided by Redis; a write from
// outside (redis-cli) reaches every node's cache; flush_all stays inside
// key_prefix.

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ephpm/ephpm/internal/redistest"
)

// Everything holds with the client cache on (reads answered by the node)
// and off (client_cache = "0": every read goes to Redis).
func TestRedisNodes(t *testing.T) {
	// (No "=" in the names: the harness takes an argument with one, such
	// as a temp dir named after the test, for an environment variable.)
	t.Run("client_cache_16MB", func(t *testing.T) { testRedisNodes(t, "16MB") })
	t.Run("client_cache_off", func(t *testing.T) { testRedisNodes(t, "0") })
}

func testRedisNodes(t *testing.T, clientCache string) {
	rds := redistest.Start(t, redistest.Options{})
	const prefix = "site1:"
	nodes := startRedisNodes(t, 3, redisNodeConfig{
		Addrs: []string{rds.Addr}, KeyPrefix: prefix, ClientCache: clientCache, CommandTimeout: "2s",
	})
	a, b, c := nodes[0], nodes[1], nodes[2]
	cached := clientCache != "0"

	t.Run("read_on_every_node_at_once", func(t *testing.T) {
		expectKV(t, a, nil, "get", "key", "greeting")
		expectKV(t, a, true, "set", "key", "greeting", "value", "hello from A")
		// No wait: the write is in Redis when A answers.
		for _, n := range nodes {
			expectKV(t, n, "hello from A", "get", "key", "greeting")
		}
		// It lives under key_prefix in Redis.
		if got := rds.CLI("GET", prefix+"greeting"); got != "hello from A" {
			t.Errorf("redis-cli GET %sgreeting = %q", prefix, got)
		}
	})

	t.Run("overwrite_invalidates_cached_copies", func(t *testing.T) {
		expectKV(t, a, true, "set", "key", "hot", "value", "v1")
		// B and C read it once from Redis, then (cache on) from their
		// cache: Redis sees no more GETs however often they read.
		for _, n := range []*server{b, c} {
			expectKV(t, n, "v1", "get", "key", "hot")
		}
		hitsBefore, gets := cacheHits(t, nodes), redisCalls(t, rds, "get")
		for _, n := range []*server{b, c} {
			for i := 0; i < 5; i++ {
				expectKV(t, n, "v1", "get", "key", "hot")
			}
		}
		more, hits := redisCalls(t, rds, "get")-gets, cacheHits(t, nodes)
		switch {
		case cached && more != 0:
			t.Errorf("10 repeated reads on B and C sent %d GETs to Redis: the client cache does not answer them", more)
		case cached && hitsBefore >= 0 && hits-hitsBefore < 10:
			t.Errorf("client-cache hits on /metrics went from %v to %v over 10 cached reads", hitsBefore, hits)
		case !cached && more != 10:
			t.Errorf("client cache off: 10 reads on B and C sent %d GETs to Redis, want 10", more)
		case !cached && hits != hitsBefore:
			t.Errorf("client cache off: client-cache hits on /metrics went from %v to %v", hitsBefore, hits)
		}
		for round := 2; round <= 4; round++ {
			v := fmt.Sprintf("v%d", round)
			expectKV(t, a, true, "set", "key", "hot", "value", v)
			expectKV(t, a, v, "get", "key", "hot") // its own write: at once
			for _, n := range []*server{b, c} {
				expectSoon(t, n, v, "get", "key", "hot")
				expectKV(t, n, v, "get", "key", "hot")
			}
		}
		// A delete reaches the caches too.
		expectKV(t, c, 1, "del", "key", "hot")
		expectKV(t, c, nil, "get", "key", "hot")
		for _, n := range []*server{a, b} {
			expectSoon(t, n, nil, "get", "key", "hot")
		}
	})

	t.Run("own_writes_read_back_at_once", func(t *testing.T) {
		// A node that writes a key it has cached must not read its old
		// copy back: Redis sends a connection's own invalidation after the
		// write's reply (redis/redis#9422, rueidis#534), so this needs
		// the backend's own care. Laravel's RateLimiter (hit, then
		// attempts) and every read-after-write in one request depend on it.
		m := decodeJSON(t, a.get(t, "/kv_own_writes.php?n=200&key=own"))
		if stale, _ := m["stale"].(map[string]any); stale == nil || num(stale, "incr")+num(stale, "set")+num(stale, "del")+num(stale, "setnx") != 0 {
			t.Errorf("reads right after the node's own writes returned old values in %d rounds: %v", num(m, "rounds"), js(m))
		}
	})

	t.Run("expire_elsewhere_reaches_cached_copies", func(t *testing.T) {
		expectKV(t, a, true, "set", "key", "exp", "value", "lasting")
		for _, n := range nodes {
			expectKV(t, n, "lasting", "get", "key", "exp") // cached without expiry
		}
		expectKV(t, b, true, "expire", "key", "exp", "ttl", "1")
		if ttl := kv(t, c, "ttl", "key", "exp"); ttl != 1.0 && ttl != -2.0 {
			t.Errorf("ttl on C after expire 1 on B: %v", ttl)
		}
		// Gone everywhere once the second passed, though A and C cached
		// it when it had no expiry.
		for _, n := range nodes {
			n := n
			poll(t, 5*time.Second, "the expired key leaves "+n.Addr, func() (bool, string) {
				got := kv(t, n, "get", "key", "exp")
				return got == nil, js(got)
			})
		}
	})

	t.Run("binary_keys_and_values_across_nodes", func(t *testing.T) {
		hexOf := func(s string) string { return fmt.Sprintf("%x", s) }
		key := "bin\x00key\xff\r\n end"
		v1, v2 := "v\x00al\xfe\x01ue", "\x00\x00second\xff"
		expectKV(t, a, true, "set", "hex", "1", "key", hexOf(key), "value", hexOf(v1))
		for _, n := range nodes {
			expectKV(t, n, hexOf(v1), "get", "hex", "1", "key", hexOf(key))
		}
		// The key up to its NUL byte is another key.
		expectKV(t, b, nil, "get", "hex", "1", "key", hexOf("bin"))
		expectKV(t, c, true, "set", "hex", "1", "key", hexOf(key), "value", hexOf(v2))
		for _, n := range nodes {
			expectSoon(t, n, hexOf(v2), "get", "hex", "1", "key", hexOf(key))
		}
		if got := rds.CLI("STRLEN", prefix+"bin"); got != "0" {
			t.Errorf("a key cut at its NUL byte exists in Redis (STRLEN %s)", got)
		}
		expectKV(t, b, 1, "del_prefix", "hex", "1", "prefix", hexOf("bin\x00"))
		for _, n := range nodes {
			expectSoon(t, n, nil, "get", "hex", "1", "key", hexOf(key))
		}
	})

	t.Run("incr_3_nodes_x_4_clients_x_500", func(t *testing.T) {
		if !cached {
			// Counters never go through the client cache: the run with
			// it on says all there is, and 6000 requests take time.
			t.Skip("counters do not depend on the client cache")
		}
		const clients, each = 4, 500
		var wg sync.WaitGroup
		errs := make(chan error, len(nodes)*clients)
		var mu sync.Mutex
		seen := map[float64]int{}
		for _, n := range nodes {
			for cl := 0; cl < clients; cl++ {
				wg.Add(1)
				go func(n *server) {
					defer wg.Done()
					for i := 0; i < each; i++ {
						ans, err := kvq(n, "incr", "key", "hits")
						if err != nil {
							errs <- err
							return
						}
						v, ok := ans.Result.(float64)
						if !ok {
							errs <- fmt.Errorf("%s: incr returned %s", n.Addr, js(ans.Result))
							return
						}
						mu.Lock()
						seen[v]++
						mu.Unlock()
					}
				}(n)
			}
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		total := len(nodes) * clients * each
		// Every value from 1 to total was handed out exactly once: no
		// lost update, no duplicate.
		for v := 1; v <= total; v++ {
			if seen[float64(v)] != 1 {
				t.Fatalf("incr result %d was returned %d times", v, seen[float64(v)])
			}
		}
		for _, n := range nodes {
			expectKV(t, n, fmt.Sprint(total), "get", "key", "hits")
		}
		if got := rds.CLI("GET", prefix+"hits"); got != fmt.Sprint(total) {
			t.Errorf("redis-cli GET %shits = %q, want %d", prefix, got, total)
		}
		// Each incr went to Redis: the nodes' round trips say so.
		trips, secs := 0.0, 0.0
		for _, n := range nodes {
			v, ok := metric(t, n, "ephpm_kv_backend_round_trips_total")
			d, ok2 := metric(t, n, "ephpm_kv_backend_round_trip_seconds_total")
			if !ok || !ok2 {
				t.Errorf("node %s: no ephpm_kv_backend_round_trips_total / _round_trip_seconds_total on /metrics", n.Addr)
			}
			trips, secs = trips+v, secs+d
		}
		if trips < float64(total) || secs <= 0 {
			t.Errorf("round trips on /metrics: %v in %vs, want at least the %d incr", trips, secs, total)
		} else {
			t.Logf("mean round trip to Redis: %.3f ms over %v commands", secs/trips*1000, trips)
		}
	})

	t.Run("setnx_one_winner_across_nodes", func(t *testing.T) {
		for round := 0; round < 3; round++ {
			key := fmt.Sprintf("race%d", round)
			// Every node has read the (missing) key first: a client cache
			// must not make setnx believe it is still free.
			for _, n := range nodes {
				expectKV(t, n, nil, "get", "key", key)
			}
			var wg sync.WaitGroup
			var mu sync.Mutex
			var winners []string
			for i, n := range nodes {
				for cl := 0; cl < 4; cl++ {
					val := fmt.Sprintf("node%d-client%d", i, cl)
					wg.Add(1)
					go func(n *server) {
						defer wg.Done()
						ans, err := kvq(n, "setnx", "key", key, "value", val, "ttl", "60")
						if err != nil {
							t.Error(err)
							return
						}
						if ans.Result == true {
							mu.Lock()
							winners = append(winners, val)
							mu.Unlock()
						} else if ans.Result != false {
							t.Errorf("setnx returned %s", js(ans.Result))
						}
					}(n)
				}
			}
			wg.Wait()
			if len(winners) != 1 {
				t.Fatalf("round %d: %d setnx winners %v, want exactly 1", round, len(winners), winners)
			}
			for _, n := range nodes {
				expectSoon(t, n, winners[0], "get", "key", key)
				if ttl, _ := kv(t, n, "ttl", "key", key).(float64); ttl < 55 || ttl > 60 {
					t.Errorf("setnx TTL 60 seen as %v on %s", ttl, n.Addr)
				}
			}
		}
	})

	t.Run("del_if_equals_only_by_the_owner", func(t *testing.T) {
		expectKV(t, a, true, "setnx", "key", "lock", "value", "owner-A", "ttl", "30")
		for _, n := range nodes {
			expectKV(t, n, "owner-A", "get", "key", "lock") // cached on every node
		}
		expectKV(t, b, false, "setnx", "key", "lock", "value", "owner-B", "ttl", "30")
		expectKV(t, b, false, "del_if_equals", "key", "lock", "expected", "owner-B")
		expectKV(t, c, false, "del_if_equals", "key", "lock", "expected", "owner-C")
		for _, n := range nodes {
			expectKV(t, n, "owner-A", "get", "key", "lock")
		}
		// The owner's token releases it, from whichever node.
		expectKV(t, c, true, "del_if_equals", "key", "lock", "expected", "owner-A")
		expectKV(t, c, nil, "get", "key", "lock")
		for _, n := range nodes {
			expectSoon(t, n, nil, "get", "key", "lock")
			expectKV(t, n, false, "exists", "key", "lock")
		}
		expectKV(t, a, false, "del_if_equals", "key", "lock", "expected", "owner-A")
		expectKV(t, b, true, "setnx", "key", "lock", "value", "owner-B", "ttl", "30")
	})

	t.Run("redis_cli_write_invalidates_every_node", func(t *testing.T) {
		expectKV(t, a, true, "set", "key", "outside", "value", "before")
		for _, n := range nodes {
			expectKV(t, n, "before", "get", "key", "outside")
			expectKV(t, n, "before", "get", "key", "outside")
		}
		if got := rds.CLI("SET", prefix+"outside", "after"); got != "OK" {
			t.Fatalf("redis-cli SET: %s", got)
		}
		for _, n := range nodes {
			expectSoon(t, n, "after", "get", "key", "outside")
		}
		rds.CLI("DEL", prefix+"outside")
		for _, n := range nodes {
			expectSoon(t, n, nil, "get", "key", "outside")
		}
		// A key Redis expires is gone from every node too (cached with
		// the expiry Redis gave).
		rds.CLI("SET", prefix+"outside", "short", "PX", "2500")
		set := time.Now()
		for _, n := range nodes {
			// Each node had cached the miss: it must see the value while
			// it lives (the check gives up only on a machine so slow that
			// the key may have expired meanwhile).
			var seen []string
			for {
				got := kv(t, n, "get", "key", "outside")
				if got == "short" {
					break
				}
				seen = append(seen, js(got))
				if time.Since(set) > 2*time.Second {
					t.Errorf("node %s: get outside after redis-cli SET answered %v, never \"short\"", n.Addr, seen)
					break
				}
				time.Sleep(20 * time.Millisecond)
			}
			if len(seen) > 0 {
				t.Logf("node %s: get outside answered %v before the value set by redis-cli", n.Addr, seen)
			}
		}
		for _, n := range nodes {
			n := n
			poll(t, 5*time.Second, "an expired key leaves "+n.Addr, func() (bool, string) {
				got := kv(t, n, "get", "key", "outside")
				return got == nil, js(got)
			})
		}
	})

	t.Run("flush_all_stays_inside_key_prefix", func(t *testing.T) {
		rds.CLI("SET", "foreign", "not ours")
		rds.CLI("SET", "site2:k", "another site")
		for i := 0; i < 20; i++ {
			expectKV(t, nodes[i%3], true, "set", "key", fmt.Sprintf("f:%d", i), "value", "x")
		}
		for _, n := range nodes {
			expectKV(t, n, "x", "get", "key", "f:0") // cached
		}
		expectKV(t, b, true, "flush_all")
		expectKV(t, b, nil, "get", "key", "f:0")
		for _, n := range nodes {
			expectSoon(t, n, nil, "get", "key", "f:0")
			expectSoon(t, n, nil, "get", "key", "greeting")
			expectKV(t, n, -2, "ttl", "key", "f:7")
		}
		if got := rds.CLI("GET", "foreign"); got != "not ours" {
			t.Errorf("flush_all removed a key outside key_prefix: GET foreign = %q", got)
		}
		if got := rds.CLI("GET", "site2:k"); got != "another site" {
			t.Errorf("flush_all removed another prefix's key: GET site2:k = %q", got)
		}
		if got := rds.CLI("DBSIZE"); got != "2" {
			t.Errorf("DBSIZE after flush_all = %s, want 2 (the foreign keys); keys: %s", got, rds.CLI("KEYS", "*"))
		}
		if keys := rds.CLI("KEYS", prefix+"*"); strings.TrimSpace(keys) != "" {
			t.Errorf("keys under %s left after flush_all: %s", prefix, keys)
		}
	})
}

// redisCalls is how many times Redis ran the command (INFO commandstats).
func redisCalls(t *testing.T, rds *redistest.Server, cmd string) int {
	t.Helper()
	m := regexp.MustCompile(`(?m)^cmdstat_` + cmd + `:calls=(\d+),`).FindStringSubmatch(rds.CLI("INFO", "commandstats"))
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// cacheHits sums the nodes' client-cache hits from /metrics (-1, and the
// test fails, when a node does not report them).
func cacheHits(t *testing.T, nodes []*server) float64 {
	t.Helper()
	sum := 0.0
	for _, n := range nodes {
		v, ok := metric(t, n, "ephpm_kv_client_cache_hits_total")
		if !ok {
			t.Errorf("node %s: no ephpm_kv_client_cache_hits_total on /metrics", n.Addr)
			return -1
		}
		sum += v
	}
	return sum
}
