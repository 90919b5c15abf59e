package resp

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Config configures a Server.
type Config struct {
	Listen      string      // TCP host:port; "" = none
	Socket      string      // unix socket path; "" = none
	SocketMode  fs.FileMode // permissions of the socket file
	Password    string      // "" = no AUTH needed
	MaxClients  int         // connections at once; 0 = no limit
	IdleTimeout time.Duration
	MaxBulkLen  int64 // largest bulk string a client may send; 0 = 512 MB
	// MaxValueLen is the longest value the store could ever hold (the
	// memory backend's memory_limit); 0 = no such bound (Redis decides).
	// SETRANGE and APPEND build their new value before storing it, so a
	// SETRANGE at offset 500000000 would allocate half a gigabyte, twice,
	// only to be refused: beyond this they are refused before building.
	MaxValueLen int64
	Logger      *slog.Logger

	// Goroutines serves each connection on a goroutine of its own instead
	// of the event loops (the only way on systems other than Linux).
	Goroutines bool
	Loops      int // event loops; 0 = half the cores (1 .. loopsMax)

	// Reported by INFO and CONFIG GET.
	MaxMemory       int64
	MaxMemoryPolicy string
	Version         string // ephpm's version
}

// errNoLoops: event loops are not available here (not Linux).
var errNoLoops = errors.New("resp: no event loops on this system")

// Server serves a Store over RESP on a TCP listener and/or a unix socket.
type Server struct {
	cfg   Config
	store Store
	typed typedGetter // store, if its keys can be of another type (nil on the memory store)
	lock  stripedLock // EXEC and multi-key commands exclude every other client's command
	quit  chan struct{}
	wg    sync.WaitGroup

	closeOnce sync.Once

	tcp, unix net.Listener
	lfds      []int   // the listeners' fds the event loops accept on
	loops     []*loop // event loops (none in goroutine mode)
	grace     time.Duration

	mu    sync.Mutex
	conns map[*conn]struct{}

	started time.Time
	nextID  atomic.Int64
	waiting atomic.Int64 // connections blocked in EPHPM.WAIT
	stats   counters
}

// New makes a server of store; Start listens.
func New(store Store, cfg Config) *Server {
	if cfg.MaxBulkLen <= 0 {
		cfg.MaxBulkLen = 512 << 20
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	s := &Server{cfg: cfg, store: store, quit: make(chan struct{}), conns: map[*conn]struct{}{}, started: time.Now()}
	s.typed, _ = store.(typedGetter)
	s.stats.commands = make([]atomic.Int64, len(cmdByID)+1)
	return s
}

// Start opens the configured listeners and serves them in the background.
func (s *Server) Start() error {
	if s.cfg.Listen != "" {
		ln, err := net.Listen("tcp", s.cfg.Listen)
		if err != nil {
			return err
		}
		s.tcp = ln
	}
	if s.cfg.Socket != "" {
		ln, err := listenUnix(s.cfg.Socket, s.cfg.SocketMode)
		if err != nil {
			if s.tcp != nil {
				s.tcp.Close()
			}
			return err
		}
		s.unix = ln
	}
	if !s.cfg.Goroutines {
		err := s.startLoops()
		if err == nil {
			return nil
		}
		if !errors.Is(err, errNoLoops) {
			s.closeListeners()
			return err
		}
	}
	for _, ln := range []net.Listener{s.tcp, s.unix} {
		if ln != nil {
			s.wg.Add(1)
			go s.accept(ln)
		}
	}
	return nil
}

func (s *Server) closeListeners() {
	if s.tcp != nil {
		s.tcp.Close()
	}
	if s.unix != nil {
		s.unix.Close()
		os.Remove(s.cfg.Socket)
	}
}

// listenUnix listens on path, first removing a stale socket file: one
// left by a server that died, which nobody answers on. A live socket or
// any other kind of file at path is an error, not something to delete.
func listenUnix(path string, mode fs.FileMode) (net.Listener, error) {
	if fi, err := os.Lstat(path); err == nil {
		if fi.Mode()&fs.ModeSocket == 0 {
			return nil, fmt.Errorf("%s exists and is not a socket", path)
		}
		c, err := net.DialTimeout("unix", path, time.Second)
		if err == nil {
			c.Close()
			return nil, fmt.Errorf("%s: another process is listening on this socket", path)
		}
		if !errors.Is(err, syscall.ECONNREFUSED) {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if err := os.Remove(path); err != nil {
			return nil, err
		}
	}
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, err
	}
	// We remove the file ourselves in Close (after the listener), so that
	// a failed start never deletes a file another server still uses.
	ln.(*net.UnixListener).SetUnlinkOnClose(false)
	if mode != 0 {
		if err := os.Chmod(path, mode); err != nil {
			ln.Close()
			os.Remove(path)
			return nil, err
		}
	}
	return ln, nil
}

// Addr is the TCP listener's address (nil without one).
func (s *Server) Addr() net.Addr {
	if s.tcp == nil {
		return nil
	}
	return s.tcp.Addr()
}

func (s *Server) accept(ln net.Listener) {
	defer s.wg.Done()
	for {
		nc, err := ln.Accept()
		if err != nil {
			select {
			case <-s.quit:
				return
			default:
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() || errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE) {
				// Out of file descriptors: wait instead of spinning.
				time.Sleep(50 * time.Millisecond)
				continue
			}
			if errors.Is(err, net.ErrClosed) {
				return
			}
			s.cfg.Logger.Warn("resp accept", "err", err)
			time.Sleep(10 * time.Millisecond)
			continue
		}
		s.stats.connections.Add(1)
		if tc, ok := nc.(*net.TCPConn); ok {
			tc.SetNoDelay(true)
		}
		c := s.newConn(nc)
		s.mu.Lock()
		full := s.cfg.MaxClients > 0 && len(s.conns) >= s.cfg.MaxClients
		if !full {
			s.conns[c] = struct{}{}
			s.stats.clients.Add(1)
			s.wg.Add(1)
		}
		s.mu.Unlock()
		if full {
			s.stats.errors[errOther].Add(1)
			s.stats.rejected.Add(1)
			nc.SetWriteDeadline(time.Now().Add(time.Second))
			nc.Write([]byte("-ERR max number of clients reached\r\n"))
			nc.Close()
			continue
		}
		go c.serve()
	}
}

func (s *Server) dropConn(c *conn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
	s.stats.clients.Add(-1)
	s.wg.Done()
}

// Close stops the server: no new connections; each connection finishes
// the command it runs (an EPHPM.WAIT ends with null at once), sends its
// replies and is closed; the socket file is removed. It waits at most
// grace for that before closing the remaining connections.
// Calls after the first (also concurrent ones) wait for it to finish.
func (s *Server) Close(grace time.Duration) {
	s.closeOnce.Do(func() { s.close(grace) })
}

func (s *Server) close(grace time.Duration) {
	s.grace = grace
	close(s.quit)
	s.closeListeners()
	if len(s.loops) > 0 {
		// Each loop lets blocked clients answer, flushes, closes its
		// connections and returns, within grace.
		s.wakeLoops()
		s.wg.Wait()
		s.closeListenerFDs()
		return
	}
	s.mu.Lock()
	for c := range s.conns {
		c.nc.SetReadDeadline(time.Now()) // wakes a blocked read; the loop sees quit
	}
	s.mu.Unlock()
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(grace):
		s.mu.Lock()
		for c := range s.conns {
			c.nc.Close()
		}
		s.mu.Unlock()
		<-done
	}
}

func (s *Server) stopping() bool {
	select {
	case <-s.quit:
		return true
	default:
		return false
	}
}

// stripedLock is a reader-writer lock with one reader lock per stripe, so
// that the commands of different event loops or connections (readers) do
// not contend on one cache line; a writer (EXEC, MSET, RENAME) takes
// every stripe.
type stripedLock struct {
	stripes [4]struct {
		sync.RWMutex
		_ [40]byte
	}
}

func (l *stripedLock) rlock(i int64)   { l.stripes[i&3].RLock() }
func (l *stripedLock) runlock(i int64) { l.stripes[i&3].RUnlock() }
func (l *stripedLock) lock() {
	for i := range l.stripes {
		l.stripes[i].Lock()
	}
}
func (l *stripedLock) unlock() {
	for i := range l.stripes {
		l.stripes[i].Unlock()
	}
}
