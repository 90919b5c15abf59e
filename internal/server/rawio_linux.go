package server

import (
	"io"
	"net"
	"os"
	"sync"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// System calls that cannot block, made without telling Go's scheduler.
//
// Go enters every system call through entersyscall/exitsyscall, so that a
// thread blocked in the kernel does not hold its P (Go's CPU token). The
// scheduler's monitor thread (sysmon) takes the P of a thread still in the
// same call after 20 us and hands it to another thread; the caller, back
// from the kernel, must then find a P again, often by sleeping on a futex
// until one is free. A file served over HTTP/2 with TLS costs 64 socket
// writes (one per 16 KB record) and 16 file reads per MB, each 10-30 us in
// the kernel on loopback: long enough to be retaken, and every retake
// keeps sysmon waking every 20 us (perf, h2load -c 4 -m 4 on a 1 MB file:
// sysmon 10% of ephpm's CPU, its nanosleep the largest kernel item).
// These calls never block: the socket is non-blocking (a full send buffer
// gives EAGAIN, and then Go's poller waits as usual), and file reads ask
// preadv2 for RWF_NOWAIT (data not in the page cache gives EAGAIN, and
// then the read is made the ordinary way). So they are made with
// RawSyscall, as the CPU work they are.

// rawConnWriter writes to a TCP socket with raw write(2) calls.
// rawSupported: raw system calls are made on this platform.
const rawSupported = true

type rawConnWriter struct {
	rc            syscall.RawConn
	local, remote net.Addr

	mu    sync.Mutex // one write at a time: p, n and errno are the call's
	p     []byte
	n     int
	errno syscall.Errno
	fn    func(fd uintptr) bool // w.write, made once
}

// newRawConnWriter returns a writer for c's socket, or nil when c has none
// (then c's own Write is used).
func newRawConnWriter(c net.Conn) *rawConnWriter {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return nil
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	w := &rawConnWriter{rc: rc, local: c.LocalAddr(), remote: c.RemoteAddr()}
	w.fn = w.write
	return w
}

// write is called by RawConn.Write with the socket: it writes what is
// left of w.p and reports false (wait until writable) on EAGAIN.
func (w *rawConnWriter) write(fd uintptr) bool {
	for w.n < len(w.p) {
		r, _, e := syscall.RawSyscall(syscall.SYS_WRITE, fd, uintptr(unsafe.Pointer(&w.p[w.n])), uintptr(len(w.p)-w.n))
		switch e {
		case 0:
			w.n += int(r)
		case syscall.EINTR:
		case syscall.EAGAIN:
			return false
		default:
			w.errno = e
			return true
		}
	}
	return true
}

// Write writes all of p, as net.Conn's Write does; deadlines and a closed
// connection are RawConn.Write's errors.
func (w *rawConnWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.p, w.n, w.errno = p, 0, 0
	err := w.rc.Write(w.fn)
	n, errno := w.n, w.errno
	w.p = nil
	if err == nil && errno != 0 {
		err = &net.OpError{Op: "write", Net: "tcp", Source: w.local, Addr: w.remote, Err: os.NewSyscallError("write", errno)}
	}
	return n, err
}

// rawFileReader reads a regular file from its current offset: from the
// page cache with a raw preadv2(RWF_NOWAIT), else with f.Read.
type rawFileReader struct {
	f     *os.File
	rc    syscall.RawConn
	p     []byte
	n     int
	errno syscall.Errno
	fn    func(fd uintptr) bool
	off   bool // RWF_NOWAIT refused (EOPNOTSUPP, old kernel): f.Read only
}

// newRawFileReader returns a reader of f, or nil when f gives no RawConn.
func newRawFileReader(f *os.File) *rawFileReader {
	rc, err := f.SyscallConn()
	if err != nil {
		return nil
	}
	r := &rawFileReader{f: f, rc: rc}
	r.fn = r.read
	return r
}

func (r *rawFileReader) read(fd uintptr) bool {
	iov := unix.Iovec{Base: &r.p[0]}
	iov.SetLen(len(r.p))
	for {
		// Offset -1: the file's own offset, advanced as read(2) does.
		m, _, e := syscall.RawSyscall6(unix.SYS_PREADV2, fd, uintptr(unsafe.Pointer(&iov)), 1, ^uintptr(0), 0, unix.RWF_NOWAIT)
		if e == syscall.EINTR {
			continue
		}
		r.n, r.errno = int(m), e
		return true
	}
}

func (r *rawFileReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if !r.off {
		r.p, r.n, r.errno = p, 0, 0
		err := r.rc.Read(r.fn)
		n, errno := r.n, r.errno
		r.p = nil
		switch {
		case err != nil:
			return 0, err
		case errno == 0 && n > 0:
			return n, nil
		case errno == 0:
			return 0, io.EOF
		case errno == syscall.EAGAIN:
			// Not in the page cache: the ordinary read, which may block.
		default:
			r.off = true // EOPNOTSUPP, EINVAL, ENOSYS: no RWF_NOWAIT here
		}
	}
	return r.f.Read(p)
}
