package server

import (
	"encoding/json"
	"net/http"
	"path"
	"strings"
)

// The probe paths, answered by the server itself on every listener (and by
// the metrics listener through HealthHandler).
const (
	HealthPath = "/_ephpm/health"
	ReadyPath  = "/_ephpm/ready"
	// ThreadsPath is served on the metrics listener only (cmd/ephpm):
	// the site's listeners answer it 404 themselves, so it never reaches
	// PHP (a front controller would otherwise get it) and reveals nothing.
	ThreadsPath = "/_ephpm/threads"
)

// Readiness reports why the server cannot take traffic now (none = ready).
// cmd/ephpm composes it from the PHP runtime and the KV backend, so this
// package knows neither.
type Readiness func() []string

// SetReadiness installs the readiness check; without one /_ephpm/ready
// reports ready whenever the process serves.
func (s *Server) SetReadiness(f Readiness) { s.ready = f }

// isProbe tells a probe request (or one for ThreadsPath) by its cleaned
// path, so /_ephpm//health or an escaped letter cannot slip past to the
// router (and to a PHP file or front controller the site might have there).
func isProbe(r *http.Request) bool {
	// Every request passes here: the substring test keeps it to a few ns
	// for the site's paths (URL.Path is decoded, so %5f cannot hide it).
	if !strings.Contains(r.URL.Path, "/_ephpm/") {
		return false
	}
	p := path.Clean(r.URL.Path)
	return p == HealthPath || p == ReadyPath || p == ThreadsPath
}

// HealthHandler answers the probe paths and passes everything else to next
// (the metrics and /_ephpm/threads on the metrics listener).
func HealthHandler(ready Readiness, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if isProbe(r) && path.Clean(r.URL.Path) != ThreadsPath {
			serveProbe(w, r, ready)
			return
		}
		next.ServeHTTP(w, r)
	})
}

type probeAnswer struct {
	Status  string   `json:"status"`
	Reasons []string `json:"reasons,omitempty"`
}

// serveProbe answers /_ephpm/health (200 while the process serves) and
// /_ephpm/ready (200, or 503 with the reasons); /_ephpm/threads is a 404
// here (the metrics listener serves it). Never cached: a stale
// answer from a cache between prober and server would defeat it.
func serveProbe(w http.ResponseWriter, r *http.Request, ready Readiness) {
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	if path.Clean(r.URL.Path) == ThreadsPath {
		plainError(w, http.StatusNotFound)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		h.Set("Allow", "GET, HEAD")
		plainError(w, http.StatusMethodNotAllowed)
		return
	}
	status, ans := http.StatusOK, probeAnswer{Status: "ok"}
	if path.Clean(r.URL.Path) == ReadyPath && ready != nil {
		if reasons := ready(); len(reasons) > 0 {
			status, ans = http.StatusServiceUnavailable, probeAnswer{Status: "unavailable", Reasons: reasons}
		}
	}
	body, _ := json.Marshal(ans)
	body = append(body, '\n')
	h.Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		w.Write(body)
	}
}
