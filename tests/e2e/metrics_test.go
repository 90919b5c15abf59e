package e2e

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

var metricsAddrRe = regexp.MustCompile(`ephpm metrics.* addr=(\S+)`)

// scrapeFamilies reads the metrics endpoint and parses it as Prometheus
// does (a page that does not parse fails the test).
func scrapeFamilies(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("GET %s: %d %q", url, resp.StatusCode, b)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: the page does not parse: %v", url, err)
	}
	return fams
}

// scrape reads the metrics endpoint into name{labels} -> value, keyed as
// the text format writes a sample (labels in the page's order; a
// histogram as its _bucket{...,le=".."}, _sum and _count samples).
func scrape(t *testing.T, url string) map[string]float64 {
	t.Helper()
	out := map[string]float64{}
	for name, f := range scrapeFamilies(t, url) {
		for _, m := range f.Metric {
			var labels []string
			for _, l := range m.Label {
				labels = append(labels, fmt.Sprintf("%s=%q", l.GetName(), l.GetValue()))
			}
			key := func(suffix string, extra ...string) string {
				all := append(append([]string(nil), labels...), extra...)
				if len(all) == 0 {
					return name + suffix
				}
				return name + suffix + "{" + strings.Join(all, ",") + "}"
			}
			switch f.GetType() {
			case dto.MetricType_COUNTER:
				out[key("")] = m.GetCounter().GetValue()
			case dto.MetricType_GAUGE:
				out[key("")] = m.GetGauge().GetValue()
			case dto.MetricType_UNTYPED:
				out[key("")] = m.GetUntyped().GetValue()
			case dto.MetricType_HISTOGRAM:
				h := m.GetHistogram()
				for _, b := range h.Bucket {
					le := strconv.FormatFloat(b.GetUpperBound(), 'g', -1, 64)
					out[key("_bucket", fmt.Sprintf("le=%q", le))] = float64(b.GetCumulativeCount())
				}
				out[key("_bucket", `le="+Inf"`)] = float64(h.GetSampleCount())
				out[key("_sum")] = h.GetSampleSum()
				out[key("_count")] = float64(h.GetSampleCount())
			case dto.MetricType_SUMMARY:
				out[key("_sum")] = m.GetSummary().GetSampleSum()
				out[key("_count")] = float64(m.GetSummary().GetSampleCount())
			}
		}
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

	// The request duration histogram: each request in its handler kind
	// and status class, and in every bucket at or above its duration.
	const dur = "ephpm_http_request_duration_seconds"
	for labels, want := range map[string]float64{
		`code="2xx",handler="php"`:    1,
		`code="5xx",handler="php"`:    1,
		`code="4xx",handler="static"`: 1,
		`code="2xx",handler="static"`: 0,
	} {
		if got := delta(dur + "_count{" + labels + "}"); got != want {
			t.Errorf("%s_count{%s} went up by %v, want %v", dur, labels, got, want)
		}
		if got := delta(dur + "_bucket{" + labels + `,le="+Inf"}`); got != want {
			t.Errorf("%s_bucket{%s,le=+Inf} went up by %v, want %v", dur, labels, got, want)
		}
	}
	if got := delta(dur + `_sum{code="2xx",handler="php"}`); got <= 0 || got > 60 {
		t.Errorf("%s_sum of one PHP request went up by %v s", dur, got)
	}
	if got := delta(dur + `_bucket{code="2xx",handler="php",le="300"}`); got != 1 {
		t.Errorf("the 300 s bucket of one PHP request went up by %v", got)
	}
	fams := scrapeFamilies(t, url)
	if f := fams[dur]; f == nil || f.GetType() != dto.MetricType_HISTOGRAM || len(f.Metric) != 10 {
		t.Errorf("%s: %v (want a histogram with 10 series: 2 handlers x 5 classes)", dur, f)
	}
	// The client library's standard collectors.
	for _, name := range []string{"go_goroutines", "go_memstats_heap_alloc_bytes", "go_gc_duration_seconds",
		"process_resident_memory_bytes", "process_cpu_seconds_total", "process_open_fds"} {
		if fams[name] == nil {
			t.Errorf("%s missing", name)
		}
	}
	if after["go_goroutines"] < 2 || after["process_resident_memory_bytes"] < 1<<20 {
		t.Errorf("go_goroutines %v, process_resident_memory_bytes %v", after["go_goroutines"], after["process_resident_memory_bytes"])
	}
	// Thread states add up to the thread count; nothing is busy now.
	sum := 0.0
	for _, st := range []string{"idle", "busy", "booting", "restarting", "stopped"} {
		sum += after[`ephpm_php_threads_by_state{state="`+st+`"}`]
	}
	if sum != after["ephpm_php_threads"] || after[`ephpm_php_threads_by_state{state="idle"}`] != after["ephpm_php_threads"] {
		t.Errorf("threads by state add up to %v (idle %v), ephpm_php_threads %v", sum, after[`ephpm_php_threads_by_state{state="idle"}`], after["ephpm_php_threads"])
	}
	// Request mode: no worker restarts, but every cause is there at 0.
	for _, c := range []string{"max_requests", "max_memory", "ttl", "idle_ttl", "reload", "crash", "boot_failure"} {
		if v, ok := after[`ephpm_php_worker_restarts_total{cause="`+c+`"}`]; !ok || v != 0 {
			t.Errorf("ephpm_php_worker_restarts_total{cause=%q} = %v, %v", c, v, ok)
		}
	}
	// Every family is ours or a standard collector's (nothing from the
	// client library's global registry), and other methods are refused.
	for name := range fams {
		if !strings.HasPrefix(name, "ephpm_") && !strings.HasPrefix(name, "go_") && !strings.HasPrefix(name, "process_") {
			t.Errorf("unexpected metric %s", name)
		}
	}
	if r, err := http.Post(url, "text/plain", nil); err != nil || r.StatusCode != 405 {
		t.Errorf("POST /metrics: %v %v", r, err)
	} else {
		r.Body.Close()
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
