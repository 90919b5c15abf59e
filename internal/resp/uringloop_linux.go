//go:build linux

package resp

import (
	"errors"
	"os"
	"runtime"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"
)

// The io_uring event loop: what loop_linux.go's epoll loop does, with the
// reads, writes and accepts done by one ring per loop. Without
// pipelining the epoll loop makes a recvfrom and a sendto per request
// and, each time it runs out of work, parks in Go's poller at three
// epoll calls (2.7-3.0 system calls per request in all, each about 2 us
// in the test guest; redis-server 2.4). Here a request costs no system
// call of its own: a receive is an SQE armed once per request, the
// reply's send another, linked to it (the receive starts only once the
// whole reply is out), and one io_uring_enter per loop turn submits the
// turn's sends and receives together; completions are read from the
// shared CQ ring without a system call. When nothing is ready the loop
// parks in Go's poller on an eventfd the ring signals (as the epoll loop
// parks on its epoll fd), so an idle loop holds no thread or P.
//
// Per connection at most one receive and one send are in flight; a
// connection's buffers (c.p.buf from c.p.w on for the receive, c.w.b for
// the send) are the kernel's until their completion arrives, so:
// commands run only while no send is in flight (a client that does not
// read its replies is not read from either: the linked receive waits for
// the send), the input buffer is moved or grown only while no receive is
// in flight, and a closed connection keeps its slot (and so its buffers
// alive for the garbage collector) until its last completion.

const (
	udKindShift = 2
	udCancel    = 0 // a cancel's own completion (CQE_SKIP_SUCCESS: only on failure)
	udAccept    = 1
	udRecv      = 2
	udSend      = 3

	// Completions of deferred work (receives, accepts; sends mostly
	// complete inline at submission) after which an enter may have
	// left work behind: IO_LOCAL_TW_DEFAULT_MAX. Counting every
	// completion instead re-entered after nearly every pass with -P 16
	// (0.14 system calls per request against 0.03, 10-20% more CPU).
	busyEnter  = 20
	safetyWait = 20 // ms: the longest a park trusts the eventfd alone

	ringEntries   = 1024
	ringCQEntries = 8192
	cqEventfdOff  = 1 // IORING_CQ_EVENTFD_DISABLED
)

// ioMode picks the loops' I/O (Config.IO, overridden by the environment
// variable EPHPM_RESP_IO): "" or "epoll", the default: the epoll loop;
// "uring" requires io_uring; "auto" tries io_uring and falls back to
// epoll when the ring cannot be set up (seccomp in containers,
// kernel.io_uring_disabled, kernels before 6.1).
//
// Why epoll stays the default (2026-12-02, scripts/resp-cpu-per-request.py
// with QUOTA=1: the half setup, test binaries, interleaved rounds): the
// io_uring loop makes fewer system calls per request (without pipelining
// 0.8-1.6 against epoll's 2.2-2.4 on a busy machine, 2.1-2.3 against 2.8
// on a quiet one) but its locked thread (see runUring) switches context
// 4-8x as often, and its CPU per request did not clearly beat epoll's:
// quiet (load 1-2): GET 16.5 against 16.5 us, SET 16.0 against 16.3,
// -P 16 GET 1.08 against 1.06, SET 1.23 against 1.28; busy (load 9-21):
// ahead in one run (GET 14.8 against 16.7, SET 14.3 against 17.0),
// behind in another (GET 24.0 against 22.8, SET 26.5 against 21.0).
// Its requests/s were higher in the quiet run (without pipelining GET
// 31.8K against 29.4K, SET 33.1K against 27.5K, redis-server 26.9K and
// 28.0K; -P 16 GET 417K against 380K, SET 445K against 314K).
// In the ephpm binary itself (scripts/bench-resp.sh, half setup, quiet
// machine, 2 rounds each, no pipelining) it lost: ephpm / redis-server
// 0.86 (SET) and 0.87 (GET) with io_uring against 0.97 and 0.97 with
// epoll, CPU per request 17.7 and 17.0 us against 16.7 and 16.3.
func ioMode(cfg string) string {
	if m := os.Getenv("EPHPM_RESP_IO"); m != "" {
		cfg = m
	}
	if cfg == "" {
		return "epoll"
	}
	return cfg
}

// newUringLoop sets up l's ring with an eventfd that wakes it; nil error
// with a nil ring never happens.
func newUringLoop(s *Server, lfds []int) (*loop, error) {
	r, err := newRing(ringEntries, ringCQEntries)
	if err != nil {
		return nil, err
	}
	efd, _, e := syscall.Syscall(syscall.SYS_EVENTFD2, 0, syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
	if e != 0 {
		r.close()
		return nil, e
	}
	if err := r.registerEventfd(int(efd)); err != nil {
		syscall.Close(int(efd))
		r.close()
		return nil, err
	}
	l := &loop{s: s, epfd: -1, ring: r, wakefd: int(efd), lns: lfds, done: make(chan struct{})}
	l.epf = os.NewFile(efd, "resp-uring-eventfd")
	rc, err := l.epf.SyscallConn()
	if err != nil {
		l.epf.Close()
		r.close()
		return nil, err
	}
	l.epr = rc
	l.cqFlags = r.cqFlags
	l.pollFn = func(uintptr) bool {
		// Notifications on before the last look at the CQ: a completion
		// posted after this look signals the eventfd, and the poller
		// holds that readiness for the park that follows.
		atomic.StoreUint32(l.cqFlags, 0)
		if l.ring.needEnter() {
			l.ring.enter(true)
		}
		return l.ring.ready() || l.hasTasks.Load() || l.stopNews()
	}
	return l, nil
}

func (l *loop) sqe() *sqe {
	for {
		if s := l.ring.get(); s != nil {
			return s
		}
		l.ring.enter(false) // full: submit what is there
	}
}

func (l *loop) armAccept(i int) {
	s := l.sqe()
	s.opcode = opAccept
	s.fd = int32(l.lns[i])
	s.ioprio = acceptMultishot
	s.opFlags = syscall.SOCK_NONBLOCK | syscall.SOCK_CLOEXEC
	s.userData = uint64(i)<<udKindShift | udAccept
	l.inflight++
}

// armRecv receives into c's input buffer; after a send, linked to it.
// pollFirst: the socket was just found empty (the last receive did not
// fill the buffer), so the kernel waits for data before trying.
func (l *loop) armRecv(c *conn, pollFirst bool) {
	c.p.makeRoom()
	s := l.sqe()
	s.opcode = opRecv
	s.fd = int32(c.fd)
	s.addr = uint64(uintptr(unsafe.Pointer(&c.p.buf[c.p.w])))
	s.len = uint32(len(c.p.buf) - c.p.w)
	if pollFirst {
		s.ioprio = recvsendPollFirst
	}
	s.userData = uint64(c.slot)<<udKindShift | udRecv
	c.recvOn = true
	c.recvLen = int(s.len)
	c.inflight++
	l.inflight++
}

// armSend sends all of c.w.b (MSG_WAITALL: the kernel waits for room as
// often as needed; a short send means the client is gone).
func (l *loop) armSend(c *conn, link bool) {
	s := l.sqe()
	s.opcode = opSend
	s.fd = int32(c.fd)
	s.addr = uint64(uintptr(unsafe.Pointer(&c.w.b[0])))
	s.len = uint32(len(c.w.b))
	s.opFlags = syscall.MSG_NOSIGNAL | syscall.MSG_WAITALL
	if link {
		s.flags = sqeIOLink
	}
	s.userData = uint64(c.slot)<<udKindShift | udSend
	c.sendOn = true
	c.wpos = len(c.w.b)
	c.inflight++
	l.inflight++
}

func (l *loop) cancel(ud uint64) {
	s := l.sqe()
	s.opcode = opAsyncCancel
	s.fd = -1
	s.addr = ud
	s.flags = sqeCQESkipSuccess
	s.userData = udCancel
}

func (l *loop) runUring() {
	defer l.s.wg.Done()
	defer close(l.done)
	// The ring is DEFER_TASKRUN (see newRing): only the thread that
	// enables it may enter it, so the loop keeps its thread. Parking
	// a locked goroutine hands its P to another thread and back (more
	// context switches than the epoll loop: 180-220 against 35-55 per
	// 1000 requests without pipelining), which the saved system calls
	// pay for (README, "The store from outside the server").
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if err := l.ring.enable(); err != nil {
		l.s.cfg.Logger.Error("resp io_uring enable", "err", err)
		return
	}
	for i := range l.lns {
		l.armAccept(i)
	}
	timeout := -1
	if l.s.cfg.IdleTimeout > 0 {
		timeout = 1000
	}
	lastSweep := time.Now()
	var stopAt time.Time
	for {
		if err := l.uwait(timeout); err != nil {
			l.s.cfg.Logger.Error("resp io_uring wait", "err", err)
			break
		}
		if timeout > 0 {
			l.now = time.Now()
		}
		// Handle everything ready, submitting the replies (and the
		// receives linked to them) once per pass, until the ring has
		// nothing more: a send that completes at once is reaped in the
		// next pass without a system call.
		for {
			if l.hasTasks.Load() {
				l.hasTasks.Store(false)
				l.runTasks()
			}
			l.deferred = 0
			n := l.ring.reap(l.complete)
			l.uflush()
			// Since Linux 6.13 one io_uring_enter runs at most 20 items
			// of a DEFER_TASKRUN ring's deferred work (a socket became
			// readable: the receive that copies its data) and leaves the
			// rest, without a flag and without signalling the eventfd
			// again, for the next enter. So after an enter that ran
			// that much deferred work the loop enters again before
			// parking (and parks with a safety deadline: see uwait).
			if l.ring.pending > 0 || l.deferred >= busyEnter {
				if err := l.ring.enter(true); err != nil {
					l.s.cfg.Logger.Error("resp io_uring_enter", "err", err)
				}
				continue
			}
			if n == 0 && !l.hasTasks.Load() {
				break
			}
		}
		if l.s.stopping() {
			if stopAt.IsZero() {
				l.now = time.Now()
				stopAt = l.now
				l.ubeginStop()
				timeout = 10
				continue
			}
			l.now = time.Now()
			if l.blockedConns() == 0 && l.sending() == 0 || l.now.Sub(stopAt) > l.s.grace {
				break
			}
			continue
		}
		if timeout > 0 && l.now.Sub(lastSweep) >= time.Second {
			lastSweep = l.now
			l.closeIdle()
		}
	}
	if !l.acceptOff {
		l.ubeginStop()
	}
	for _, c := range l.slots {
		if c != nil {
			l.closeConn(c)
		}
	}
	// Every operation ends before the ring and the buffers go: the
	// kernel may write to a receive's buffer until its completion.
	deadline := time.Now().Add(time.Second)
	for l.inflight > 0 && time.Now().Before(deadline) {
		l.ring.enter(true)
		if l.ring.reap(l.complete) == 0 {
			time.Sleep(time.Millisecond)
		}
	}
	l.ring.close()
	l.epf.Close()
}

// uwait parks until the ring has completions or tasks are posted (or
// the timeout passes), in Go's poller on the ring's eventfd. While the
// loop runs, the ring does not signal the eventfd (CQ_EVENTFD_DISABLED):
// a wake-up nobody waits for still costs the kernel and Go's poller.
func (l *loop) uwait(timeout int) error {
	if l.ring.pending > 0 { // armed at start, or by a task
		l.ring.enter(true)
	}
	if l.ring.ready() || l.hasTasks.Load() || l.stopNews() {
		return nil
	}
	if l.ring.needEnter() {
		l.ring.enter(true)
		if l.ring.ready() {
			return nil
		}
	}
	if l.inflight > len(l.lns) && (timeout < 0 || timeout > safetyWait) {
		// Deferred work the kernel left (see runUring) would wait for
		// the next event: with connections, never park longer than this.
		timeout = safetyWait
	}
	if timeout >= 0 {
		now := time.Now()
		if want := now.Add(time.Duration(timeout) * time.Millisecond); l.deadline.IsZero() || !now.Before(l.deadline) || want.Before(l.deadline) {
			l.deadline = want
			l.epf.SetReadDeadline(want)
		}
	}
	err := l.epr.Read(l.pollFn)
	atomic.StoreUint32(l.cqFlags, cqEventfdOff)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return l.ring.enter(true) // runs deferred work left behind, if any
	}
	return err
}

// stopNews: Close was called and the loop has not begun to stop yet
// (wakeLoops' eventfd write carries no completion).
func (l *loop) stopNews() bool { return !l.acceptOff && l.s.stopping() }

func (l *loop) sending() int {
	n := 0
	for _, c := range l.slots {
		if c != nil && c.sendOn && !c.closed {
			n++
		}
	}
	return n
}

// complete handles one completion.
func (l *loop) complete(e *cqe) {
	kind := e.userData & (1<<udKindShift - 1)
	idx := int(e.userData >> udKindShift)
	switch kind {
	case udCancel:
		return
	case udAccept:
		l.deferred++
		if e.flags&cqeFMore == 0 {
			l.inflight--
			l.acceptEnded(idx, e.res)
		}
		if e.res >= 0 {
			l.uaccept(idx, int(e.res))
		}
		return
	}
	c := l.slots[idx]
	l.inflight--
	c.inflight--
	if kind == udRecv {
		l.deferred++
		c.recvOn = false
		l.onRecv(c, int(e.res))
	} else {
		c.sendOn = false
		l.onSend(c, int(e.res))
	}
	if c.closed && c.inflight == 0 {
		l.freeSlot(c)
	}
}

// freeSlot gives c's slot to the next connection, once: c is closed and
// the kernel holds none of its buffers.
func (l *loop) freeSlot(c *conn) {
	if c.slot >= 0 {
		l.slots[c.slot] = nil
		l.freeSlots = append(l.freeSlots, c.slot)
		c.slot = -1
	}
}

// acceptEnded: a multishot accept stopped (an error such as EMFILE, or
// cancelled at shutdown); it is armed again unless stopping, after a
// pause on errors that would repeat at once.
func (l *loop) acceptEnded(i int, res int32) {
	if l.s.stopping() || l.acceptOff {
		return
	}
	e := syscall.Errno(-res)
	if res < 0 && e != syscall.ECONNABORTED && e != syscall.EINTR {
		l.s.cfg.Logger.Warn("resp accept", "err", e)
		time.AfterFunc(50*time.Millisecond, func() {
			l.post(func() {
				if !l.s.stopping() {
					l.armAccept(i)
				}
			})
		})
		return
	}
	l.armAccept(i)
}

func (l *loop) uaccept(i, fd int) {
	s := l.s
	s.stats.connections.Add(1)
	if l.s.stopping() || s.cfg.MaxClients > 0 && s.stats.clients.Load() >= int64(s.cfg.MaxClients) {
		if !l.s.stopping() {
			s.stats.errors[errOther].Add(1)
			s.stats.rejected.Add(1)
			syscall.Write(fd, []byte("-ERR max number of clients reached\r\n"))
		}
		syscall.Close(fd)
		return
	}
	addr, laddr := "/unixsocket:0", s.cfg.Socket+":0"
	if sa, err := syscall.Getpeername(fd); err == nil {
		if _, ok := sa.(*syscall.SockaddrUnix); !ok {
			syscall.SetsockoptInt(fd, syscall.IPPROTO_TCP, syscall.TCP_NODELAY, 1)
			addr = sockaddrString(sa)
			if lsa, err := syscall.Getsockname(fd); err == nil {
				laddr = sockaddrString(lsa)
			}
		}
	}
	c := s.newConnFD(fd, addr, laddr)
	c.l = l
	c.stripe = l.index
	c.lastActive = l.now
	if n := len(l.freeSlots); n > 0 {
		c.slot = l.freeSlots[n-1]
		l.freeSlots = l.freeSlots[:n-1]
	} else {
		c.slot = len(l.slots)
		l.slots = append(l.slots, nil)
	}
	l.slots[c.slot] = c
	s.mu.Lock()
	s.conns[c] = struct{}{}
	s.mu.Unlock()
	s.stats.clients.Add(1)
	l.armRecv(c, true)
}

func (l *loop) onRecv(c *conn, n int) {
	if c.closed {
		return
	}
	switch {
	case n == -int(syscall.ECANCELED):
		// The linked send before it failed (closed in onSend), or we
		// cancelled it to stop input (blocked at shutdown).
		return
	case n < 0:
		l.closeConn(c)
		return
	case n == 0:
		c.eof = true
		if len(c.w.b) == 0 && !c.sendOn && !c.blocked {
			l.closeConn(c)
		}
		return
	}
	if l.s.stopping() {
		return // no more input (as the epoll loop): its data is dropped
	}
	c.p.w += n
	c.lastActive = l.now
	c.full = n == c.recvLen // more may be waiting in the socket
	l.uprocess(c)
}

func (l *loop) onSend(c *conn, n int) {
	if c.closed {
		return
	}
	if n != c.wpos {
		l.closeConn(c) // gone (EPIPE, ECONNRESET): the linked receive is cancelled
		return
	}
	c.wpos = 0
	if cap(c.w.b) > readBufRelease {
		c.w.b = make([]byte, 0, 16*1024)
	} else {
		c.w.b = c.w.b[:0]
	}
	if c.deferred != nil { // a blocking command's reply that came meanwhile
		d := c.deferred
		c.deferred = nil
		d()
	}
	// Input left unrun when the output grew past 64 KB, or a blocking
	// command's reply: run on and flush.
	l.uprocess(c)
}

// uprocess runs c's complete commands (none while a send is in flight)
// and queues c for uflush.
func (l *loop) uprocess(c *conn) {
	if !c.sendOn && !c.closed {
		c.beginBatch()
		for !c.blocked && !c.closeAfter {
			args, perr := c.p.next(c.authed)
			if perr != "" {
				c.s.stats.errors[errProtocol].Add(1)
				c.w.err("ERR " + string(perr))
				c.closeAfter = true
				break
			}
			if args == nil {
				break
			}
			c.exec(args)
			if len(c.w.b) >= 64*1024 {
				c.more = true // resumed when the send completes
				break
			}
		}
		c.endBatch()
	}
	if !c.flushQueued {
		c.flushQueued = true
		l.pending = append(l.pending, c)
	}
}

// uflush submits, for each connection handled in this pass, its replies
// and (linked after them, or alone) its next receive, or closes it.
func (l *loop) uflush() {
	for i, c := range l.pending {
		l.pending[i] = nil
		c.flushQueued = false
		if c.closed || c.sendOn {
			continue
		}
		more := c.more
		c.more = false
		read := !c.recvOn && !c.blocked && !c.closeAfter && !c.eof && !more && !l.s.stopping()
		if len(c.w.b) > 0 {
			// Not linked to the receive: a linked receive is started by
			// deferred work that posts no completion, which the 20-item
			// limit (runUring) could leave behind unseen. Input that
			// arrives while the send is in flight waits in c.p.buf
			// (uprocess runs nothing then) and no further receive is
			// armed until the send completes: a client that does not
			// read its replies is read at most one buffer ahead.
			l.armSend(c, false)
		} else if c.closeAfter || c.eof && !c.blocked {
			l.closeConn(c)
			continue
		} else if more {
			c.more = true // nothing to send yet: cannot happen, kept for safety
		}
		if read {
			l.armRecv(c, !c.full)
		}
	}
	l.pending = l.pending[:0]
}

// ubeginStop: no more connections or input; blocked clients get their
// null reply (their waits are cancelled); replies still go out.
func (l *loop) ubeginStop() {
	l.acceptOff = true
	for i := range l.lns {
		l.cancel(uint64(i)<<udKindShift | udAccept)
	}
	for _, c := range l.slots {
		if c == nil || c.closed {
			continue
		}
		if c.waitCancel != nil {
			close(c.waitCancel)
			c.waitCancel = nil
		}
		if c.recvOn && !c.sendOn {
			l.cancel(uint64(c.slot)<<udKindShift | udRecv)
		}
	}
}

// uclose is closeConn's io_uring part: the fd is closed now (the kernel
// keeps the socket while operations hold it) and those operations are
// cancelled; the slot is freed at their last completion.
func (l *loop) uclose(c *conn) {
	syscall.Close(c.fd)
	if c.recvOn {
		l.cancel(uint64(c.slot)<<udKindShift | udRecv)
	}
	if c.sendOn {
		l.cancel(uint64(c.slot)<<udKindShift | udSend)
	}
	if c.inflight == 0 {
		l.freeSlot(c)
	}
}

// ublockReply is block's resume on the io_uring loop.
func (l *loop) ublockReply(c *conn, reply func()) {
	c.blocked = false
	if c.sendOn {
		c.deferred = reply
		return
	}
	reply()
	l.uprocess(c)
}
