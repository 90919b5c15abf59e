//go:build linux

package wire

import (
	"bufio"
	"errors"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// pongServer answers every line it reads with +PONG (a RESP command's
// lines are answered once, at its first line "*N"), or never answers when
// silent. It stops with the test.
func pongServer(t *testing.T, silent bool) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				r := bufio.NewReader(c)
				for {
					line, err := r.ReadString('\n')
					if err != nil {
						return
					}
					if !silent && strings.HasPrefix(line, "*") {
						c.Write([]byte("+PONG\r\n"))
					}
				}
			}()
		}
	}()
	return ln.Addr().String()
}

// epollWatched lists the descriptors that this process's epoll instances
// (Go's network poller) watch, from /proc/self/fdinfo.
func epollWatched(t *testing.T) map[int]bool {
	t.Helper()
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	watched := map[int]bool{}
	polls := 0
	for _, e := range fds {
		target, err := os.Readlink("/proc/self/fd/" + e.Name())
		if err != nil || target != "anon_inode:[eventpoll]" {
			continue
		}
		polls++
		info, err := os.ReadFile("/proc/self/fdinfo/" + e.Name())
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(info), "\n") {
			f := strings.Fields(line)
			if len(f) >= 2 && f[0] == "tfd:" {
				if n, err := strconv.Atoi(f[1]); err == nil {
					watched[n] = true
				}
			}
		}
	}
	if polls == 0 {
		t.Fatal("no epoll instance found: the poller was not started")
	}
	return watched
}

// TestBlockingConnOutOfPoller: a dialled connection is a blockingConn whose
// descriptor Go's poller does not watch (a watched one wakes a runtime
// thread on every reply, blocking_linux.go), and it works: commands
// answered, Close closes (once).
func TestBlockingConnOutOfPoller(t *testing.T) {
	addr := pongServer(t, false)
	c, err := Dial(DialOptions{Network: "tcp", Addr: addr, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	b, ok := c.nc.(*blockingConn)
	if !ok {
		t.Fatalf("connection is a %T, not a blockingConn", c.nc)
	}
	for i := 0; i < 3; i++ {
		r, err := c.Do([]string{"PING"}, 5*time.Second)
		if err != nil || r.Kind != KindSimple || r.Str != "PONG" {
			t.Fatalf("PING = %+v, %v", r, err)
		}
	}
	if epollWatched(t)[b.fd] {
		t.Fatalf("descriptor %d is in Go's epoll set", b.fd)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

// TestBlockingConnTimeout: with a server that never answers, Do returns
// os.ErrDeadlineExceeded after about its timeout (SO_RCVTIMEO), no hang.
func TestBlockingConnTimeout(t *testing.T) {
	addr := pongServer(t, true)
	c, err := Dial(DialOptions{Network: "tcp", Addr: addr, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	start := time.Now()
	_, err = c.Do([]string{"PING"}, 200*time.Millisecond)
	took := time.Since(start)
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("Do = %v, want a deadline error", err)
	}
	if took < 150*time.Millisecond || took > 5*time.Second {
		t.Fatalf("Do gave up after %v, timeout 200ms", took)
	}
}
