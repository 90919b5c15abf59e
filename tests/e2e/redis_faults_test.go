package e2e

// Redis failing under a serving node (SPEC section 9): killed while
// clients hammer the store, then restarted empty; hung (SIGSTOP) and
// resumed. What a user notices: every KV call answers its failure value
// within command_timeout, pages keep being served, the store works again
// when Redis is back, and no node serves a value Redis no longer has.

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ephpm/ephpm/internal/redistest"
)

// faultTimeout is the nodes' command_timeout; faultSlack is what a call may
// take beyond it on a busy machine (2 cores shared with other builds).
const (
	faultTimeout = 200 * time.Millisecond
	faultSlack   = 800 * time.Millisecond
)

// failureValue is what each op of kv_node.php returns when the store
// cannot answer (SPEC section 9: null, false, -2).
var failureValue = map[string]any{"get": nil, "set": false, "setnx": false, "incr": false, "ttl": -2.0, "exists": false}

// loadOp is one answer seen by the load.
type loadOp struct {
	op      string
	started time.Time
	ans     kvAnswer
	err     error
}

// kvLoad runs clients goroutines of mixed KV calls against n, plus one
// client of pages that do not use the store, until stop is closed.
type kvLoad struct {
	mu    sync.Mutex
	ops   []loadOp
	pages []loadOp // status and time of the non-KV pages
	stop  chan struct{}
	wg    sync.WaitGroup
}

func startKVLoad(n *server, clients int) *kvLoad {
	l := &kvLoad{stop: make(chan struct{})}
	ops := []struct {
		op     string
		params []string
	}{
		{"get", []string{"key", "uncached"}},
		{"set", []string{"key", "load", "value", "x"}},
		{"incr", []string{"key", "load-ctr"}},
		{"setnx", []string{"key", "load-nx", "value", "x", "ttl", "1"}},
		{"ttl", []string{"key", "missing-key"}},
		{"exists", []string{"key", "load-missing"}},
	}
	for c := 0; c < clients; c++ {
		l.wg.Add(1)
		go func(c int) {
			defer l.wg.Done()
			for i := c; ; i++ {
				select {
				case <-l.stop:
					return
				default:
				}
				o := ops[i%len(ops)]
				t0 := time.Now()
				a, err := kvq(n, o.op, o.params...)
				l.mu.Lock()
				l.ops = append(l.ops, loadOp{op: o.op, started: t0, ans: a, err: err})
				l.mu.Unlock()
			}
		}(c)
	}
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		for i := 0; ; i++ {
			select {
			case <-l.stop:
				return
			default:
			}
			path := "/index.php"
			if i%2 == 1 {
				path = "/style.css"
			}
			t0 := time.Now()
			resp, err := kvHTTP.Get(n.URL + path)
			a := kvAnswer{Elapsed: time.Since(t0)}
			if err == nil {
				a.Status = resp.StatusCode
				resp.Body.Close()
			}
			l.mu.Lock()
			l.pages = append(l.pages, loadOp{op: path, started: t0, ans: a, err: err})
			l.mu.Unlock()
			time.Sleep(20 * time.Millisecond)
		}
	}()
	return l
}

// finish stops the load and returns what it saw.
func (l *kvLoad) finish() (ops, pages []loadOp) {
	close(l.stop)
	l.wg.Wait()
	return l.ops, l.pages
}

// waitAnswers waits until the load has seen n more KV answers than it
// had, or the deadline passes.
func (l *kvLoad) waitAnswers(t *testing.T, n int) {
	t.Helper()
	l.mu.Lock()
	from := len(l.ops)
	l.mu.Unlock()
	poll(t, 30*time.Second, fmt.Sprintf("%d more KV answers under load", n), func() (bool, string) {
		l.mu.Lock()
		defer l.mu.Unlock()
		return len(l.ops)-from >= n, fmt.Sprintf("%d answers", len(l.ops)-from)
	})
}

// checkOutage asserts on the answers of calls started in [from, to): each
// a 200 with the op's failure value, within command_timeout + slack.
func checkOutage(t *testing.T, what string, ops []loadOp, from, to time.Time, wantFailure bool) int {
	t.Helper()
	n := 0
	var slowest time.Duration
	perOp := map[string]time.Duration{}
	for _, o := range ops {
		if o.started.Before(from) || !o.started.Before(to) {
			continue
		}
		n++
		if o.err != nil {
			t.Errorf("%s: %s: %v", what, o.op, o.err)
			continue
		}
		call := time.Duration(o.ans.Ms * float64(time.Millisecond))
		slowest = max(slowest, call)
		perOp[o.op] = max(perOp[o.op], call)
		if call > faultTimeout+faultSlack {
			t.Errorf("%s: %s took %v in PHP, want at most command_timeout %v (+%v slack)", what, o.op, call, faultTimeout, faultSlack)
		}
		if want := failureValue[o.op]; wantFailure && !jsonEqual(o.ans.Result, want) {
			t.Errorf("%s: %s returned %s, want its failure value %s", what, o.op, js(o.ans.Result), js(want))
		}
	}
	if n == 0 {
		t.Errorf("%s: no KV call was made", what)
	}
	t.Logf("%s: %d KV calls, slowest %v in PHP (by op %v)", what, n, slowest, perOp)
	return n
}

// checkPages asserts that every non-KV page asked for in [from, to) was
// served.
func checkPages(t *testing.T, what string, pages []loadOp, from, to time.Time) {
	t.Helper()
	n := 0
	var slowest time.Duration
	for _, p := range pages {
		if p.started.Before(from) || !p.started.Before(to) {
			continue
		}
		n++
		if p.err != nil || p.ans.Status != http.StatusOK {
			t.Errorf("%s: %s: status %d, %v", what, p.op, p.ans.Status, p.err)
		}
		slowest = max(slowest, p.ans.Elapsed)
	}
	if n == 0 {
		t.Errorf("%s: no page was asked for", what)
	}
	t.Logf("%s: %d pages served, slowest %v", what, n, slowest)
}

// failureLogLines counts the backend's failure lines in the node's log.
func failureLogLines(s *server) int {
	return strings.Count(s.Log(), "kv redis: call failed")
}

func TestRedisFaultKilledUnderLoad(t *testing.T) {
	rds := redistest.Start(t, redistest.Options{})
	n := startRedisNodes(t, 1, redisNodeConfig{
		Addrs: []string{rds.Addr}, KeyPrefix: "f:", ClientCache: "16MB", CommandTimeout: faultTimeout.String(),
	})[0]
	expectKV(t, n, true, "set", "key", "cached", "value", "before the kill")
	for i := 0; i < 3; i++ {
		expectKV(t, n, "before the kill", "get", "key", "cached")
	}

	load := startKVLoad(n, 4)
	load.waitAnswers(t, 40) // the load runs against a live Redis
	rds.Stop()
	killed := time.Now()
	// The cached value must not outlive the connection it came from: once
	// the node has seen the connection drop (at once: the kernel closes
	// it), it is gone. (The first answer may wait behind the load's calls
	// on the PHP thread.)
	stale := 0
	gone := poll(t, 2*time.Second, "the cached value dropped after the kill", func() (bool, string) {
		got := kv(t, n, "get", "key", "cached")
		if got != nil {
			stale++
		}
		return got == nil, js(got)
	})
	t.Logf("cached value no longer served %v after the kill (%d stale answers before)", gone, stale)
	load.waitAnswers(t, 60)
	downUntil := time.Now()
	ops, pages := load.finish()

	checkOutage(t, "Redis killed", ops, killed, downUntil, true)
	checkPages(t, "Redis killed", pages, killed, downUntil)
	if errs, ok := metric(t, n, `ephpm_kv_backend_errors_total{kind="connection"}`); !ok || errs == 0 {
		t.Errorf("/metrics: ephpm_kv_backend_errors_total{kind=\"connection\"} = %v (present %v) after the outage", errs, ok)
	}
	if lines := failureLogLines(n); lines == 0 || lines > 3 {
		t.Errorf("%d failure lines in the log for an outage of %v: want a few (rate-limited)", lines, downUntil.Sub(killed))
	}

	rds.Restart()
	took := poll(t, 10*time.Second, "the store works again after Redis restarts", func() (bool, string) {
		a, err := kvq(n, "set", "key", "probe", "value", "back")
		return err == nil && a.Result == true, fmt.Sprint(a.Result, err)
	})
	t.Logf("KV working again %v after Redis restarted", took)
	// Redis came back empty: nothing cached before the kill is served.
	expectKV(t, n, nil, "get", "key", "cached")
	expectKV(t, n, 1, "incr", "key", "load-ctr")
	expectKV(t, n, "back", "get", "key", "probe")
	if got := rds.CLI("GET", "f:probe"); got != "back" {
		t.Errorf("redis-cli GET f:probe = %q after recovery", got)
	}
}

func TestRedisFaultHungRedis(t *testing.T) {
	// Mostly waiting (cluster forming, timeouts, a failover): run beside
	// the others.
	t.Parallel()
	rds := redistest.Start(t, redistest.Options{})
	n := startRedisNodes(t, 1, redisNodeConfig{
		Addrs: []string{rds.Addr}, KeyPrefix: "h:", ClientCache: "16MB", CommandTimeout: faultTimeout.String(),
	})[0]
	expectKV(t, n, true, "set", "key", "kept", "value", "v")

	var resumed atomic.Bool
	t.Cleanup(func() {
		if !resumed.Load() {
			rds.Resume()
		}
	})
	rds.Pause()
	paused := time.Now()
	load := startKVLoad(n, 4)
	load.waitAnswers(t, 20) // each may take command_timeout
	hungUntil := time.Now()
	ops, pages := load.finish()
	// Calls made while Redis is hung wait at most command_timeout. (A write
	// that timed out may still be applied when Redis wakes: the client
	// cannot know, so only the time and that nothing hangs are checked,
	// plus the failure value of the reads.)
	checkOutage(t, "Redis hung", ops, paused, hungUntil, false)
	for _, o := range ops {
		if o.op == "get" && o.ans.Result != nil {
			t.Errorf("Redis hung: get of a key never written returned %s", js(o.ans.Result))
		}
	}
	checkPages(t, "Redis hung", pages, paused, hungUntil)
	if errs, ok := metric(t, n, `ephpm_kv_backend_errors_total{kind="timeout"}`); !ok || errs == 0 {
		t.Errorf("/metrics: ephpm_kv_backend_errors_total{kind=\"timeout\"} = %v (present %v) while Redis hangs", errs, ok)
	}

	rds.Resume()
	resumed.Store(true)
	took := poll(t, 10*time.Second, "the store answers again after Redis resumes", func() (bool, string) {
		a, err := kvq(n, "get", "key", "kept")
		return err == nil && a.Result == "v", fmt.Sprint(a.Result, err)
	})
	t.Logf("KV answering again %v after Redis resumed", took)
	expectKV(t, n, true, "set", "key", "kept", "value", "v2")
	expectKV(t, n, "v2", "get", "key", "kept")
}

// Writes that time out on a hung Redis stay queued in the client and are
// sent when Redis wakes, after PHP has freed (and maybe unmapped) the
// value's memory: the backend must send its own copy. What a user sees
// otherwise: the server crashes when Redis comes back, or a key holds bytes
// nobody wrote.
func TestRedisFaultHungRedisLargeWrites(t *testing.T) {
	// Mostly waiting (cluster forming, timeouts, a failover): run beside
	// the others.
	t.Parallel()
	rds := redistest.Start(t, redistest.Options{})
	n := startRedisNodes(t, 1, redisNodeConfig{
		Addrs: []string{rds.Addr}, KeyPrefix: "big:", ClientCache: "16MB", CommandTimeout: faultTimeout.String(),
	})[0]
	var resumed atomic.Bool
	t.Cleanup(func() {
		if !resumed.Load() {
			rds.Resume()
		}
	})
	rds.Pause()
	// 12 values of 3 MB: more than the socket buffers hold, so most stay
	// in the client's queue; each over PHP's 2 MB "huge" size, so freeing
	// it unmaps it.
	m := decodeJSON(t, n.get(t, "/kv_big.php?op=set&n=12&size=3000000"))
	for i, r := range m["out"].([]any) {
		call := r.(map[string]any)
		if call["result"] != false {
			t.Errorf("set %d with Redis hung returned %v", i, call["result"])
		}
		if ms, _ := call["ms"].(float64); time.Duration(ms*float64(time.Millisecond)) > faultTimeout+faultSlack {
			t.Errorf("set %d with Redis hung took %.0f ms", i, ms)
		}
	}
	expectStatus(t, n.get(t, "/kv_big.php?op=scribble&size=3000000"), 200, "reusing PHP's memory")
	rds.Resume()
	resumed.Store(true)
	poll(t, 10*time.Second, "the store answers after Redis resumes", func() (bool, string) {
		if n.Exited() {
			t.Fatalf("the server died when Redis resumed:\n%s", n.Log())
		}
		a, err := kvq(n, "set", "key", "probe", "value", "ok")
		return err == nil && a.Result == true, fmt.Sprint(a.Result, err)
	})
	m = decodeJSON(t, n.get(t, "/kv_big.php?op=verify&n=12&size=3000000"))
	for i, v := range m["out"].([]any) {
		if v != "absent" && v != "exact" {
			t.Errorf("big:%d after Redis resumed: %v", i, v)
		}
	}
	t.Logf("values after Redis resumed: %v", m["out"])
	if n.Exited() {
		t.Fatalf("the server died:\n%s", n.Log())
	}
}

// A node started while Redis is down starts at once and serves pages; its
// KV calls fail until Redis comes, then work without a restart.
func TestRedisFaultDownAtStart(t *testing.T) {
	rds := redistest.Start(t, redistest.Options{})
	rds.Stop()
	t0 := time.Now()
	n := startRedisNodes(t, 1, redisNodeConfig{
		Addrs: []string{rds.Addr}, KeyPrefix: "late:", ClientCache: "16MB", CommandTimeout: faultTimeout.String(),
	})[0]
	t.Logf("node listening %v after start with Redis down", time.Since(t0))
	expectStatus(t, n.get(t, "/index.php"), 200, "a page with Redis down")
	a, err := kvq(n, "set", "key", "k", "value", "v")
	if err != nil || a.Result != false || time.Duration(a.Ms*float64(time.Millisecond)) > faultTimeout+faultSlack {
		t.Errorf("set with Redis down: %+v %v, want false within %v", a, err, faultTimeout)
	}
	expectKV(t, n, nil, "get", "key", "k")
	rds.Restart()
	took := poll(t, 10*time.Second, "the KV works once Redis is up", func() (bool, string) {
		a, err := kvq(n, "set", "key", "k", "value", "v")
		return err == nil && a.Result == true, fmt.Sprint(a.Result, err)
	})
	t.Logf("KV working %v after Redis came up", took)
	expectKV(t, n, "v", "get", "key", "k")
	if got := rds.CLI("GET", "late:k"); got != "v" {
		t.Errorf("redis-cli GET late:k = %q", got)
	}
}
