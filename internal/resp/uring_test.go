//go:build linux

package resp

import (
	"net"
	"strings"
	"testing"
	"time"
)

// The rest of the package's tests run with the default I/O (the epoll
// loop); EPHPM_RESP_IO=uring runs them all on the io_uring loop (and
// fails where io_uring cannot be set up), EPHPM_RESP_IO=auto on io_uring
// where it can.
// These run the shapes that differ most between the two loops in both
// modes within one `go test`, whatever the environment says.

func ioModes(t *testing.T, fn func(t *testing.T, cfg Config)) {
	for _, m := range []string{"epoll", "uring"} {
		t.Run(m, func(t *testing.T) {
			t.Setenv("EPHPM_RESP_IO", m)
			if m == "uring" {
				if r, err := newRing(8, 16); err != nil {
					t.Skipf("io_uring not available here: %v", err)
				} else {
					r.close()
				}
			}
			fn(t, Config{Loops: 2})
		})
	}
}

func TestIOModes(t *testing.T) {
	ioModes(t, func(t *testing.T, cfg Config) {
		s, _ := startServer(t, cfg)
		want := map[string]string{"epoll": "epoll", "uring": "io_uring"}[strings.TrimPrefix(t.Name(), "TestIOModes/")]
		if s.IOMode() != want {
			t.Fatalf("IOMode %q, want %q", s.IOMode(), want)
		}
		c := dial(t, s)
		// Split frames, a pipeline larger than one receive buffer, a
		// reply larger than the socket buffers.
		req := encode("SET", "k", "hello") + encode("GET", "k")
		for i := 1; i < len(req); i += 7 {
			c.send(req[:i])
			time.Sleep(time.Millisecond)
			c.send(req[i:])
			c.expect("+OK\r\n")
			c.expect("$5\r\nhello\r\n")
		}
		c.send(strings.Repeat(encode("PING"), 3000))
		for i := 0; i < 3000; i++ {
			c.expect("+PONG\r\n")
		}
		big := strings.Repeat("v", 4<<20)
		c.expect("+OK\r\n", "SET", "big", big)
		c.send(strings.Repeat(encode("GET", "big"), 4) + encode("PING"))
		time.Sleep(50 * time.Millisecond) // the server's send fills the socket meanwhile
		for i := 0; i < 4; i++ {
			c.expect("$" + "4194304" + "\r\n" + big + "\r\n")
		}
		c.expect("+PONG\r\n")
		// Half-close: the replies still come, then the server closes.
		nc, err := net.Dial("tcp", s.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		nc.Write([]byte(encode("INCR", "n") + encode("INCR", "n")))
		nc.(*net.TCPConn).CloseWrite()
		nc.SetReadDeadline(time.Now().Add(10 * time.Second))
		var all []byte
		buf := make([]byte, 64)
		for {
			n, err := nc.Read(buf)
			all = append(all, buf[:n]...)
			if err != nil {
				break
			}
		}
		if string(all) != ":1\r\n:2\r\n" {
			t.Fatalf("half-closed client got %q", all)
		}
	})
}

// TestIOModeFallback: a forced epoll never sets up a ring.
func TestIOModeFallback(t *testing.T) {
	t.Setenv("EPHPM_RESP_IO", "epoll")
	s, _ := startServer(t, Config{Loops: 1})
	if s.IOMode() != "epoll" {
		t.Fatalf("IOMode %q with EPHPM_RESP_IO=epoll", s.IOMode())
	}
	for _, l := range s.loops {
		if l.ring != nil {
			t.Fatal("epoll loop with a ring")
		}
	}
	dial(t, s).expect("+PONG\r\n", "PING")
}
