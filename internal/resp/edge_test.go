package resp

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

// The event loop's input is edge-triggered (loop_linux.go, readAll): it
// reads until a read comes back short and then waits for the next edge.
// These tests feed it input in the shapes where a missed read would
// leave a client waiting forever.

// TestFrameSplitAtEveryOffset: a SET and a GET split in two sends at
// every byte offset (the second send a new edge after the first read
// found a partial frame).
func TestFrameSplitAtEveryOffset(t *testing.T) {
	modes(t, func(t *testing.T, cfg Config) {
		s, _ := startServer(t, cfg)
		c := dial(t, s)
		for _, req := range []string{
			encode("SET", "k", "hello") + encode("GET", "k"),
			"SET k hello\r\nGET k\r\n", // inline
		} {
			for i := 1; i < len(req); i++ {
				c.send(req[:i])
				time.Sleep(time.Millisecond) // most often a read of its own
				c.send(req[i:])
				c.expect("+OK\r\n")
				c.expect("$5\r\nhello\r\n")
			}
		}
	})
}

// TestInputLargerThanOneRead: more input at once than the 16 KB read
// buffer holds, both as many small commands and as one large one: the
// loop must read again at once, as no further edge comes.
func TestInputLargerThanOneRead(t *testing.T) {
	modes(t, func(t *testing.T, cfg Config) {
		s, _ := startServer(t, cfg)
		c := dial(t, s)
		const n = 5000 // 5000 * 14 bytes: about 70 KB
		c.send(strings.Repeat(encode("PING"), n))
		for i := 0; i < n; i++ {
			if got := c.reply(); got != "+PONG\r\n" {
				t.Fatalf("reply %d: %q", i, got)
			}
		}
		big := strings.Repeat("x", 200<<10)
		c.send(encode("SET", "big", big) + encode("STRLEN", "big"))
		c.expect("+OK\r\n")
		c.expect(":" + strconv.Itoa(len(big)) + "\r\n")
	})
}

// TestInputWhileReplyWaits: a client asks for megabytes and sends more
// commands before reading any reply, so the server's send fills the
// socket and waits for EPOLLOUT while input keeps arriving; every reply
// comes, in order.
func TestInputWhileReplyWaits(t *testing.T) {
	modes(t, func(t *testing.T, cfg Config) {
		s, _ := startServer(t, cfg)
		c := dial(t, s)
		val := strings.Repeat("v", 1<<20)
		c.expect("+OK\r\n", "SET", "big", val)
		c.send(encode("GET", "big") + encode("GET", "big"))
		time.Sleep(20 * time.Millisecond) // the server is stuck on its send by now
		for i := 0; i < 50; i++ {
			c.send(encode("INCR", "n"))
		}
		c.send(encode("GET", "big"))
		want := "$" + strconv.Itoa(len(val)) + "\r\n" + val + "\r\n"
		for i := 0; i < 2; i++ {
			if got := c.reply(); got != want {
				t.Fatalf("GET big %d: %d bytes", i, len(got))
			}
		}
		for i := 1; i <= 50; i++ {
			c.expect(":" + strconv.Itoa(i) + "\r\n")
		}
		if got := c.reply(); got != want {
			t.Fatalf("last GET big: %d bytes", len(got))
		}
		c.expect("+PONG\r\n", "PING")
	})
}
