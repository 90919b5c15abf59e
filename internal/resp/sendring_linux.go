//go:build linux

package resp

import (
	"os"
	"sync/atomic"
	"syscall"
	"unsafe"
)

// sendRing sends the replies of one loop turn to many connections with
// one io_uring_enter instead of a sendto(2) each (flushPending), and
// reads the input of the connections one epoll_wait reported readable
// with one more instead of a recvfrom(2) each (recvBatch). Each send and
// receive carries MSG_DONTWAIT, which makes io_uring issue it inline and,
// when the socket is full, complete it at once with what fitted or
// -EAGAIN (REQ_F_NOWAIT: no poll armed, no task work queued to a
// thread), so every completion is in the CQ ring when the enter returns
// and the buffers are the kernel's only during that call. What is left
// unsent goes through loop.write as before (sendto, then EPOLLOUT); a
// receive's result is readAll's first read, and readAll reads on with
// recvfrom when it filled the buffer, as before.
//
// Why: in this guest a system call's entry and exit alone cost about
// 1.4 us (pvm_irq_enable in do_syscall_64 and the return to user space:
// 17-19% of the server's CPU without pipelining, perf), as much as a
// third of what the TCP send itself costs, and without pipelining the
// event loop made a recvfrom and a sendto per request. Measured (half
// setup, no pipelining, 50 clients, 3 interleaved rounds, load 4-6, same
// binary with EPHPM_RESP_SENDRING=0 and redis-server): system calls per
// request 1.68-1.77 against 2.62-2.75 (redis-server 2.42-2.52); server
// CPU per request GET 13.4 us against 17.4 (redis 16.2), SET 13.4
// against 15.6 (15.8), INCR 13.0 against 17.4 (15.6); requests/s
// 1.09-1.19x redis-server's. Sends alone through the ring: 13.8-16.4 us.
// Quiet (load 1.1-1.4, 4 rounds): GET 13.7 us against 14.8 without the
// ring and redis-server's 15.2, INCR 13.7 against 15.1 and 15.1;
// requests/s 1.12-1.13x redis-server's, no round's ranges overlapping. (Session 7's io_uring loop moved the receives too,
// armed on empty sockets: their poll wake-ups and task work, which must
// run on the submitting thread, cost what the saved calls saved.)
type sendRing struct {
	fd      int
	sqHead  *uint32
	sqTail  *uint32
	sqMask  uint32
	sqes    []ringSQE
	cqHead  *uint32
	cqTail  *uint32
	cqMask  uint32
	cqes    []ringCQE
	mem     []byte
	sqeMem  []byte
	entries int
	broken  bool
	short   atomic.Int64 // sends that came back short or failed (tests)
}

const (
	sysIoUringSetup  = 425
	sysIoUringEnter  = 426
	ringSetupClamp   = 1 << 4
	ringSetupSubAll  = 1 << 7
	ringSetupCoopTR  = 1 << 8
	ringFeatSingle   = 1 << 0
	ringOffSQRing    = 0
	ringOffSQEs      = 0x10000000
	ringEnterGetEvts = 1 << 0
	ringOpSend       = 26
	ringOpRecv       = 27
)

type ringParams struct {
	sqEntries, cqEntries, flags, sqThreadCPU, sqThreadIdle, features, wqFD uint32
	resv                                                                   [3]uint32
	sqOff                                                                  struct {
		head, tail, ringMask, ringEntries, flags, dropped, array, resv1 uint32
		userAddr                                                        uint64
	}
	cqOff struct {
		head, tail, ringMask, ringEntries, overflow, cqes, flags, resv1 uint32
		userAddr                                                        uint64
	}
}

// ringSQE is struct io_uring_sqe (64 bytes), the fields a send sets.
type ringSQE struct {
	opcode   uint8
	flags    uint8
	ioprio   uint16
	fd       int32
	off      uint64
	addr     uint64
	len      uint32
	msgFlags uint32
	userData uint64
	_        [3]uint64
}

type ringCQE struct {
	userData uint64
	res      int32
	flags    uint32
}

func ringAt[T any](b []byte, off uint32) *T { return (*T)(unsafe.Pointer(&b[off])) }

// newSendRing sets up a ring of entries SQEs; nil when io_uring is not
// available (old kernel, seccomp, kernel.io_uring_disabled): the loop
// then sends with sendto alone. EPHPM_RESP_SENDRING=0 turns it off.
func newSendRing(entries uint32) *sendRing {
	if os.Getenv("EPHPM_RESP_SENDRING") == "0" {
		return nil
	}
	var p ringParams
	p.flags = ringSetupClamp | ringSetupSubAll | ringSetupCoopTR
	fd, _, e := syscall.RawSyscall(sysIoUringSetup, uintptr(entries), uintptr(unsafe.Pointer(&p)), 0)
	if e != 0 {
		return nil
	}
	r := &sendRing{fd: int(fd)}
	if p.features&ringFeatSingle == 0 {
		syscall.Close(r.fd)
		return nil
	}
	size := p.sqOff.array + p.sqEntries*4
	if c := p.cqOff.cqes + p.cqEntries*uint32(unsafe.Sizeof(ringCQE{})); c > size {
		size = c
	}
	mem, err := syscall.Mmap(r.fd, ringOffSQRing, int(size), syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED|syscall.MAP_POPULATE)
	if err != nil {
		syscall.Close(r.fd)
		return nil
	}
	sqeMem, err := syscall.Mmap(r.fd, ringOffSQEs, int(p.sqEntries)*64, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED|syscall.MAP_POPULATE)
	if err != nil {
		syscall.Munmap(mem)
		syscall.Close(r.fd)
		return nil
	}
	syscall.CloseOnExec(r.fd)
	r.mem, r.sqeMem = mem, sqeMem
	r.sqHead = ringAt[uint32](mem, p.sqOff.head)
	r.sqTail = ringAt[uint32](mem, p.sqOff.tail)
	r.sqMask = *ringAt[uint32](mem, p.sqOff.ringMask)
	r.sqes = unsafe.Slice((*ringSQE)(unsafe.Pointer(&sqeMem[0])), p.sqEntries)
	arr := unsafe.Slice(ringAt[uint32](mem, p.sqOff.array), p.sqEntries)
	for i := range arr {
		arr[i] = uint32(i) // SQE i always sits in slot i
	}
	r.cqHead = ringAt[uint32](mem, p.cqOff.head)
	r.cqTail = ringAt[uint32](mem, p.cqOff.tail)
	r.cqMask = *ringAt[uint32](mem, p.cqOff.ringMask)
	r.cqes = unsafe.Slice(ringAt[ringCQE](mem, p.cqOff.cqes), p.cqEntries)
	r.entries = int(p.sqEntries)
	return r
}

func (r *sendRing) close() {
	syscall.Munmap(r.sqeMem)
	syscall.Munmap(r.mem)
	syscall.Close(r.fd)
}

// send sends the unsent part of each connection's replies (at most
// r.entries of them) with one io_uring_enter and advances their wpos by
// what the kernel took. A connection whose send failed or came back
// short keeps the rest for loop.write, which sees the error again from
// sendto (EAGAIN: wait for EPOLLOUT; else close). False: the ring
// failed as a whole (nothing was sent; the caller falls back).
func (r *sendRing) send(cs []*conn) bool { return r.run(cs, ringOpSend) }

// recv reads into each connection's input buffer (from c.p.w, its room
// made) with one io_uring_enter, MSG_DONTWAIT as send, for connections
// epoll reported readable. Each result is applied at once (c.p.w
// advanced) and kept for loop.readAll as its first read (c.pre).
func (r *sendRing) recv(cs []*conn) bool { return r.run(cs, ringOpRecv) }

func (r *sendRing) run(cs []*conn, op uint8) bool {
	tail := atomic.LoadUint32(r.sqTail)
	for i, c := range cs {
		b := c.w.b[c.wpos:]
		if op == ringOpRecv {
			b = c.p.buf[c.p.w:]
		}
		s := &r.sqes[(tail+uint32(i))&r.sqMask]
		*s = ringSQE{
			opcode:   op,
			fd:       int32(c.fd),
			addr:     uint64(uintptr(unsafe.Pointer(&b[0]))),
			len:      uint32(len(b)),
			msgFlags: syscall.MSG_DONTWAIT | syscall.MSG_NOSIGNAL,
			userData: uint64(i),
		}
	}
	n := uint32(len(cs))
	atomic.StoreUint32(r.sqTail, tail+n)
	// Every send completes inline (MSG_DONTWAIT), so one enter without
	// waiting submits them and finds all their completions posted.
	// Should one not be (it never was in the tests), the loop waits
	// for it: the kernel must be done with the buffers before the loop
	// touches them again. After a signal (EINTR) or a failure once some
	// SQEs were taken, it enters again for the rest.
	for tries := 0; ; tries++ {
		taken := atomic.LoadUint32(r.sqHead) - tail
		have := atomic.LoadUint32(r.cqTail) - atomic.LoadUint32(r.cqHead)
		if taken == n && have >= n {
			break
		}
		var flags, wait uintptr
		if taken == n {
			flags, wait = ringEnterGetEvts, uintptr(n-have)
		}
		_, _, e := syscall.RawSyscall6(sysIoUringEnter, uintptr(r.fd), uintptr(n-taken), wait, flags, 0, 0)
		if e != 0 && e != syscall.EINTR && (atomic.LoadUint32(r.sqHead) == tail || tries > 100) {
			if atomic.LoadUint32(r.sqHead) != tail {
				r.broken = true // SQEs left in the ring: do not use it again
			}
			atomic.StoreUint32(r.sqTail, atomic.LoadUint32(r.sqHead))
			r.reap(cs, op)
			return false
		}
	}
	r.reap(cs, op)
	return true
}

// reap applies the completions of send's SQEs to their connections.
func (r *sendRing) reap(cs []*conn, op uint8) {
	head := atomic.LoadUint32(r.cqHead)
	ctail := atomic.LoadUint32(r.cqTail)
	for ; head != ctail; head++ {
		e := r.cqes[head&r.cqMask]
		i := int(e.userData)
		if i >= len(cs) {
			continue
		}
		if op == ringOpRecv {
			c := cs[i]
			c.pre, c.preRoom, c.preN, c.preErr = true, len(c.p.buf)-c.p.w, int(e.res), nil
			if e.res < 0 {
				c.preN, c.preErr = -1, syscall.Errno(-e.res)
			} else {
				c.p.w += int(e.res)
			}
			continue
		}
		if int(e.res) < len(cs[i].w.b)-cs[i].wpos {
			r.short.Add(1) // the rest goes through loop.write
		}
		if e.res > 0 {
			cs[i].wpos += int(e.res)
		}
	}
	atomic.StoreUint32(r.cqHead, head)
}
