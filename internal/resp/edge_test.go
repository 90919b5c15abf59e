package resp

import (
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ephpm/ephpm/internal/kv"
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

// A SETRANGE or APPEND whose result could never fit the store's memory limit
// is refused before the value is built: a client could otherwise make the
// server allocate hundreds of megabytes (twice) per command only to have the
// store refuse it, and a few such clients get the process killed.
func TestSetRangeBeyondTheStoreIsRefusedBeforeBuilding(t *testing.T) {
	store, err := kv.New(kv.Options{MemoryLimit: 8 << 20})
	if err != nil {
		t.Fatal(err)
	}
	s := New(KVStore(store), Config{Listen: "127.0.0.1:0", MaxValueLen: 8 << 20})
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close(5 * time.Second); store.Close() })
	c := dial(t, s)
	if r := c.do("SET", "k", "abc"); r != "+OK\r\n" {
		t.Fatalf("SET: %q", r)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	if r := c.do("SETRANGE", "k", "300000000", "x"); !strings.HasPrefix(r, "-OOM ") {
		t.Fatalf("SETRANGE past the limit: %q, want the OOM error", r)
	}
	if r := c.do("SETRANGE", "new", "300000000", "x"); !strings.HasPrefix(r, "-OOM ") {
		t.Fatalf("SETRANGE of a new key past the limit: %q, want the OOM error", r)
	}
	runtime.ReadMemStats(&after)
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 64<<20 {
		t.Errorf("refusing two 300 MB SETRANGEs allocated %d MB", grew>>20)
	}
	if r := c.do("GET", "k"); r != "$3\r\nabc\r\n" {
		t.Errorf("GET k after the refused SETRANGE: %q, want abc unchanged", r)
	}
	if r := c.do("EXISTS", "new"); r != ":0\r\n" {
		t.Errorf("EXISTS new: %q, want :0", r)
	}
	// Within the limit both still work.
	if r := c.do("SETRANGE", "k", "10", "y"); r != ":11\r\n" {
		t.Errorf("SETRANGE within the limit: %q, want :11", r)
	}
	big := strings.Repeat("z", 5<<20)
	if r := c.do("SET", "b", big); r != "+OK\r\n" {
		t.Fatalf("SET 5 MB: %q", r)
	}
	if r := c.do("APPEND", "b", big); !strings.HasPrefix(r, "-OOM ") {
		t.Errorf("APPEND to 10 MB past an 8 MB limit: %q, want the OOM error", r)
	}
	if r := c.do("STRLEN", "b"); r != ":5242880\r\n" {
		t.Errorf("STRLEN b after the refused APPEND: %q", r)
	}
}
