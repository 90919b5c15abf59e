package metrics

import (
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// A histogram's buckets are "less than or equal" and cumulative, +Inf is
// the count, and the page parses as Prometheus' histogram with its labels.
func TestHistogramExposition(t *testing.T) {
	vec := NewHistogramVec("app_seconds", "Durations.", []float64{0.1, 1, 10}, "handler", "code")
	php := vec.With("php", "2xx")
	vec.With("static", "5xx") // created, never observed: shows at 0
	for _, v := range []float64{0.05, 0.1, 0.5, 1, 3, 100} {
		php.Observe(v)
	}
	if vec.With("php", "2xx") != php {
		t.Fatal("With made a second series for the same label values")
	}
	reg, err := NewRegistry(vec)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(Handler(reg, nil))
	defer ts.Close()
	fams := scrape(t, ts.URL+"/metrics")
	f := fams["app_seconds"]
	if f == nil || f.GetType() != dto.MetricType_HISTOGRAM || f.GetHelp() != "Durations." || len(f.Metric) != 2 {
		t.Fatalf("family %v", f)
	}
	for _, m := range f.Metric {
		labels := ""
		for _, l := range m.Label {
			labels += l.GetName() + "=" + l.GetValue() + " "
		}
		h := m.GetHistogram()
		var counts []uint64
		for _, b := range h.Bucket {
			counts = append(counts, b.GetCumulativeCount())
		}
		switch labels {
		case "code=2xx handler=php ":
			if got := counts; len(got) != 4 || got[0] != 2 || got[1] != 4 || got[2] != 5 || got[3] != 6 {
				t.Errorf("php buckets %v, want [2 4 5 6] (0.05 and 0.1 <= 0.1; 0.5 and 1 <= 1; 3 <= 10; +Inf: all)", got)
			}
			if h.GetSampleCount() != 6 || h.GetSampleSum() != 104.65 {
				t.Errorf("php count %d sum %v, want 6 and 104.65", h.GetSampleCount(), h.GetSampleSum())
			}
		case "code=5xx handler=static ":
			if h.GetSampleCount() != 0 || len(counts) != 4 {
				t.Errorf("static: count %d, buckets %v", h.GetSampleCount(), counts)
			}
		default:
			t.Errorf("unexpected series %q", labels)
		}
	}
}

// The page is gzip-compressed when Accept-Encoding prefers gzip, and
// identity otherwise, as promhttp negotiates (a tie such as "*" is
// identity).
func TestGzipNegotiation(t *testing.T) {
	reg, err := NewRegistry()
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(Handler(reg, nil))
	defer ts.Close()
	for accept, wantGzip := range map[string]bool{
		"": false, "gzip": true, "gzip, deflate, br": true, "identity": false, "*": false,
		"gzip;q=0": false, "identity;q=0.5, gzip;q=0.8": true, "identity, gzip;q=0.5": false, "deflate": false,
	} {
		req, _ := http.NewRequest(http.MethodGet, ts.URL+"/metrics", nil)
		// Set explicitly: Go's client would otherwise ask for gzip and
		// decompress on its own.
		req.Header.Set("Accept-Encoding", accept)
		if accept == "" {
			req.Header["Accept-Encoding"] = nil
		}
		resp, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		body := io.Reader(resp.Body)
		gotGzip := resp.Header.Get("Content-Encoding") == "gzip"
		if gotGzip != wantGzip {
			t.Errorf("Accept-Encoding %q: gzip %v, want %v", accept, gotGzip, wantGzip)
		}
		if gotGzip {
			zr, err := gzip.NewReader(resp.Body)
			if err != nil {
				t.Fatalf("Accept-Encoding %q: %v", accept, err)
			}
			body = zr
		}
		if vary := resp.Header.Values("Vary"); strings.Join(vary, ",") != "Accept,Accept-Encoding" {
			t.Errorf("Vary %v", vary)
		}
		p := expfmt.NewTextParser(model.UTF8Validation)
		fams, err := p.TextToMetricFamilies(body)
		resp.Body.Close()
		if err != nil || fams["go_goroutines"] == nil {
			t.Errorf("Accept-Encoding %q: page does not parse (%v) or lacks go_goroutines", accept, err)
		}
	}
}

// Label values and HELP texts are escaped as the text format requires.
func TestEscaping(t *testing.T) {
	set := &Set{}
	set.AddSamples("app_total", Counter, `Help with \ and`+"\nnewline.", "path", func() []Sample {
		return []Sample{{Label: `a"b\c` + "\nd", Value: 1}}
	})
	reg, err := NewRegistry(set)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(Handler(reg, nil))
	defer ts.Close()
	fams := scrape(t, ts.URL+"/metrics")
	f := fams["app_total"]
	if f == nil || f.GetHelp() != `Help with \ and`+"\nnewline." || f.Metric[0].Label[0].GetValue() != `a"b\c`+"\nd" {
		t.Errorf("family %v", f)
	}
}

// A name Prometheus cannot scrape is refused at registration.
func TestInvalidNameRejected(t *testing.T) {
	set := &Set{}
	set.Add("bad-name", Gauge, "B.", func() float64 { return 0 })
	if _, err := NewRegistry(set); err == nil {
		t.Errorf("NewRegistry accepted bad-name")
	}
}

func BenchmarkObserve(b *testing.B) {
	h := NewHistogramVec("x_seconds", "X.", []float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300}, "a").With("b")
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			h.Observe(0.0003)
		}
	})
}
