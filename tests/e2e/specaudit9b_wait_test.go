package e2e

// Spec audit (session 9, second pass): EPHPM.WAIT, ephpm_kv_wait's form on
// the RESP endpoint (issue 11: "it parks no Go thread per waiter"). 500
// clients wait on one key at once: the server's OS thread count stays put
// (counted in /proc/PID/status), one SET wakes every one of them with the
// new value; version 0 returns at once, a timeout answers a null array,
// expiry and delete wake a waiter, and SIGTERM ends the waits early.

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// auditThreads is the Threads: line of /proc/PID/status.
func auditThreads(t *testing.T, pid int) int {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	must(t, err)
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "Threads:"); ok {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			must(t, err)
			return n
		}
	}
	t.Fatal("no Threads: line")
	return 0
}

type auditRESP struct {
	c net.Conn
	r *bufio.Reader
}

func auditDial(t *testing.T, sock string) *auditRESP {
	t.Helper()
	c, err := net.Dial("unix", sock)
	must(t, err)
	t.Cleanup(func() { c.Close() })
	return &auditRESP{c, bufio.NewReader(c)}
}

func (a *auditRESP) send(t *testing.T, args ...string) {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, s := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(s), s)
	}
	_, err := a.c.Write([]byte(b.String()))
	must(t, err)
}

// reply reads one reply, flattened to its text: "*2 :5 $v" style.
func (a *auditRESP) reply(t *testing.T, within time.Duration) string {
	t.Helper()
	a.c.SetReadDeadline(time.Now().Add(within))
	var read func() string
	read = func() string {
		line, err := a.r.ReadString('\n')
		if err != nil {
			return "<" + err.Error() + ">"
		}
		line = strings.TrimRight(line, "\r\n")
		switch line[0] {
		case '*':
			n, _ := strconv.Atoi(line[1:])
			parts := []string{line}
			for i := 0; i < n; i++ {
				parts = append(parts, read())
			}
			return strings.Join(parts, " ")
		case '$':
			n, _ := strconv.Atoi(line[1:])
			if n < 0 {
				return line
			}
			buf := make([]byte, n+2)
			for got := 0; got < n+2; {
				m, err := a.r.Read(buf[got:])
				if err != nil {
					return "<" + err.Error() + ">"
				}
				got += m
			}
			return "$" + string(buf[:n])
		}
		return line
	}
	return read()
}

// version is the version in an EPHPM.WAIT reply "*2 :N ...".
func auditVersion(t *testing.T, reply string) string {
	t.Helper()
	f := strings.Fields(reply)
	if len(f) < 2 || f[0] != "*2" || !strings.HasPrefix(f[1], ":") {
		t.Fatalf("EPHPM.WAIT reply %q, want [version, value]", reply)
	}
	return f[1][1:]
}

func TestSpecAudit9bWaitParksNoThreads(t *testing.T) {
	sock := filepath.Join(artisanShortDir(t), "kv.sock")
	s := start(t, fixtureRoot(t), fmt.Sprintf("[kv.resp]\nsocket = %q\n", sock))
	pid := s.cmd.Process.Pid
	c := auditDial(t, sock)

	c.send(t, "EPHPM.WAIT", "w:k", "0", "10000")
	v0 := auditVersion(t, c.reply(t, 5*time.Second)) // 0 returns at once, whatever the key
	c.send(t, "EPHPM.WAIT", "w:k", v0, "300")
	if got := c.reply(t, 30*time.Second); got != "*-1" {
		t.Errorf("a wait past its timeout answered %q, want a null array", got)
	}

	before := auditThreads(t, pid)
	const n = 500
	waiters := make([]*auditRESP, n)
	for i := range waiters {
		waiters[i] = auditDial(t, sock)
		waiters[i].send(t, "EPHPM.WAIT", "w:k", v0, "120000")
	}
	// Let every wait reach the server and park (PING answered after them
	// on a connection of its own proves nothing about the others, so give
	// a busy machine time).
	time.Sleep(3 * time.Second)
	during := auditThreads(t, pid)
	t.Logf("threads: %d before, %d with %d waiters", before, during, n)
	if during > before+16 {
		t.Errorf("%d waiters took the server from %d to %d OS threads", n, before, during)
	}
	c.send(t, "SET", "w:k", "new")
	if got := c.reply(t, 10*time.Second); got != "+OK" {
		t.Fatalf("SET: %q", got)
	}
	for i, w := range waiters {
		if got := w.reply(t, 30*time.Second); !strings.HasSuffix(got, " $new") {
			t.Fatalf("waiter %d answered %q, want the new value", i, got)
		}
	}

	// Delete and expiry change the version too.
	c.send(t, "EPHPM.WAIT", "w:k", "0", "1000")
	v := auditVersion(t, c.reply(t, 5*time.Second))
	d := auditDial(t, sock)
	c.send(t, "EPHPM.WAIT", "w:k", v, "60000")
	time.Sleep(200 * time.Millisecond)
	d.send(t, "DEL", "w:k")
	d.reply(t, 10*time.Second)
	if got := c.reply(t, 30*time.Second); !strings.HasSuffix(got, " $-1") {
		t.Errorf("a wait over a delete answered %q, want [version, nil]", got)
	}
	c.send(t, "SET", "w:e", "x", "PX", "500")
	c.reply(t, 10*time.Second)
	c.send(t, "EPHPM.WAIT", "w:e", "0", "1000")
	v = auditVersion(t, c.reply(t, 5*time.Second))
	c.send(t, "EPHPM.WAIT", "w:e", v, "60000")
	if got := c.reply(t, 30*time.Second); !strings.HasSuffix(got, " $-1") {
		t.Errorf("a wait over an expiry answered %q, want [version, nil]", got)
	}

	// SIGTERM ends a long wait early: the server exits well before it.
	c.send(t, "EPHPM.WAIT", "w:never", "0", "1000")
	v = auditVersion(t, c.reply(t, 5*time.Second))
	c.send(t, "EPHPM.WAIT", "w:never", v, "600000")
	c.c.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
	if b, err := c.r.Peek(1); err == nil {
		t.Fatalf("the wait on an unchanged key answered at once (%q...)", b)
	}
	startStop := time.Now()
	must(t, s.cmd.Process.Signal(sigterm))
	select {
	case <-s.exited:
	case <-time.After(60 * time.Second):
		t.Fatal("the server did not exit within 60s of SIGTERM with a client waiting")
	}
	got := c.reply(t, 10*time.Second)
	t.Logf("exited %v after SIGTERM; the waiter got %q", time.Since(startStop), got)
}
