package e2e

// What the tests of the Redis backend (SPEC section 9) share: ephpm nodes
// started with [kv] backend = "redis" against a real redis-server (from
// internal/redistest), and one ephpm_kv_* call per HTTP request through
// testdata/e2e/public/kv_node.php.

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// redisNodeConfig is the [kv.redis] of one node.
type redisNodeConfig struct {
	Addrs          []string
	KeyPrefix      string // "" means SPEC's default, "ephpm:"
	ClientCache    string // e.g. "16MB"; "0" turns the cache off; "" keeps the default
	CommandTimeout string // e.g. "200ms"; "" keeps the default
	Username       string
	Password       string
	TLS            bool
	RESP           bool     // also serve the store over [kv.resp] on a loopback port
	Extra          string   // more TOML, appended
	Env            []string // NAME=value for the nodes' environment (e.g. SSL_CERT_FILE)
}

// toml renders the node's configuration (listen and document_root are
// added by start).
func (c redisNodeConfig) toml() string {
	var b strings.Builder
	// listen stated here: start fills it in only when the TOML has no
	// "listen" at all, and [kv.resp] has one.
	b.WriteString("[server]\nlisten = \"127.0.0.1:0\"\n\n[kv]\nbackend = \"redis\"\n\n[kv.redis]\naddresses = [")
	for i, a := range c.Addrs {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%q", a)
	}
	b.WriteString("]\n")
	if c.KeyPrefix != "" {
		fmt.Fprintf(&b, "key_prefix = %q\n", c.KeyPrefix)
	}
	if c.ClientCache != "" {
		fmt.Fprintf(&b, "client_cache = %q\n", c.ClientCache)
	}
	if c.CommandTimeout != "" {
		fmt.Fprintf(&b, "command_timeout = %q\n", c.CommandTimeout)
	}
	if c.Username != "" {
		fmt.Fprintf(&b, "username = %q\n", c.Username)
	}
	if c.Password != "" {
		fmt.Fprintf(&b, "password = %q\n", c.Password)
	}
	if c.TLS {
		b.WriteString("tls = true\n")
	}
	if c.RESP {
		b.WriteString("\n[kv.resp]\nlisten = \"127.0.0.1:0\"\n")
	}
	b.WriteString(c.Extra)
	return b.String()
}

// startRedisNodes starts n ephpm nodes, each with its own copy of the
// fixtures, all configured with c. The TOML of node i is
// nodes[i].Dir + "/ephpm.toml".
func startRedisNodes(t *testing.T, n int, c redisNodeConfig) []*server {
	t.Helper()
	nodes := make([]*server, n)
	for i := range nodes {
		// The metrics listener too: the tests read the backend's
		// counters (client-cache hits, errors) from it.
		env := append([]string{"EPHPM_SERVER__METRICS__LISTEN=127.0.0.1:0"}, c.Env...)
		nodes[i] = start(t, fixtureRoot(t), c.toml(), env...)
		if !strings.Contains(nodes[i].Log(), "redis") {
			t.Logf("node %d log does not mention redis:\n%s", i, nodes[i].Log())
		}
	}
	return nodes
}

// kvAnswer is what kv_node.php answers.
type kvAnswer struct {
	Result   any      `json:"result"`
	Ms       float64  `json:"ms"`
	Warnings []string `json:"warnings"`
	Status   int      `json:"-"`
	Elapsed  time.Duration
}

// kvHTTP is the client of the KV requests: a timeout well above every
// command_timeout the tests use, so a hung call shows as a slow answer
// (measured) rather than a client error.
var kvHTTP = &http.Client{Timeout: 30 * time.Second}

// kvq runs one ephpm_kv_* call on node s; params are name, value pairs
// (key, value, ttl, by, expected, prefix, hex). It returns an error
// instead of failing the test, so goroutines can use it.
func kvq(s *server, op string, params ...string) (kvAnswer, error) {
	q := url.Values{"op": {op}}
	for i := 0; i+1 < len(params); i += 2 {
		q.Set(params[i], params[i+1])
	}
	t0 := time.Now()
	resp, err := kvHTTP.Get(s.URL + "/kv_node.php?" + q.Encode())
	if err != nil {
		return kvAnswer{}, fmt.Errorf("%s %s: %v", s.Addr, op, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return kvAnswer{}, fmt.Errorf("%s %s: reading: %v", s.Addr, op, err)
	}
	var a kvAnswer
	a.Status, a.Elapsed = resp.StatusCode, time.Since(t0)
	if resp.StatusCode != 200 {
		return a, fmt.Errorf("%s %s %v: status %d: %.500s", s.Addr, op, params, resp.StatusCode, body)
	}
	if err := json.Unmarshal(body, &a); err != nil {
		return a, fmt.Errorf("%s %s %v: not JSON: %v: %.500s", s.Addr, op, params, err, body)
	}
	return a, nil
}

// kv is kvq for the test goroutine: a failed request fails the test, and
// the function's result is returned (float64 for ints, string, bool, nil).
func kv(t *testing.T, s *server, op string, params ...string) any {
	t.Helper()
	a, err := kvq(s, op, params...)
	if err != nil {
		t.Fatal(err)
	}
	return a.Result
}

// expectKV fails the test unless the call's result is want (an int want
// is compared as the JSON number it becomes).
func expectKV(t *testing.T, s *server, want any, op string, params ...string) {
	t.Helper()
	got := kv(t, s, op, params...)
	if !jsonEqual(got, want) {
		t.Errorf("node %s: %s %v = %s, want %s", s.Addr, op, params, js(got), js(want))
	}
}

// poll calls f until it returns true or the deadline passes; then the
// test fails with what f said last.
func poll(t *testing.T, within time.Duration, what string, f func() (bool, string)) time.Duration {
	t.Helper()
	t0 := time.Now()
	deadline := t0.Add(within)
	for {
		ok, last := f()
		if ok {
			return time.Since(t0)
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v; last: %s", what, within, last)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// metric returns the sum of every sample of the named metric on the
// node's metrics listener (all label sets), and whether it was there.
func metric(t *testing.T, s *server, name string) (float64, bool) {
	t.Helper()
	m := metricsAddrRe.FindStringSubmatch(s.Log())
	if m == nil {
		t.Fatalf("no metrics address in the log:\n%s", s.Log())
	}
	sum, found := 0.0, false
	for k, v := range scrape(t, "http://"+m[1]+"/metrics") {
		if k == name || strings.HasPrefix(k, name+"{") {
			sum += v
			found = true
		}
	}
	return sum, found
}

// respCLI runs redis-cli against node s's RESP endpoint ([kv.resp]) and
// returns its trimmed output.
func respCLI(t *testing.T, s *server, args ...string) string {
	t.Helper()
	m := respListenRe.FindStringSubmatch(s.Log())
	if m == nil {
		t.Fatalf("no RESP listen line in the log of %s:\n%s", s.Addr, s.Log())
	}
	host, port, _ := net.SplitHostPort(m[1])
	out, err := exec.Command("redis-cli", append([]string{"-h", host, "-p", port}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("redis-cli %v against %s's RESP endpoint: %v: %s", args, s.Addr, err, out)
	}
	return strings.TrimSpace(string(out))
}

// invalidationBound is how long a node may keep serving its cached copy
// after another node (or redis-cli) changed the key. Redis pushes the
// invalidation before it answers the writer, but the reading node handles
// it on its own goroutine, which a busy machine may run a little after the
// next request: far below the client cache's own lifetime (minutes), so a
// lost invalidation still fails.
const invalidationBound = 2 * time.Second

// expectSoon is expectKV for a read on one node after a write made
// elsewhere: the value must show within invalidationBound. Stale answers
// on the way are logged with how long they lasted.
func expectSoon(t *testing.T, s *server, want any, op string, params ...string) {
	t.Helper()
	var seen []string
	took := poll(t, invalidationBound, fmt.Sprintf("node %s: %s %v becomes %s", s.Addr, op, params, js(want)), func() (bool, string) {
		got := kv(t, s, op, params...)
		if jsonEqual(got, want) {
			return true, ""
		}
		seen = append(seen, js(got))
		return false, js(got)
	})
	if len(seen) > 0 {
		t.Logf("node %s: %s %v answered %v for %v after the write elsewhere, then %s", s.Addr, op, params, seen, took, js(want))
	}
}
