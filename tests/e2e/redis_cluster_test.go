package e2e

// Two ephpm nodes on a Redis Cluster of three primaries (SPEC section 9:
// several addresses are cluster seeds): every ephpm_kv_* function, keys
// spread over the slots of every primary, del_prefix and flush_all reaching
// all of them and nothing outside key_prefix.

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/ephpm/ephpm/internal/redistest"
)

func TestRedisCluster(t *testing.T) {
	// Mostly waiting (cluster forming, timeouts, a failover): run beside
	// the others.
	t.Parallel()
	cl := redistest.StartCluster(t, 3, redistest.Options{})
	const prefix = "cl:"
	nodes := startRedisNodes(t, 2, redisNodeConfig{
		Addrs: cl.Addrs, KeyPrefix: prefix, ClientCache: "16MB", CommandTimeout: "2s",
	})
	a, b := nodes[0], nodes[1]

	// Keys of another application, on every primary: nothing of ours may
	// touch them.
	const foreign = 12
	for i := 0; i < foreign; i++ {
		cl.CLI("SET", fmt.Sprintf("other-app:%d", i), "keep")
	}

	t.Run("every_function", func(t *testing.T) {
		expectAllPassed(t, a.get(t, "/kv_functions.php"), "kv_functions.php on node A")
		expectAllPassed(t, b.get(t, "/kv_functions.php?flush=1"), "kv_functions.php on node B")
	})

	const spread = 30
	setSpread := func(t *testing.T) {
		for i := 0; i < spread; i++ {
			expectKV(t, nodes[i%2], true, "set", "key", fmt.Sprintf("spread:%d", i), "value", fmt.Sprint(i))
		}
	}

	t.Run("keys_spread_over_every_primary", func(t *testing.T) {
		setSpread(t)
		// Read back through the other node.
		for i := 0; i < spread; i++ {
			expectSoon(t, nodes[(i+1)%2], fmt.Sprint(i), "get", "key", fmt.Sprintf("spread:%d", i))
		}
		// Where Redis put them: each key on exactly one primary, and
		// every primary holding some.
		holders := map[int]int{}
		on := map[string]int{}
		for n, node := range cl.Nodes {
			for _, k := range strings.Fields(node.CLI("--scan", "--pattern", prefix+"spread:*")) {
				holders[n]++
				on[k]++
			}
		}
		for i := 0; i < spread; i++ {
			if k := fmt.Sprintf("%sspread:%d", prefix, i); on[k] != 1 {
				t.Errorf("key %s is on %d primaries", k, on[k])
			}
		}
		for n := range cl.Nodes {
			if holders[n] == 0 {
				t.Errorf("primary %s holds none of %d keys (holders %v)", cl.Addrs[n], spread, holders)
			}
		}
		// And as Redis counts them: a key's slot (CLUSTER KEYSLOT) has
		// keys on exactly one primary (CLUSTER COUNTKEYSINSLOT).
		for i := 0; i < 3; i++ {
			slot := cl.CLI("CLUSTER", "KEYSLOT", fmt.Sprintf("%sspread:%d", prefix, i))
			found := 0
			for _, node := range cl.Nodes {
				if c, _ := strconv.Atoi(node.CLI("CLUSTER", "COUNTKEYSINSLOT", slot)); c > 0 {
					found++
				}
			}
			if found != 1 {
				t.Errorf("slot %s of %sspread:%d has keys on %d primaries", slot, prefix, i, found)
			}
		}
		t.Logf("%d keys over the primaries: %v", spread, holders)
	})

	t.Run("counters_across_nodes_and_slots", func(t *testing.T) {
		const clients, each, counters = 4, 50, 3
		var wg sync.WaitGroup
		for _, n := range nodes {
			for c := 0; c < clients; c++ {
				wg.Add(1)
				go func(n *server, c int) {
					defer wg.Done()
					for i := 0; i < each; i++ {
						key := fmt.Sprintf("ctr:%d", (c+i)%counters)
						if ans, err := kvq(n, "incr", "key", key); err != nil {
							t.Error(err)
							return
						} else if _, ok := ans.Result.(float64); !ok {
							t.Errorf("incr %s on %s: %s", key, n.Addr, js(ans.Result))
							return
						}
					}
				}(n, c)
			}
		}
		wg.Wait()
		total := 0
		for k := 0; k < counters; k++ {
			v, _ := strconv.Atoi(cl.CLI("GET", fmt.Sprintf("%sctr:%d", prefix, k)))
			total += v
		}
		if want := len(nodes) * clients * each; total != want {
			t.Errorf("counters sum to %d, want %d", total, want)
		}
	})

	t.Run("del_prefix_on_every_primary", func(t *testing.T) {
		for _, n := range nodes {
			expectKV(t, n, "0", "get", "key", "spread:0") // cached on both
		}
		expectKV(t, b, spread, "del_prefix", "prefix", "spread:")
		for i, node := range cl.Nodes {
			if keys := node.CLI("--scan", "--pattern", prefix+"spread:*"); keys != "" {
				t.Errorf("primary %d still has %s", i, keys)
			}
		}
		expectKV(t, b, nil, "get", "key", "spread:0")
		expectSoon(t, a, nil, "get", "key", "spread:0")
		expectKV(t, a, 0, "del_prefix", "prefix", "spread:")
		// The counters are not under spread:.
		if got := cl.CLI("EXISTS", prefix+"ctr:0"); got != "1" {
			t.Errorf("del_prefix spread: removed %sctr:0", prefix)
		}
	})

	t.Run("flush_all_on_every_primary_inside_prefix", func(t *testing.T) {
		setSpread(t)
		expectKV(t, a, true, "flush_all")
		left := 0
		for i, node := range cl.Nodes {
			if keys := node.CLI("--scan", "--pattern", prefix+"*"); keys != "" {
				t.Errorf("primary %d keeps keys under %s after flush_all: %s", i, prefix, keys)
			}
			n, _ := strconv.Atoi(node.CLI("DBSIZE"))
			left += n
		}
		if left != foreign {
			t.Errorf("%d keys left on the primaries, want the %d of the other application", left, foreign)
		}
		expectKV(t, a, nil, "get", "key", "spread:3")
		expectSoon(t, b, nil, "get", "key", "spread:3")
		for _, n := range nodes {
			expectKV(t, n, -2, "ttl", "key", "ctr:1")
		}
	})
}
