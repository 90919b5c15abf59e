// Package server is ephpm's HTTP front: routing under the document root,
// static files, request limits and timeouts, the access log and graceful
// shutdown. PHP itself is reached through the PHP interface, so this
// package stays pure Go.
package server

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ephpm/ephpm/internal/config"
	"github.com/quic-go/quic-go/http3"
)

// Script is the PHP file a request runs.
type Script struct {
	Filename     string // absolute path
	Name         string // SCRIPT_NAME
	PathInfo     string // PATH_INFO, "" if none
	DocumentRoot string
}

// PHPResult is what the PHP side reports back for logging.
type PHPResult struct {
	Status   int
	Fatal    bool
	TimedOut bool
}

// PHP runs scripts. Implemented by the embedded runtime (cmd/ephpm wires
// internal/phpembed to it); it writes the response itself.
type PHP interface {
	ServePHP(w http.ResponseWriter, r *http.Request, s Script, body io.Reader, deadline time.Time) PHPResult
}

// Server serves one document root over HTTP.
type Server struct {
	cfg    *config.Config
	resp   *responseOptions // [server.response]: compression, configured headers
	php    PHP
	log    *slog.Logger
	access *accessLog
	// rel is the release requests are served from (document root and
	// worker script, symlinks resolved); a reload swaps it (reload.go).
	rel   atomic.Pointer[release]
	http  *http.Server
	stats stats

	proxies      *trustedProxies // [server.security] trusted_proxies; nil = none
	sendfile     []sendfileRoot  // [server.sendfile] roots; none = X-Sendfile off
	tlsConf      *tls.Config     // HTTPS; nil = none
	h3           *http3.Server   // [server.http3]; nil = off
	udp          net.PacketConn  // HTTP/3's socket
	altSvc       string          // Alt-Svc of HTTPS responses when HTTP/3 is on
	challenge    func(http.Handler) http.Handler
	httpErrorLog *log.Logger
	ipLimit      *ipLimit  // server.limits.per_ip_max_connections, over every TCP listener
	ready        Readiness // /_ephpm/ready; nil = ready while serving

	mu          sync.Mutex
	listener    net.Listener // server.listen
	tlsListener net.Listener // server.tls.listen; nil = none
}

// New checks the document root and prepares the server.
func New(cfg *config.Config, php PHP, logger *slog.Logger) (*Server, error) {
	if logger == nil {
		logger = slog.Default()
	}
	rel, err := ResolveRelease(cfg)
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, php: php, log: logger}
	s.rel.Store(newRelease(rel))
	rc := cfg.Server.Response
	s.resp = newResponseOptions(rc.Compression, rc.CompressionLevel, rc.CompressionMinSize, rc.Headers)
	s.access, err = openAccessLog(cfg.Server.Logging)
	if err != nil {
		return nil, fmt.Errorf("server.logging.access: %w", err)
	}
	if s.sendfile, err = newSendfileRoots(cfg.Server.Sendfile.Roots); err != nil {
		return nil, err
	}
	if s.proxies, err = newTrustedProxies(cfg.Server.Security.TrustedProxies); err != nil {
		return nil, fmt.Errorf("server.security.trusted_proxies: %w", err)
	}
	s.httpErrorLog = slog.NewLogLogger(logger.Handler(), slog.LevelWarn)
	s.http = s.newHTTPServer(s)
	return s, nil
}

func seconds(n int) time.Duration { return time.Duration(n) * time.Second }

// Listen binds the configured address. Split from Serve so callers (and
// tests using port 0) learn the address before serving.
// It also binds server.tls.listen and HTTP/3's UDP socket when they are
// configured, and loads the certificate.
func (s *Server) Listen() (net.Addr, error) {
	if err := s.loadTLS(); err != nil {
		return nil, err
	}
	ln, err := s.listenTCP("server.listen", s.cfg.Server.Listen)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.listenExtra(ln); err != nil {
		ln.Close()
		if s.tlsListener != nil {
			s.tlsListener.Close()
		}
		return nil, err
	}
	s.listener = ln
	return ln.Addr(), nil
}

// Serve serves until ctx is done, then shuts down gracefully: it stops
// accepting, lets in-flight requests finish for up to grace, and returns.
func (s *Server) Serve(ctx context.Context, grace time.Duration) error {
	s.mu.Lock()
	ln := s.listener
	s.mu.Unlock()
	if ln == nil {
		if _, err := s.Listen(); err != nil {
			return err
		}
		ln = s.listener
	}
	err := s.serveAll(ctx, ln, grace)
	s.access.Close()
	return err
}

// ServeHTTP routes one request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// Probes first: answered by the server itself, never by PHP, and not
	// site traffic (no access-log line, no response counters).
	if isProbe(r) {
		serveProbe(s.withConfiguredHeaders(w), r, s.ready)
		return
	}
	start := time.Now()
	if v := s.altSvcFor(r); v != "" {
		w.Header().Set("Alt-Svc", v)
	}
	// The id is judged on the peer itself, before apply rewrites the
	// remote address from the forwarding headers.
	// The head is measured before the server adds its own X-Request-Id:
	// max_header_size limits what the client sent.
	head := headerSize(r)
	id := s.assignRequestID(r)
	r = s.proxies.apply(r)
	rec := &recorder{ResponseWriter: w, id: id}
	resp := newResponse(rec, r, s.resp)
	s.stats.inFlight.Add(1)
	rel := s.enter()
	defer rel.leave() // after the response is finished (defers run last first)
	defer func() {
		resp.finish()
		s.stats.done(resp, start)
		s.access.Log(r, rec, start)
	}()
	s.serve(resp, r, start, rel, head)
}

func (s *Server) serve(w *response, r *http.Request, start time.Time, rel *release, head int) {
	limits := s.cfg.Server.Request
	if head > limits.MaxHeaderSize {
		plainError(w, http.StatusRequestHeaderFieldsTooLarge)
		return
	}
	if r.ContentLength > limits.MaxBodySize {
		refuseBody(w, http.StatusRequestEntityTooLarge)
		return
	}
	var deadline time.Time
	if t := s.cfg.Server.Timeouts.Request; t > 0 {
		deadline = start.Add(seconds(t))
		// The read deadline bounds a slow body only. net/http reads the
		// connection in the background once the body is done (at once
		// without one), and a deadline passing there cancels the
		// connection's context: every later request on the kept-alive
		// connection would start canceled. So no read deadline without a
		// body, and it is lifted when the body has been read to its end.
		if r.ContentLength != 0 {
			rc := http.NewResponseController(w)
			_ = rc.SetReadDeadline(deadline)
			r.Body = &liftDeadlineAtEOF{ReadCloser: r.Body, rc: rc}
		}
		// A little slack so the 500 for a timed-out script still goes out.
		// (A controller of its own, which stays on the stack: the one
		// above is kept by the body.)
		_ = http.NewResponseController(w).SetWriteDeadline(deadline.Add(5 * time.Second))
	}

	rt := s.resolve(r, rel)
	switch rt.kind {
	case routeError:
		plainError(w, rt.status)
	case routeRedirect:
		http.Redirect(w, r, rt.location, rt.status)
	case routeStatic:
		s.serveStatic(w, r, rt)
	case routePHP:
		if s.php == nil {
			plainError(w, http.StatusServiceUnavailable)
			return
		}
		if r.ContentLength < 0 {
			spooled, n, err := spoolBody(r.Body, limits.MaxBodySize)
			if err != nil {
				refuseBody(w, spoolErrorStatus(err))
				return
			}
			defer spooled.Close()
			r.Body, r.ContentLength = spooled, n
			r.Header.Set("Content-Length", strconv.FormatInt(n, 10))
		}
		body := http.MaxBytesReader(w, r.Body, limits.MaxBodySize)
		res := s.runPHP(w, r, Script{
			Filename:     rt.file,
			Name:         rt.name,
			PathInfo:     rt.pathInfo,
			DocumentRoot: rel.Root,
		}, body, deadline)
		w.rec.phpFatal = res.Fatal
		w.php = true
		if res.TimedOut {
			s.log.Warn("PHP script timed out", "script", rt.file, "uri", r.RequestURI, "request_id", requestIDOf(r))
		}
	}
}

// liftDeadlineAtEOF clears the connection's read deadline once the
// request body has been read to its end (see serve).
type liftDeadlineAtEOF struct {
	io.ReadCloser
	rc   *http.ResponseController
	done bool
}

func (b *liftDeadlineAtEOF) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err == io.EOF && !b.done {
		b.done = true
		_ = b.rc.SetReadDeadline(time.Time{})
	}
	return n, err
}

// headerSize approximates the request head as sent: request line plus
// "Name: value\r\n" per header.
func headerSize(r *http.Request) int {
	n := len(r.Method) + len(r.RequestURI) + len(r.Proto) + 4 + len(r.Host) + 8
	for name, values := range r.Header {
		for _, v := range values {
			n += len(name) + len(v) + 4
		}
	}
	return n
}

// refuseBody answers a request whose body was not read to its end, and
// closes the connection: the rest of the body would otherwise be read as
// the next request.
func refuseBody(w http.ResponseWriter, status int) {
	w.Header().Set("Connection", "close")
	plainError(w, status)
}

func plainError(w http.ResponseWriter, status int) {
	http.Error(w, fmt.Sprintf("%d %s", status, http.StatusText(status)), status)
}

// Addr is the bound address, once Listen has run.
func (s *Server) Addr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.listener == nil {
		return nil
	}
	return s.listener.Addr()
}
