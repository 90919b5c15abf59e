package e2e

// Spec audit (session 9, second pass): README's "[server.response] headers
// ... adds headers to every response (static, PHP, errors)". A user who
// configures X-Frame-Options or Strict-Transport-Security expects them on
// whatever the site's listeners answer, as nginx's `add_header ... always`
// does, including the answers the server gives alone: the probes and the
// redirect to HTTPS. (The only exception, documented in README: the fixed
// 400/431 texts net/http writes itself for a request it cannot parse,
// before any handler runs.)

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const auditHeadersTOML = "[server.response]\nheaders = [[\"X-Frame-Options\", \"DENY\"], [\"X-Audit\", \"one\"], [\"X-Audit\", \"two\"]]\n"

// auditWantHeaders checks both configured headers, the repeated one with
// both values in order.
func auditWantHeaders(t *testing.T, what string, h http.Header) {
	t.Helper()
	if got := h.Values("X-Frame-Options"); len(got) != 1 || got[0] != "DENY" {
		t.Errorf("%s: X-Frame-Options %q, want [DENY]", what, got)
	}
	if got := strings.Join(h.Values("X-Audit"), ","); got != "one,two" {
		t.Errorf("%s: X-Audit %q, want one,two", what, got)
	}
}

func TestSpecAudit9bConfiguredHeadersOnEveryResponse(t *testing.T) {
	root := t.TempDir()
	must(t, os.WriteFile(filepath.Join(root, "a.txt"), []byte("static\n"), 0o644))
	must(t, os.WriteFile(filepath.Join(root, "p.php"), []byte("<?php echo 'php';"), 0o644))
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(t *testing.T, method, url string) *http.Response {
		t.Helper()
		req, err := http.NewRequest(method, url, nil)
		must(t, err)
		resp, err := noRedirect.Do(req)
		must(t, err)
		resp.Body.Close()
		return resp
	}

	t.Run("plain", func(t *testing.T) {
		s := start(t, root, auditHeadersTOML)
		for _, c := range []struct {
			method, path string
			status       int
		}{
			{"GET", "/a.txt", 200}, {"GET", "/p.php", 200}, {"GET", "/nope", 404},
			{"GET", "/_ephpm/health", 200}, {"HEAD", "/_ephpm/health", 200}, {"GET", "/_ephpm/ready", 200},
			{"POST", "/_ephpm/health", 405}, {"GET", "/_ephpm/threads", 404},
		} {
			resp := get(t, c.method, s.URL+c.path)
			if resp.StatusCode != c.status {
				t.Errorf("%s %s: %d, want %d", c.method, c.path, resp.StatusCode, c.status)
			}
			auditWantHeaders(t, c.method+" "+c.path, resp.Header)
		}
	})

	t.Run("https_and_redirect", func(t *testing.T) {
		s := start(t, root, "[server]\nlisten = \"127.0.0.1:0\"\n"+auditHeadersTOML+tlsTOML(t, "listen = \"127.0.0.1:0\"\nredirect_http = true\n"))
		resp := get(t, "GET", s.URL+"/p.php")
		if resp.StatusCode != http.StatusPermanentRedirect {
			t.Errorf("plain /p.php: %d, want 308", resp.StatusCode)
		}
		auditWantHeaders(t, "the redirect to HTTPS", resp.Header)
		auditWantHeaders(t, "a probe on the redirecting listener", get(t, "GET", s.URL+"/_ephpm/health").Header)
		httpsAddr := logAddr(t, s, "https_addr")
		out, err := curlOut(t, "-k", "-s", "-D", "-", "-o", "/dev/null", "https://"+httpsAddr+"/_ephpm/ready")
		if err != nil || !strings.Contains(out, "x-frame-options: DENY") && !strings.Contains(out, "X-Frame-Options: DENY") {
			t.Errorf("HTTPS probe headers: %q %v", out, err)
		}
	})
}
