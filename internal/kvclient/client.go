// Package kvclient is a small RESP2 client of ephpm's KV endpoint
// ([kv.resp], SPEC section 7), in pure Go. *Client implements kv.Backend,
// so the ephpm_kv_* PHP functions of `ephpm php --config` reach a running
// server's store with the results of SPEC section 1; `ephpm kv` uses Do.
//
// One connection, used under a mutex (a CLI process makes one call at a
// time), with a deadline per call. A connection the server closed while it
// sat idle (a restart, the idle timeout) is redialled once within the call.
// Wait, which can block for long, takes a connection of its own so it
// never holds up the other calls.
package kvclient

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/ephpm/ephpm/internal/kvclient/wire"
)

// DefaultTimeout bounds a dial and a call when Options.Timeout is 0.
const DefaultTimeout = 2 * time.Second

// redialPause: after a failed dial, calls fail at once with that error for
// this long instead of dialling again, so a script looping over the store
// while the server is down does not wait a dial timeout per call.
const redialPause = 250 * time.Millisecond

// Options say where the server is and how to talk to it.
type Options struct {
	Network  string // "unix" or "tcp"
	Addr     string // socket path or host:port
	Username string // sent with AUTH when set (Redis ACL users)
	Password string // AUTH when set
	Timeout  time.Duration
}

// String names the server in errors: unix:///path or tcp://host:port.
func (o Options) String() string {
	if o.Network == "unix" {
		return "unix://" + o.Addr
	}
	return o.Network + "://" + o.Addr
}

// Client is a connection to one server, safe for concurrent use.
type Client struct {
	opts Options

	mu        sync.Mutex
	main      *conn
	dialErr   error     // the last failed dial, repeated until retryAt
	retryAt   time.Time //
	onError   atomic.Pointer[func(error)]
	spareMu   sync.Mutex
	spare     []*conn // idle connections for Wait
	closed    atomic.Bool
	closeOnce sync.Once
	closedSig chan struct{}
}

type conn struct {
	nc netConn
	r  *bufio.Reader
	w  *bufio.Writer
	// used: a call completed on it, so a clean EOF on it now means the
	// server dropped an idle connection (worth one redial).
	used bool
}

// netConn is what a connection needs of its socket: a net.Conn, or a
// blocking connection (wire/blocking_linux.go) for the main connection.
type netConn = wire.NetConn

// New returns a client that connects on its first call. It never fails:
// an unreachable server shows in each call's result and error.
func New(o Options) *Client {
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	return &Client{opts: o, closedSig: make(chan struct{})}
}

// Options returns what the client was made with.
func (c *Client) Options() Options { return c.opts }

// OnError sets f to receive the error of every call that could not reach
// the server, or that the server answered with an unexpected error, before
// that call returns its failure value. f runs on the calling goroutine
// (the PHP layer relies on this to warn in the PHP thread that called).
// Set it before the client is shared.
func (c *Client) OnError(f func(error)) { c.onError.Store(&f) }

// Close closes the connections. Calls after Close fail.
func (c *Client) Close() error {
	c.closeOnce.Do(func() {
		c.closed.Store(true)
		close(c.closedSig)
	})
	c.mu.Lock()
	if c.main != nil {
		c.main.nc.Close()
		c.main = nil
	}
	c.mu.Unlock()
	c.spareMu.Lock()
	for _, sc := range c.spare {
		sc.nc.Close()
	}
	c.spare = nil
	c.spareMu.Unlock()
	return nil
}

// ErrClosed is returned by calls on a closed client.
var ErrClosed = errors.New("kvclient: client closed")

// UnreachableError says the server could not be reached or the
// connection broke; the call's effect on the store is unknown only when
// the connection broke after the command was sent.
type UnreachableError struct {
	Server string
	Err    error
}

func (e *UnreachableError) Error() string {
	return fmt.Sprintf("KV server unreachable: %s: %v", e.Server, e.Err)
}

func (e *UnreachableError) Unwrap() error { return e.Err }

// Ping checks that the server answers (and accepts the password).
func (c *Client) Ping() error {
	r, err := c.Do("PING")
	if err != nil {
		return err
	}
	return r.Err()
}

// Do sends one command and returns the server's reply. An error reply is
// a Reply of KindError with a nil error; err is set only when the server
// could not be reached or the connection broke (*UnreachableError), or
// AUTH was refused (*ServerError).
func (c *Client) Do(args ...string) (Reply, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.doLocked(args)
}

func (c *Client) doLocked(args []string) (Reply, error) {
	if c.closed.Load() {
		return Reply{}, ErrClosed
	}
	for attempt := 0; ; attempt++ {
		if c.main == nil {
			cn, err := c.dialLocked(true)
			if err != nil {
				return Reply{}, err
			}
			c.main = cn
		}
		cn := c.main
		r, err := cn.roundTrip(args, c.opts.Timeout)
		if err == nil {
			cn.used = true
			return r, nil
		}
		cn.nc.Close()
		c.main = nil
		if attempt == 0 && cn.used && droppedBeforeReply(err) {
			continue // the server dropped the idle connection: once more
		}
		return Reply{}, &UnreachableError{Server: c.opts.String(), Err: err}
	}
}

// dialLocked connects and authenticates, or repeats the last dial error
// during redialPause.
func (c *Client) dialLocked(blocking bool) (*conn, error) {
	if c.dialErr != nil && time.Now().Before(c.retryAt) {
		return nil, c.dialErr
	}
	cn, err := c.dial(blocking)
	if err != nil {
		c.dialErr, c.retryAt = err, time.Now().Add(redialPause)
		return nil, err
	}
	c.dialErr = nil
	return cn, nil
}

// dial connects and authenticates; blocking: with a blockingConn (the
// main connection), else through Go's poller (Wait's connections, which
// another goroutine must be able to interrupt).
func (c *Client) dial(blocking bool) (*conn, error) {
	tc, err := net.DialTimeout(c.opts.Network, c.opts.Addr, c.opts.Timeout)
	if err != nil {
		return nil, &UnreachableError{Server: c.opts.String(), Err: err}
	}
	var nc netConn = tc
	if blocking {
		nc = wire.ToBlocking(tc)
	}
	cn := &conn{nc: nc, r: bufio.NewReaderSize(nc, 16<<10), w: bufio.NewWriterSize(nc, 16<<10)}
	if c.opts.Password != "" {
		args := []string{"AUTH", c.opts.Password}
		if c.opts.Username != "" {
			args = []string{"AUTH", c.opts.Username, c.opts.Password}
		}
		r, err := cn.roundTrip(args, c.opts.Timeout)
		if err != nil {
			nc.Close()
			return nil, &UnreachableError{Server: c.opts.String(), Err: err}
		}
		if err := r.Err(); err != nil {
			nc.Close()
			return nil, fmt.Errorf("KV server %s refused the password: %w", c.opts, err)
		}
	}
	return cn, nil
}

// roundTrip writes one command and reads its reply within timeout (0 =
// no deadline: Wait sets its own).
func (cn *conn) roundTrip(args []string, timeout time.Duration) (Reply, error) {
	if timeout > 0 {
		cn.nc.SetDeadline(time.Now().Add(timeout))
	}
	if err := wire.WriteCommand(cn.w, args); err != nil {
		return Reply{}, err
	}
	return wire.ReadReply(cn.r)
}

// droppedBeforeReply: the server closed the connection (EOF before any
// byte of the reply, a reset, a broken pipe) rather than timing out or
// breaking mid-reply. That is what an idle connection to a restarted
// server, or one past the server's idle timeout, sees on its next use, and
// the command did not run there.
func droppedBeforeReply(err error) bool {
	return err == io.EOF || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

// report hands an error to the OnError callback.
func (c *Client) report(err error) {
	if f := c.onError.Load(); f != nil && *f != nil {
		(*f)(err)
	}
}
