//go:build linux

package wire

import (
	"io"
	"net"
	"os"
	"runtime"
	"syscall"
	"time"
	"unsafe"
)

// The client's main connection does plain blocking reads and writes on its
// socket instead of going through Go's network poller. Its callers are PHP
// threads inside a cgo callback, goroutines locked to their OS thread: a
// read that waits in the poller parks the goroutine, and waking a locked
// goroutine is a hand-off between two threads, which costs more than the
// round trip itself (measured on a unix socket, 2 busy CPUs: 90 us per GET
// from a locked thread against 25 us from an ordinary goroutine). A
// blocking read instead waits in the kernel on the calling thread and
// returns straight to it. Timeouts are SO_RCVTIMEO/SO_SNDTIMEO.
//
// The descriptor must also be out of the poller's epoll set, not only
// blocking: Go registers a socket edge-triggered, so while it is
// registered every reply arriving on it is an epoll event that wakes
// whichever runtime thread waits in epoll_wait (it finds no goroutine to
// run and sleeps again). perf counted about one such wake-up of another
// thread per ephpm_kv_set when the socket was taken over with
// net.Conn.File, whose duplicate Go registers again (os.newFile, kindSock).
// So the socket is duplicated with a raw fcntl(F_DUPFD_CLOEXEC), which the
// poller never sees, and the net.Conn closed (which takes its own
// descriptor out of the epoll set).
type blockingConn struct {
	fd       int
	closed   bool
	timeout  time.Duration // what SO_RCVTIMEO/SO_SNDTIMEO are set to (0 = none)
	deadline time.Time
}

// ToBlocking takes over nc's socket as a blockingConn (nc is closed; the
// socket lives on in a duplicate descriptor that Go's poller does not
// watch). Any failure leaves nc as it is, which works, only slower.
func ToBlocking(nc net.Conn) NetConn {
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return nc
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nc
	}
	fd := -1
	var derr error
	if err := rc.Control(func(s uintptr) { fd, derr = dupCloexec(int(s)) }); err != nil || derr != nil {
		return nc
	}
	if err := syscall.SetNonblock(fd, false); err != nil {
		syscall.Close(fd)
		return nc
	}
	nc.Close()
	b := &blockingConn{fd: fd}
	// A connection dropped without Close still gives its descriptor back.
	runtime.SetFinalizer(b, (*blockingConn).Close)
	return b
}

// dupCloexec duplicates fd (close-on-exec) without Go's poller knowing.
func dupCloexec(fd int) (int, error) {
	r, _, errno := syscall.Syscall(syscall.SYS_FCNTL, uintptr(fd), syscall.F_DUPFD_CLOEXEC, 0)
	if errno != 0 {
		return -1, os.NewSyscallError("fcntl", errno)
	}
	return int(r), nil
}

// SetDeadline sets the socket's timeouts to the time left until t (zero:
// none). A call sets now+timeout each time, so the socket options change
// only when that differs by more than a millisecond from what is set.
func (b *blockingConn) SetDeadline(t time.Time) error {
	b.deadline = t
	var d time.Duration
	if !t.IsZero() {
		d = max(time.Until(t), time.Microsecond)
	}
	if (d == 0) == (b.timeout == 0) && (d-b.timeout).Abs() < time.Millisecond {
		return nil
	}
	tv := syscall.NsecToTimeval(d.Nanoseconds())
	if err := syscall.SetsockoptTimeval(b.fd, syscall.SOL_SOCKET, syscall.SO_RCVTIMEO, &tv); err != nil {
		return os.NewSyscallError("setsockopt", err)
	}
	if err := syscall.SetsockoptTimeval(b.fd, syscall.SOL_SOCKET, syscall.SO_SNDTIMEO, &tv); err != nil {
		return os.NewSyscallError("setsockopt", err)
	}
	b.timeout = d
	return nil
}

// expired: a signal interrupted a read or write (EINTR: Go's preemption
// signal, ephpm's timeout kick) after the deadline.
func (b *blockingConn) expired() bool {
	return !b.deadline.IsZero() && time.Now().After(b.deadline)
}

func (b *blockingConn) Read(p []byte) (int, error) {
	for {
		n, err := syscall.Read(b.fd, p)
		switch {
		case err == nil && n == 0 && len(p) > 0:
			return 0, io.EOF
		case err == nil:
			return n, nil
		case err == syscall.EINTR && !b.expired():
			continue
		case err == syscall.EAGAIN || err == syscall.EINTR:
			return 0, os.ErrDeadlineExceeded
		}
		return 0, os.NewSyscallError("read", err)
	}
}

// Write sends all of p; MSG_NOSIGNAL so that a closed peer is an EPIPE
// error, not a SIGPIPE to the process.
func (b *blockingConn) Write(p []byte) (int, error) {
	done := 0
	for done < len(p) {
		r, _, errno := syscall.Syscall6(syscall.SYS_SENDTO, uintptr(b.fd), uintptr(unsafe.Pointer(&p[done])),
			uintptr(len(p)-done), syscall.MSG_NOSIGNAL, 0, 0)
		switch {
		case errno == 0:
			done += int(r)
			continue
		case errno == syscall.EINTR && !b.expired():
			continue
		case errno == syscall.EAGAIN || errno == syscall.EINTR:
			return done, os.ErrDeadlineExceeded
		}
		return done, os.NewSyscallError("sendto", errno)
	}
	return done, nil
}

// Close closes the descriptor (once).
func (b *blockingConn) Close() error {
	if b.closed {
		return nil
	}
	b.closed = true
	runtime.SetFinalizer(b, nil)
	return os.NewSyscallError("close", syscall.Close(b.fd))
}
