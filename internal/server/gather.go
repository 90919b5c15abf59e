package server

import (
	"context"
	"io"
	"net"
	"net/http"
	"sync"
)

// One write per compressed response. A compressed body that fits in
// zbuf (response.go) is handed to net/http in one piece with its
// Content-Length, but net/http puts it on the connection through its own
// 4 KB buffer: the head and the body's first 4 KB fill that buffer and go
// out in one write(2), the rest of the body in a second one. Two system
// calls, two TCP segments to build, and often two wake-ups of the client.
// net/http's buffer size is fixed, so the joining is done beneath it:
// while a response holds its connection (gatherConn.hold), writes are
// gathered in one buffer, and release sends them in one write. The copy
// (the page's 12-15 KB) costs about a microsecond, less than a system
// call. response.finish holds the connection only around a synchronous
// hand-over of a complete body of at most zbufSize to net/http (write,
// then flush), and only on HTTP/1.x, where nothing else writes to the
// connection meanwhile.

// gatherListener gives every accepted connection the ability to gather,
// and with raw set, socket writes without the scheduler's system call
// hand-off (rawio_linux.go; set for the TLS listeners, see rawWrites).
type gatherListener struct {
	net.Listener
	raw bool
}

func (l gatherListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	g := &gatherConn{Conn: c}
	if l.raw {
		sock := c
		if cc, ok := c.(*conn); ok { // conn.go's wrapper hides the socket
			sock = cc.Conn
		}
		g.raw = newRawConnWriter(sock)
	}
	return g, nil
}

// rawWrites returns ln with raw socket writes when it is a gatherListener
// (listenTCP's): for the listeners served with TLS, whose writes are
// records of at most 16 KB, each a short system call that cannot block.
// Measured there only (README, "The HTTP front"); plain HTTP keeps Go's
// writes.
func rawWrites(ln net.Listener) net.Listener {
	if g, ok := ln.(gatherListener); ok {
		g.raw = true
		return g
	}
	return ln
}

// gatherConn is an accepted connection whose writes can be gathered (see
// above). Its other methods are the wrapped connection's. Its fields
// belong to whoever writes the response (net/http writes an HTTP/1.x
// connection from one goroutine at a time).
type gatherConn struct {
	net.Conn
	held *[]byte        // the writes gathered so far; nil when not holding
	raw  *rawConnWriter // writes to the socket when not holding; nil = Conn.Write
}

// gatherBufs hold the gathered writes: a head and a body of up to
// zbufSize fit without growing.
var gatherBufs = sync.Pool{New: func() any { b := make([]byte, 0, zbufSize+8<<10); return &b }}

func (c *gatherConn) Write(p []byte) (int, error) {
	if c.held == nil {
		if c.raw != nil {
			return c.raw.Write(p)
		}
		return c.Conn.Write(p)
	}
	*c.held = append(*c.held, p...)
	return len(p), nil
}

// hold starts gathering this connection's writes.
func (c *gatherConn) hold() {
	if c.held == nil {
		c.held = gatherBufs.Get().(*[]byte)
	}
}

// release ends gathering and sends what was gathered, in one write.
func (c *gatherConn) release() error {
	if c.held == nil {
		return nil
	}
	bp := c.held
	c.held = nil
	var err error
	if len(*bp) > 0 {
		_, err = c.Conn.Write(*bp)
	}
	if cap(*bp) <= 2*(zbufSize+8<<10) { // an outsized head grew it: let it go
		*bp = (*bp)[:0]
		gatherBufs.Put(bp)
	}
	return err
}

// ReadFrom and CloseWrite are the wrapped connection's (conn.go): net/http
// looks for them on the connection it serves (sendfile(2); the half close
// before a lingering close), and an embedded net.Conn does not pass them on.
func (c *gatherConn) ReadFrom(r io.Reader) (int64, error) {
	if rf, ok := c.Conn.(io.ReaderFrom); ok {
		return rf.ReadFrom(r)
	}
	return io.Copy(struct{ io.Writer }{c.Conn}, r)
}

func (c *gatherConn) CloseWrite() error {
	if cw, ok := c.Conn.(closeWriter); ok {
		return cw.CloseWrite()
	}
	return nil
}

type gatherKey struct{}

// withGatherConn is the server's ConnContext: it makes the connection
// reachable from its requests' contexts.
func withGatherConn(ctx context.Context, c net.Conn) context.Context {
	if g, ok := c.(*gatherConn); ok {
		return context.WithValue(ctx, gatherKey{}, g)
	}
	return ctx
}

// gatherOf is r's connection when its writes can be gathered: HTTP/1.x
// over a gatherConn (not TLS, whose connection is a *tls.Conn; not h2c,
// whose frames are written by another goroutine).
func gatherOf(r *http.Request) *gatherConn {
	if r.ProtoMajor != 1 {
		return nil
	}
	g, _ := r.Context().Value(gatherKey{}).(*gatherConn)
	return g
}
