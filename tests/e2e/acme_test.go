package e2e

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/quic-go/quic-go/http3"
)

// acmeTOML is the config of an ephpm with automatic HTTPS against p.
func acmeTOML(root, listen, tlsListen string, redirect bool, domain, cacheDir string, p *pebble) string {
	s := fmt.Sprintf("[server]\nlisten = %q\ndocument_root = %q\n[server.tls]\ndomains = [%q]\nemail = \"admin@ephpm.test\"\n"+
		"cache_dir = %q\nacme_ca = %q\nacme_ca_root = %q\n", listen, root, domain, cacheDir, p.Dir, p.CARoot)
	if tlsListen != "" {
		s += fmt.Sprintf("listen = %q\nredirect_http = %v\n", tlsListen, redirect)
	}
	return s
}

// pebbleValidity is what Pebble's certificates are valid for: 90 days,
// as Let's Encrypt's.
const pebbleValidity = 90 * 24 * time.Hour

// waitCert polls a TLS handshake with httpsAddr for name until it offers
// a certificate chaining to roots (and, if accept is not nil, accepted by
// it), and returns that certificate.
func waitCert(t *testing.T, s *server, httpsAddr, name string, roots *x509.CertPool, accept func(*x509.Certificate) bool) *x509.Certificate {
	t.Helper()
	deadline := time.Now().Add(45 * time.Second)
	for {
		d := &net.Dialer{Timeout: 5 * time.Second}
		conn, err := tls.DialWithDialer(d, "tcp", httpsAddr, &tls.Config{ServerName: name, RootCAs: roots})
		if err == nil {
			cert := conn.ConnectionState().PeerCertificates[0]
			conn.Close()
			if accept == nil || accept(cert) {
				return cert
			}
			err = fmt.Errorf("certificate serial %s not the one awaited", cert.SerialNumber)
		}
		if s.Exited() {
			t.Fatalf("ephpm exited:\n%s", s.Log())
		}
		if time.Now().After(deadline) {
			t.Fatalf("no valid certificate for %s on %s in 45s (last: %v)", name, httpsAddr, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// httpsClient reaches name at addr (there is no DNS for it outside
// Pebble) trusting roots only.
func httpsClient(addr, name string, roots *x509.CertPool) *http.Client {
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		TLSClientConfig:   &tls.Config{RootCAs: roots, ServerName: name},
		ForceAttemptHTTP2: true,
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, addr)
		},
	}}
}

// TestACMEHTTP01: with a separate HTTPS listener and redirect_http, the
// certificate is obtained by HTTP-01 through the plain listener (Pebble
// validates TLS-ALPN-01 on a closed port, so only HTTP-01 can succeed),
// served on HTTPS with a chain to Pebble's root, and on restart reused
// from cache_dir without a new order.
func TestACMEHTTP01(t *testing.T) {
	dnsAddr := startDNS(t)
	plainPort, httpsPort, closedPort := freePort(t), freePort(t), freePort(t)
	p := startPebble(t, plainPort, closedPort, dnsAddr, pebbleValidity)
	const domain = "http01.ephpm.test"
	cacheDir := filepath.Join(t.TempDir(), "certs")
	plain, https := fmt.Sprintf("127.0.0.1:%d", plainPort), fmt.Sprintf("127.0.0.1:%d", httpsPort)
	cfg := acmeTOML(fixtureRoot(t), plain, https, true, domain, cacheDir, p)

	s := start(t, "", cfg)
	roots := p.IssuingRoot(t)
	cert := waitCert(t, s, https, domain, roots, nil)
	if len(cert.DNSNames) != 1 || cert.DNSNames[0] != domain {
		t.Errorf("certificate names %v, want [%s]", cert.DNSNames, domain)
	}
	if !strings.Contains(p.Log(), "Attempting to validate w/ HTTP: http://"+domain+":"+fmt.Sprint(plainPort)+"/.well-known/acme-challenge/") ||
		!strings.Contains(s.Log(), "challenge=http-01") {
		t.Errorf("Pebble did not validate over HTTP-01 on the plain listener")
	}
	if n := p.Issued(); n != 1 {
		t.Errorf("Pebble issued %d certificates, want 1", n)
	}
	if !s.LogHas("acme: certificate obtained; HTTPS serves it") {
		t.Errorf("no 'certificate obtained' line in the log")
	}

	// PHP over HTTPS with the managed certificate (HTTP/2 by ALPN).
	c := httpsClient(https, domain, roots)
	resp, err := c.Get("https://" + domain + "/info.php")
	must(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var info struct{ Server map[string]any }
	if resp.StatusCode != 200 || resp.Proto != "HTTP/2.0" || json.Unmarshal(body, &info) != nil || info.Server["HTTPS"] != "on" {
		t.Errorf("GET over HTTPS: %d %s %.200s", resp.StatusCode, resp.Proto, body)
	}
	// The plain listener redirects everything but challenges.
	noFollow := &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	req, _ := http.NewRequest("GET", "http://"+plain+"/style.css?x=1", nil)
	req.Host = domain
	resp, err = noFollow.Do(req)
	must(t, err)
	resp.Body.Close()
	if want := fmt.Sprintf("https://%s:%d/style.css?x=1", domain, httpsPort); resp.StatusCode != 308 || resp.Header.Get("Location") != want {
		t.Errorf("plain GET: %d Location %q, want 308 %q", resp.StatusCode, resp.Header.Get("Location"), want)
	}

	// Restart: the certificate comes from cache_dir, no new order.
	s.Stop()
	s2 := start(t, "", cfg)
	again := waitCert(t, s2, https, domain, roots, nil)
	if again.SerialNumber.Cmp(cert.SerialNumber) != 0 {
		t.Errorf("after restart the serial is %s, want the cached %s", again.SerialNumber, cert.SerialNumber)
	}
	if n := p.Issued(); n != 1 {
		t.Errorf("after restart Pebble issued %d certificates, want still 1", n)
	}
	if !s2.LogHas("acme: certificate loaded from cache_dir") {
		t.Errorf("no 'loaded from cache_dir' line in the restarted server's log")
	}
}

// TestACMETLSALPN01: with HTTPS on server.listen itself there is no plain
// listener, so the certificate comes by TLS-ALPN-01 on the HTTPS port
// (Pebble's HTTP-01 port is closed). HTTP/3 serves the same certificate.
func TestACMETLSALPN01(t *testing.T) {
	dnsAddr := startDNS(t)
	httpsPort, closedPort := freePort(t), freePort(t)
	p := startPebble(t, closedPort, httpsPort, dnsAddr, pebbleValidity)
	const domain = "alpn.ephpm.test"
	https := fmt.Sprintf("127.0.0.1:%d", httpsPort)
	s := start(t, "", acmeTOML(fixtureRoot(t), https, "", false, domain, filepath.Join(t.TempDir(), "certs"), p)+"[server.http3]\nenabled = true\n")
	roots := p.IssuingRoot(t)
	cert := waitCert(t, s, https, domain, roots, nil)
	if len(cert.DNSNames) != 1 || cert.DNSNames[0] != domain {
		t.Errorf("certificate names %v, want [%s]", cert.DNSNames, domain)
	}
	if strings.Contains(p.Log(), "Attempting to validate w/ HTTP") || !strings.Contains(s.Log(), "served key authentication certificate") ||
		!strings.Contains(s.Log(), "challenge=tls-alpn-01") {
		t.Errorf("Pebble did not validate by TLS-ALPN-01 alone")
	}
	resp, err := httpsClient(https, domain, roots).Get("https://" + domain + "/style.css")
	must(t, err)
	resp.Body.Close()
	if want := fmt.Sprintf(`h3=":%d"; ma=86400`, httpsPort); resp.StatusCode != 200 || resp.Header.Get("Alt-Svc") != want {
		t.Errorf("GET over HTTPS: %d Alt-Svc %q", resp.StatusCode, resp.Header.Get("Alt-Svc"))
	}
	tr := &http3.Transport{TLSClientConfig: &tls.Config{RootCAs: roots, ServerName: domain}}
	defer tr.Close()
	resp, err = (&http.Client{Transport: tr, Timeout: 10 * time.Second}).Get("https://" + https + "/style.css")
	must(t, err)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.ProtoMajor != 3 {
		t.Errorf("GET over HTTP/3: %d %s", resp.StatusCode, resp.Proto)
	}
}

// TestACMERenewal: a cached certificate that is due for renewal is
// renewed when the server starts (a new order, a new certificate served
// and saved). Pebble issues for 40 minutes, which certmagic renews at
// once (under five maintenance intervals of 10 minutes left), so the
// test needs no waiting for a renewal window.
func TestACMERenewal(t *testing.T) {
	dnsAddr := startDNS(t)
	httpsPort, closedPort := freePort(t), freePort(t)
	p := startPebble(t, closedPort, httpsPort, dnsAddr, 40*time.Minute)
	const domain = "renew.ephpm.test"
	https := fmt.Sprintf("127.0.0.1:%d", httpsPort)
	cfg := acmeTOML(fixtureRoot(t), https, "", false, domain, filepath.Join(t.TempDir(), "certs"), p)
	s := start(t, "", cfg)
	roots := p.IssuingRoot(t)
	first := waitCert(t, s, https, domain, roots, nil)
	s.Stop()
	if n := p.Issued(); n != 1 {
		t.Fatalf("Pebble issued %d certificates, want 1", n)
	}

	s2 := start(t, "", cfg)
	renewed := waitCert(t, s2, https, domain, roots, func(c *x509.Certificate) bool { return c.SerialNumber.Cmp(first.SerialNumber) != 0 })
	if !renewed.NotAfter.After(first.NotAfter) {
		t.Errorf("renewed certificate expires %s, not after the first's %s", renewed.NotAfter, first.NotAfter)
	}
	if n := p.Issued(); n != 2 {
		t.Errorf("Pebble issued %d certificates, want 2", n)
	}
	if !s2.LogHas(`msg="acme: certificate obtained; HTTPS serves it" name=renew.ephpm.test renewal=true`) {
		t.Errorf("no renewal line in the log")
	}
}

// TestACMEUnreachableCA: a CA that cannot be reached does not hold
// startup: plain HTTP is served, the log says what it waits for and that
// it retries, and the plain listener (no redirect) serves the site.
func TestACMEUnreachableCA(t *testing.T) {
	dir := t.TempDir()
	writeCA, _ := selfSigned(t, dir) // any PEM certificate: nothing answers at acme_ca
	plain, https := fmt.Sprintf("127.0.0.1:%d", freePort(t)), fmt.Sprintf("127.0.0.1:%d", freePort(t))
	cfg := fmt.Sprintf("[server]\nlisten = %q\n[server.tls]\ndomains = [\"down.ephpm.test\"]\ncache_dir = %q\n"+
		"acme_ca = \"https://127.0.0.1:%d/dir\"\nacme_ca_root = %q\nlisten = %q\n",
		plain, filepath.Join(dir, "certs"), freePort(t), writeCA, https)
	s := start(t, fixtureRoot(t), cfg)
	resp, err := http.Get("http://" + plain + "/style.css")
	must(t, err)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("plain GET while the CA is down: %d", resp.StatusCode)
	}
	if !s.LogHas("acme: obtaining certificates in the background") {
		t.Errorf("the log does not say certificates are being obtained")
	}
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(s.Log(), "acme: could not obtain a certificate; retrying") {
		if time.Now().After(deadline) {
			t.Fatalf("no retry line in 30s:\n%s", s.Log())
		}
		time.Sleep(200 * time.Millisecond)
	}
	// HTTPS has nothing to offer yet: the handshake fails, the server
	// stays up.
	if conn, err := tls.Dial("tcp", https, &tls.Config{ServerName: "down.ephpm.test", InsecureSkipVerify: true}); err == nil {
		conn.Close()
		t.Errorf("a handshake succeeded without a certificate")
	}
	if s.Exited() {
		t.Fatalf("ephpm exited:\n%s", s.Log())
	}
}
