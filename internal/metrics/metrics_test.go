package metrics

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestExpositionFormat(t *testing.T) {
	hits := 0.0
	reg := &Registry{}
	reg.Add("app_hits_total", Counter, "Hits.\nSecond line with a \\ backslash.", func() float64 { return hits })
	reg.AddSamples("app_responses_total", Counter, "By class.", func() []Sample {
		return []Sample{{Labels: `code="2xx"`, Value: 7}, {Labels: `code="5xx"`, Value: 0}}
	})
	reg.Add("app_limit_bytes", Gauge, "A big one.", func() float64 { return 268435456 })
	ts := httptest.NewServer(reg)
	defer ts.Close()

	scrape := func() string {
		t.Helper()
		resp, err := http.Get(ts.URL + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain; version=0.0.4") {
			t.Errorf("Content-Type %q", ct)
		}
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	hits = 3
	want := `# HELP app_hits_total Hits.\nSecond line with a \\ backslash.
# TYPE app_hits_total counter
app_hits_total 3
# HELP app_responses_total By class.
# TYPE app_responses_total counter
app_responses_total{code="2xx"} 7
app_responses_total{code="5xx"} 0
# HELP app_limit_bytes A big one.
# TYPE app_limit_bytes gauge
app_limit_bytes 268435456
`
	if got := scrape(); got != want {
		t.Errorf("scrape:\n%s\nwant:\n%s", got, want)
	}
	hits = 4.5
	if got := scrape(); !strings.Contains(got, "\napp_hits_total 4.5\n") {
		t.Errorf("values are read at scrape time; got:\n%s", got)
	}

	for path, code := range map[string]int{"/": 404, "/metrics/x": 404, "/other": 404} {
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
	if resp.StatusCode != 405 {
		t.Errorf("POST /metrics: %d, want 405", resp.StatusCode)
	}
}

// One scrape reads its sources once, before any value: every metric of a
// scrape comes from the same snapshot, even while the source moves on.
func TestOneSnapshotPerScrape(t *testing.T) {
	source, snaps := 0.0, 0
	var snap float64
	reg := &Registry{}
	reg.OnScrape(func() { snaps++; snap = source })
	reg.Add("a", Gauge, "A.", func() float64 { source++; return snap })
	reg.Add("b", Gauge, "B.", func() float64 { source++; return snap })
	ts := httptest.NewServer(reg)
	defer ts.Close()
	for i := 1; i <= 2; i++ {
		resp, err := http.Get(ts.URL + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		want := map[int]string{1: "\na 0\n", 2: "\na 2\n"}[i]
		if snaps != i || !strings.Contains(string(b), want) || !strings.Contains(string(b), strings.Replace(want, "a", "b", 1)) {
			t.Errorf("scrape %d: %d snapshots, body:\n%s", i, snaps, b)
		}
	}
}
