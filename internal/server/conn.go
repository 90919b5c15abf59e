package server

import (
	"io"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// Lingering close, as nginx does it: a connection the server hangs up on
// while the client is still sending (a 431 for a 2 MB header, a 413 for a
// body too large) is not closed at once, because closing a socket with
// unread input sends a reset, and the client's kernel then throws away
// the response it has not read yet. The server shuts its side (FIN) and
// reads and discards what still comes, for a bounded time and size,
// before closing.
const (
	lingerTime  = 30 * time.Second // at most this long in all
	lingerIdle  = 5 * time.Second  // ... and this long without input
	lingerBytes = 32 << 20         // ... and this much input
)

// ipLimit counts the open connections of each client IP over all the
// listeners (plain and HTTPS TCP, and HTTP/3's QUIC connections:
// listeners.go, quicConnLimit): at most perIP each (0 = no limit).
type ipLimit struct {
	perIP   int
	log     *slog.Logger
	refused *atomic.Int64

	mu     sync.Mutex
	count  map[string]int
	lastLg atomic.Int64 // unix nanos of the last "refused" log line
}

func newIPLimit(perIP int, log *slog.Logger, refused *atomic.Int64) *ipLimit {
	return &ipLimit{perIP: perIP, log: log, refused: refused, count: map[string]int{}}
}

// connListener wraps every accepted TCP connection: it refuses a new
// connection from an IP over its limit, and gives every connection a
// lingering close.
type connListener struct {
	net.Listener
	*ipLimit
}

// Accept returns the next connection within the limit. A connection over
// it is closed here, before net/http reads a byte of it, so no PHP runs.
func (l *connListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		ip := peerIP(c.RemoteAddr())
		if !l.admit(ip, func() { c.Close() }) {
			continue
		}
		return &conn{Conn: c, l: l, ip: ip}, nil
	}
}

// admit takes a slot of ip, or counts and logs the refusal after closing
// the connection with refuse: every listener's one way to refuse.
func (l *ipLimit) admit(ip string, refuse func()) bool {
	if l.acquire(ip) {
		return true
	}
	l.refused.Add(1)
	refuse()
	l.logRefused(ip)
	return false
}

func (l *ipLimit) acquire(ip string) bool {
	if l.perIP <= 0 {
		return true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.count[ip] >= l.perIP {
		return false
	}
	l.count[ip]++
	return true
}

func (l *ipLimit) release(ip string) {
	if l.perIP <= 0 {
		return
	}
	l.mu.Lock()
	if l.count[ip] <= 1 {
		delete(l.count, ip)
	} else {
		l.count[ip]--
	}
	l.mu.Unlock()
}

// logRefused warns at most once a second: a client hammering the limit
// must not flood the log.
func (l *ipLimit) logRefused(ip string) {
	now := time.Now().UnixNano()
	last := l.lastLg.Load()
	if now-last < int64(time.Second) || !l.lastLg.CompareAndSwap(last, now) {
		return
	}
	l.log.Warn("connection refused: server.limits.per_ip_max_connections reached", "ip", ip, "limit", l.perIP)
}

// peerIP is the IP of a connection's peer, as text ("" if unknown).
func peerIP(a net.Addr) string {
	if ta, ok := a.(*net.TCPAddr); ok {
		return ta.IP.String()
	}
	host, _, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	return host
}

// conn is one accepted connection: it gives its per-IP slot back when it
// is really closed, and closes lingering when input is still arriving.
type conn struct {
	net.Conn
	l         *connListener
	ip        string
	wroteFIN  atomic.Bool // net/http shut the write side: it hung up mid-request
	closeOnce sync.Once
}

type closeWriter interface{ CloseWrite() error }

// CloseWrite is how net/http says it answers and hangs up on a client
// that may still be sending (after a 431, or a body it did not read).
func (c *conn) CloseWrite() error {
	c.wroteFIN.Store(true)
	if cw, ok := c.Conn.(closeWriter); ok {
		return cw.CloseWrite()
	}
	return nil
}

// ReadFrom keeps sendfile(2) for static files: net/http uses it when the
// connection is an io.ReaderFrom, which the wrapped *net.TCPConn is.
func (c *conn) ReadFrom(r io.Reader) (int64, error) {
	if rf, ok := c.Conn.(io.ReaderFrom); ok {
		return rf.ReadFrom(r)
	}
	return io.Copy(struct{ io.Writer }{c.Conn}, r)
}

func (c *conn) Close() error {
	var err error
	c.closeOnce.Do(func() {
		if c.wroteFIN.Load() || pendingInput(c.Conn) {
			// In the background: Close is also called by Shutdown for
			// idle connections, which must not wait for a client.
			go c.linger()
			return
		}
		err = c.Conn.Close()
		c.l.release(c.ip)
	})
	return err
}

var lingerBufs = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

// linger shuts the write side (the response is complete), reads and
// discards input until the client closes or a bound is reached, then
// closes.
func (c *conn) linger() {
	defer func() {
		c.Conn.Close()
		c.l.release(c.ip)
	}()
	if !c.wroteFIN.Load() {
		if cw, ok := c.Conn.(closeWriter); ok {
			cw.CloseWrite()
		}
	}
	bp := lingerBufs.Get().(*[]byte)
	defer lingerBufs.Put(bp)
	end := time.Now().Add(lingerTime)
	for total := 0; total < lingerBytes; {
		d := time.Now().Add(lingerIdle)
		if d.After(end) {
			d = end
		}
		if c.Conn.SetReadDeadline(d) != nil {
			return
		}
		n, err := c.Conn.Read(*bp)
		total += n
		if err != nil {
			return
		}
	}
}
