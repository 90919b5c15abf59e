//go:build linux

package resp

import (
	"syscall"
	"testing"
	"time"
)

// The loop's epoll instance (epfd) is watched by the runtime's poller
// only while the loop is parked, in either mode (the raw wait first or
// parking at once): it is added to parkfd (the file the runtime polls)
// right before a park and taken out right after (loop_linux.go, wait).
// Registered for good, every event on a busy loop also ran the nested
// wake-up chain in the sender's context (the client's CPU over loopback)
// and woke the runtime's netpoller thread when one was blocked. These
// tests check both halves: no event reaches parkfd while the loop is not
// parked, and a parked loop still wakes for an event, including one that
// came before the park.

// parkLoop is a loop with one end of a socket pair registered for input
// (level-triggered) on its epfd; the other end is returned to write to.
// It waits in the raw-wait mode: up to 2 ms in a raw epoll_wait, then
// parked.
func parkLoop(t *testing.T) (*loop, int) {
	t.Helper()
	s := &Server{}
	l, err := newLoop(s, nil)
	if err != nil {
		t.Fatal(err)
	}
	l.blockMS = 2
	if l.epr == nil {
		t.Skip("the runtime cannot poll an epoll fd here")
	}
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_NONBLOCK|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.ctl(syscall.EPOLL_CTL_ADD, fds[0], syscall.EPOLLIN); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		syscall.Close(fds[0])
		syscall.Close(fds[1])
		l.epf.Close()
		syscall.Close(l.epfd)
		syscall.Close(l.wakefd)
	})
	return l, fds[1]
}

// parkfdReady: events the runtime's poller would see on parkfd now.
func parkfdReady(t *testing.T, l *loop) int {
	t.Helper()
	var evs [4]syscall.EpollEvent
	n, err := syscall.EpollWait(l.parkfd, evs[:], 0)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestParkfdQuietWhileNotParked(t *testing.T) {
	l, peer := parkLoop(t)
	if _, err := syscall.Write(peer, []byte("PING\r\n")); err != nil {
		t.Fatal(err)
	}
	// The loop finds the input without parking...
	n, err := l.wait(5000)
	if err != nil || n != 1 {
		t.Fatalf("wait: %d events, %v; want 1", n, err)
	}
	// ...and its epfd, still readable (level-triggered, unread), is not
	// reported to the runtime's poller.
	if got := parkfdReady(t, l); got != 0 || l.parkArmed {
		t.Errorf("parkfd reports %d events (armed %v) with the loop not parked: the runtime's poller is woken by the loop's events", got, l.parkArmed)
	}
}

func TestParkWakesOnInput(t *testing.T) {
	l, peer := parkLoop(t)
	type res struct {
		n   int
		err error
	}
	done := make(chan res, 1)
	go func() {
		n, err := l.wait(60000) // 2 ms in the raw wait, then parked
		done <- res{n, err}
	}()
	time.Sleep(50 * time.Millisecond) // let it park (nothing to read yet)
	if _, err := syscall.Write(peer, []byte("PING\r\n")); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-done:
		if r.err != nil || r.n != 1 {
			t.Fatalf("wait: %d events, %v; want 1", r.n, r.err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("a parked loop was not woken by input")
	}
	if got := parkfdReady(t, l); got != 0 || l.parkArmed {
		t.Errorf("after the park parkfd reports %d events (armed %v)", got, l.parkArmed)
	}
}

// TestArmWithInputPending: input that arrives after the loop's last poll
// but before epfd is added to parkfd is reported on parkfd as it is
// added, so the park that follows returns at once.
func TestArmWithInputPending(t *testing.T) {
	l, peer := parkLoop(t)
	if _, err := syscall.Write(peer, []byte("PING\r\n")); err != nil {
		t.Fatal(err)
	}
	if err := l.arm(); err != nil {
		t.Fatal(err)
	}
	if got := parkfdReady(t, l); got != 1 {
		t.Errorf("epfd added with input pending: parkfd reports %d events, want 1", got)
	}
	l.disarm()
	if got := parkfdReady(t, l); got != 0 {
		t.Errorf("after disarm parkfd reports %d events", got)
	}
}

// TestParkTimesOut: a park with nothing to do ends at the timeout with
// no events and leaves parkfd empty.
func TestParkTimesOut(t *testing.T) {
	l, _ := parkLoop(t)
	n, err := l.wait(20)
	if err != nil || n != 0 {
		t.Fatalf("wait: %d events, %v; want 0 at the timeout", n, err)
	}
	if l.parkArmed {
		t.Error("still armed after the timeout")
	}
}

// TestParkedModeWakes: with more connections than the raw wait serves
// (or no P to spare: blockMS 0) the loop parks at once; input wakes it,
// every time, and after each park epfd is out of parkfd again, so input
// that comes while the loop runs reaches no one but the loop (before
// session 11 epfd stayed in parkfd from the first park on).
func TestParkedModeWakes(t *testing.T) {
	if parkArmedForGood {
		t.Skip("EPHPM_RESP_PARK_ARMED=1")
	}
	l, peer := parkLoop(t)
	l.blockMS = 0
	var buf [64]byte
	for i := 0; i < 3; i++ {
		done := make(chan int, 1)
		go func() {
			n, _ := l.wait(60000)
			done <- n
		}()
		time.Sleep(20 * time.Millisecond)
		if _, err := syscall.Write(peer, []byte("PING\r\n")); err != nil {
			t.Fatal(err)
		}
		select {
		case n := <-done:
			if n != 1 {
				t.Fatalf("round %d: %d events, want 1", i, n)
			}
		case <-time.After(20 * time.Second):
			t.Fatalf("round %d: a parked loop was not woken by input", i)
		}
		if l.parkArmed {
			t.Fatalf("round %d: epfd still in parkfd after the park", i)
		}
		// Input while the loop runs (not parked) is not reported to
		// the runtime's poller.
		if _, err := syscall.Write(peer, []byte("PING\r\n")); err != nil {
			t.Fatal(err)
		}
		if got := parkfdReady(t, l); got != 0 {
			t.Fatalf("round %d: parkfd reports %d events with the loop not parked", i, got)
		}
		fd := int(l.events[0].Fd)
		syscall.Read(fd, buf[:]) // level-triggered: drain before the next park
	}
}
