package e2e

// A Redis Cluster failing over under two ephpm nodes (issue 12: "Redis
// down, slow, restarted or failed over"): three primaries with a replica
// each; the primary holding a key is killed, its replica takes over. Calls
// on the lost slots fail within command_timeout meanwhile, pages are
// served, and once the replica is primary every key is there again (the
// nodes follow the new topology without a restart) and no node serves a
// copy cached from the dead primary after the key changed.

import (
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/ephpm/ephpm/internal/redistest"
)

func TestRedisClusterFailover(t *testing.T) {
	if testing.Short() {
		t.Skip("a failover takes Redis several seconds (-short)")
	}
	// Mostly waiting (cluster forming, timeouts, a failover): run beside
	// the others.
	t.Parallel()
	if _, err := exec.LookPath("redis-cli"); err != nil {
		t.Skip("redis-cli is not installed")
	}
	var servers []*redistest.Server
	var addrs []string
	for i := 0; i < 6; i++ {
		s := redistest.Start(t, redistest.Options{Cluster: true})
		servers = append(servers, s)
		addrs = append(addrs, s.Addr)
	}
	args := append([]string{"--cluster", "create"}, addrs...)
	args = append(args, "--cluster-replicas", "1", "--cluster-yes")
	if out, err := exec.Command("redis-cli", args...).CombinedOutput(); err != nil {
		t.Fatalf("redis-cli --cluster create: %v: %s", err, out)
	}
	var primaries []*redistest.Server
	poll(t, 30*time.Second, "cluster ok with three primaries and three synced replicas", func() (bool, string) {
		primaries = primaries[:0]
		synced := 0
		for _, s := range servers {
			if !strings.Contains(s.CLI("CLUSTER", "INFO"), "cluster_state:ok") {
				return false, s.Addr + " not ok"
			}
			info := s.CLI("INFO", "replication")
			switch {
			case strings.Contains(info, "role:master"):
				primaries = append(primaries, s)
			case strings.Contains(info, "master_link_status:up"):
				synced++
			}
		}
		return len(primaries) == 3 && synced == 3, fmt.Sprintf("%d primaries, %d synced replicas", len(primaries), synced)
	})
	var seeds []string
	for _, p := range primaries {
		seeds = append(seeds, p.Addr)
	}
	const prefix = "fo:"
	nodes := startRedisNodes(t, 2, redisNodeConfig{
		Addrs: seeds, KeyPrefix: prefix, ClientCache: "16MB", CommandTimeout: faultTimeout.String(),
	})
	a, b := nodes[0], nodes[1]

	const keys = 24
	for i := 0; i < keys; i++ {
		expectKV(t, a, true, "set", "key", fmt.Sprintf("k%d", i), "value", fmt.Sprint("v", i))
	}
	// The victim: the primary of k0. Its writes reach its replica first.
	var victim *redistest.Server
	for _, p := range primaries {
		if strings.Contains(" "+strings.Join(strings.Fields(p.CLI("--scan", "--pattern", prefix+"*")), " ")+" ", " "+prefix+"k0 ") {
			victim = p
		}
	}
	if victim == nil {
		t.Fatal("no primary holds fo:k0")
	}
	if got := victim.CLI("WAIT", "1", "5000"); got != "1" {
		t.Fatalf("WAIT 1 on the victim = %q: its replica did not get the writes", got)
	}
	for _, n := range nodes {
		// Cached from the victim. Polled: the command timeout here is
		// short (faultTimeout), and on a busy machine a node's first
		// read of a fresh cluster can take longer than that.
		poll(t, 10*time.Second, "node "+n.Addr+" reads k0", func() (bool, string) {
			got := kv(t, n, "get", "key", "k0")
			return jsonEqual(got, "v0"), js(got)
		})
	}

	victim.Stop()
	killed := time.Now()
	// While the slots are lost: bounded failures, pages served.
	var during []string
	for i := 0; i < 5; i++ {
		ans, err := kvq(b, "get", "key", "k0")
		if err != nil {
			t.Fatal(err)
		}
		during = append(during, js(ans.Result))
		if d := time.Duration(ans.Ms * float64(time.Millisecond)); d > faultTimeout+faultSlack {
			t.Errorf("get k0 during the failover took %v", d)
		}
		expectStatus(t, b.get(t, "/index.php"), 200, "a page during the failover")
	}
	t.Logf("B's get of k0 with its primary dead: %v", during)
	poll(t, 30*time.Second, "k0 readable and writable again after the failover", func() (bool, string) {
		ans, err := kvq(a, "set", "key", "k0", "value", "after failover")
		if err != nil || ans.Result != true {
			return false, fmt.Sprint(ans.Result, err)
		}
		return true, ""
	})
	t.Logf("k0 writable %v after its primary was killed (Redis's node timeout is 2 s)", time.Since(killed))
	expectKV(t, a, "after failover", "get", "key", "k0")
	// B cached v0 from the dead primary: it must never serve it again,
	// and see the new value once it too follows the new topology (its
	// calls fail until then).
	var before []string
	poll(t, 15*time.Second, "B reads k0 from the promoted replica", func() (bool, string) {
		got := kv(t, b, "get", "key", "k0")
		if got == "v0" {
			t.Fatalf("B served its copy of k0 cached from the dead primary after the key changed")
		}
		before = append(before, js(got))
		return got == "after failover", js(got)
	})
	t.Logf("B's get of k0 after A's write: %v", before)
	for i := 1; i < keys; i++ {
		for _, n := range nodes {
			expectSoon(t, n, fmt.Sprint("v", i), "get", "key", fmt.Sprintf("k%d", i))
		}
	}
	expectKV(t, b, keys, "del_prefix", "prefix", "k")
}
