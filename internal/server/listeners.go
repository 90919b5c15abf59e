package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/quic-go/quic-go"
	"github.com/quic-go/quic-go/http3"
)

// The listeners of the HTTP front:
//
//   - server.listen: plain HTTP (with h2c when server.h2c), or HTTPS when
//     a certificate is set and server.tls.listen is not;
//   - server.tls.listen: HTTPS; server.listen then stays plain HTTP and,
//     with server.tls.redirect_http, only redirects to it;
//   - server.http3: QUIC on UDP at the HTTPS address.
//
// HTTPS offers HTTP/2 and HTTP/1.1 by ALPN (HTTP/2 from golang.org/x/net/http2
// with the write scheduler of h2sched.go).

// acmeChallengePrefix is the path of ACME HTTP-01 challenges, never
// redirected to HTTPS: a CA asks for it over plain HTTP.
const acmeChallengePrefix = "/.well-known/acme-challenge/"

// SetTLSConfig serves HTTPS with cfg instead of server.tls.cert_file and
// key_file (the hook for certificates obtained by ACME). Call before
// Listen.
func (s *Server) SetTLSConfig(cfg *tls.Config) { s.tlsConf = cfg }

// SetHTTPChallengeHandler wraps the handler of the plain listener when
// server.tls.listen makes one, for ACME HTTP-01 challenges: wrap gets the
// default (the site, which serves files under
// document_root/.well-known/acme-challenge/) and returns the handler to
// use. With redirect_http only challenge paths reach it; without, every
// request of the plain listener does. Call before Serve.
func (s *Server) SetHTTPChallengeHandler(wrap func(next http.Handler) http.Handler) {
	s.challenge = wrap
}

// httpsOnMain reports whether server.listen itself serves HTTPS.
func (s *Server) httpsOnMain() bool {
	t := s.cfg.Server.TLS
	return (t.Enabled() || s.tlsConf != nil) && t.Listen == ""
}

// loadTLS builds the HTTPS configuration from the certificate files,
// unless SetTLSConfig gave one. nil when there is no HTTPS.
func (s *Server) loadTLS() error {
	t := s.cfg.Server.TLS
	if s.tlsConf != nil || !t.Enabled() {
		return nil
	}
	if t.CertFile == "" {
		return errors.New("server.tls.domains: automatic HTTPS is not set up (no SetTLSConfig before Listen)")
	}
	cert, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile)
	if err != nil {
		return fmt.Errorf("server.tls.cert_file / key_file: %w", err)
	}
	s.tlsConf = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	return nil
}

// listenTCP binds addr and wraps it with the per-IP limit and lingering
// close, and with the joining of a compressed response's writes
// (gather.go).
func (s *Server) listenTCP(key, addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", key, err)
	}
	if s.ipLimit == nil {
		s.ipLimit = newIPLimit(s.cfg.Server.Limits.PerIPMaxConnections, s.log, &s.stats.refusedConns)
	}
	return gatherListener{Listener: &connListener{Listener: ln, ipLimit: s.ipLimit}}, nil
}

// listenExtra binds the HTTPS listener of server.tls.listen and the UDP
// socket of HTTP/3, once the main listener is bound.
func (s *Server) listenExtra(main net.Listener) error {
	httpsAddr := main.Addr()
	if s.cfg.Server.TLS.Listen != "" {
		ln, err := s.listenTCP("server.tls.listen", s.cfg.Server.TLS.Listen)
		if err != nil {
			return err
		}
		s.tlsListener, httpsAddr = ln, ln.Addr()
		s.log.Info("https listening", "https_addr", httpsAddr.String())
	}
	if !s.cfg.Server.HTTP3.Enabled || s.tlsConf == nil {
		return nil
	}
	// The same port on UDP: clients reach HTTP/3 by the Alt-Svc of the
	// HTTPS responses, which names only a port.
	udp, err := net.ListenPacket("udp", httpsAddr.String())
	if err != nil {
		return fmt.Errorf("server.http3: UDP %s: %w", httpsAddr, err)
	}
	port := udp.LocalAddr().(*net.UDPAddr).Port
	s.udp = udp
	s.altSvc = fmt.Sprintf(`h3=":%d"; ma=86400`, port)
	t := s.cfg.Server.Timeouts
	s.h3 = &http3.Server{
		Handler:        s,
		TLSConfig:      http3.ConfigureTLSConfig(s.tlsConf),
		MaxHeaderBytes: s.cfg.Server.Request.MaxHeaderSize,
		IdleTimeout:    seconds(t.Idle),
		Logger:         s.log,
		ConnContext:    s.quicConnLimit,
	}
	s.log.Info("http3 listening", "http3_addr", udp.LocalAddr().String())
	return nil
}

// quicConnLimit holds server.limits.per_ip_max_connections for HTTP/3: a
// QUIC connection takes a slot of its client IP, shared with the TCP
// listeners', and gives it back when it closes. One over the limit is
// closed here, before http3 reads any request from it, so no PHP runs.
// (http3.Server calls ConnContext once per connection, before it accepts
// a stream.)
func (s *Server) quicConnLimit(ctx context.Context, c *quic.Conn) context.Context {
	l := s.ipLimit
	if l == nil || l.perIP <= 0 {
		return ctx
	}
	ip := peerIP(c.RemoteAddr())
	if !l.admit(ip, func() {
		// H3_EXCESSIVE_LOAD (RFC 9114 8.1).
		_ = c.CloseWithError(0x107, "per-IP connection limit")
	}) {
		return ctx
	}
	go func() {
		<-c.Context().Done()
		l.release(ip)
	}()
	return ctx
}

// protocols are those of net/http's server: HTTP/1.1, HTTP/2 over TLS
// and, with server.h2c, HTTP/2 with prior knowledge on plain TCP (the
// Upgrade: h2c handshake is h2cupgrade.go's).
func (s *Server) protocols() *http.Protocols {
	p := new(http.Protocols)
	p.SetHTTP1(true)
	p.SetHTTP2(true)
	p.SetUnencryptedHTTP2(s.cfg.Server.H2C)
	return p
}

// redirectServer is the plain listener's server when it redirects.
func (s *Server) redirectServer() *http.Server {
	var challenge http.Handler = s
	if s.challenge != nil {
		challenge = s.challenge(s)
	}
	_, httpsPort, _ := net.SplitHostPort(s.tlsListener.Addr().String())
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.HasPrefix(r.URL.Path, acmeChallengePrefix):
			challenge.ServeHTTP(w, r)
		case isProbe(r):
			// A health checker on the plain port gets its answer here,
			// not a redirect to a port it may not reach.
			serveProbe(s.withConfiguredHeaders(w), r, s.ready)
		case s.proxies.apply(r).TLS != nil:
			// A trusted proxy in front took the request over HTTPS:
			// redirecting would loop.
			s.ServeHTTP(w, r)
		default:
			start := time.Now()
			rec := &recorder{ResponseWriter: s.withConfiguredHeaders(w), id: s.assignRequestID(r)}
			s.redirectToHTTPS(rec, r, httpsPort)
			s.access.Log(r, rec, start)
		}
	})
	return s.newHTTPServer(h)
}

// redirectToHTTPS answers 308 (the method and body are kept) with the
// same host and path on the HTTPS port.
func (s *Server) redirectToHTTPS(w http.ResponseWriter, r *http.Request, port string) {
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.Trim(host, "[]")
	if host == "" || !validHost(host) {
		plainError(w, http.StatusBadRequest)
		return
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if port != "443" {
		host += ":" + port
	}
	w.Header().Set("Connection", "close")
	http.Redirect(w, r, "https://"+host+r.URL.RequestURI(), http.StatusPermanentRedirect)
}

// newHTTPServer is an http.Server with the configured limits for h.
func (s *Server) newHTTPServer(h http.Handler) *http.Server {
	t := s.cfg.Server.Timeouts
	hs := &http.Server{
		ReadHeaderTimeout: seconds(t.HeaderRead),
		IdleTimeout:       seconds(t.Idle),
		MaxHeaderBytes:    headerReadLimit(s.cfg.Server.Request.MaxHeaderSize),
		ErrorLog:          s.httpErrorLog,
		Protocols:         s.protocols(),
		ConnContext:       withGatherConn,
	}
	hs.Handler = s.withH2CUpgrade(h, hs) // h itself unless server.h2c (h2cupgrade.go)
	return hs
}

// serveAll runs every listener until ctx is done or one fails, then shuts
// them all down, giving in-flight requests up to grace.
func (s *Server) serveAll(ctx context.Context, main net.Listener, grace time.Duration) error {
	type job struct {
		serve    func() error
		shutdown func(context.Context) error
		close    func() error
	}
	var jobs []job
	add := func(hs *http.Server, serve func() error) {
		jobs = append(jobs, job{serve, hs.Shutdown, hs.Close})
	}
	if s.tlsConf != nil {
		// "h2" named in the config: net/http then sets HTTP/2 up
		// whichever of Serve and ServeTLS runs first (a plain Serve
		// first would otherwise skip it, and HTTPS would agree on h2
		// by ALPN without serving it).
		conf := s.tlsConf.Clone()
		for _, p := range []string{"h2", "http/1.1"} {
			if !slices.Contains(conf.NextProtos, p) {
				conf.NextProtos = append(conf.NextProtos, p)
			}
		}
		s.http.TLSConfig = conf
		// HTTP/2 from x/net with DATA frames that fill TLS records
		// (h2sched.go); set before serving, as net/http would its own.
		if err := configureHTTP2(s.http); err != nil {
			return fmt.Errorf("http2: %w", err)
		}
	}
	mainOnHTTP := false // server.listen served by s.http, which then shuts both down
	switch {
	case s.httpsOnMain():
		tlsMain := rawWrites(main)
		add(s.http, func() error { return s.http.ServeTLS(tlsMain, "", "") })
		mainOnHTTP = true
	case s.cfg.Server.TLS.RedirectHTTP && s.tlsListener != nil:
		rs := s.redirectServer()
		add(rs, func() error { return rs.Serve(main) })
	case s.challenge != nil && s.tlsListener != nil:
		// The plain listener serves the site and answers ACME HTTP-01
		// challenges.
		ps := s.newHTTPServer(s.challenge(s))
		add(ps, func() error { return ps.Serve(main) })
	default:
		add(s.http, func() error { return s.http.Serve(main) })
		mainOnHTTP = true
	}
	if s.tlsListener != nil {
		ln := rawWrites(s.tlsListener)
		if !mainOnHTTP {
			add(s.http, func() error { return s.http.ServeTLS(ln, "", "") })
		} else {
			// One http.Server serves both listeners: its Shutdown
			// covers both, so the second job only serves.
			jobs = append(jobs, job{func() error { return s.http.ServeTLS(ln, "", "") }, nil, nil})
		}
	}
	if s.h3 != nil {
		h3, udp := s.h3, s.udp
		jobs = append(jobs, job{
			func() error { return h3.Serve(udp) },
			func(ctx context.Context) error { err := h3.Shutdown(ctx); udp.Close(); return err },
			func() error { err := h3.Close(); udp.Close(); return err },
		})
	}

	errc := make(chan error, len(jobs))
	for _, j := range jobs {
		go func() { errc <- j.serve() }()
	}
	var failed error
	remaining := len(jobs)
	select {
	case failed = <-errc:
		remaining--
		if errors.Is(failed, http.ErrServerClosed) {
			failed = nil
		}
	case <-ctx.Done():
		s.log.Info("shutting down: finishing in-flight requests", "grace", grace)
	}
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	var wg sync.WaitGroup
	for _, j := range jobs {
		if j.shutdown == nil {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := j.shutdown(sctx); errors.Is(err, context.DeadlineExceeded) {
				s.log.Warn("shutdown grace period ended with requests still running; closing connections")
				j.close()
			}
		}()
	}
	wg.Wait()
	for range remaining {
		<-errc
	}
	return failed
}

// altSvcFor reports the Alt-Svc value for a request, "" if none: HTTPS
// requests over TCP learn that HTTP/3 is on.
func (s *Server) altSvcFor(r *http.Request) string {
	if s.altSvc == "" || r.TLS == nil || r.ProtoMajor >= 3 {
		return ""
	}
	return s.altSvc
}

// HTTPSAddr is the address of the HTTPS listener, nil if there is none.
func (s *Server) HTTPSAddr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.tlsListener != nil:
		return s.tlsListener.Addr()
	case s.listener != nil && s.httpsOnMain():
		return s.listener.Addr()
	}
	return nil
}

// HTTP3Addr is the UDP address of HTTP/3, nil if it is off.
func (s *Server) HTTP3Addr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.udp == nil {
		return nil
	}
	return s.udp.LocalAddr()
}

// headerReadLimit is how much of a request head net/http reads before it
// answers 431 itself; serve() answers 431 past max_header_size. The margin
// matters for HTTP/2: its HPACK decoder limits one header field to the
// whole list's limit and treats a longer one as a connection error
// (GOAWAY COMPRESSION_ERROR: every stream of the connection is lost), so a
// single 9 KB cookie with max_header_size = 8192 killed the connection
// instead of getting its 431. With room for 4x the limit (at least
// 64 KB), such a header reaches serve() and gets the 431; a flood far
// beyond it still ends the connection (x/net/http2's CONTINUATION-flood
// guard), and HTTP/1.1 heads past it get net/http's own 431.
func headerReadLimit(maxHeader int) int { return max(4*maxHeader, 64<<10) }
