package server

import (
	"crypto/tls"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/ephpm/ephpm/internal/config"
)

// TestChallengeHookWithoutRedirect: with server.tls.listen and no
// redirect_http, the plain listener serves the site and still hands
// every request to the challenge hook first (ACME HTTP-01 without
// redirecting); HTTPS is served alongside and both shut down (startFront's
// cleanup checks Serve returns).
func TestChallengeHookWithoutRedirect(t *testing.T) {
	certFile, keyFile := testCert(t)
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	s := startFront(t, func(c *config.Config) {
		c.Server.TLS.Domains = []string{"example.com"}
		c.Server.TLS.Listen = "127.0.0.1:0"
	}, func(s *Server) {
		s.SetTLSConfig(&tls.Config{Certificates: []tls.Certificate{cert}})
		s.SetHTTPChallengeHandler(func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == acmeChallengePrefix+"hooked" {
					io.WriteString(w, "from the hook")
					return
				}
				next.ServeHTTP(w, r)
			})
		})
	})
	base := "http://" + s.Addr().String()
	if _, body := getBody(t, http.DefaultClient, base+acmeChallengePrefix+"hooked"); body != "from the hook" {
		t.Errorf("hooked challenge: %q", body)
	}
	if resp, body := getBody(t, http.DefaultClient, base+"/"); resp.StatusCode != 200 || !strings.Contains(body, "https=false") {
		t.Errorf("plain site through the hook: %d %q", resp.StatusCode, body)
	}
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: insecureTLS(), ForceAttemptHTTP2: true}}
	if resp, body := getBody(t, c, "https://"+s.HTTPSAddr().String()+"/"); resp.ProtoMajor != 2 || !strings.Contains(body, "https=true") {
		t.Errorf("HTTPS: %s %q", resp.Proto, body)
	}
}

// TestACMEWithoutTLSConfig: domains without the ACME hook is a clear
// error at Listen, not a certificate file named "".
func TestACMEWithoutTLSConfig(t *testing.T) {
	cfg := config.Default()
	cfg.Server.Listen = "127.0.0.1:0"
	cfg.Server.DocumentRoot = t.TempDir()
	cfg.Server.TLS.Domains = []string{"example.com"}
	s, err := New(cfg, echoPHP{}, NewLogger("warn", io.Discard))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Listen(); err == nil || !strings.Contains(err.Error(), "server.tls.domains: automatic HTTPS is not set up") {
		t.Errorf("Listen: %v", err)
	}
}
