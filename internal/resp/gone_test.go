package resp

import (
	"net"
	"strings"
	"testing"
	"time"
)

// TestClientGoneMidReply: a client that sends a pipeline with megabytes
// of replies and leaves without reading them makes the server's send
// fail (EPIPE or ECONNRESET, without a SIGPIPE: MSG_NOSIGNAL); the server
// drops that connection only, and the others keep being served. Also a
// client that sends commands and half-closes at once (its data and FIN
// in one readiness event) still gets its replies.
func TestClientGoneMidReply(t *testing.T) {
	modes(t, func(t *testing.T, cfg Config) {
		s, _ := startServer(t, cfg)
		other := dial(t, s)
		other.expect("+OK\r\n", "SET", "big", strings.Repeat("v", 1<<20))
		before := s.stats.clients.Load()
		for i := 0; i < 3; i++ {
			nc, err := net.Dial("tcp", s.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			// 64 replies of 1 MB: far more than the socket buffers hold.
			nc.Write([]byte(strings.Repeat(encode("GET", "big"), 64)))
			if tc, ok := nc.(*net.TCPConn); ok {
				tc.SetLinger(0) // close with a reset: the server's next send fails
			}
			nc.Close()
			other.expect("+PONG\r\n", "PING")
		}
		deadline := time.Now().Add(10 * time.Second)
		for s.stats.clients.Load() > before && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		if n := s.stats.clients.Load(); n != before {
			t.Errorf("clients: %d after the gone clients, want %d", n, before)
		}
		other.expect("$1048576\r\n"+strings.Repeat("v", 1<<20)+"\r\n", "GET", "big")

		// Commands and FIN together: the replies still come.
		nc, err := net.Dial("tcp", s.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		nc.Write([]byte(encode("INCR", "n") + encode("INCR", "n") + encode("PING")))
		nc.(*net.TCPConn).CloseWrite()
		nc.SetReadDeadline(time.Now().Add(10 * time.Second))
		var got []byte
		buf := make([]byte, 256)
		for {
			n, err := nc.Read(buf)
			got = append(got, buf[:n]...)
			if err != nil {
				break
			}
		}
		if want := ":1\r\n:2\r\n+PONG\r\n"; string(got) != want {
			t.Errorf("half-closed client got %q, want %q", got, want)
		}
	})
}
