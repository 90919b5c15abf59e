package config

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

// The [php] worker hygiene keys: defaults, values, environment overrides,
// errors with key and line, and `ephpm config check`'s rendering.
func TestWorkerHygieneKeys(t *testing.T) {
	dir := writeRoot(t)
	c, err := load(t, dir, "")
	if err != nil {
		t.Fatal(err)
	}
	if p := c.PHP; p.WorkerMaxRequestsJitter != -1 || p.WorkerMaxMemory != 0 || p.WorkerTTL != 0 || p.WorkerIdleTTL != 0 {
		t.Errorf("defaults: jitter %d, max_memory %d, ttl %s, idle_ttl %s", p.WorkerMaxRequestsJitter, p.WorkerMaxMemory, p.WorkerTTL, p.WorkerIdleTTL)
	}

	for _, tc := range []struct {
		body  string
		check func(PHPConfig) bool
	}{
		{"[php]\nworker_max_memory = \"256MB\"\n", func(p PHPConfig) bool { return p.WorkerMaxMemory == 256<<20 }},
		{"[php]\nworker_max_memory = 1048576\n", func(p PHPConfig) bool { return p.WorkerMaxMemory == 1<<20 }},
		{"[php]\nworker_max_memory = \"0\"\n", func(p PHPConfig) bool { return p.WorkerMaxMemory == 0 }},
		{"[php]\nworker_ttl = \"1h\"\n", func(p PHPConfig) bool { return p.WorkerTTL.D() == time.Hour }},
		{"[php]\nworker_ttl = 90\n", func(p PHPConfig) bool { return p.WorkerTTL.D() == 90*time.Second }},
		{"[php]\nworker_idle_ttl = \"90s\"\n", func(p PHPConfig) bool { return p.WorkerIdleTTL.D() == 90*time.Second }},
		{"[php]\nworker_idle_ttl = \"0\"\n", func(p PHPConfig) bool { return p.WorkerIdleTTL == 0 }},
		{"[php]\nworker_max_requests_jitter = 0\n", func(p PHPConfig) bool { return p.WorkerMaxRequestsJitter == 0 }},
		{"[php]\nworker_max_requests = 20\nworker_max_requests_jitter = 19\n", func(p PHPConfig) bool { return p.WorkerMaxRequestsJitter == 19 }},
		{"[php]\nworker_max_requests = 0\nworker_max_requests_jitter = 500\n", func(p PHPConfig) bool { return p.WorkerMaxRequestsJitter == 500 }},
	} {
		c, err := load(t, dir, tc.body)
		if err != nil {
			t.Errorf("%q: %v", tc.body, err)
			continue
		}
		if !tc.check(c.PHP) {
			t.Errorf("%q: got %+v", tc.body, c.PHP)
		}
	}

	c, err = load(t, dir, "",
		"EPHPM_PHP__WORKER_MAX_MEMORY=64MB",
		"EPHPM_PHP__WORKER_TTL=2m",
		"EPHPM_PHP__WORKER_IDLE_TTL=30",
		"EPHPM_PHP__WORKER_MAX_REQUESTS_JITTER=7",
	)
	if err != nil {
		t.Fatal(err)
	}
	if p := c.PHP; p.WorkerMaxMemory != 64<<20 || p.WorkerTTL.D() != 2*time.Minute || p.WorkerIdleTTL.D() != 30*time.Second || p.WorkerMaxRequestsJitter != 7 {
		t.Errorf("environment overrides: %+v", p)
	}
	out := c.TOML()
	for _, want := range []string{"worker_max_memory = \"64MB\"\n", "worker_ttl = \"2m0s\"\n", "worker_idle_ttl = \"30s\"\n", "worker_max_requests_jitter = 7\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("config check output lacks %q:\n%s", want, out)
		}
	}
	back, err := load(t, dir, out)
	if err != nil || !reflect.DeepEqual(back.PHP, c.PHP) {
		t.Errorf("rendered config reads back as %+v, %v; want %+v", back.PHP, err, c.PHP)
	}

	expectLoadErrors(t, dir, []struct{ body, want string }{
		{"[php]\nworker_max_memory = \"lots\"\n", `ephpm.toml:2: php.worker_max_memory: "lots" is not a size (want bytes as an integer, or a number with K, M, G or T, e.g. "512KB", "256MB", "1GB")`},
		{"[php]\nworker_max_memory = -1\n", "ephpm.toml:2: php.worker_max_memory: -1 is negative (want 0 for no limit, or a number of bytes)"},
		{"[php]\nworker_ttl = \"soon\"\n", `ephpm.toml:2: php.worker_ttl: "soon" is not a duration (want e.g. "500ms", "1s", "2m", or an integer of seconds)`},
		{"[php]\n\nworker_ttl = \"-5m\"\n", `ephpm.toml:3: php.worker_ttl: "-5m" is negative`},
		{"[php]\nworker_idle_ttl = true\n", `ephpm.toml:2: php.worker_idle_ttl: wrong type: want a duration string like "500ms" or "1s", or an integer of seconds, got boolean true`},
		{"[php]\nworker_idle_ttl = -3\n", `ephpm.toml:2: php.worker_idle_ttl: "-3" is negative`},
		{"[php]\nworker_max_requests_jitter = -2\n", "ephpm.toml:2: php.worker_max_requests_jitter: must be -1 (automatic: a tenth of php.worker_max_requests), 0 (none) or more, got -2"},
		{"[php]\nworker_max_requests = 20\nworker_max_requests_jitter = 20\n", "ephpm.toml:3: php.worker_max_requests_jitter: must be below php.worker_max_requests (20), got 20"},
		{"[php]\nworker_max_requests_jitter = \"x\"\n", "ephpm.toml:2: php.worker_max_requests_jitter: wrong type: want an integer, got string \"x\""},
	})
}
