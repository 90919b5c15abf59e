// Package wire is the RESP2 protocol of ephpm's small clients: commands
// written as arrays of bulk strings, replies read into Reply, and (on
// Linux) sockets read and written with blocking system calls on the
// calling thread. internal/kvclient (the client of ephpm's KV endpoint)
// and internal/kvredis's pooled direct connections use it.
package wire

import (
	"bufio"
	"fmt"
	"net"
	"strconv"
	"time"
)

// NetConn is what a connection needs of its socket: a net.Conn, or a
// blocking connection (blocking_linux.go).
type NetConn interface {
	Read(p []byte) (int, error)
	Write(p []byte) (int, error)
	Close() error
	SetDeadline(t time.Time) error
}

// Conn is one blocking RESP2 connection, for one goroutine at a time.
type Conn struct {
	nc NetConn
	r  *bufio.Reader
	w  *bufio.Writer
}

// DialOptions say where to connect and how to log in.
type DialOptions struct {
	Network, Addr      string
	Username, Password string // AUTH when Password is set
	DB                 int    // SELECT when not 0
	Timeout            time.Duration
}

// Dial connects (a blocking socket on Linux), authenticates and selects
// the database, each step within o.Timeout. An error reply to AUTH or
// SELECT is a *ServerError; any other error is the network's.
func Dial(o DialOptions) (*Conn, error) {
	tc, err := net.DialTimeout(o.Network, o.Addr, o.Timeout)
	if err != nil {
		return nil, err
	}
	nc := ToBlocking(tc)
	c := &Conn{nc: nc, r: bufio.NewReaderSize(nc, 16<<10), w: bufio.NewWriterSize(nc, 16<<10)}
	var setup [][]string
	if o.Password != "" {
		if o.Username != "" {
			setup = append(setup, []string{"AUTH", o.Username, o.Password})
		} else {
			setup = append(setup, []string{"AUTH", o.Password})
		}
	}
	if o.DB != 0 {
		setup = append(setup, []string{"SELECT", strconv.Itoa(o.DB)})
	}
	for _, args := range setup {
		r, err := c.Do(args, o.Timeout)
		if err == nil {
			err = r.Err()
		}
		if err != nil {
			nc.Close()
			return nil, fmt.Errorf("%s: %w", args[0], err)
		}
	}
	return c, nil
}

// Do writes one command and reads its reply within timeout (0: none). An
// error reply is a Reply of KindError with a nil error. After an error the
// connection is out of step: close it.
func (c *Conn) Do(args []string, timeout time.Duration) (Reply, error) {
	if timeout > 0 {
		c.nc.SetDeadline(time.Now().Add(timeout))
	}
	if err := WriteCommand(c.w, args); err != nil {
		return Reply{}, err
	}
	return ReadReply(c.r)
}

// Close closes the socket.
func (c *Conn) Close() error { return c.nc.Close() }
