package e2e

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

var metricsAddrRe = regexp.MustCompile(`ephpm metrics.* addr=(\S+)`)

// scrape reads the metrics endpoint into name{labels} -> value.
func scrape(t *testing.T, url string) map[string]float64 {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %q", url, resp.StatusCode, b)
	}
	out := map[string]float64{}
	for _, line := range strings.Split(string(b), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("metrics line %q: %v", line, err)
		}
		out[line[:i]] = v
	}
	return out
}

// The metrics endpoint is off unless configured, listens apart from the
// site, and reports what PHP did to the KV store and what the server sent.
func TestMetricsEndpoint(t *testing.T) {
	root := fixtureRoot(t)
	must(t, os.WriteFile(filepath.Join(root, "kv_metrics.php"), []byte(`<?php
for ($i = 0; $i < 10; $i++) { ephpm_kv_set("m:$i", str_repeat('v', 100)); }
for ($i = 0; $i < 7; $i++) { ephpm_kv_get("m:$i"); }
for ($i = 0; $i < 3; $i++) { ephpm_kv_get("absent:$i"); }
echo "done";
`), 0o644))
	s := start(t, root, "", "EPHPM_SERVER__METRICS__LISTEN=127.0.0.1:0")
	m := metricsAddrRe.FindStringSubmatch(s.Log())
	if m == nil {
		t.Fatalf("no metrics address in the log:\n%s", s.Log())
	}
	url := "http://" + m[1] + "/metrics"

	before := scrape(t, url)
	expectStatus(t, s.get(t, "/kv_metrics.php"), 200, "kv script")
	expectStatus(t, s.get(t, "/fatal.php"), 500, "fatal script")
	expectStatus(t, s.get(t, "/.env"), 403, "dotfile")
	after := scrape(t, url)

	delta := func(name string) float64 { return after[name] - before[name] }
	for name, want := range map[string]float64{
		"ephpm_kv_hits_total":                    7,
		"ephpm_kv_misses_total":                  3,
		"ephpm_kv_keys":                          10,
		`ephpm_http_responses_total{code="2xx"}`: 1,
		`ephpm_http_responses_total{code="4xx"}`: 1,
		`ephpm_http_responses_total{code="5xx"}`: 1,
		"ephpm_php_fatal_errors_total":           1,
	} {
		if got := delta(name); got != want {
			t.Errorf("%s went up by %v, want %v", name, got, want)
		}
	}
	if after["ephpm_kv_bytes"] < 10*100 {
		t.Errorf("ephpm_kv_bytes = %v for 10 values of 100 bytes", after["ephpm_kv_bytes"])
	}
	if after["ephpm_php_threads"] < 1 || after["ephpm_kv_memory_limit_bytes"] != 256<<20 {
		t.Errorf("php_threads %v, kv_memory_limit_bytes %v", after["ephpm_php_threads"], after["ephpm_kv_memory_limit_bytes"])
	}

	// Not reachable through the site.
	if r := s.get(t, "/metrics"); strings.Contains(r.Body, "ephpm_kv_hits_total") {
		t.Errorf("the site answers /metrics with the metrics")
	}
	// Off by default.
	plain := start(t, fixtureRoot(t), "")
	if metricsAddrRe.MatchString(plain.Log()) {
		t.Errorf("metrics listener started without server.metrics.listen")
	}
}
