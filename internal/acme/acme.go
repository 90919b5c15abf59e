// Package acme is ephpm's automatic HTTPS: it obtains and renews the
// certificates of [server.tls] domains from an ACME CA (Let's Encrypt by
// default) with certmagic, keeps them under cache_dir, and gives the
// HTTP front the TLS configuration that serves them and the handler that
// answers HTTP-01 challenges on the plain listener.
//
// Certificates are managed in the background: the server listens and
// serves plain HTTP at once, and a CA that cannot be reached is retried
// with backoff (logged) instead of holding startup.
package acme

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/caddyserver/certmagic"
	"github.com/ephpm/ephpm/internal/config"
)

// Manager obtains, renews and serves the certificates of one
// [server.tls] section.
type Manager struct {
	t      config.TLSConfig
	log    *slog.Logger
	cache  *certmagic.Cache
	magic  *certmagic.Config
	issuer *certmagic.ACMEIssuer

	mu       sync.Mutex
	obtained map[string]bool // names obtained by this process: their caching is no "loaded from cache_dir"
}

// New prepares certificate management for t (t.Domains not empty): the
// cache directory must be writable. Nothing is fetched before Start.
func New(t config.TLSConfig, logger *slog.Logger) (*Manager, error) {
	if !t.ACME() {
		return nil, errors.New("server.tls.domains is empty: nothing to obtain certificates for")
	}
	if logger == nil {
		logger = slog.Default()
	}
	if err := checkWritable(t.CacheDir); err != nil {
		return nil, fmt.Errorf("server.tls.cache_dir: %w", err)
	}
	m := &Manager{t: t, log: logger, obtained: map[string]bool{}}
	zl := zapLogger(logger)
	m.cache = certmagic.NewCache(certmagic.CacheOptions{
		GetConfigForCert: func(certmagic.Certificate) (*certmagic.Config, error) { return m.magic, nil },
		Logger:           zl,
	})
	m.magic = certmagic.New(m.cache, certmagic.Config{
		Storage: &certmagic.FileStorage{Path: t.CacheDir},
		Logger:  zl,
		// A client that sends no SNI (an IP in the URL) still gets the
		// first domain's certificate rather than a handshake failure.
		DefaultServerName: strings.ToLower(t.Domains[0]),
		OnEvent:           m.onEvent,
		ShouldEmitFunc:    func(event string) bool { return event != "tls_get_certificate" }, // every handshake; not logged
	})
	tmpl := certmagic.ACMEIssuer{
		CA:     t.ACMECA,
		Email:  t.Email,
		Agreed: true, // listing domains is the operator's consent to the CA's subscriber agreement
		Logger: zl,
	}
	if t.ACMECA == "" {
		tmpl.CA = certmagic.LetsEncryptProductionCA
	}
	if t.ACMECARoot != "" {
		pool, err := config.ReadCertPool(t.ACMECARoot)
		if err != nil {
			return nil, fmt.Errorf("server.tls.acme_ca_root: %w", err)
		}
		tmpl.TrustedRoots = pool
	}
	m.issuer = certmagic.NewACMEIssuer(m.magic, tmpl)
	m.magic.Issuers = []certmagic.Issuer{m.issuer}
	return m, nil
}

// checkWritable creates dir if needed (private: it holds keys) and
// proves a file can be written in it, so a read-only or mistyped
// cache_dir fails at startup instead of at every issuance attempt.
func checkWritable(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".write-test-*")
	if err != nil {
		return err
	}
	name := f.Name()
	f.Close()
	return os.Remove(name)
}

// TLSConfig serves the managed certificates and answers TLS-ALPN-01
// challenges (ALPN "acme-tls/1"); the HTTP front adds h2 and http/1.1.
func (m *Manager) TLSConfig() *tls.Config {
	c := m.magic.TLSConfig()
	c.MinVersion = tls.VersionTLS12
	return c
}

// HTTPChallengeHandler answers the CA's HTTP-01 requests
// (/.well-known/acme-challenge/TOKEN for a challenge in progress) and
// passes every other request to next.
func (m *Manager) HTTPChallengeHandler(next http.Handler) http.Handler {
	return m.issuer.HTTPChallengeHandler(next)
}

// Start begins managing the certificates in the background, once the
// listeners are bound: plain is the plain-HTTP listener (nil if there is
// none: then only TLS-ALPN-01 can be used), https the HTTPS one. A
// certificate in cache_dir is reused; a missing or expiring one is
// obtained, retried with backoff while the CA cannot be reached or
// refuses, and renewed before it expires, until ctx is done.
func (m *Manager) Start(ctx context.Context, plain, https net.Addr) error {
	// The challenge solvers bind the challenge ports themselves unless
	// they are taken; naming our own listeners' addresses makes them
	// find those taken and leave the answering to our listeners (the
	// HTTP-01 handler above and the TLS config's acme-tls/1).
	if host, port, ok := splitAddr(https); ok {
		m.issuer.ListenHost, m.issuer.AltTLSALPNPort = host, port
	}
	var challenges []string
	if host, port, ok := splitAddr(plain); ok {
		m.issuer.ListenHost, m.issuer.AltHTTPPort = host, port
		challenges = append(challenges, fmt.Sprintf("http-01 (the CA fetches http://DOMAIN:80/.well-known/acme-challenge/..., answered on %s)", plain))
	} else {
		m.issuer.DisableHTTPChallenge = true
	}
	challenges = append(challenges, fmt.Sprintf("tls-alpn-01 (the CA connects to DOMAIN:443, answered on %s)", https))
	m.log.Info("acme: obtaining certificates in the background; plain HTTP is served meanwhile, HTTPS for a name once its certificate is loaded",
		"domains", m.t.Domains, "ca", m.issuer.CA, "cache_dir", m.t.CacheDir, "challenges", strings.Join(challenges, "; "))
	return m.magic.ManageAsync(ctx, m.t.Domains)
}

// Stop ends renewal and the cache's maintenance goroutine.
func (m *Manager) Stop() { m.cache.Stop() }

func splitAddr(a net.Addr) (string, int, bool) {
	tcp, ok := a.(*net.TCPAddr)
	if !ok || tcp == nil {
		return "", 0, false
	}
	host := ""
	if !tcp.IP.IsUnspecified() {
		host = tcp.IP.String()
	}
	return host, tcp.Port, true
}

// onEvent logs the milestones in plain words: certmagic's own log lines
// carry the details (and the retries while the CA is unreachable).
func (m *Manager) onEvent(_ context.Context, event string, data map[string]any) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	switch event {
	case "cached_managed_cert":
		// Also emitted when a certificate just obtained is cached.
		names, _ := data["sans"].([]string)
		for _, n := range names {
			if m.obtained[n] {
				return nil
			}
		}
		m.log.Info("acme: certificate loaded from cache_dir; HTTPS serves it", "names", names)
	case "cert_obtained":
		if n, ok := data["identifier"].(string); ok {
			m.obtained[n] = true
		}
		m.log.Info("acme: certificate obtained; HTTPS serves it", "name", data["identifier"], "renewal", data["renewal"], "file", filepath.Join(m.t.CacheDir, fmt.Sprint(data["certificate_path"])))
	case "cert_failed":
		m.log.Warn("acme: could not obtain a certificate; retrying with backoff (HTTPS for this name fails its handshakes until then)",
			"name", data["identifier"], "renewal", data["renewal"], "err", data["error"])
	}
	return nil
}
