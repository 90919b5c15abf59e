//go:build linux

package resp

import (
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// A loop with nothing to do first blocks in a raw epoll_wait (blockMS),
// keeping its thread and P, before it parks in the runtime's poller
// (loop_linux.go, wait). These tests run the loop that way (a long
// block, so it sits there whenever it waits) and check what must keep
// working while it does: the rest of the process's goroutines, the GC's
// stops, goroutines the loop itself starts (EPHPM.WAIT), idle timeouts
// and shutdown.

// rawWaitServer starts a server of one loop that blocks up to ms in the
// raw wait, with GOMAXPROCS at least 2 (as blockMS's default asks).
func rawWaitServer(t *testing.T, ms string, cfg Config) *Server {
	t.Helper()
	t.Setenv("EPHPM_RESP_BLOCK_MS", ms)
	if runtime.GOMAXPROCS(0) < 2 {
		old := runtime.GOMAXPROCS(2)
		t.Cleanup(func() { runtime.GOMAXPROCS(old) })
	}
	cfg.Loops = 1
	s, _ := startServer(t, cfg)
	if len(s.loops) != 1 || s.loops[0].blockMS == 0 {
		t.Fatalf("loops %d, blockMS not set from EPHPM_RESP_BLOCK_MS=%s", len(s.loops), ms)
	}
	return s
}

func TestBlockMSDefault(t *testing.T) {
	t.Setenv("EPHPM_RESP_BLOCK_MS", "")
	old := runtime.GOMAXPROCS(2)
	defer runtime.GOMAXPROCS(old)
	if got := blockMS(1); got == 0 {
		t.Error("one loop with a spare P: no raw wait")
	}
	if got := blockMS(2); got != 0 {
		t.Errorf("loops as many as Ps: raw wait of %d ms (would keep every P)", got)
	}
	t.Setenv("EPHPM_RESP_BLOCK_MS", "0")
	if got := blockMS(1); got != 0 {
		t.Errorf("EPHPM_RESP_BLOCK_MS=0: %d", got)
	}
}

// TestRawWaitLeavesTheProcessRunning: while the loop waits with its P,
// other goroutines, timers and the GC's stop-the-world go on, and
// clients are served.
func TestRawWaitLeavesTheProcessRunning(t *testing.T) {
	s := rawWaitServer(t, "500", Config{})
	c := dial(t, s)
	c.expect("+OK\r\n", "SET", "k", "v")
	time.Sleep(50 * time.Millisecond) // the loop is in its raw wait now
	done := make(chan time.Duration)
	go func() {
		start := time.Now()
		for i := 0; i < 20; i++ {
			runtime.GC() // stops the world: the waiting loop must stop too
			time.Sleep(time.Millisecond)
		}
		done <- time.Since(start)
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("GC cycles and timers stalled while the loop waited")
	}
	for i := 0; i < 50; i++ {
		c.expect("$1\r\nv\r\n", "GET", "k")
	}
}

// TestRawWaitBlockingCommand: EPHPM.WAIT runs on a goroutine the loop
// starts (queued on the loop's P) and posts its reply back while the
// loop waits again.
func TestRawWaitBlockingCommand(t *testing.T) {
	s := rawWaitServer(t, "500", Config{})
	waiter, writer := dial(t, s), dial(t, s)
	writer.expect("+OK\r\n", "SET", "w", "a")
	cur := waiter.do("EPHPM.WAIT", "w", "0", "0") // *2 :version $1 a
	lines := strings.Split(cur, "\r\n")
	if len(lines) < 2 || !strings.HasPrefix(lines[1], ":") {
		t.Fatalf("EPHPM.WAIT w 0 0: %q", cur)
	}
	ver := lines[1][1:]
	var wg sync.WaitGroup
	wg.Add(1)
	var got string
	go func() {
		defer wg.Done()
		got = waiter.do("EPHPM.WAIT", "w", ver, "20000")
	}()
	time.Sleep(100 * time.Millisecond) // waiting on its goroutine; the loop in its raw wait
	writer.expect("+OK\r\n", "SET", "w", "x")
	wg.Wait()
	if !strings.HasPrefix(got, "*2\r\n:") || !strings.HasSuffix(got, "$1\r\nx\r\n") {
		t.Fatalf("EPHPM.WAIT after SET: %q", got)
	}
	// A wait that times out (its timer fires while the loop waits).
	cur = strings.Split(got, "\r\n")[1][1:]
	waiter.expect("*-1\r\n", "EPHPM.WAIT", "w", cur, "50")
	writer.expect("+PONG\r\n", "PING")
}

// TestRawWaitIdleTimeoutAndClose: idle clients are closed and Close
// returns promptly while the loop waits with its P.
func TestRawWaitIdleTimeoutAndClose(t *testing.T) {
	s := rawWaitServer(t, "500", Config{IdleTimeout: time.Second})
	silent := dial(t, s)
	silent.expect("+PONG\r\n", "PING")
	if !silent.closed() {
		t.Error("an idle client was not disconnected")
	}
	start := time.Now()
	s.Close(time.Second)
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("Close took %v", d)
	}
}
