package e2e

// /_ephpm/health and /_ephpm/ready (issue 14): answered by the server on
// the site's listener and on the metrics listener, in each state the
// readiness covers (booting worker, broken worker script, Redis down and
// back), never by PHP and not counted as site traffic.

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ephpm/ephpm/internal/redistest"
)

type probeResult struct {
	Status  int
	State   string   `json:"status"`
	Reasons []string `json:"reasons"`
	Err     string
}

func (p probeResult) String() string {
	return fmt.Sprintf("%d %s %q %s", p.Status, p.State, p.Reasons, p.Err)
}

// probeURL asks one probe without failing the test (for polling).
func probeURL(method, url string) probeResult {
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		return probeResult{Err: err.Error()}
	}
	resp, err := kvHTTP.Do(req)
	if err != nil {
		return probeResult{Err: err.Error()}
	}
	defer resp.Body.Close()
	p := probeResult{Status: resp.StatusCode}
	if method != http.MethodHead {
		if err := json.NewDecoder(resp.Body).Decode(&p); err != nil {
			p.Err = "body is not JSON: " + err.Error()
		}
	}
	return p
}

// metricsURL is the node's metrics listener, from its log.
func metricsURL(t *testing.T, s *server) string {
	t.Helper()
	m := metricsAddrRe.FindStringSubmatch(s.Log())
	if m == nil {
		t.Fatalf("no metrics address in the log:\n%s", s.Log())
	}
	return "http://" + m[1]
}

// Request mode: both probes 200 on both listeners, for GET and HEAD, and a
// site with PHP files at the probe paths (and a front controller) never
// runs them; the probes are not in the response counters.
func TestHealthAndReadyRequestMode(t *testing.T) {
	root := fixtureRoot(t)
	marker := filepath.Join(t.TempDir(), "ran")
	must(t, os.MkdirAll(filepath.Join(root, "_ephpm"), 0o755))
	php := fmt.Sprintf("<?php file_put_contents(%q, 'ran'); echo 'site';", marker)
	must(t, os.WriteFile(filepath.Join(root, "_ephpm", "health"), []byte(php), 0o644))
	must(t, os.WriteFile(filepath.Join(root, "_ephpm", "ready.php"), []byte(php), 0o644))
	s := start(t, root, "", "EPHPM_SERVER__METRICS__LISTEN=127.0.0.1:0")
	mURL := metricsURL(t, s)

	twoXX := func() float64 { v, _ := metric(t, s, `ephpm_http_responses_total{code="2xx"}`); return v }
	before := twoXX()
	for _, base := range []string{s.URL, mURL} {
		for _, path := range []string{"/_ephpm/health", "/_ephpm/ready"} {
			if p := probeURL("GET", base+path); p.Status != 200 || p.State != "ok" || p.Err != "" {
				t.Errorf("GET %s%s: %v", base, path, p)
			}
			if p := probeURL("HEAD", base+path); p.Status != 200 {
				t.Errorf("HEAD %s%s: %v", base, path, p)
			}
		}
	}
	if after := twoXX(); after != before {
		t.Errorf("8 probes moved the 2xx counter from %v to %v", before, after)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Errorf("a PHP file at a probe path was executed")
	}
	// The site's own files next to the probes still are the site's.
	if r := s.get(t, "/_ephpm/ready.php"); r.Status != 200 || r.Body != "site" {
		t.Errorf("/_ephpm/ready.php: %d %q", r.Status, r.Body)
	}
}

// Worker mode: ready only once the worker script asks for its first
// request. The script waits for a gate file, so the booting state lasts
// as long as the test wants, however busy the machine.
func TestReadyWaitsForWorkerBoot(t *testing.T) {
	root := t.TempDir()
	gate := filepath.Join(t.TempDir(), "go")
	must(t, os.WriteFile(filepath.Join(root, "worker.php"), []byte(fmt.Sprintf(`<?php
while (!file_exists(%q)) { usleep(20000); }
while (ephpm_handle_request(function () { echo "served"; })) {}
`, gate)), 0o644))
	s := start(t, root, "[php]\nmode = \"worker\"\nworker_script = \"worker.php\"\nworkers = 1\n",
		"EPHPM_SERVER__METRICS__LISTEN=127.0.0.1:0")
	mURL := metricsURL(t, s)

	for _, base := range []string{s.URL, mURL} {
		p := probeURL("GET", base+"/_ephpm/ready")
		if p.Status != 503 || p.State != "unavailable" || len(p.Reasons) != 1 || !strings.Contains(p.Reasons[0], "no worker has booted") {
			t.Errorf("ready while the worker boots (%s): %v", base, p)
		}
		if p := probeURL("GET", base+"/_ephpm/health"); p.Status != 200 {
			t.Errorf("health while the worker boots (%s): %v", base, p)
		}
	}
	must(t, os.WriteFile(gate, nil, 0o644))
	for _, base := range []string{s.URL, mURL} {
		poll(t, 20*time.Second, "ready after the worker booted", func() (bool, string) {
			p := probeURL("GET", base+"/_ephpm/ready")
			return p.Status == 200 && p.State == "ok", p.String()
		})
	}
	if r := s.get(t, "/"); r.Body != "served" {
		t.Errorf("the worker does not serve: %d %q", r.Status, r.Body)
	}
}

// A worker script that fails before it takes a request never makes the
// server ready, and the reason says so.
func TestReadyBrokenWorkerScript(t *testing.T) {
	root := t.TempDir()
	must(t, os.WriteFile(filepath.Join(root, "worker.php"), []byte("<?php throw new RuntimeException('cannot boot');\n"), 0o644))
	s := start(t, root, "[php]\nmode = \"worker\"\nworker_script = \"worker.php\"\nworkers = 1\n")
	poll(t, 20*time.Second, "ready reports the broken worker script", func() (bool, string) {
		p := probeURL("GET", s.URL+"/_ephpm/ready")
		return p.Status == 503 && len(p.Reasons) == 1 && strings.Contains(p.Reasons[0], "fails before it takes a request"), p.String()
	})
	if p := probeURL("GET", s.URL+"/_ephpm/health"); p.Status != 200 {
		t.Errorf("health with a broken worker script: %v", p)
	}
	// The restart loop of the broken script ends with the server: a
	// shutdown is not held up to its timeout (30 s) by it.
	t0 := time.Now()
	s.Stop()
	if took := time.Since(t0); took > 15*time.Second {
		t.Errorf("stopping with a broken worker script took %v", took)
	}
}

// [kv] backend = "redis": ready follows Redis, within the command timeout
// plus the second for which one PING answer stands.
func TestReadyFollowsRedis(t *testing.T) {
	rds := redistest.Start(t, redistest.Options{})
	s := start(t, t.TempDir(), redisNodeConfig{Addrs: []string{rds.Addr}, CommandTimeout: "500ms"}.toml(),
		"EPHPM_SERVER__METRICS__LISTEN=127.0.0.1:0")
	mURL := metricsURL(t, s)
	ready := func(base string) func() (bool, string) {
		return func() (bool, string) {
			p := probeURL("GET", base+"/_ephpm/ready")
			return p.Status == 200 && p.State == "ok", p.String()
		}
	}
	for _, base := range []string{s.URL, mURL} {
		poll(t, 10*time.Second, "ready with Redis up", ready(base))
	}

	rds.Stop()
	for _, base := range []string{s.URL, mURL} {
		took := poll(t, 10*time.Second, "503 with a kv reason after Redis stopped", func() (bool, string) {
			p := probeURL("GET", base+"/_ephpm/ready")
			return p.Status == 503 && p.State == "unavailable" && len(p.Reasons) == 1 &&
				strings.HasPrefix(p.Reasons[0], "kv: redis does not answer: "), p.String()
		})
		t.Logf("%s: not ready %v after Redis stopped", base, took)
		if p := probeURL("GET", base+"/_ephpm/health"); p.Status != 200 {
			t.Errorf("health with Redis down: %v", p)
		}
	}

	rds.Restart()
	for _, base := range []string{s.URL, mURL} {
		took := poll(t, 20*time.Second, "ready again after Redis restarted", ready(base))
		t.Logf("%s: ready %v after Redis restarted", base, took)
	}
}

// With HTTPS beside a plain listener that redirects, the probes are
// answered on both (a health checker on the plain port gets no redirect).
func TestProbesOnHTTPSAndRedirectListener(t *testing.T) {
	s := start(t, fixtureRoot(t), tlsTOML(t, "listen = \"127.0.0.1:0\"\nredirect_http = true\n"))
	httpsAddr := logAddr(t, s, "https_addr")
	for _, url := range []string{s.URL + "/_ephpm/ready", s.URL + "/_ephpm/health"} {
		out, err := curlOut(t, "-w", " %{http_code}", url)
		if err != nil || out != `{"status":"ok"}`+"\n 200" {
			t.Errorf("plain %s: %q %v", url, out, err)
		}
	}
	out, err := curlOut(t, "-k", "-w", " %{http_code}", "https://"+httpsAddr+"/_ephpm/ready")
	if err != nil || out != `{"status":"ok"}`+"\n 200" {
		t.Errorf("HTTPS ready: %q %v", out, err)
	}
	// Everything else still redirects.
	if out, _ := curlOut(t, "-o", "/dev/null", "-w", "%{http_code}", s.URL+"/_ephpm/other"); out != "308" {
		t.Errorf("plain /_ephpm/other: %q, want 308", out)
	}
}
