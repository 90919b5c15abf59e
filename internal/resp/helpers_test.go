package resp

import (
	"bufio"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ephpm/ephpm/internal/kv"
)

// startServer runs a Server of a fresh kv.Store on a free loopback port.
func startServer(t *testing.T, cfg Config) (*Server, *kv.Store) {
	t.Helper()
	store, err := kv.New(kv.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Listen == "" && cfg.Socket == "" {
		cfg.Listen = "127.0.0.1:0"
	}
	if cfg.MaxClients == 0 {
		cfg.MaxClients = 10000
	}
	s := New(KVStore(store), cfg)
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		s.Close(5 * time.Second)
		store.Close()
	})
	return s, store
}

// client is a raw RESP connection that reads one reply at a time as text.
type client struct {
	t  *testing.T
	nc net.Conn
	r  *bufio.Reader
}

func dial(t *testing.T, s *Server) *client {
	t.Helper()
	nc, err := net.Dial("tcp", s.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	return &client{t: t, nc: nc, r: newReader(nc)}
}

func newReader(nc net.Conn) *bufio.Reader { return bufio.NewReader(nc) }

// encode makes a multibulk request of args.
func encode(args ...string) string {
	var b strings.Builder
	b.WriteString("*" + strconv.Itoa(len(args)) + "\r\n")
	for _, a := range args {
		b.WriteString("$" + strconv.Itoa(len(a)) + "\r\n" + a + "\r\n")
	}
	return b.String()
}

func (c *client) send(raw string) {
	c.t.Helper()
	c.nc.SetWriteDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c.nc, raw); err != nil {
		c.t.Fatal(err)
	}
}

// do sends one command and returns its raw reply.
func (c *client) do(args ...string) string {
	c.t.Helper()
	c.send(encode(args...))
	return c.reply()
}

// reply reads one complete reply (nested aggregates included) verbatim.
func (c *client) reply() string {
	c.t.Helper()
	c.nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	var b strings.Builder
	if err := readReply(c.r, &b); err != nil {
		c.t.Fatalf("reading reply: %v (so far %q)", err, b.String())
	}
	return b.String()
}

func readReply(r *bufio.Reader, b *strings.Builder) error {
	line, err := r.ReadString('\n')
	if err != nil {
		return err
	}
	b.WriteString(line)
	body := strings.TrimSuffix(line[1:], "\r\n")
	switch line[0] {
	case '$', '=':
		n, _ := strconv.Atoi(body)
		if n < 0 {
			return nil
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(r, buf); err != nil {
			return err
		}
		b.Write(buf)
	case '*', '~', '>', '%':
		n, _ := strconv.Atoi(body)
		if line[0] == '%' {
			n *= 2
		}
		for i := 0; i < n; i++ {
			if err := readReply(r, b); err != nil {
				return err
			}
		}
	}
	return nil
}

// expect runs a command and checks its raw reply; with no command it
// checks the next reply.
func (c *client) expect(want string, args ...string) {
	c.t.Helper()
	var got string
	if len(args) == 0 {
		got = c.reply()
	} else {
		got = c.do(args...)
	}
	if got != want {
		c.t.Errorf("%q: got %q, want %q", args, got, want)
	}
}
