package e2e

// The Laravel test app on three ephpm nodes sharing one Redis (SPEC
// section 9), behind a round-robin client (the test plays the load
// balancer): sessions, Cache::lock and the throttle middleware are one for
// all nodes.

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ephpm/ephpm/internal/redistest"
)

// laravelRedisEnv is what points the app's ephpm.toml at Redis.
func laravelRedisEnv(addr, prefix string) []string {
	return []string{
		"EPHPM_KV__BACKEND=redis",
		"EPHPM_KV__REDIS__ADDRESSES=" + addr,
		"EPHPM_KV__REDIS__KEY_PREFIX=" + prefix,
		"EPHPM_KV__REDIS__CLIENT_CACHE=16MB",
	}
}

// roundRobin sends each request to the next node, as a load balancer
// without affinity does; its cookie jar is one browser's (cookies do not
// depend on the port, so every node gets them).
type roundRobin struct {
	nodes []*server
	next  int
	c     *http.Client
}

func newRoundRobin(t *testing.T, nodes []*server) *roundRobin {
	jar, err := cookiejar.New(nil)
	must(t, err)
	return &roundRobin{nodes: nodes, c: &http.Client{Jar: jar, Timeout: 30 * time.Second}}
}

// do sends the request to the next node and returns the answer and the
// index of the node that gave it.
func (r *roundRobin) do(t *testing.T, method, path string) (response, int) {
	t.Helper()
	i := r.next % len(r.nodes)
	r.next++
	req, err := http.NewRequest(method, r.nodes[i].URL+path, nil)
	must(t, err)
	req.Header.Set("Accept", "application/json")
	resp, err := r.c.Do(req)
	if err != nil {
		t.Fatalf("node %d: %s %s: %v", i, method, path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	must(t, err)
	return response{Status: resp.StatusCode, Header: resp.Header, Body: string(body)}, i
}

func TestRedisLaravelNodes(t *testing.T) {
	rds := redistest.Start(t, redistest.Options{})
	const prefix = "lara:"
	env := laravelRedisEnv(rds.Addr, prefix)
	// Node C serves in worker mode (Laravel booted once per thread), as
	// during a rollout that changes modes: the store is the same for all.
	nodes := make([]*server, 3)
	for i := range nodes {
		e := env
		if i == 2 {
			e = append(append([]string(nil), env...), laravelModes[1].env...)
		}
		nodes[i] = startLaravel(t, e...)
	}
	if !strings.Contains(nodes[2].Log(), "mode=worker") {
		t.Fatalf("node C is not in worker mode:\n%s", nodes[2].Log())
	}
	for i, n := range nodes {
		m := n.call(t, "GET", "/health", nil)
		if m["status"] != "ok" || m["cache_default"] != "ephpm" || m["session_driver"] != "cache" {
			t.Fatalf("node %d health: %v", i, m)
		}
		if !strings.Contains(n.Log(), "kv=redis") {
			t.Fatalf("node %d does not say it uses the Redis backend:\n%s", i, n.Log())
		}
	}

	t.Run("session_counter_across_nodes", func(t *testing.T) {
		rr := newRoundRobin(t, nodes)
		var id any
		answered := map[int]bool{}
		for want := 1; want <= 9; want++ {
			r, node := rr.do(t, "GET", "/session/counter")
			expectStatus(t, r, 200, fmt.Sprintf("visit %d (node %d)", want, node))
			m := decodeJSON(t, r)
			if num(m, "counter") != want {
				t.Fatalf("visit %d answered by node %d: counter %v, want %d (%v)", want, node, m["counter"], want, m)
			}
			if want == 1 {
				id = m["id"]
			} else if m["id"] != id {
				t.Fatalf("visit %d on node %d: session %v, want %v", want, node, m["id"], id)
			}
			answered[node] = true
		}
		if len(answered) != len(nodes) {
			t.Errorf("only nodes %v answered", answered)
		}
		// The session is in Redis, under key_prefix and the cache's prefix.
		if got := rds.CLI("EXISTS", prefix+"cache:"+id.(string)); got != "1" {
			t.Errorf("the session %v is not in Redis as %scache:<id> (EXISTS = %s)", id, prefix, got)
		}
		// A second browser has its own session on the same nodes.
		other := newRoundRobin(t, nodes)
		other.next = 1
		r, _ := other.do(t, "GET", "/session/counter")
		if m := decodeJSON(t, r); num(m, "counter") != 1 || m["id"] == id {
			t.Errorf("a new browser got %v", m)
		}
	})

	t.Run("cache_lock_one_holder_across_nodes", func(t *testing.T) {
		post := func(n *server, path string) map[string]any {
			return n.call(t, "POST", path, nil)
		}
		a, b, c := nodes[0], nodes[1], nodes[2]
		if post(a, "/api/lock/nodes-lock/acquire?seconds=30&owner=alice")["acquired"] != true {
			t.Fatal("alice could not take a free lock on node A")
		}
		if post(b, "/api/lock/nodes-lock/acquire?seconds=30&owner=bob")["acquired"] != false {
			t.Error("bob took on node B the lock alice holds via node A")
		}
		if post(c, "/api/lock/nodes-lock/release?owner=bob")["released"] != false {
			t.Error("bob released alice's lock via node C")
		}
		if post(c, "/api/lock/nodes-lock/acquire?seconds=30&owner=carol")["acquired"] != false {
			t.Error("carol took the lock on node C while alice holds it")
		}
		if post(b, "/api/lock/nodes-lock/release?owner=alice")["released"] != true {
			t.Error("alice could not release her lock via node B")
		}
		if post(c, "/api/lock/nodes-lock/acquire?seconds=30&owner=bob")["acquired"] != true {
			t.Error("bob could not take the released lock on node C")
		}
		// Concurrent takers on every node: exactly one wins.
		for round := 0; round < 2; round++ {
			var wg sync.WaitGroup
			var mu sync.Mutex
			var winners []string
			for i, n := range nodes {
				for cl := 0; cl < 3; cl++ {
					owner := fmt.Sprintf("r%d-n%d-c%d", round, i, cl)
					wg.Add(1)
					go func(n *server) {
						defer wg.Done()
						resp, err := client.Post(n.URL+"/api/lock/nodes-race/acquire?seconds=60&owner="+owner, "application/json", nil)
						if err != nil {
							t.Error(err)
							return
						}
						defer resp.Body.Close()
						var m map[string]any
						if err := json.NewDecoder(resp.Body).Decode(&m); err != nil || resp.StatusCode != 200 {
							t.Errorf("%s: status %d, %v", owner, resp.StatusCode, err)
							return
						}
						if m["acquired"] == true {
							mu.Lock()
							winners = append(winners, owner)
							mu.Unlock()
						}
					}(n)
				}
			}
			wg.Wait()
			if len(winners) != 1 {
				t.Fatalf("round %d: %d holders %v, want exactly 1", round, len(winners), winners)
			}
			// Released by its owner through another node.
			if post(nodes[(round+1)%3], "/api/lock/nodes-race/release?owner="+winners[0])["released"] != true {
				t.Errorf("round %d: the winner %s could not release", round, winners[0])
			}
		}
	})

	t.Run("throttle_summed_over_nodes", func(t *testing.T) {
		// /throttled is throttle:3,1 (3 a minute per client): counted per
		// node, each node would allow 3 and the 4th and 5th would pass.
		rr := newRoundRobin(t, nodes)
		for i := 1; i <= 3; i++ {
			r, node := rr.do(t, "GET", "/throttled")
			expectStatus(t, r, 200, fmt.Sprintf("hit %d (node %d)", i, node))
			if got := r.Header.Get("X-RateLimit-Remaining"); got != strconv.Itoa(3-i) {
				t.Errorf("hit %d on node %d: X-RateLimit-Remaining %q, want %d", i, node, got, 3-i)
			}
		}
		for i := 4; i <= 6; i++ {
			r, node := rr.do(t, "GET", "/throttled")
			expectStatus(t, r, http.StatusTooManyRequests, fmt.Sprintf("hit %d within a minute (node %d)", i, node))
		}
	})
}
