package server

import (
	"bufio"
	"context"
	"encoding/base64"
	"net"
	"net/http"
	"strings"
	"time"

	"golang.org/x/net/http/httpguts"
	"golang.org/x/net/http2"
)

// The HTTP/1.1 Upgrade to h2c (RFC 7540 3.2), offered with server.h2c
// beside prior knowledge (which net/http serves itself): issue 13 asks for
// both, and `curl --http2 http://...` and older proxies and load balancers
// reach cleartext HTTP/2 this way. A request carrying `Upgrade: h2c`,
// `Connection: Upgrade, HTTP2-Settings` and one HTTP2-Settings header gets
// 101 Switching Protocols, and the connection goes on as HTTP/2: the
// request itself is its stream 1 (answered over HTTP/2, so PHP sees
// SERVER_PROTOCOL HTTP/2.0), further requests are streams of their own.
// Only requests without a body are upgraded (RFC 7540 3.2 lets a server
// ignore the offer; reading a body first would buffer it in memory);
// others, and anything over TLS (where h2 comes by ALPN), are answered over
// HTTP/1.1 as before. Golang's x/net h2c package did the same but is
// deprecated and reads any body into memory.

// h2cUpgrader wraps the plain listener's handler when server.h2c is on.
type h2cUpgrader struct {
	next http.Handler
	h2   *http2.Server
	base *http.Server // for ServeConn's limits and timeouts
	// shutdown stands in for base in http2's graceful shutdown: upgraded
	// connections are hijacked, so base's Shutdown does not see them;
	// its OnShutdown hook runs this server's, which sends them GOAWAY.
	shutdown *http.Server
}

// withH2CUpgrade returns h itself when server.h2c is off.
func (s *Server) withH2CUpgrade(h http.Handler, base *http.Server) http.Handler {
	if !s.cfg.Server.H2C {
		return h
	}
	u := &h2cUpgrader{next: h, h2: &http2.Server{}, base: base, shutdown: &http.Server{}}
	if err := http2.ConfigureServer(u.shutdown, u.h2); err == nil {
		base.RegisterOnShutdown(func() {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			_ = u.shutdown.Shutdown(ctx) // runs the GOAWAY hook; serves nothing else
		})
	}
	return u
}

func (u *h2cUpgrader) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	settings, ok := h2cUpgradeOffer(r)
	if !ok {
		u.next.ServeHTTP(w, r)
		return
	}
	conn, rw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		u.next.ServeHTTP(w, r) // cannot take the connection: stay on HTTP/1.1
		return
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Time{}) // HTTP/2 keeps its own timeouts
	if _, err := rw.WriteString("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n"); err != nil {
		return
	}
	if rw.Flush() != nil {
		return
	}
	// The request is stream 1 of the HTTP/2 connection: its response goes
	// out over HTTP/2, and its connection-specific headers are gone.
	r.Proto, r.ProtoMajor, r.ProtoMinor = "HTTP/2.0", 2, 0
	for _, h := range []string{"Upgrade", "Connection", "Http2-Settings"} {
		r.Header.Del(h)
	}
	var c net.Conn = conn
	if rw.Reader.Buffered() > 0 {
		// The client's preface may have come with the request.
		c = &bufferedConn{Conn: conn, r: rw.Reader}
	}
	u.h2.ServeConn(c, &http2.ServeConnOpts{
		Context:        r.Context(),
		BaseConfig:     u.base,
		Handler:        u.next,
		UpgradeRequest: r,
		Settings:       settings,
	})
}

// h2cUpgradeOffer reports whether r asks to upgrade to h2c in a way this
// server takes, with the decoded HTTP2-Settings payload.
func h2cUpgradeOffer(r *http.Request) ([]byte, bool) {
	if r.TLS != nil || r.ProtoMajor != 1 || r.ContentLength != 0 || len(r.TransferEncoding) > 0 {
		return nil, false
	}
	if !httpguts.HeaderValuesContainsToken(r.Header["Upgrade"], "h2c") ||
		!httpguts.HeaderValuesContainsToken(r.Header["Connection"], "Upgrade") ||
		!httpguts.HeaderValuesContainsToken(r.Header["Connection"], "HTTP2-Settings") {
		return nil, false
	}
	vals := r.Header["Http2-Settings"]
	if len(vals) != 1 {
		return nil, false
	}
	settings, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(vals[0], "="))
	if err != nil || len(settings)%6 != 0 {
		return nil, false // a malformed offer is ignored: HTTP/1.1 answers
	}
	return settings, true
}

// bufferedConn reads what the HTTP/1 reader already holds before the
// connection itself.
type bufferedConn struct {
	net.Conn
	r *bufio.Reader
}

func (c *bufferedConn) Read(p []byte) (int, error) {
	if c.r != nil {
		if c.r.Buffered() > 0 {
			return c.r.Read(p)
		}
		c.r = nil
	}
	return c.Conn.Read(p)
}
