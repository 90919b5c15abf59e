package metrics

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// scrape GETs url and parses the text exposition format as Prometheus
// itself would.
func scrape(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d", url, resp.StatusCode)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain; version=0.0.4") {
		t.Errorf("Content-Type %q", ct)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("the page does not parse: %v", err)
	}
	return fams
}

func TestExposition(t *testing.T) {
	hits := 0.0
	set := &Set{}
	set.Add("app_hits_total", Counter, "Hits.\nSecond line with a \\ backslash.", func() float64 { return hits })
	set.AddSamples("app_responses_total", Counter, "By class.", "code", func() []Sample {
		return []Sample{{Label: "2xx", Value: 7}, {Label: "5xx", Value: 0}}
	})
	set.Add("app_limit_bytes", Gauge, "A big one.", func() float64 { return 268435456 })
	reg, err := NewRegistry(set)
	if err != nil {
		t.Fatal(err)
	}
	other := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/other" {
			http.NotFound(w, r)
			return
		}
		w.Write([]byte("other"))
	})
	ts := httptest.NewServer(Handler(reg, other))
	defer ts.Close()

	hits = 3
	fams := scrape(t, ts.URL+"/metrics")
	check := func(name string, typ dto.MetricType, want map[string]float64) {
		t.Helper()
		f := fams[name]
		if f == nil {
			t.Errorf("%s missing", name)
			return
		}
		if f.GetType() != typ {
			t.Errorf("%s: type %v, want %v", name, f.GetType(), typ)
		}
		got := map[string]float64{}
		for _, m := range f.Metric {
			label := ""
			for _, l := range m.Label {
				label += l.GetName() + "=" + l.GetValue()
			}
			switch typ {
			case dto.MetricType_COUNTER:
				got[label] = m.GetCounter().GetValue()
			case dto.MetricType_GAUGE:
				got[label] = m.GetGauge().GetValue()
			}
		}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%s{%s} = %v, want %v (all: %v)", name, k, got[k], v, got)
			}
		}
		if len(got) != len(want) {
			t.Errorf("%s: samples %v, want %v", name, got, want)
		}
	}
	check("app_hits_total", dto.MetricType_COUNTER, map[string]float64{"": 3})
	check("app_responses_total", dto.MetricType_COUNTER, map[string]float64{"code=2xx": 7, "code=5xx": 0})
	check("app_limit_bytes", dto.MetricType_GAUGE, map[string]float64{"": 268435456})
	if h := fams["app_hits_total"].GetHelp(); h != "Hits.\nSecond line with a \\ backslash." {
		t.Errorf("help %q", h)
	}
	// The standard collectors.
	for _, name := range []string{"go_goroutines", "go_memstats_heap_alloc_bytes", "process_resident_memory_bytes", "process_start_time_seconds"} {
		if fams[name] == nil {
			t.Errorf("%s missing", name)
		}
	}
	if v := fams["process_resident_memory_bytes"].GetMetric()[0].GetGauge().GetValue(); v < 1<<20 {
		t.Errorf("process_resident_memory_bytes = %v", v)
	}

	hits = 4.5
	fams = scrape(t, ts.URL+"/metrics")
	if v := fams["app_hits_total"].GetMetric()[0].GetCounter().GetValue(); v != 4.5 {
		t.Errorf("values are read at scrape time: got %v", v)
	}

	for path, code := range map[string]int{"/": 404, "/metrics/x": 404, "/other": 200} {
		resp, err := http.Get(ts.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != code {
			t.Errorf("GET %s: %d, want %d", path, resp.StatusCode, code)
		}
	}
	resp, err := http.Post(ts.URL+"/metrics", "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 405 || resp.Header.Get("Allow") != "GET, HEAD" {
		t.Errorf("POST /metrics: %d Allow %q, want 405", resp.StatusCode, resp.Header.Get("Allow"))
	}
	// Without a next handler, other paths are 404.
	bare := httptest.NewServer(Handler(reg, nil))
	defer bare.Close()
	if resp, err := http.Get(bare.URL + "/other"); err != nil || resp.StatusCode != 404 {
		t.Errorf("GET /other without next: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
}

// One scrape reads its sources once, before any value: every metric of a
// scrape comes from the same snapshot, even while the source moves on.
func TestOneSnapshotPerScrape(t *testing.T) {
	source, snaps := 0.0, 0
	var snap float64
	set := &Set{}
	set.OnScrape(func() { snaps++; snap = source })
	set.Add("a", Gauge, "A.", func() float64 { source++; return snap })
	set.Add("b", Gauge, "B.", func() float64 { source++; return snap })
	reg, err := NewRegistry(set)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(Handler(reg, nil))
	defer ts.Close()
	for i := 1; i <= 2; i++ {
		fams := scrape(t, ts.URL+"/metrics")
		want := map[int]float64{1: 0, 2: 2}[i]
		a := fams["a"].GetMetric()[0].GetGauge().GetValue()
		b := fams["b"].GetMetric()[0].GetGauge().GetValue()
		if snaps != i || a != want || b != want {
			t.Errorf("scrape %d: %d snapshots, a=%v b=%v, want %v", i, snaps, a, b, want)
		}
	}
}

// Two metrics of one name are a programming error caught at registration,
// not a page that fails every scrape.
func TestDuplicateRejected(t *testing.T) {
	a, b := &Set{}, &Set{}
	a.Add("dup_total", Counter, "A.", func() float64 { return 0 })
	b.Add("dup_total", Counter, "B.", func() float64 { return 0 })
	if _, err := NewRegistry(a, b); err == nil {
		t.Errorf("NewRegistry accepted the same metric twice")
	}
}
