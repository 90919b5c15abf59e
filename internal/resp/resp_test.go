package resp

import (
	"testing"
)

func TestSmoke(t *testing.T) {
	s, _ := startServer(t, Config{})
	c := dial(t, s)
	c.expect("+PONG\r\n", "PING")
	c.expect("+OK\r\n", "SET", "a", "1")
	c.expect("$1\r\n1\r\n", "GET", "a")
	c.expect(":2\r\n", "INCR", "a")
	c.expect("-ERR unknown command 'foo', with args beginning with: 'x' \r\n", "foo", "x")
}
