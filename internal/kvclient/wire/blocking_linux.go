//go:build linux

package wire

import (
	"io"
	"net"
	"os"
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
type blockingConn struct {
	f        *os.File // owns the descriptor
	fd       int
	timeout  time.Duration // what SO_RCVTIMEO/SO_SNDTIMEO are set to (0 = none)
	deadline time.Time
}

// ToBlocking takes over nc's socket as a blockingConn (nc is closed; the
// socket lives on in a duplicate descriptor). Any failure leaves nc as it
// is, which works, only slower.
func ToBlocking(nc net.Conn) NetConn {
	fc, ok := nc.(interface{ File() (*os.File, error) })
	if !ok {
		return nc
	}
	f, err := fc.File()
	if err != nil {
		return nc
	}
	fd := int(f.Fd())
	if err := syscall.SetNonblock(fd, false); err != nil {
		f.Close()
		return nc
	}
	nc.Close()
	return &blockingConn{f: f, fd: fd}
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

func (b *blockingConn) Close() error { return b.f.Close() }
