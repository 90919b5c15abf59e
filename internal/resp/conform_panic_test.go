package resp

import (
	"io"
	"log/slog"
	"testing"
)

// TestCommandPanicIsAnError: a command whose code panics answers an
// error, drops its partial reply, releases its lock, and the server and
// the connection keep working (before, one such bug took the whole
// server down with PHP in it).
func TestCommandPanicIsAnError(t *testing.T) {
	cmd := commands["dbsize"] // lockRead: takes and must release the lock
	saved := cmd.fn
	cmd.fn = func(c *conn, args [][]byte) {
		c.w.array(3) // a partial reply, to be dropped
		panic("boom")
	}
	t.Cleanup(func() { cmd.fn = saved })
	for _, loops := range []bool{false, true} {
		s, _ := startServer(t, Config{Goroutines: !loops, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		c := dial(t, s)
		c.expect("-ERR internal error running 'dbsize' (logged by the server)\r\n", "DBSIZE")
		c.expect("+OK\r\n", "SET", "k", "v")
		c.expect("+OK\r\n", "MULTI")
		c.expect("+QUEUED\r\n", "DBSIZE")
		c.expect("+QUEUED\r\n", "GET", "k")
		c.expect("*2\r\n-ERR internal error running 'dbsize' (logged by the server)\r\n$1\r\nv\r\n", "EXEC")
		// MSET takes the write lock: it would wait forever for a read
		// lock the panic left held.
		c.expect("+OK\r\n", "MSET", "a", "1", "b", "2")
		c.expect("$1\r\n1\r\n", "GET", "a")
	}
}
