package server

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ephpm/ephpm/internal/config"
	"github.com/ephpm/ephpm/internal/metrics"
)

// statsServer is a Server over a root with a PHP file, a static file and a
// hidden one, PHP answered by recordingPHP; requests go straight to
// ServeHTTP.
func statsServer(tb testing.TB) *Server {
	tb.Helper()
	root := tb.TempDir()
	for name, body := range map[string]string{"index.php": "<?php", "style.css": "body{}", ".env": "SECRET=1"} {
		if err := os.WriteFile(filepath.Join(root, name), []byte(body), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	cfg := &config.Config{}
	cfg.Server.DocumentRoot = root
	cfg.Server.IndexFiles = []string{"index.php"}
	cfg.Server.Request.MaxBodySize = 64
	cfg.Server.Request.MaxHeaderSize = 4096
	cfg.Server.Static.HiddenFiles = "deny"
	s, err := New(cfg, &recordingPHP{}, nil)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

func serveGet(s *Server, path string) int {
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	return rec.Code
}

// The duration histogram puts each request under its handler kind and
// status class, and nothing else (the probes are not site traffic).
func TestDurationHistogram(t *testing.T) {
	s := statsServer(t)
	serveGet(s, "/index.php") // before DurationHistogram: not timed, no crash
	reg, err := metrics.NewRegistry(s.DurationHistogram())
	if err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]int{"/index.php": 200, "/style.css": 200, "/.env": 403, HealthPath: 200} {
		if code := serveGet(s, path); code != want {
			t.Fatalf("GET %s: %d, want %d", path, code, want)
		}
	}
	serveGet(s, "/index.php?again=1")
	var fam *metrics.Family
	for _, f := range reg.Gather() {
		if f.Name == "ephpm_http_request_duration_seconds" {
			fam = f
		}
	}
	if fam == nil || fam.Type != "histogram" {
		t.Fatalf("family: %+v", fam)
	}
	got := map[string]uint64{}
	for _, m := range fam.Metrics {
		var code, handler string
		for _, l := range m.Labels {
			switch l.Name {
			case "code":
				code = l.Value
			case "handler":
				handler = l.Value
			}
		}
		got[handler+" "+code] = m.Count
		if len(m.Buckets) != len(DurationBuckets) {
			t.Errorf("%s %s: %d buckets", handler, code, len(m.Buckets))
		}
	}
	want := map[string]uint64{"php 2xx": 2, "static 2xx": 1, "static 4xx": 1}
	if len(got) != 10 {
		t.Errorf("%d series, want 10 (2 handlers x 5 classes): %v", len(got), got)
	}
	for k, v := range got {
		if v != want[k] {
			t.Errorf("%s: %d requests, want %d", k, v, want[k])
		}
	}
}

// The cost of timing a request: ServeHTTP of a (fake) PHP request with
// the histogram off (no metrics listener) and on.
func BenchmarkServeHTTPDuration(b *testing.B) {
	for _, on := range []bool{false, true} {
		name := map[bool]string{false: "off", true: "on"}[on]
		b.Run(name, func(b *testing.B) {
			s := statsServer(b)
			if on {
				s.DurationHistogram()
			}
			req := httptest.NewRequest(http.MethodGet, "/index.php", nil)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				s.ServeHTTP(httptest.NewRecorder(), req)
			}
		})
	}
}

// The end-of-request accounting alone, histogram off and on: what the
// histogram adds to every request.
func BenchmarkStatsDone(b *testing.B) {
	for _, on := range []bool{false, true} {
		name := map[bool]string{false: "off", true: "on"}[on]
		b.Run(name, func(b *testing.B) {
			s := statsServer(b)
			if on {
				s.DurationHistogram()
			}
			w := &response{rec: &recorder{status: 200, bytes: 5}, php: true}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				start := time.Now()
				s.stats.inFlight.Add(1)
				s.stats.done(w, start)
			}
		})
	}
}
