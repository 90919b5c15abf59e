package server

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/ephpm/ephpm/internal/config"
)

// newProbeServer serves a root whose index.php is a front controller and
// which has PHP files at the probe paths, with an access log to a file.
func newProbeServer(t *testing.T) (*Server, *recordingPHP, *httptest.Server, string) {
	t.Helper()
	root := t.TempDir()
	for name, body := range map[string]string{
		"index.php":           "<?php",
		"_ephpm/health":       "<?php echo 'site';",
		"_ephpm/ready.php":    "<?php echo 'site';",
		"_ephpm/ready/x.html": "x",
	} {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	access := filepath.Join(t.TempDir(), "access.log")
	cfg := &config.Config{}
	cfg.Server.DocumentRoot = root
	cfg.Server.IndexFiles = []string{"index.php"}
	cfg.Server.Request.MaxBodySize = 64
	cfg.Server.Request.MaxHeaderSize = 4096
	cfg.Server.Logging.Access = access
	php := &recordingPHP{}
	s, err := New(cfg, php, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.access.Close() })
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return s, php, ts, access
}

func probe(t *testing.T, method, url string) (int, http.Header, string) {
	t.Helper()
	req, _ := http.NewRequest(method, url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

// The probes are answered by the server without PHP, whatever the site has
// at those paths, and are not site traffic: no response counted, no
// access-log line.
func TestProbesAnsweredWithoutPHP(t *testing.T) {
	s, php, ts, access := newProbeServer(t)
	var reasons atomic.Pointer[[]string]
	reasons.Store(&[]string{})
	s.SetReadiness(func() []string { return *reasons.Load() })

	for _, p := range []string{"/_ephpm/health", "/_ephpm/ready", "/_ephpm//health", "/_ephpm/%68ealth", "/_ephpm/./ready", "/x/../_ephpm/ready"} {
		status, h, body := probe(t, "GET", ts.URL+p)
		if status != 200 || h.Get("Content-Type") != "application/json" || strings.TrimSpace(body) != `{"status":"ok"}` {
			t.Errorf("GET %s: %d %q %q", p, status, h.Get("Content-Type"), body)
		}
	}
	if status, _, body := probe(t, "HEAD", ts.URL+"/_ephpm/ready"); status != 200 || body != "" {
		t.Errorf("HEAD ready: %d %q", status, body)
	}
	if status, h, _ := probe(t, "POST", ts.URL+"/_ephpm/health"); status != 405 || h.Get("Allow") != "GET, HEAD" {
		t.Errorf("POST health: %d, Allow %q", status, h.Get("Allow"))
	}

	notReady := []string{"php: no worker has booted yet", "kv: redis does not answer: dial tcp: refused"}
	reasons.Store(&notReady)
	status, _, body := probe(t, "GET", ts.URL+"/_ephpm/ready")
	var ans struct {
		Status  string   `json:"status"`
		Reasons []string `json:"reasons"`
	}
	if err := json.Unmarshal([]byte(body), &ans); err != nil {
		t.Fatalf("ready body %q: %v", body, err)
	}
	if status != 503 || ans.Status != "unavailable" || len(ans.Reasons) != 2 || ans.Reasons[1] != notReady[1] {
		t.Errorf("not ready: %d %+v", status, ans)
	}
	// Health does not depend on readiness.
	if status, _, _ := probe(t, "GET", ts.URL+"/_ephpm/health"); status != 200 {
		t.Errorf("health while not ready: %d", status)
	}

	if php.last.Name != "" {
		t.Errorf("a probe reached PHP: %+v", php.last)
	}
	if st := s.Stats(); st.Responses != [6]int64{} || st.InFlight != 0 {
		t.Errorf("probes counted as site traffic: %+v", st)
	}
	if b, _ := os.ReadFile(access); len(b) != 0 {
		t.Errorf("probes in the access log:\n%s", b)
	}

	// Neighbouring paths are the site's, and are counted as such.
	if status, _, body := probe(t, "GET", ts.URL+"/_ephpm/ready.php"); status != 200 || !strings.HasPrefix(body, "php:/_ephpm/ready.php") {
		t.Errorf("/_ephpm/ready.php: %d %q", status, body)
	}
	if status, _, body := probe(t, "GET", ts.URL+"/_ephpm/ready/x.html"); status != 200 || body != "x" {
		t.Errorf("/_ephpm/ready/x.html: %d %q", status, body)
	}
	if st := s.Stats(); st.Responses[2] != 2 {
		t.Errorf("site responses after the probes: %+v", st.Responses)
	}
}

// Without a readiness check the server is ready while it serves.
func TestReadyWithoutCheck(t *testing.T) {
	_, _, ts, _ := newProbeServer(t)
	if status, _, body := probe(t, "GET", ts.URL+"/_ephpm/ready"); status != 200 || strings.TrimSpace(body) != `{"status":"ok"}` {
		t.Errorf("ready: %d %q", status, body)
	}
}

// On the metrics listener the probes are answered in front of the
// registry, and everything else is the registry's.
func TestHealthHandler(t *testing.T) {
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "metrics") })
	ts := httptest.NewServer(HealthHandler(func() []string { return []string{"php: shutting down"} }, next))
	defer ts.Close()
	if status, _, body := probe(t, "GET", ts.URL+"/_ephpm/ready"); status != 503 || !strings.Contains(body, `"php: shutting down"`) {
		t.Errorf("ready: %d %q", status, body)
	}
	if status, _, body := probe(t, "GET", ts.URL+"/_ephpm/health"); status != 200 || !strings.Contains(body, `"ok"`) {
		t.Errorf("health: %d %q", status, body)
	}
	if _, _, body := probe(t, "GET", ts.URL+"/metrics"); body != "metrics" {
		t.Errorf("/metrics: %q", body)
	}
}
