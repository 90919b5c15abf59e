package e2e

// The Laravel application in testdata/laravel-app (Debian's Laravel 8.83,
// ephpm/cache-laravel from composer/cache-laravel found by package
// discovery) served by the real binary with its bundled ephpm.toml, in
// request mode and in worker mode, over real HTTP.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

const laravelProvider = `Ephpm\Cache\Laravel\EphpmCacheServiceProvider`

// laravelModes are the two ways to serve the app: both run the whole suite.
var laravelModes = []struct {
	name string
	env  []string
}{
	{"request", nil},
	{"worker", []string{"EPHPM_PHP__MODE=worker", "EPHPM_PHP__WORKER_SCRIPT=worker.php"}},
}

// startLaravel serves testdata/laravel-app with its own ephpm.toml, run as
// the README says (`ephpm serve --config testdata/laravel-app/ephpm.toml`
// from the repository root), on a free loopback port.
func startLaravel(t *testing.T, env ...string) *server {
	t.Helper()
	if _, err := os.Stat("/usr/share/php/Illuminate/autoload.php"); err != nil {
		t.Fatalf("the Laravel app needs Debian's php-laravel-framework (scripts/install-deps.sh installs it): %v", err)
	}
	args := []string{
		"--config", filepath.Join("testdata", "laravel-app", "ephpm.toml"),
		"EPHPM_SERVER__LISTEN=127.0.0.1:0",
		// What the app's .env says, stated here so a CACHE_DRIVER in the
		// caller's environment cannot change what is tested.
		"CACHE_DRIVER=ephpm", "SESSION_DRIVER=cache",
	}
	s := startArgs(t, repoRoot, append(args, env...)...)
	s.Root = filepath.Join(repoRoot, "testdata", "laravel-app", "public")
	return s
}

// call sends a request with an optional JSON body and decodes the JSON
// answer, which must have status 200.
func (s *server) call(t *testing.T, method, path string, body any) map[string]any {
	t.Helper()
	r := s.callRaw(t, method, path, body)
	expectStatus(t, r, http.StatusOK, method+" "+path)
	return decodeJSON(t, r)
}

func (s *server) callRaw(t *testing.T, method, path string, body any) response {
	t.Helper()
	var rd io.Reader
	headers := map[string]string{"Accept": "application/json"}
	if body != nil {
		b, err := json.Marshal(body)
		must(t, err)
		rd = bytes.NewReader(b)
		headers["Content-Type"] = "application/json"
	}
	return s.request(t, method, path, rd, headers)
}

func jsonEqual(a, b any) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return bytes.Equal(ja, jb)
}

func wantFields(t *testing.T, what string, got map[string]any, want map[string]any) {
	t.Helper()
	for k, w := range want {
		if !jsonEqual(got[k], w) {
			t.Errorf("%s: %s = %s, want %s (whole answer %s)", what, k, js(got[k]), js(w), js(got))
		}
	}
}

func js(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func contains(list any, s string) bool {
	l, _ := list.([]any)
	for _, v := range l {
		if v == s {
			return true
		}
	}
	return false
}

func TestLaravel(t *testing.T) {
	for _, mode := range laravelModes {
		mode := mode
		t.Run(mode.name, func(t *testing.T) {
			t.Parallel()
			s := startLaravel(t, mode.env...)
			requests := 0 // requests sent to this server (for the worker's count)
			run := func(name string, f func(t *testing.T, s *counted)) {
				c := &counted{server: s}
				t.Run(name, func(t *testing.T) { f(t, c) })
				requests += int(c.n.Load())
			}
			run("health", laravelHealth)
			run("put_get_has_forget", laravelPutGet)
			run("forever", laravelForever)
			run("types_round_trip", laravelTypes)
			run("increment_decrement", laravelIncrement)
			run("remember", laravelRemember)
			run("many_putMany", laravelMany)
			run("add", laravelAdd)
			run("expiry", laravelExpiry)
			run("tags", laravelTags)
			run("locks", laravelLocks)
			run("lock_one_holder_at_a_time", laravelLockRace)
			run("increment_8_clients_x_100", laravelConcurrentIncrement)
			run("rate_limiter", laravelRateLimiter)
			run("throttle_middleware", laravelThrottle)
			run("sessions", laravelSessions)
			run("queued_cookies", laravelQueuedCookies)
			run("runtime_config", laravelRuntimeConfig)
			run("bench_route", laravelBenchRoute)
			run("flush_keeps_other_prefix", laravelFlush)
			t.Run("boots", func(t *testing.T) {
				m := s.call(t, "GET", "/worker/boots", nil)
				if mode.name == "request" {
					if m["mode"] != "request" {
						t.Errorf("request mode: %v", m)
					}
					return
				}
				// One boot per PHP thread for everything the suite sent: a
				// second boot of a thread would push the count past them.
				threads := phpThreads(t, s)
				if m["mode"] != "worker" || num(m, "boots") < 1 || num(m, "boots") > threads {
					t.Errorf("worker mode after %d requests on %d PHP threads: %v, want 1 boot per thread", requests, threads, m)
				}
				if threads == 1 && (num(m, "boots") != 1 || num(m, "served") < requests) {
					t.Errorf("worker mode after %d requests: %v, want boots 1 and served >= %d", requests, m, requests)
				}
				r := s.get(t, "/api/cache/x")
				if b, err := strconv.Atoi(r.Header.Get("X-Worker-Boots")); err != nil || b < 1 || b > threads {
					t.Errorf("X-Worker-Boots %q, want 1..%d", r.Header.Get("X-Worker-Boots"), threads)
				}
			})
		})
	}
}

var phpThreadsRe = regexp.MustCompile(`php_threads=(\d+)`)

// phpThreads is the number of PHP threads the server said it runs (1 with
// Debian's non-thread-safe libphp; more with the ZTS build): in worker mode
// each boots the application once.
func phpThreads(t *testing.T, s *server) int {
	t.Helper()
	m := phpThreadsRe.FindStringSubmatch(s.Log())
	if m == nil {
		t.Fatalf("no php_threads= in the server log:\n%s", s.Log())
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// counted is a server whose requests are counted.
type counted struct {
	*server
	n atomic.Int64
}

func (c *counted) call(t *testing.T, method, path string, body any) map[string]any {
	t.Helper()
	c.n.Add(1)
	return c.server.call(t, method, path, body)
}

func (c *counted) callRaw(t *testing.T, method, path string, body any) response {
	t.Helper()
	c.n.Add(1)
	return c.server.callRaw(t, method, path, body)
}

// post is a POST for goroutines other than the test's own (which must not
// call t.Fatal): any failure comes back as an error.
func (c *counted) post(what, path string) (map[string]any, error) {
	c.n.Add(1)
	resp, err := client.Post(c.URL+path, "application/json", nil)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", what, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("%s: reading the answer: %v", what, err)
	}
	var m map[string]any
	if resp.StatusCode != 200 || json.Unmarshal(body, &m) != nil {
		return nil, fmt.Errorf("%s: status %d: %.300s", what, resp.StatusCode, body)
	}
	return m, nil
}

func laravelHealth(t *testing.T, s *counted) {
	m := s.call(t, "GET", "/health", nil)
	wantFields(t, "/health", m, map[string]any{
		"status": "ok", "ephpm_kv_functions": true, "ephpm_store_roundtrip": true,
		"cache_default": "ephpm", "session_driver": "cache", "php_sapi": "ephpm",
	})
	// The provider comes from package discovery (config/app.php does not
	// list it), and it is loaded.
	if !contains(m["discovered_providers"], laravelProvider) || !contains(m["loaded_providers"], laravelProvider) {
		t.Errorf("provider not discovered and loaded: discovered %v loaded %v", m["discovered_providers"], m["loaded_providers"])
	}
	if v, _ := m["laravel"].(string); !strings.HasPrefix(v, "8.") {
		t.Errorf("laravel version %q", v)
	}
	// Unknown routes are Laravel's 404, as JSON.
	if r := s.callRaw(t, "GET", "/no/such/route", nil); r.Status != 404 {
		t.Errorf("unknown route: %d %s", r.Status, r.Body)
	}
}

func laravelPutGet(t *testing.T, s *counted) {
	wantFields(t, "put", s.call(t, "PUT", "/api/cache/greeting", map[string]any{"value": "hello", "ttl": 60}), map[string]any{"stored": true})
	wantFields(t, "get", s.call(t, "GET", "/api/cache/greeting", nil), map[string]any{
		"has": true, "missing": false, "value": "hello", "type": "string",
	})
	// Stored in ePHPm's KV under "prefix:key", with the TTL given.
	kv := s.call(t, "GET", "/api/kv/greeting", nil)
	if kv["kv_key"] != "cache:greeting" || kv["exists"] != true || num(kv, "ttl") < 55 || num(kv, "ttl") > 60 {
		t.Errorf("in the KV store: %v, want cache:greeting with a TTL of 60", kv)
	}
	// Replacing a value.
	s.call(t, "PUT", "/api/cache/greeting", map[string]any{"value": "bonjour", "ttl": 60})
	wantFields(t, "get after replace", s.call(t, "GET", "/api/cache/greeting", nil), map[string]any{"value": "bonjour"})
	// A miss.
	wantFields(t, "miss", s.call(t, "GET", "/api/cache/never-set", nil), map[string]any{
		"has": false, "missing": true, "value": nil,
	})
	wantFields(t, "forget", s.call(t, "DELETE", "/api/cache/greeting", nil), map[string]any{"forgotten": true})
	wantFields(t, "get after forget", s.call(t, "GET", "/api/cache/greeting", nil), map[string]any{
		"has": false, "missing": true, "value": nil,
	})
	wantFields(t, "kv after forget", s.call(t, "GET", "/api/kv/greeting", nil), map[string]any{"exists": false, "ttl": -2})
	wantFields(t, "forget again", s.call(t, "DELETE", "/api/cache/greeting", nil), map[string]any{"forgotten": false})
}

func laravelForever(t *testing.T, s *counted) {
	s.call(t, "PUT", "/api/cache/eternal", map[string]any{"value": []int{1, 2}, "ttl": nil})
	wantFields(t, "forever", s.call(t, "GET", "/api/cache/eternal", nil), map[string]any{"value": []int{1, 2}, "type": "array"})
	wantFields(t, "forever in KV", s.call(t, "GET", "/api/kv/eternal", nil), map[string]any{"exists": true, "ttl": -1})
}

func laravelTypes(t *testing.T, s *counted) {
	m := s.call(t, "GET", "/api/types", nil)
	want := []string{"int", "negative_int", "zero", "int_max", "float", "whole_float", "numeric_string",
		"float_string", "string", "empty_string", "true", "false", "array", "list", "stdclass", "object",
		"carbon", "collection"}
	for _, k := range want {
		e, ok := m[k].(map[string]any)
		if !ok {
			t.Errorf("types: %s missing from %v", k, m)
			continue
		}
		if e["same"] != true || e["got"] != e["put"] {
			t.Errorf("types: %s put as %v came back as %v: %v", k, e["put"], e["got"], e["got_export"])
		}
	}
	// The same through JSON: a number stays a number of its kind, a
	// numeric string stays a string.
	for _, c := range []struct {
		value any
		typ   string
	}{
		{5, "int"}, {"5", "string"}, {0.30000000000000004, "float"}, {-1.5e300, "float"},
		{true, "bool"}, {false, "bool"}, {"", "string"}, {" padded ", "string"},
		{map[string]any{"a": []any{1, "b", nil}}, "array"},
	} {
		s.call(t, "PUT", "/api/cache/typed", map[string]any{"value": c.value, "ttl": 60})
		got := s.call(t, "GET", "/api/cache/typed", nil)
		if got["type"] != c.typ || !jsonEqual(got["value"], c.value) {
			t.Errorf("put %s: got %s (%v), want %s", js(c.value), js(got["value"]), got["type"], c.typ)
		}
	}
}

func laravelIncrement(t *testing.T, s *counted) {
	steps := []struct {
		method, path string
		want         any
	}{
		{"POST", "/api/cache/hits/increment", 1},
		{"POST", "/api/cache/hits/increment?by=5", 6},
		{"POST", "/api/cache/hits/decrement?by=2", 4},
		{"POST", "/api/cache/hits/decrement", 3},
	}
	for _, st := range steps {
		wantFields(t, st.path, s.call(t, st.method, st.path, nil), map[string]any{"value": st.want})
	}
	wantFields(t, "counter read back", s.call(t, "GET", "/api/cache/hits", nil), map[string]any{"value": 3, "type": "int"})
	// A number stored with put can be incremented; its TTL stays.
	s.call(t, "PUT", "/api/cache/stock", map[string]any{"value": 10, "ttl": 60})
	wantFields(t, "increment after put", s.call(t, "POST", "/api/cache/stock/increment", nil), map[string]any{"value": 11})
	if kv := s.call(t, "GET", "/api/kv/stock", nil); num(kv, "ttl") < 55 {
		t.Errorf("increment dropped the TTL: %v", kv)
	}
	wantFields(t, "decrement below zero", s.call(t, "POST", "/api/cache/stock/decrement?by=20", nil), map[string]any{"value": -9})
	// Anything else is not a counter: false, value untouched.
	s.call(t, "PUT", "/api/cache/word", map[string]any{"value": "abc", "ttl": 60})
	wantFields(t, "increment a string", s.call(t, "POST", "/api/cache/word/increment", nil), map[string]any{"value": false})
	wantFields(t, "string untouched", s.call(t, "GET", "/api/cache/word", nil), map[string]any{"value": "abc"})
}

func laravelRemember(t *testing.T, s *counted) {
	first := s.call(t, "POST", "/api/cache/report/remember?ttl=60", nil)
	second := s.call(t, "POST", "/api/cache/report/remember?ttl=60", nil)
	if num(first, "computed") != 1 || num(second, "computed") != 0 || !jsonEqual(first["value"], second["value"]) {
		t.Errorf("remember: first %v, second %v: want computed once, the same value twice", first, second)
	}
	if kv := s.call(t, "GET", "/api/kv/report", nil); num(kv, "ttl") < 55 || num(kv, "ttl") > 60 {
		t.Errorf("remember ttl: %v", kv)
	}
	first = s.call(t, "POST", "/api/cache/settings/remember?ttl=forever", nil)
	second = s.call(t, "POST", "/api/cache/settings/remember?ttl=forever", nil)
	if num(first, "computed") != 1 || num(second, "computed") != 0 || !jsonEqual(first["value"], second["value"]) {
		t.Errorf("rememberForever: first %v, second %v", first, second)
	}
	wantFields(t, "rememberForever ttl", s.call(t, "GET", "/api/kv/settings", nil), map[string]any{"ttl": -1})
	// After forget, the closure runs again.
	s.call(t, "DELETE", "/api/cache/report", nil)
	if m := s.call(t, "POST", "/api/cache/report/remember?ttl=60", nil); num(m, "computed") != 1 || jsonEqual(m["value"], first["value"]) {
		t.Errorf("remember after forget: %v", m)
	}
}

func laravelMany(t *testing.T, s *counted) {
	values := map[string]any{"m1": 1, "m2": "two", "m3": []any{3.5, "x"}, "m4": false}
	wantFields(t, "putMany", s.call(t, "POST", "/api/many", map[string]any{"values": values, "ttl": 60}), map[string]any{"stored": true})
	m := s.call(t, "GET", "/api/many?keys=m1,m2,m3,m4,m5", nil)
	want := map[string]any{"m1": 1, "m2": "two", "m3": []any{3.5, "x"}, "m4": false, "m5": nil}
	if !jsonEqual(m["values"], want) {
		t.Errorf("many: %s, want %s", js(m["values"]), js(want))
	}
	if kv := s.call(t, "GET", "/api/kv/m2", nil); num(kv, "ttl") < 55 {
		t.Errorf("putMany ttl: %v", kv)
	}
}

func laravelAdd(t *testing.T, s *counted) {
	wantFields(t, "add new", s.call(t, "POST", "/api/cache/once/add", map[string]any{"value": "first"}), map[string]any{"added": true})
	wantFields(t, "add existing", s.call(t, "POST", "/api/cache/once/add", map[string]any{"value": "second"}), map[string]any{"added": false})
	wantFields(t, "add kept the first", s.call(t, "GET", "/api/cache/once", nil), map[string]any{"value": "first"})
	s.call(t, "DELETE", "/api/cache/once", nil)
	wantFields(t, "add after forget", s.call(t, "POST", "/api/cache/once/add", map[string]any{"value": "third"}), map[string]any{"added": true})
	wantFields(t, "added value", s.call(t, "GET", "/api/cache/once", nil), map[string]any{"value": "third"})
}

// expiry: a 2-second item and a 2-second lock are gone 3.3 s later (the
// margins are wide on purpose: a slow machine must not fail this).
func laravelExpiry(t *testing.T, s *counted) {
	s.call(t, "PUT", "/api/cache/short", map[string]any{"value": "soon gone", "ttl": 2})
	wantFields(t, "lock for 2s", s.call(t, "POST", "/api/lock/short-lock/acquire?seconds=2&owner=a", nil), map[string]any{"acquired": true})
	wantFields(t, "fresh", s.call(t, "GET", "/api/cache/short", nil), map[string]any{"has": true})
	wantFields(t, "lock held", s.call(t, "POST", "/api/lock/short-lock/acquire?seconds=2&owner=b", nil), map[string]any{"acquired": false})
	time.Sleep(3300 * time.Millisecond)
	wantFields(t, "expired", s.call(t, "GET", "/api/cache/short", nil), map[string]any{"has": false, "value": nil})
	wantFields(t, "expired in KV", s.call(t, "GET", "/api/kv/short", nil), map[string]any{"exists": false})
	wantFields(t, "lock expired", s.call(t, "POST", "/api/lock/short-lock/acquire?seconds=2&owner=b", nil), map[string]any{"acquired": true})
}

func laravelTags(t *testing.T, s *counted) {
	put := func(tags []string, key, value string) {
		wantFields(t, "tagged put "+key, s.call(t, "POST", "/api/tags/put", map[string]any{"tags": tags, "key": key, "value": value}), map[string]any{"stored": true})
	}
	get := func(tags []string, key string) any {
		return s.call(t, "POST", "/api/tags/get", map[string]any{"tags": tags, "key": key})["value"]
	}
	put([]string{"posts"}, "p1", "post one")
	put([]string{"comments"}, "c1", "comment one")
	put([]string{"posts", "comments"}, "pc", "both")
	s.call(t, "PUT", "/api/cache/untagged", map[string]any{"value": "plain", "ttl": 60})
	if get([]string{"posts"}, "p1") != "post one" || get([]string{"posts", "comments"}, "pc") != "both" {
		t.Fatalf("tagged values not readable")
	}
	wantFields(t, "flush tag", s.call(t, "POST", "/api/tags/flush", map[string]any{"tags": []string{"posts"}}), map[string]any{"flushed": true})
	if v := get([]string{"posts"}, "p1"); v != nil {
		t.Errorf("p1 survived flushing its tag: %v", v)
	}
	if v := get([]string{"posts", "comments"}, "pc"); v != nil {
		t.Errorf("pc (tagged posts+comments) survived flushing posts: %v", v)
	}
	if v := get([]string{"comments"}, "c1"); v != "comment one" {
		t.Errorf("c1 (another tag) lost: %v", v)
	}
	wantFields(t, "untagged survives", s.call(t, "GET", "/api/cache/untagged", nil), map[string]any{"value": "plain"})
	// The tag is usable again after its flush.
	put([]string{"posts"}, "p1", "post one again")
	if v := get([]string{"posts"}, "p1"); v != "post one again" {
		t.Errorf("after re-put: %v", v)
	}
}

func laravelLocks(t *testing.T, s *counted) {
	acquire := func(owner string) any {
		return s.call(t, "POST", "/api/lock/report-lock/acquire?seconds=30&owner="+owner, nil)["acquired"]
	}
	release := func(owner string) any {
		return s.call(t, "POST", "/api/lock/report-lock/release?owner="+owner, nil)["released"]
	}
	if acquire("alice") != true {
		t.Fatal("alice could not take a free lock")
	}
	if acquire("bob") != false {
		t.Error("bob took a lock alice holds")
	}
	if release("bob") != false {
		t.Error("bob released alice's lock")
	}
	if acquire("carol") != false {
		t.Error("the lock was free after a release by a non-owner")
	}
	if release("alice") != true {
		t.Error("alice could not release her lock")
	}
	if acquire("bob") != true {
		t.Error("bob could not take the lock after alice released it")
	}
	// block(): times out while the lock is held. Laravel 8 counts the wait
	// in whole seconds of the clock, so block(2) waits between 1 and 2 s.
	m := s.call(t, "POST", "/api/lock/report-lock/block?wait=2", nil)
	if m["acquired"] != false {
		t.Errorf("block() got a held lock: %v", m)
	} else if w, _ := m["waited"].(float64); w < 0.95 {
		t.Errorf("block(2) gave up after %.2fs, want at least 1s", w)
	}
	// ... and runs its closure once the lock is free.
	s.call(t, "POST", "/api/lock/report-lock/force-release", nil)
	wantFields(t, "block on a free lock", s.call(t, "POST", "/api/lock/report-lock/block?wait=1", nil), map[string]any{"acquired": true, "result": "ran"})
	// block() released it: it is free.
	if acquire("dave") != true {
		t.Error("block() did not release the lock")
	}
}

// 8 clients try to take the same lock at once, three times over: exactly
// one gets it each time, and only its release frees it.
func laravelLockRace(t *testing.T, s *counted) {
	for round := 0; round < 3; round++ {
		var wg sync.WaitGroup
		var mu sync.Mutex
		var winners []string
		for i := 0; i < 8; i++ {
			owner := fmt.Sprintf("r%d-c%d", round, i)
			wg.Add(1)
			go func() {
				defer wg.Done()
				m, err := s.post(owner, "/api/lock/race/acquire?seconds=60&owner="+owner)
				if err != nil {
					t.Error(err)
					return
				}
				if m["acquired"] == true {
					mu.Lock()
					winners = append(winners, owner)
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if len(winners) != 1 {
			t.Fatalf("round %d: %d clients hold the lock (%v), want exactly 1", round, len(winners), winners)
		}
		wantFields(t, "winner releases", s.call(t, "POST", "/api/lock/race/release?owner="+winners[0], nil), map[string]any{"released": true})
	}
}

func laravelConcurrentIncrement(t *testing.T, s *counted) {
	const clients, each = 8, 100
	var wg sync.WaitGroup
	var mu sync.Mutex
	seen := map[int]int{}
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				m, err := s.post("increment", "/api/cache/page-views/increment")
				if err != nil {
					t.Error(err)
					return
				}
				v := num(m, "value")
				mu.Lock()
				seen[v]++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	wantFields(t, "after 8 x 100 increments", s.call(t, "GET", "/api/cache/page-views", nil), map[string]any{"value": clients * each})
	// Every increment saw its own value: 1..800, each exactly once.
	for v := 1; v <= clients*each; v++ {
		if seen[v] != 1 {
			t.Fatalf("value %d returned %d times by increment (want once each of 1..%d)", v, seen[v], clients*each)
		}
	}
}

func laravelRateLimiter(t *testing.T, s *counted) {
	s.call(t, "DELETE", "/api/ratelimit/send-message:42", nil)
	want := []struct {
		allowed   bool
		remaining int
	}{{true, 2}, {true, 1}, {true, 0}, {false, 0}}
	for i, w := range want {
		m := s.call(t, "POST", "/api/ratelimit/send-message:42?max=3", nil)
		if m["allowed"] != w.allowed || num(m, "remaining") != w.remaining {
			t.Errorf("attempt %d: %v, want allowed=%v remaining=%d", i+1, m, w.allowed, w.remaining)
		}
		if i == 3 {
			if m["too_many"] != true || num(m, "available_in") < 1 || num(m, "available_in") > 60 {
				t.Errorf("blocked attempt: %v", m)
			}
		}
	}
	// Another key has its own budget; clearing restores the first.
	if m := s.call(t, "POST", "/api/ratelimit/send-message:43?max=3", nil); m["allowed"] != true {
		t.Errorf("another key limited: %v", m)
	}
	s.call(t, "DELETE", "/api/ratelimit/send-message:42", nil)
	if m := s.call(t, "POST", "/api/ratelimit/send-message:42?max=3", nil); m["allowed"] != true || num(m, "remaining") != 2 {
		t.Errorf("after clear: %v", m)
	}
}

func laravelThrottle(t *testing.T, s *counted) {
	for i := 1; i <= 3; i++ {
		r := s.callRaw(t, "GET", "/throttled", nil)
		expectStatus(t, r, 200, fmt.Sprintf("hit %d", i))
		if r.Header.Get("X-RateLimit-Limit") != "3" || r.Header.Get("X-RateLimit-Remaining") != strconv.Itoa(3-i) {
			t.Errorf("hit %d: X-RateLimit-Limit %q X-RateLimit-Remaining %q", i, r.Header.Get("X-RateLimit-Limit"), r.Header.Get("X-RateLimit-Remaining"))
		}
	}
	r := s.callRaw(t, "GET", "/throttled", nil)
	expectStatus(t, r, http.StatusTooManyRequests, "4th hit within a minute")
	if ra, err := strconv.Atoi(r.Header.Get("Retry-After")); err != nil || ra < 1 || ra > 60 {
		t.Errorf("Retry-After %q", r.Header.Get("Retry-After"))
	}
	if m := decodeJSON(t, r); m["message"] != "Too Many Attempts." {
		t.Errorf("429 body: %v", m)
	}
	// A named limiter (2 a minute), counted apart from the route above.
	for i := 1; i <= 3; i++ {
		want := 200
		if i == 3 {
			want = 429
		}
		expectStatus(t, s.callRaw(t, "GET", "/throttled/named", nil), want, fmt.Sprintf("named limiter, hit %d", i))
	}
}

// browser is an HTTP client with its own cookie jar.
type browser struct {
	c       *http.Client
	s       *counted
	cookies []string // every Set-Cookie value it received
}

func newBrowser(t *testing.T, s *counted) *browser {
	jar, err := cookiejar.New(nil)
	must(t, err)
	return &browser{s: s, c: &http.Client{Jar: jar, Timeout: 30 * time.Second}}
}

func (b *browser) do(t *testing.T, method, path string, form url.Values, headers map[string]string) response {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, b.s.URL+path, body)
	must(t, err)
	req.Header.Set("Accept", "application/json")
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	b.s.n.Add(1)
	resp, err := b.c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	must(t, err)
	for _, c := range resp.Cookies() {
		b.cookies = append(b.cookies, c.Name+"="+c.Value)
	}
	return response{Status: resp.StatusCode, Header: resp.Header, Body: string(data)}
}

func (b *browser) json(t *testing.T, path string) map[string]any {
	t.Helper()
	r := b.do(t, "GET", path, nil, nil)
	expectStatus(t, r, 200, "GET "+path)
	return decodeJSON(t, r)
}

func laravelSessions(t *testing.T, s *counted) {
	alice, bob := newBrowser(t, s), newBrowser(t, s)
	a1 := alice.json(t, "/session/counter")
	if num(a1, "counter") != 1 || a1["driver"] != "cache" {
		t.Fatalf("first visit: %v", a1)
	}
	aliceID := a1["id"]
	// The cookie carries the session across requests; requests of another
	// client, and of clients without cookies, interleave.
	for i := 2; i <= 4; i++ {
		anon := s.call(t, "GET", "/session/counter", nil) // no cookie: a new session each time
		if num(anon, "counter") != 1 || anon["id"] == aliceID {
			t.Errorf("a client without cookies got %v (alice's session is %v)", anon, aliceID)
		}
		b := bob.json(t, "/session/counter")
		if num(b, "counter") != i-1 || b["id"] == aliceID {
			t.Errorf("bob's visit %d: %v (alice's session is %v)", i-1, b, aliceID)
		}
		a := alice.json(t, "/session/counter")
		if num(a, "counter") != i || a["id"] != aliceID {
			t.Errorf("alice's visit %d: %v, want counter %d in session %v", i, a, i, aliceID)
		}
	}
	// The session lives in the default cache store, under its id, for the
	// session lifetime (120 minutes).
	kv := s.call(t, "GET", "/api/kv/"+aliceID.(string), nil)
	if kv["kv_key"] != "cache:"+aliceID.(string) || kv["exists"] != true || num(kv, "ttl") < 7100 || num(kv, "ttl") > 7200 {
		t.Errorf("alice's session in the KV store: %v, want cache:<id> with a TTL of 7200", kv)
	}
	// Laravel encrypts its cookies: what one client was sent never shows
	// up in the answers to another.
	sent := map[string]bool{}
	for _, c := range alice.cookies {
		sent[c] = true
	}
	for _, c := range bob.cookies {
		if sent[c] {
			t.Errorf("bob received alice's cookie %.60s", c)
		}
	}

	// A form post needs the CSRF token of its own session.
	tok := alice.json(t, "/session/token")
	if tok["id"] != aliceID || tok["token"] == "" {
		t.Fatalf("token: %v", tok)
	}
	form := url.Values{"name": {"Alice"}}
	expectStatus(t, alice.do(t, "POST", "/session/name", form, nil), 419, "post without a CSRF token")
	expectStatus(t, bob.do(t, "POST", "/session/name", form, map[string]string{"X-CSRF-TOKEN": tok["token"].(string)}), 419, "bob posting with alice's token")
	r := alice.do(t, "POST", "/session/name", form, map[string]string{"X-CSRF-TOKEN": tok["token"].(string)})
	expectStatus(t, r, 200, "post with the session's CSRF token")
	if a := alice.json(t, "/session/counter"); a["name"] != "Alice" || num(a, "counter") != 5 {
		t.Errorf("alice's session after the post: %v", a)
	}
	if b := bob.json(t, "/session/counter"); b["name"] != nil || num(b, "counter") != 4 {
		t.Errorf("bob's session after alice's post: %v", b)
	}
	if anon := s.call(t, "GET", "/session/counter", nil); anon["name"] != nil || num(anon, "counter") != 1 {
		t.Errorf("a new client after alice's post: %v", anon)
	}
}

// A cookie queued by one request (Cookie::queue) goes out with that
// response only.
func laravelQueuedCookies(t *testing.T, s *counted) {
	setCookies := func(r response) (names []string) {
		for _, c := range (&http.Response{Header: r.Header}).Cookies() {
			names = append(names, c.Name)
		}
		return names
	}
	r := s.callRaw(t, "GET", "/cookie/queue?value=for-this-client", nil)
	expectStatus(t, r, 200, "queue a cookie")
	if names := setCookies(r); !contains(toAny(names), "greeting") {
		t.Fatalf("queued cookie not sent: %v", names)
	}
	for i := 0; i < 3; i++ {
		r := s.callRaw(t, "GET", "/session/counter", nil)
		expectStatus(t, r, 200, "next request")
		if names := setCookies(r); contains(toAny(names), "greeting") {
			t.Fatalf("a cookie queued by an earlier request was sent again: %v", names)
		}
	}
}

// A locale or config value set at runtime by one request is gone in the
// next.
func laravelRuntimeConfig(t *testing.T, s *counted) {
	m := s.call(t, "GET", "/locale?set=fr", nil)
	if m["locale"] != "fr" || m["config"] != "fr" || m["marker"] != "fr" {
		t.Fatalf("setting the locale: %v", m)
	}
	for i := 0; i < 3; i++ {
		m = s.call(t, "GET", "/locale", nil)
		want := map[string]any{"locale": "en", "config": "en", "marker": nil}
		if !jsonEqual(m["before"], want) {
			t.Fatalf("the next request starts with %v, want %v", m["before"], want)
		}
	}
}

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

func laravelBenchRoute(t *testing.T, s *counted) {
	first := s.call(t, "GET", "/bench/cached", nil)
	if first["message"] != "Hello from the cache" {
		t.Errorf("/bench/cached: %v", first)
	}
	second := s.call(t, "GET", "/bench/cached", nil)
	if !reflect.DeepEqual(first, second) {
		t.Errorf("/bench/cached changed: %v then %v", first, second)
	}
	if kv := s.call(t, "GET", "/api/kv/bench:cached", nil); kv["exists"] != true {
		t.Errorf("/bench/cached value not in the KV store: %v", kv)
	}
}

func laravelFlush(t *testing.T, s *counted) {
	s.call(t, "PUT", "/api/cache/doomed", map[string]any{"value": "a", "ttl": 60})
	s.call(t, "PUT", "/api/cache/doomed-forever", map[string]any{"value": "b", "ttl": nil})
	s.call(t, "PUT", "/api/cache/kept?store=ephpm_other", map[string]any{"value": "c", "ttl": 60})
	s.call(t, "PUT", "/api/cache/doomed?store=ephpm_other", map[string]any{"value": "same key, other store", "ttl": 60})
	wantFields(t, "flush", s.call(t, "POST", "/api/flush?store=ephpm", nil), map[string]any{"flushed": true})
	for _, k := range []string{"doomed", "doomed-forever", "page-views"} {
		wantFields(t, "flushed "+k, s.call(t, "GET", "/api/cache/"+k, nil), map[string]any{"has": false})
	}
	wantFields(t, "other prefix kept", s.call(t, "GET", "/api/cache/kept?store=ephpm_other", nil), map[string]any{"value": "c"})
	wantFields(t, "same key in other prefix kept", s.call(t, "GET", "/api/cache/doomed?store=ephpm_other", nil), map[string]any{"value": "same key, other store"})
	wantFields(t, "other prefix in KV", s.call(t, "GET", "/api/kv/kept?store=ephpm_other", nil), map[string]any{"kv_key": "other:kept", "exists": true})
	// The store works after a flush.
	s.call(t, "PUT", "/api/cache/doomed", map[string]any{"value": "back", "ttl": 60})
	wantFields(t, "after flush", s.call(t, "GET", "/api/cache/doomed", nil), map[string]any{"value": "back"})
}

// TestLaravelPackageDiscoveryFile: vendor/composer/installed.json (what
// composer would write; Laravel's package discovery reads it) lists the
// package as its composer.json describes it. Regenerate it with
// `php testdata/laravel-app/bin/sync-installed.php`.
func TestLaravelPackageDiscoveryFile(t *testing.T) {
	read := func(path string) map[string]any {
		data, err := os.ReadFile(filepath.Join(repoRoot, path))
		must(t, err)
		var m map[string]any
		must(t, json.Unmarshal(data, &m))
		return m
	}
	composer := read("composer/cache-laravel/composer.json")
	installed := read("testdata/laravel-app/vendor/composer/installed.json")
	pkgs, _ := installed["packages"].([]any)
	if len(pkgs) != 1 {
		t.Fatalf("installed.json packages: %v", installed["packages"])
	}
	pkg := pkgs[0].(map[string]any)
	for _, k := range []string{"name", "extra", "autoload"} {
		if !jsonEqual(pkg[k], composer[k]) {
			t.Errorf("installed.json %s = %s, composer.json has %s; run php testdata/laravel-app/bin/sync-installed.php", k, js(pkg[k]), js(composer[k]))
		}
	}
	providers, _ := composer["extra"].(map[string]any)["laravel"].(map[string]any)["providers"].([]any)
	if !contains(providers, laravelProvider) {
		t.Errorf("composer.json extra.laravel.providers %v lacks %s", providers, laravelProvider)
	}
	// Discovery, not config/app.php, registers the provider.
	app, err := os.ReadFile(filepath.Join(repoRoot, "testdata/laravel-app/config/app.php"))
	must(t, err)
	if strings.Contains(string(app), "EphpmCacheServiceProvider::class") {
		t.Error("config/app.php lists the provider: package discovery is not what is tested")
	}
}

// TestLaravelWorkerStateReset: in worker mode one booted application serves
// every client; nothing of one request's session, cookies or input reaches
// the next.
func TestLaravelWorkerStateReset(t *testing.T) {
	s := &counted{server: startLaravel(t, laravelModes[1].env...)}
	threads := phpThreads(t, s.server)
	alice := newBrowser(t, s)
	alice.json(t, "/session/counter")
	tok := alice.json(t, "/session/token")["token"].(string)
	expectStatus(t, alice.do(t, "POST", "/session/name", url.Values{"name": {"Alice"}}, map[string]string{"X-CSRF-TOKEN": tok}), 200, "alice's post")
	apps := map[any]bool{}
	for i := 0; i < 20; i++ {
		// A stranger right after alice: a fresh session, no name, no
		// Set-Cookie of alice's.
		r := s.callRaw(t, "GET", "/session/counter", nil)
		m := decodeJSON(t, r)
		if num(m, "counter") != 1 || m["name"] != nil {
			t.Fatalf("request %d without cookies saw another session: %v", i, m)
		}
		for _, c := range r.Header.Values("Set-Cookie") {
			for _, ac := range alice.cookies {
				if strings.HasPrefix(c, ac) {
					t.Fatalf("alice's cookie sent to a stranger: %.60s", c)
				}
			}
		}
		if a := alice.json(t, "/session/counter"); a["name"] != "Alice" || num(a, "counter") != i+2 {
			t.Fatalf("alice's session, visit %d: %v", i+2, a)
		}
		w := s.call(t, "GET", "/worker/boots", nil)
		apps[w["app"]] = true
		if num(w, "boots") > threads {
			t.Fatalf("a worker booted again (%d PHP threads): %v", threads, w)
		}
	}
	if threads == 1 && len(apps) != 1 {
		t.Errorf("the application object changed between requests: %v", apps)
	}
	// Query and input of one request are not seen by the next.
	s.call(t, "PUT", "/api/cache/q?store=ephpm_other", map[string]any{"value": 1, "ttl": 60})
	if m := s.call(t, "GET", "/api/cache/q", nil); m["has"] != false {
		t.Errorf("?store= of the previous request leaked: %v", m)
	}
}

// TestLaravelWorkerSurvivesClientAbort: clients that hang up before their
// answer must not take the booted application down with them.
func TestLaravelWorkerSurvivesClientAbort(t *testing.T) {
	s := startLaravel(t, laravelModes[1].env...)
	threads := phpThreads(t, s)
	for i := 0; i < 3; i++ {
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		req, err := http.NewRequestWithContext(ctx, "GET", s.URL+"/slow?ms=400", nil)
		must(t, err)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			t.Log("the slow page answered before the client gave up")
		}
		cancel()
		// The next request is served by the same boot.
		m := s.call(t, "GET", "/worker/boots", nil)
		if num(m, "boots") > threads {
			t.Fatalf("after client abort %d: %v, want no boot beyond one per PHP thread (%d)\n%s", i+1, m, threads, s.Log())
		}
	}
}

// TestLaravelSessionDriverEphpm: SESSION_DRIVER=ephpm with SESSION_STORE
// keeps sessions in the named store (here the one with prefix "other").
func TestLaravelSessionDriverEphpm(t *testing.T) {
	s := &counted{server: startLaravel(t, "SESSION_DRIVER=ephpm", "SESSION_STORE=ephpm_other")}
	b := newBrowser(t, s)
	var id string
	for i := 1; i <= 3; i++ {
		m := b.json(t, "/session/counter")
		if num(m, "counter") != i || m["driver"] != "ephpm" {
			t.Fatalf("visit %d: %v", i, m)
		}
		id = m["id"].(string)
	}
	wantFields(t, "session in the other store", s.call(t, "GET", "/api/kv/"+id+"?store=ephpm_other", nil), map[string]any{"kv_key": "other:" + id, "exists": true})
	wantFields(t, "not in the default store", s.call(t, "GET", "/api/kv/"+id, nil), map[string]any{"exists": false})
}
