package resp

import (
	"net"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"
)

// conn is one client connection, served by one goroutine: read what the
// client sent, run every complete command in it, write all replies at
// once when the input is drained (so a pipeline costs one read and one
// write), read again.
type conn struct {
	s       *Server
	nc      net.Conn
	id      int64
	stripe  int64 // which reader stripe of the server's lock it takes
	p       *parser
	w       writer
	authed  bool
	created time.Time
	addr    string
	laddr   string
	last    atomic.Pointer[command] // the last command run (CLIENT LIST's cmd=)
	// getBuf receives GET's value when the store copies it (a small
	// record of kv's index.go) before the reply copies it out.
	getBuf [64]byte

	mu   sync.Mutex // guards info, which CLIENT LIST reads from other connections
	info connInfo

	inMulti, dirty bool
	queue          []queued
	inExec         bool
	closeAfter     bool

	deadline time.Time // read deadline last set (idle timeout)

	scanSnap  []scanItem // SCAN's snapshot of key hashes (cmdScan)
	scanValid bool

	// Event-loop mode (loop_linux.go); all owned by the loop's goroutine.
	l           *loop
	fd          int
	wpos        int    // bytes of w.b already written
	events      uint32 // epoll events registered
	blocked     bool   // in a blocking command
	flushQueued bool   // in its loop's pending list
	batch       bool   // running one read's commands (beginBatch)
	readHeld    bool   // holding the reader stripe for the batch
	closed      bool
	eof         bool // the client shut down its side: close once replies are out
	lastActive  time.Time
	waitCancel  chan struct{}
	// A read the loop made for this turn through its ring (recv):
	// readAll takes it as its first read. Its bytes are in p already.
	pre     bool
	preN    int // bytes read; -1: preErr
	preRoom int // room the read had
	preErr  error
}

// connInfo is what CLIENT LIST shows of a connection that changes.
type connInfo struct {
	name, libName, libVer string
	proto                 int
	multi                 int // commands queued since MULTI; -1 outside MULTI
}

type queued struct {
	cmd  *command
	args [][]byte
}

func (s *Server) newConn(nc net.Conn) *conn {
	addr, laddr := nc.RemoteAddr().String(), nc.LocalAddr().String()
	if addr == "" || addr == "@" {
		addr, laddr = "/unixsocket:0", laddr+":0" // as Redis shows a unix socket peer
	}
	c := s.newConnFD(-1, addr, laddr)
	c.nc = nc
	return c
}

func (s *Server) newConnFD(fd int, addr, laddr string) *conn {
	c := &conn{
		s:       s,
		fd:      fd,
		id:      s.nextID.Add(1),
		p:       newParser(s.cfg.MaxBulkLen),
		authed:  s.cfg.Password == "",
		created: time.Now(),
		addr:    addr,
		laddr:   laddr,
		info:    connInfo{proto: 2, multi: -1},
	}
	c.stripe = c.id
	c.w.proto = 2
	c.w.b = make([]byte, 0, 16*1024)
	return c
}

func (c *conn) serve() {
	defer func() {
		c.nc.Close()
		c.s.dropConn(c)
	}()
	for {
		for {
			args, perr := c.p.next(c.authed)
			if perr != "" {
				c.s.stats.errors[errProtocol].Add(1)
				c.w.err("ERR " + string(perr))
				c.flush()
				return
			}
			if args == nil {
				break
			}
			c.exec(args)
			if c.closeAfter {
				c.flush()
				return
			}
			if len(c.w.b) >= 64*1024 && !c.flush() {
				return
			}
		}
		if len(c.w.b) > 0 && !c.flush() {
			return
		}
		c.p.makeRoom()
		if idle := c.s.cfg.IdleTimeout; idle > 0 {
			// Moving the deadline costs a timer update: do it only when
			// it would move by more than a fraction of the timeout.
			now := time.Now()
			if want := now.Add(idle); want.Sub(c.deadline) > idle/16 {
				c.deadline = want
				c.nc.SetReadDeadline(want)
			}
		}
		if c.s.stopping() {
			return
		}
		n, err := c.nc.Read(c.p.buf[c.p.w:])
		c.p.w += n
		if err != nil {
			return
		}
	}
}

// flush writes the buffered replies; false when the client is gone.
func (c *conn) flush() bool {
	_, err := c.nc.Write(c.w.b)
	if cap(c.w.b) > readBufRelease {
		c.w.b = make([]byte, 0, 16*1024)
	} else {
		c.w.b = c.w.b[:0]
	}
	return err == nil
}

// makeRoom moves unparsed input to the front of the buffer and grows it
// when a command does not fit.
func (p *parser) makeRoom() {
	if p.r == p.w {
		p.r, p.w = 0, 0
		if len(p.buf) > readBufRelease {
			p.buf = make([]byte, readBufMin)
		}
		return
	}
	if p.r > 0 {
		p.w = copy(p.buf, p.buf[p.r:p.w])
		p.r = 0
	}
	if p.w == len(p.buf) {
		size := 2 * len(p.buf)
		if need := p.need(); size < need {
			size = need
		}
		nb := make([]byte, size)
		copy(nb, p.buf[:p.w])
		p.buf = nb
	}
}

// str views an argument as a string without copying: for store calls,
// which copy what they keep, and for lookups.
func str(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }
