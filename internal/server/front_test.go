package server

import (
	"bufio"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ephpm/ephpm/internal/config"
	"github.com/ephpm/ephpm/internal/testcert"
	"github.com/quic-go/quic-go/http3"
)

// echoPHP answers with what PHP would see of the connection: the
// protocol, the client address, the scheme, host and server port.
type echoPHP struct{}

func (echoPHP) ServePHP(w http.ResponseWriter, r *http.Request, s Script, body io.Reader, _ time.Time) PHPResult {
	io.Copy(io.Discard, body)
	port := ""
	if la, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
		_, port, _ = net.SplitHostPort(la.String())
	}
	fmt.Fprintf(w, "proto=%s remote=%s https=%v host=%s port=%s", r.Proto, r.RemoteAddr, r.TLS != nil, r.Host, port)
	return PHPResult{Status: 200}
}

// testCert writes a self-signed certificate for 127.0.0.1 and its key.
func testCert(t testing.TB) (certFile, keyFile string) {
	t.Helper()
	return testcert.SelfSigned(t, t.TempDir())
}

// startFront runs a Server with real listeners on loopback until the test
// ends.
func startFront(t testing.TB, mutate func(*config.Config), before ...func(*Server)) *Server {
	t.Helper()
	root := t.TempDir()
	os.WriteFile(filepath.Join(root, "index.php"), []byte("<?php"), 0o644)
	os.MkdirAll(filepath.Join(root, ".well-known/acme-challenge"), 0o755)
	os.WriteFile(filepath.Join(root, ".well-known/acme-challenge/tok"), []byte("token-file"), 0o644)
	cfg := config.Default()
	cfg.Server.Listen = "127.0.0.1:0"
	cfg.Server.DocumentRoot = root
	if mutate != nil {
		mutate(cfg)
	}
	s, err := New(cfg, echoPHP{}, NewLogger("warn", io.Discard))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range before {
		f(s)
	}
	if _, err := s.Listen(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, 5*time.Second) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Serve: %v", err)
			}
		case <-time.After(20 * time.Second):
			t.Error("Serve did not return after the context ended")
		}
	})
	return s
}

func withTLS(t testing.TB) func(*config.Config) {
	cert, key := testCert(t)
	return func(c *config.Config) { c.Server.TLS.CertFile, c.Server.TLS.KeyFile = cert, key }
}

// insecureTLS is a fresh config each time: a Transport adds "h2" to the
// NextProtos of the config it is given.
func insecureTLS() *tls.Config { return &tls.Config{InsecureSkipVerify: true} }

func getBody(t *testing.T, c *http.Client, url string) (*http.Response, string) {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// TestHTTP2OverTLS: ALPN offers h2; PHP sees HTTP/2.0 and HTTPS. Without
// HTTP/3 there is no Alt-Svc.
func TestHTTP2OverTLS(t *testing.T) {
	s := startFront(t, withTLS(t))
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: insecureTLS(), ForceAttemptHTTP2: true}}
	resp, body := getBody(t, c, "https://"+s.HTTPSAddr().String()+"/")
	if resp.ProtoMajor != 2 || !strings.HasPrefix(body, "proto=HTTP/2.0 ") || !strings.Contains(body, "https=true") {
		t.Errorf("over TLS: %s %q", resp.Proto, body)
	}
	if v := resp.Header.Get("Alt-Svc"); v != "" {
		t.Errorf("Alt-Svc %q without HTTP/3", v)
	}
	// HTTP/1.1 still works.
	c1 := &http.Client{Transport: &http.Transport{TLSClientConfig: insecureTLS()}} // a custom TLS config without ForceAttemptHTTP2 offers HTTP/1.1 only
	resp, body = getBody(t, c1, "https://"+s.HTTPSAddr().String()+"/")
	if resp.ProtoMajor != 1 || !strings.HasPrefix(body, "proto=HTTP/1.1 ") {
		t.Errorf("HTTP/1.1 over TLS: %s %q", resp.Proto, body)
	}
}

func h2cClient() *http.Client {
	p := new(http.Protocols)
	p.SetUnencryptedHTTP2(true)
	return &http.Client{Transport: &http.Transport{Protocols: p}}
}

// TestH2C: prior-knowledge HTTP/2 on the plain listener only when
// server.h2c is on; HTTP/1.1 is served either way.
func TestH2C(t *testing.T) {
	s := startFront(t, func(c *config.Config) { c.Server.H2C = true })
	resp, body := getBody(t, h2cClient(), "http://"+s.Addr().String()+"/")
	if resp.ProtoMajor != 2 || !strings.HasPrefix(body, "proto=HTTP/2.0 ") || !strings.Contains(body, "https=false") {
		t.Errorf("h2c: %s %q", resp.Proto, body)
	}
	resp, body = getBody(t, http.DefaultClient, "http://"+s.Addr().String()+"/")
	if resp.ProtoMajor != 1 || !strings.HasPrefix(body, "proto=HTTP/1.1 ") {
		t.Errorf("HTTP/1.1 with h2c on: %s %q", resp.Proto, body)
	}

	off := startFront(t, nil)
	if resp, err := h2cClient().Get("http://" + off.Addr().String() + "/"); err == nil {
		resp.Body.Close()
		t.Errorf("h2c off: prior-knowledge HTTP/2 got %s %d", resp.Proto, resp.StatusCode)
	}
}

// TestHTTP3: QUIC on the HTTPS port, announced by Alt-Svc over TCP; PHP
// sees HTTP/3.0 and HTTPS.
func TestHTTP3(t *testing.T) {
	s := startFront(t, func(c *config.Config) {
		withTLS(t)(c)
		c.Server.HTTP3.Enabled = true
	})
	https := s.HTTPSAddr().(*net.TCPAddr)
	h3 := s.HTTP3Addr().(*net.UDPAddr)
	if h3.Port != https.Port {
		t.Fatalf("HTTP/3 on UDP port %d, HTTPS on %d", h3.Port, https.Port)
	}
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: insecureTLS(), ForceAttemptHTTP2: true}}
	resp, _ := getBody(t, c, "https://"+https.String()+"/")
	if want := fmt.Sprintf(`h3=":%d"; ma=86400`, https.Port); resp.Header.Get("Alt-Svc") != want {
		t.Errorf("Alt-Svc %q, want %q", resp.Header.Get("Alt-Svc"), want)
	}
	tr := &http3.Transport{TLSClientConfig: insecureTLS()}
	defer tr.Close()
	resp, body := getBody(t, &http.Client{Transport: tr, Timeout: 20 * time.Second}, "https://"+https.String()+"/")
	if resp.ProtoMajor != 3 || !strings.HasPrefix(body, "proto=HTTP/3.0 ") || !strings.Contains(body, "https=true") {
		t.Errorf("HTTP/3: %s %q", resp.Proto, body)
	}
	if v := resp.Header.Get("Alt-Svc"); v != "" {
		t.Errorf("Alt-Svc %q on an HTTP/3 response", v)
	}
	// Plain HTTP never announces it.
	plain := startFront(t, nil)
	if resp, _ := getBody(t, http.DefaultClient, "http://"+plain.Addr().String()+"/"); resp.Header.Get("Alt-Svc") != "" {
		t.Errorf("Alt-Svc over plain HTTP")
	}
}

// TestSeparateHTTPSListener: server.listen stays plain HTTP, HTTPS on
// server.tls.listen; with redirect_http the plain one redirects (308),
// except ACME challenges.
func TestSeparateHTTPSListener(t *testing.T) {
	s := startFront(t, func(c *config.Config) {
		withTLS(t)(c)
		c.Server.TLS.Listen = "127.0.0.1:0"
	})
	if s.HTTPSAddr().String() == s.Addr().String() {
		t.Fatal("one address for both")
	}
	if _, body := getBody(t, http.DefaultClient, "http://"+s.Addr().String()+"/"); !strings.Contains(body, "https=false") {
		t.Errorf("plain listener: %q", body)
	}
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: insecureTLS(), ForceAttemptHTTP2: true}}
	if resp, body := getBody(t, c, "https://"+s.HTTPSAddr().String()+"/"); resp.ProtoMajor != 2 || !strings.Contains(body, "https=true") {
		t.Errorf("HTTPS listener: %s %q", resp.Proto, body)
	}

	r := startFront(t, func(c *config.Config) {
		withTLS(t)(c)
		c.Server.TLS.Listen = "127.0.0.1:0"
		c.Server.TLS.RedirectHTTP = true
		c.Server.Security.TrustedProxies = []string{"127.0.0.1"}
	})
	_, httpsPort, _ := net.SplitHostPort(r.HTTPSAddr().String())
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	req, _ := http.NewRequest("POST", "http://"+r.Addr().String()+"/a/b?x=1&y=2", strings.NewReader("body"))
	req.Host = "example.test:8080"
	resp, err := noFollow.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if want := "https://example.test:" + httpsPort + "/a/b?x=1&y=2"; resp.StatusCode != 308 || resp.Header.Get("Location") != want {
		t.Errorf("redirect: %d %q, want 308 %q", resp.StatusCode, resp.Header.Get("Location"), want)
	}
	if resp, body := getBody(t, noFollow, "http://"+r.Addr().String()+"/.well-known/acme-challenge/tok"); resp.StatusCode != 200 || body != "token-file" {
		t.Errorf("ACME challenge path: %d %q", resp.StatusCode, body)
	}
	// A trusted proxy that took the request over HTTPS is not redirected.
	req, _ = http.NewRequest("GET", "http://"+r.Addr().String()+"/", nil)
	req.Header.Set("X-Forwarded-Proto", "https")
	resp, err = noFollow.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(b), "https=true") {
		t.Errorf("behind an HTTPS proxy: %d %q", resp.StatusCode, b)
	}
}

// TestTrustedProxies: the forwarding headers are believed from trusted
// peers only, and then only up to the right-most untrusted address.
func TestTrustedProxies(t *testing.T) {
	tp, err := newTrustedProxies([]string{"10.0.0.0/8", "127.0.0.1", "::1"})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		peer    string
		headers map[string]string
		remote  string
		https   bool
		host    string
		port    string // SERVER_PORT; "" = the local one
	}{
		// Untrusted peer: nothing is believed.
		{"203.0.113.9:5000", map[string]string{"X-Forwarded-For": "1.2.3.4", "X-Forwarded-Proto": "https", "X-Forwarded-Host": "evil.test"}, "203.0.113.9:5000", false, "site.test", ""},
		{"203.0.113.9:5000", map[string]string{"Forwarded": "for=1.2.3.4;proto=https"}, "203.0.113.9:5000", false, "site.test", ""},
		// Trusted peer, one hop.
		{"127.0.0.1:5000", map[string]string{"X-Forwarded-For": "198.51.100.7"}, "198.51.100.7", false, "site.test", ""},
		// A spoofed left part is skipped: the right-most untrusted wins.
		{"10.1.1.1:5000", map[string]string{"X-Forwarded-For": "6.6.6.6, 198.51.100.7, 10.2.2.2"}, "198.51.100.7", false, "site.test", ""},
		// Every hop trusted: the left-most.
		{"10.1.1.1:5000", map[string]string{"X-Forwarded-For": "10.9.9.9, 10.2.2.2"}, "10.9.9.9", false, "site.test", ""},
		// Several header lines are one list.
		{"::1", map[string]string{"X-Forwarded-For": "198.51.100.7"}, "198.51.100.7", false, "site.test", ""},
		// Garbage ends the walk at the nearest believable hop.
		{"10.1.1.1:5000", map[string]string{"X-Forwarded-For": "198.51.100.7, unknown, 10.2.2.2"}, "10.2.2.2", false, "site.test", ""},
		{"10.1.1.1:5000", map[string]string{"X-Forwarded-For": "not-an-ip"}, "10.1.1.1:5000", false, "site.test", ""},
		// Scheme, host and port.
		{"127.0.0.1:5000", map[string]string{"X-Forwarded-For": "198.51.100.7", "X-Forwarded-Proto": "https", "X-Forwarded-Host": "www.example.test"}, "198.51.100.7", true, "www.example.test", "443"},
		{"127.0.0.1:5000", map[string]string{"X-Forwarded-Proto": "http", "X-Forwarded-Port": "8081"}, "127.0.0.1:5000", false, "site.test", "8081"},
		{"127.0.0.1:5000", map[string]string{"X-Forwarded-Host": "www.example.test:8443"}, "127.0.0.1:5000", false, "www.example.test:8443", "8443"},
		{"127.0.0.1:5000", map[string]string{"X-Forwarded-Host": "bad host/x", "X-Forwarded-Port": "99999"}, "127.0.0.1:5000", false, "site.test", ""},
		// RFC 7239, with IPv6 and a port, quoted; it wins over X-Forwarded-*.
		{"127.0.0.1:5000", map[string]string{"Forwarded": `for="[2001:db8::7]:4711";proto=https;host=www.example.test`, "X-Forwarded-For": "6.6.6.6"}, "[2001:db8::7]:4711", true, "www.example.test", "443"},
		{"127.0.0.1:5000", map[string]string{"Forwarded": `for=6.6.6.6;proto=http, for=198.51.100.7;proto=https, for=10.2.2.2;proto=http`}, "198.51.100.7", true, "site.test", "443"},
		{"127.0.0.1:5000", map[string]string{"Forwarded": `for=unknown`}, "127.0.0.1:5000", false, "site.test", ""},
	}
	for i, c := range cases {
		r, _ := http.NewRequest("GET", "http://site.test/", nil)
		r.RemoteAddr = c.peer
		r = r.WithContext(context.WithValue(r.Context(), http.LocalAddrContextKey, &net.TCPAddr{IP: net.ParseIP("127.0.0.1"), Port: 8080}))
		for k, v := range c.headers {
			r.Header.Set(k, v)
		}
		got := tp.apply(r)
		port := ""
		if la := got.Context().Value(http.LocalAddrContextKey).(net.Addr); la.String() != "127.0.0.1:8080" {
			_, port, _ = net.SplitHostPort(la.String())
			if !strings.HasPrefix(la.String(), "127.0.0.1:") {
				t.Errorf("case %d: SERVER_ADDR changed: %s", i, la)
			}
		}
		if got.RemoteAddr != c.remote || (got.TLS != nil) != c.https || got.Host != c.host || port != c.port {
			t.Errorf("case %d %v from %s: remote %q https %v host %q port %q; want %q %v %q %q",
				i, c.headers, c.peer, got.RemoteAddr, got.TLS != nil, got.Host, port, c.remote, c.https, c.host, c.port)
		}
		if got != r && r.RemoteAddr != c.peer {
			t.Errorf("case %d: the original request was changed", i)
		}
	}
	// Two X-Forwarded-For lines are one list.
	r, _ := http.NewRequest("GET", "http://site.test/", nil)
	r.RemoteAddr = "10.1.1.1:1"
	r.Header.Add("X-Forwarded-For", "198.51.100.7")
	r.Header.Add("X-Forwarded-For", "10.3.3.3")
	if got := tp.apply(r); got.RemoteAddr != "198.51.100.7" {
		t.Errorf("two header lines: %q", got.RemoteAddr)
	}
	// No trusted proxies configured: nothing changes.
	var none *trustedProxies
	r.RemoteAddr = "127.0.0.1:1"
	if none.apply(r) != r {
		t.Error("without trusted proxies the request was rewritten")
	}
}

// TestPerIPLimit: beyond per_ip_max_connections a connection from that IP
// is closed before a request is read; closing one frees its slot.
func TestPerIPLimit(t *testing.T) {
	s := startFront(t, func(c *config.Config) { c.Server.Limits.PerIPMaxConnections = 2 })
	addr := s.Addr().String()
	dial := func() net.Conn {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	get := func(c net.Conn) (string, error) {
		c.SetDeadline(time.Now().Add(10 * time.Second))
		if _, err := io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
			return "", err
		}
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b), nil
	}
	c1, c2 := dial(), dial()
	defer c1.Close()
	defer c2.Close()
	for _, c := range []net.Conn{c1, c2} {
		if body, err := get(c); err != nil || !strings.HasPrefix(body, "proto=HTTP/1.1") {
			t.Fatalf("within the limit: %q %v", body, err)
		}
	}
	c3 := dial()
	if body, err := get(c3); err == nil {
		t.Errorf("third connection from one IP was served: %q", body)
	}
	c3.Close()
	if n := s.Stats().RefusedConnections; n != 1 {
		t.Errorf("RefusedConnections = %d, want 1", n)
	}
	// The first two still work (keep-alive), and a freed slot is reused.
	if body, err := get(c1); err != nil || body == "" {
		t.Errorf("kept connection after a refusal: %q %v", body, err)
	}
	c2.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c4 := dial()
		body, err := get(c4)
		c4.Close()
		if err == nil && strings.HasPrefix(body, "proto=") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("slot not freed after a close: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestPerIPLimitAcrossListeners: the limit counts an IP's connections on
// the plain and the HTTPS listener together.
func TestPerIPLimitAcrossListeners(t *testing.T) {
	s := startFront(t, func(c *config.Config) {
		withTLS(t)(c)
		c.Server.TLS.Listen = "127.0.0.1:0"
		c.Server.Limits.PerIPMaxConnections = 1
	})
	plain, err := net.Dial("tcp", s.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	plain.SetDeadline(time.Now().Add(10 * time.Second))
	io.WriteString(plain, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	if resp, err := http.ReadResponse(bufio.NewReader(plain), nil); err != nil || resp.StatusCode != 200 {
		t.Fatalf("plain connection: %v %v", resp, err)
	}
	c, err := tls.DialWithDialer(&net.Dialer{Timeout: 10 * time.Second}, "tcp", s.HTTPSAddr().String(), insecureTLS())
	if err == nil {
		c.Close()
		t.Error("an HTTPS connection beyond the IP's limit was served a handshake")
	}
}

// TestOversizedHeaderIs431: a 2 MB header sent in pieces for longer than
// net/http waits before closing (500ms), as over a real network, and a
// 16 MB one sent at once (more than the loopback's buffers take) get a
// 431 the client can read; the client writes the whole request before
// reading, as curl does. Without the lingering close the unread input
// turns the close into a reset and the client's write fails.
func TestOversizedHeaderIs431(t *testing.T) {
	s := startFront(t, nil)
	oversized(t, func() (net.Conn, error) { return net.Dial("tcp", s.Addr().String()) })
	// Over TLS net/http does not shut the TCP write side itself: the
	// unread input is what starts the lingering close.
	s = startFront(t, withTLS(t))
	oversized(t, func() (net.Conn, error) {
		return tls.Dial("tcp", s.HTTPSAddr().String(), &tls.Config{InsecureSkipVerify: true, NextProtos: []string{"http/1.1"}})
	})
}

func oversized(t *testing.T, dial func() (net.Conn, error)) {
	t.Helper()
	for _, size := range []int{2 << 20, 16 << 20} {
		c, err := dial()
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(60 * time.Second))
		req := "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + strings.Repeat("a", size) + "\r\n\r\n"
		paced := size < 16<<20
		for len(req) > 0 && err == nil {
			n := len(req)
			if paced {
				n = min(n, 32<<10)
			}
			_, err = io.WriteString(c, req[:n])
			req = req[n:]
			if paced {
				time.Sleep(10 * time.Millisecond)
			}
		}
		if err != nil {
			t.Errorf("%d MB header: sending: %v (the server reset the connection)", size>>20, err)
			c.Close()
			continue
		}
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Errorf("%d MB header: reading the response: %v", size>>20, err)
		} else if resp.Body.Close(); resp.StatusCode != 431 {
			t.Errorf("%d MB header: status %d, want 431", size>>20, resp.StatusCode)
		}
		c.Close()
	}
}

// TestOversizedBodyIs413: a body over max_body_size, sent whole before
// reading (no Expect: 100-continue), gets its 413 for the same reason.
func TestOversizedBodyIs413(t *testing.T) {
	s := startFront(t, func(c *config.Config) { c.Server.Request.MaxBodySize = 1 << 20 })
	for _, chunked := range []bool{false, true} {
		c, err := net.Dial("tcp", s.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(60 * time.Second))
		body := strings.Repeat("b", 16<<20)
		head := fmt.Sprintf("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n", len(body))
		if chunked {
			head = "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
			body = fmt.Sprintf("%x\r\n%s\r\n0\r\n\r\n", len(body), body)
		}
		if _, err := io.WriteString(c, head+body); err != nil {
			t.Errorf("chunked=%v: sending a 16 MB body: %v (the server reset the connection)", chunked, err)
		} else if resp, err := http.ReadResponse(bufio.NewReader(c), nil); err != nil {
			t.Errorf("chunked=%v: reading the response: %v", chunked, err)
		} else if resp.Body.Close(); resp.StatusCode != 413 {
			t.Errorf("chunked=%v: status %d, want 413", chunked, resp.StatusCode)
		}
		c.Close()
	}
}

// TestACMEHooks: SetTLSConfig serves HTTPS with a config of its own (no
// certificate files), and SetHTTPChallengeHandler takes the challenge
// paths of the redirecting plain listener: the hooks ACME will use.
func TestACMEHooks(t *testing.T) {
	certFile, keyFile := testCert(t)
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	s := startFront(t, nil, func(s *Server) { s.SetTLSConfig(&tls.Config{Certificates: []tls.Certificate{cert}}) })
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: insecureTLS(), ForceAttemptHTTP2: true}}
	if resp, body := getBody(t, c, "https://"+s.Addr().String()+"/"); resp.ProtoMajor != 2 || !strings.Contains(body, "https=true") {
		t.Errorf("HTTPS from SetTLSConfig: %s %q", resp.Proto, body)
	}

	r := startFront(t, func(c *config.Config) {
		withTLS(t)(c)
		c.Server.TLS.Listen = "127.0.0.1:0"
		c.Server.TLS.RedirectHTTP = true
	}, func(s *Server) {
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
	base := "http://" + r.Addr().String()
	if _, body := getBody(t, http.DefaultClient, base+acmeChallengePrefix+"hooked"); body != "from the hook" {
		t.Errorf("hooked challenge: %q", body)
	}
	if _, body := getBody(t, http.DefaultClient, base+acmeChallengePrefix+"tok"); body != "token-file" {
		t.Errorf("challenge the hook passes on: %q", body)
	}
}

// FuzzForwarded: no forwarding header, however odd, panics, and what
// becomes REMOTE_ADDR is an IP (with or without a port).
func FuzzForwarded(f *testing.F) {
	f.Add("for=1.2.3.4", "5.6.7.8, 10.0.0.1", "https", "h:1")
	f.Add(`for="[::1]:80";proto=https;host="a\"b"`, ",,,", "", "")
	f.Add(`for=";;;"`, "unknown", "HTTP", "[::1]:99999")
	f.Add(`"unterminated`, " , 1.1.1.1 ,", "ftp", "a b")
	tp, _ := newTrustedProxies([]string{"127.0.0.0/8", "10.0.0.0/8"})
	f.Fuzz(func(t *testing.T, fwd, xff, proto, host string) {
		r, _ := http.NewRequest("GET", "http://site.test/", nil)
		r.RemoteAddr = "127.0.0.1:1234"
		for k, v := range map[string]string{"Forwarded": fwd, "X-Forwarded-For": xff, "X-Forwarded-Proto": proto, "X-Forwarded-Host": host} {
			if v != "" {
				r.Header.Set(k, v)
			}
		}
		got := tp.apply(r)
		if ip, _ := parseHopAddr(got.RemoteAddr); ip == nil {
			if _, _, err := net.SplitHostPort(got.RemoteAddr); err != nil {
				t.Errorf("REMOTE_ADDR %q from %q / %q", got.RemoteAddr, fwd, xff)
			}
		}
		if !validHost(got.Host) {
			t.Errorf("Host %q", got.Host)
		}
	})
}
