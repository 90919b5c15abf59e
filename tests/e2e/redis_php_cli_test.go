package e2e

// `ephpm php --config <node's ephpm.toml>` with backend = "redis" (SPEC
// sections 8 and 9): the script's ephpm_kv_* reach the same Redis, under
// the same key_prefix, as the server the file describes.

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ephpm/ephpm/internal/redistest"
)

func TestRedisPHPCLIWithNodeConfig(t *testing.T) {
	rds := redistest.Start(t, redistest.Options{})
	const prefix = "clisite:"
	n := startRedisNodes(t, 1, redisNodeConfig{
		Addrs: []string{rds.Addr}, KeyPrefix: prefix, ClientCache: "16MB", CommandTimeout: "1s",
	})[0]
	cfg := filepath.Join(n.Dir, "ephpm.toml")

	cli := func(code string) []any {
		t.Helper()
		// Warnings (a store outage) go to stderr: stdout is the JSON.
		exit, out, errOut := cliRun{}.php(t, "--config", cfg, "-d", "display_errors=stderr", "-r", code)
		if exit != 0 {
			t.Fatalf("ephpm php --config: exit %d\nstdout: %s\nstderr: %s", exit, out, errOut)
		}
		var got []any
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			t.Fatalf("ephpm php output is not JSON: %v\nstdout: %s\nstderr: %s", err, out, errOut)
		}
		return got
	}

	// What the server wrote, the CLI reads.
	expectKV(t, n, true, "set", "key", "from-server", "value", "written by the server")
	expectKV(t, n, 7, "incr", "key", "shared-ctr", "by", "7")
	// The node caches these (a miss and a value) before the CLI writes them.
	for i := 0; i < 2; i++ {
		expectKV(t, n, nil, "get", "key", "from-cli")
		expectKV(t, n, "written by the server", "get", "key", "from-server")
	}

	got := cli(`echo json_encode([
		ephpm_kv_get('from-server'),
		ephpm_kv_incr_by('shared-ctr', 5),
		ephpm_kv_set('from-cli', 'written by ephpm php', 300),
		ephpm_kv_set('from-server', 'overwritten by ephpm php'),
		ephpm_kv_exists('nothing-here'),
	]);`)
	if want := []any{"written by the server", 12.0, true, true, false}; !jsonEqual(got, want) {
		t.Fatalf("ephpm php: %s, want %s", js(got), js(want))
	}

	// And the server reads what the CLI wrote, its cached copies dropped.
	expectSoon(t, n, "written by ephpm php", "get", "key", "from-cli")
	expectSoon(t, n, "overwritten by ephpm php", "get", "key", "from-server")
	expectKV(t, n, "12", "get", "key", "shared-ctr")
	if ttl, _ := kv(t, n, "ttl", "key", "from-cli").(float64); ttl < 290 || ttl > 300 {
		t.Errorf("TTL set by ephpm php seen by the server as %v, want about 300", ttl)
	}
	// Under the same key_prefix in Redis.
	if v := rds.CLI("GET", prefix+"from-cli"); v != "written by ephpm php" {
		t.Errorf("redis-cli GET %sfrom-cli = %q", prefix, v)
	}

	// Locks cross the boundary too: the CLI cannot take the server's lock
	// nor release it with another token.
	expectKV(t, n, true, "setnx", "key", "job-lock", "value", "server-token", "ttl", "60")
	got = cli(`echo json_encode([
		ephpm_kv_setnx('job-lock', 'cli-token', 60),
		ephpm_kv_del_if_equals('job-lock', 'cli-token'),
		ephpm_kv_del_if_equals('job-lock', 'server-token'),
		ephpm_kv_del_prefix('from-'),
	]);`)
	if want := []any{false, false, true, 2.0}; !jsonEqual(got, want) {
		t.Errorf("ephpm php on the server's lock: %s, want %s", js(got), js(want))
	}
	expectKV(t, n, false, "exists", "key", "job-lock")
	expectSoon(t, n, nil, "get", "key", "from-server")

	// `ephpm kv --config` (the operator's door) on the same store.
	kvCmd := func(args ...string) string {
		t.Helper()
		exit, out, errOut := cliRun{}.run(t, append([]string{"kv", "--config", cfg}, args...)...)
		if exit != 0 {
			t.Fatalf("ephpm kv %v: exit %d\nstdout: %s\nstderr: %s", args, exit, out, errOut)
		}
		return strings.TrimSpace(out)
	}
	expectKV(t, n, true, "set", "key", "ops:note", "value", "from the server")
	if got := kvCmd("get", "ops:note"); got != "from the server" {
		t.Errorf("ephpm kv get ops:note = %q", got)
	}
	kvCmd("set", "ops:note", "from ephpm kv", "--ttl", "120")
	expectSoon(t, n, "from ephpm kv", "get", "key", "ops:note")
	if ttl, _ := kv(t, n, "ttl", "key", "ops:note").(float64); ttl < 110 || ttl > 120 {
		t.Errorf("TTL set by ephpm kv seen by the server as %v", ttl)
	}
	if got := kvCmd("incr", "shared-ctr", "--by", "3"); got != "15" {
		t.Errorf("ephpm kv incr shared-ctr --by 3 = %q, want 15", got)
	}
	if got := kvCmd("keys", "ops:*"); got != "ops:note" {
		t.Errorf("ephpm kv keys ops:* = %q, want ops:note (without the key prefix)", got)
	}
	kvCmd("flush", "--prefix", "ops:")
	expectSoon(t, n, nil, "get", "key", "ops:note")

	// Redis down: the script still runs, its calls answer failure values
	// in bounded time.
	rds.Stop()
	t0 := time.Now()
	got = cli(`echo json_encode([ephpm_kv_get('x'), ephpm_kv_set('x', 'y'), ephpm_kv_incr('x'), ephpm_kv_ttl('x')]);`)
	if want := []any{nil, false, false, -2.0}; !jsonEqual(got, want) {
		t.Errorf("ephpm php with Redis down: %s, want %s", js(got), js(want))
	}
	if took := time.Since(t0); took > 15*time.Second {
		t.Errorf("ephpm php with Redis down took %v", took)
	}
	// ephpm kv says so: an error, not an empty value.
	exit, out, errOut := cliRun{}.run(t, "kv", "--config", cfg, "get", "from-cli")
	if exit == 0 || errOut == "" {
		t.Errorf("ephpm kv get with Redis down: exit %d, stdout %q, stderr %q; want an error", exit, out, errOut)
	}
}
