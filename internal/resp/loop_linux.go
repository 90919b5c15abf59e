//go:build linux

package resp

import (
	"errors"
	"net"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"
)

// The event loops. redis-benchmark showed the goroutine-per-connection
// server (conn.go's serve) at about 0.6x redis-server without pipelining:
// after each reply the goroutine reads again, gets EAGAIN and parks, so a
// request costs three system calls and a park/unpark, where Redis makes
// two (one read per readiness event, one write). Here a few loops (half
// the cores: the other half serves PHP and the clients; at most
// loopsMax) each own an epoll instance and their connections: on readiness they read once, run every complete command
// and write the replies, with no goroutine switch per request. Blocking
// (EPHPM.WAIT) is handed to a goroutine and its reply posted back.

// loopsMax bounds the loops on a big machine. On the 2-core test box one
// loop and two measured the same within noise under redis-benchmark
// (which takes a core itself); two contend on a hot key's cache line.
const loopsMax = 8

type loop struct {
	s    *Server
	epfd int
	// parkfd is a second epoll instance, a file of the runtime's poller
	// (epf, epr): waiting for events parks the goroutine on it (wait).
	// epfd is its only member while parkArmed: during parks only (see
	// wait). Nil epf: the runtime cannot poll it.
	parkfd    int
	parkArmed bool
	armErr    error // adding epfd to parkfd failed: wait stops parking
	epf       *os.File
	epr       syscall.RawConn
	pollFn    func(uintptr) bool
	polled    int
	pollErr   error
	deadline  time.Time // set on epf
	wakefd    int       // eventfd: posted tasks, shutdown
	lns       []int
	conns     []*conn // by fd; nil where the loop has none
	now       time.Time

	// Connections with replies to send once the current batch of events
	// is handled (flushPending), as Redis writes in beforeSleep: the
	// client then finds the replies of many connections ready at once
	// instead of being woken for each.
	pending []*conn
	// ring sends the pending replies of a turn with one system call
	// (sendring_linux.go); nil without io_uring. sendable is its
	// scratch list.
	ring     *sendRing
	sendable []*conn
	reading  []*conn      // read through the ring this turn (recvBatch)
	batches  atomic.Int64 // ring sends made (tests)
	recvs    atomic.Int64 // ring reads made (tests)

	mu    sync.Mutex
	tasks []func()

	events [256]syscall.EpollEvent
	// blockMS > 0: with at most rawWaitConns connections, wait first
	// blocks in a raw epoll_wait for up to blockMS before parking in the
	// runtime's poller (see wait).
	blockMS int
	nconns  int // open connections
	done    chan struct{}
	index   int64 // the reader stripe of the commands it runs
}

// listenerFD duplicates a listener's socket as a non-blocking fd the
// loops accept on (the Go listener stays open, unused, until Close).
func listenerFD(ln net.Listener) (int, error) {
	sc, ok := ln.(syscall.Conn)
	if !ok {
		return -1, errors.New("listener has no file descriptor")
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return -1, err
	}
	fd := -1
	var dupErr error
	if err := rc.Control(func(f uintptr) { fd, dupErr = syscall.Dup(int(f)) }); err != nil {
		return -1, err
	}
	if dupErr != nil {
		return -1, dupErr
	}
	syscall.CloseOnExec(fd)
	if err := syscall.SetNonblock(fd, true); err != nil {
		syscall.Close(fd)
		return -1, err
	}
	return fd, nil
}

// startLoops serves the listeners with event loops.
func (s *Server) startLoops() error {
	var lfds []int
	for _, ln := range []net.Listener{s.tcp, s.unix} {
		if ln == nil {
			continue
		}
		fd, err := listenerFD(ln)
		if err != nil {
			for _, f := range lfds {
				syscall.Close(f)
			}
			return err
		}
		lfds = append(lfds, fd)
	}
	s.lfds = lfds
	n := s.cfg.Loops
	if n <= 0 {
		n = min(max(runtime.NumCPU()/2, 1), loopsMax)
	}
	for i := 0; i < n; i++ {
		l, err := newLoop(s, lfds)
		if l != nil {
			l.index = int64(i)
			l.blockMS = blockMS(n)
		}
		if err != nil {
			s.Close(time.Second)
			return err
		}
		s.loops = append(s.loops, l)
		s.wg.Add(1)
		go l.run()
	}
	return nil
}

const (
	epollExclusive = 1 << 28 // EPOLLEXCLUSIVE: one loop wakes per new connection
	epollET        = 1 << 31 // EPOLLET (syscall.EPOLLET is a negative int)
	// Input is edge-triggered: a level-triggered fd that was reported
	// goes back on the epoll instance's ready list, and the next
	// epoll_wait (and the runtime's poll of the epoll fd) polls it
	// again only to drop it, once per request without pipelining
	// (ep_item_poll was 3.4% of the server's CPU). So onEvent reads
	// until a read comes back short: the socket's queue was empty then
	// and any later input is a new edge; where it stops earlier (the
	// client blocked, its output waiting for EPOLLOUT, closing), the
	// events change, and EPOLL_CTL_MOD back to evIn reports input that
	// is already there.
	evIn  = syscall.EPOLLIN | syscall.EPOLLRDHUP | epollET
	evOut = syscall.EPOLLOUT
)

func newLoop(s *Server, lfds []int) (*loop, error) {
	epfd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return nil, err
	}
	r1, _, e := syscall.Syscall(syscall.SYS_EVENTFD2, 0, syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
	if e != 0 {
		syscall.Close(epfd)
		return nil, e
	}
	l := &loop{s: s, epfd: epfd, parkfd: -1, wakefd: int(r1), lns: lfds, done: make(chan struct{})}
	if err := l.ctl(syscall.EPOLL_CTL_ADD, l.wakefd, syscall.EPOLLIN); err != nil {
		return nil, err
	}
	for _, fd := range lfds {
		if err := l.ctl(syscall.EPOLL_CTL_ADD, fd, syscall.EPOLLIN|epollExclusive); err != nil {
			return nil, err
		}
	}
	l.pollFn = func(uintptr) bool {
		l.polled, l.pollErr = l.poll()
		if l.polled > 0 || l.pollErr != nil {
			return true
		}
		// Nothing ready: the goroutine is about to park. Put epfd into
		// parkfd now, after the poll: an event that came in between
		// makes epfd ready as it is added, which the runtime's poller
		// reports, so the park returns at once (RawConn.Read reset the
		// readiness flag before calling this, not after).
		if l.armErr = l.arm(); l.armErr != nil {
			return true // wait falls back to a blocking epoll_wait
		}
		return false
	}
	// An epoll fd is itself pollable: readable while it has events.
	// The runtime's poller watches parkfd, not epfd itself: see wait.
	if pfd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC); err == nil {
		if syscall.SetNonblock(pfd, true) == nil {
			l.parkfd = pfd
			l.epf = os.NewFile(uintptr(pfd), "resp-epoll-park")
			if rc, err := l.epf.SyscallConn(); err == nil {
				l.epr = rc
			}
		} else {
			syscall.Close(pfd)
		}
	}
	l.ring = newSendRing(256)
	return l, nil
}

// arm puts epfd into parkfd before a park (see wait). If epfd has events
// already, adding it makes parkfd ready at once.
func (l *loop) arm() error {
	if l.parkArmed {
		return nil
	}
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN, Fd: int32(l.epfd)}
	if err := syscall.EpollCtl(l.parkfd, syscall.EPOLL_CTL_ADD, l.epfd, &ev); err != nil {
		return err
	}
	l.parkArmed = true
	return nil
}

// disarm takes epfd out of parkfd after a park (see wait).
func (l *loop) disarm() {
	if l.parkArmed {
		l.parkArmed = false
		syscall.EpollCtl(l.parkfd, syscall.EPOLL_CTL_DEL, l.epfd, nil)
	}
}

func (l *loop) ctl(op, fd int, events uint32) error {
	ev := syscall.EpollEvent{Events: events, Fd: int32(fd)}
	return syscall.EpollCtl(l.epfd, op, fd, &ev)
}

// post runs fn on the loop's goroutine.
func (l *loop) post(fn func()) {
	l.mu.Lock()
	l.tasks = append(l.tasks, fn)
	l.mu.Unlock()
	l.wake()
}

func (l *loop) wake() {
	one := uint64(1)
	syscall.Write(l.wakefd, (*[8]byte)(unsafe.Pointer(&one))[:])
}

func (l *loop) run() {
	defer l.s.wg.Done()
	defer close(l.done)
	timeout := -1
	if l.s.cfg.IdleTimeout > 0 {
		timeout = 1000 // wake each second to close idle clients
	}
	lastSweep := time.Now()
	var stopAt time.Time
	for {
		n, err := l.wait(timeout)
		if err != nil && err != syscall.EINTR {
			l.s.cfg.Logger.Error("resp epoll_wait", "err", err)
			break
		}
		// The clock is read only when something uses it: idle
		// timeouts (lastActive, the sweep) and shutdown's grace
		// (timeout is then 10). time.Now is two clock reads, 0.2-1.6 us
		// on the test machine (a paravirtualised guest: as much as a
		// system call), and without pipelining the loop turns 0.2-0.4
		// times per request.
		if timeout > 0 {
			l.now = time.Now()
		}
		if l.ring != nil && n > 1 {
			l.recvBatch(n)
		}
		for i := 0; i < n; i++ {
			ev := &l.events[i]
			fd := int(ev.Fd)
			switch {
			case fd == l.wakefd:
				var buf [8]byte
				syscall.Read(l.wakefd, buf[:])
				l.runTasks()
			case l.isListener(fd):
				l.accept(fd)
			default:
				if fd < len(l.conns) && l.conns[fd] != nil {
					l.onEvent(l.conns[fd], ev.Events)
				}
			}
		}
		for _, c := range l.reading {
			c.pre = false // taken by readAll, or the connection closed
		}
		clear(l.reading)
		l.reading = l.reading[:0]
		l.flushPending()
		if l.s.stopping() {
			if stopAt.IsZero() {
				l.now = time.Now()
				stopAt = l.now
				l.beginStop()
				timeout = 10
			}
			l.runTasks()
			l.flushPending()
			if l.blockedConns() == 0 || l.now.Sub(stopAt) > l.s.grace {
				break
			}
			continue
		}
		if timeout > 0 && l.now.Sub(lastSweep) >= time.Second {
			lastSweep = l.now
			l.closeIdle()
		}
	}
	for _, c := range l.conns {
		if c != nil {
			l.flushBlocking(c)
			l.closeConn(c)
		}
	}
	if l.epf != nil {
		l.epf.Close() // parkfd
	}
	syscall.Close(l.epfd)
	syscall.Close(l.wakefd)
	if l.ring != nil {
		l.ring.close()
	}
}

// wait returns the next ready events. It first polls without blocking
// (a raw system call: no runtime bookkeeping), and when nothing is ready
// parks the goroutine in the runtime's poller, which watches the epoll
// fd, until the fd has events or the timeout's deadline passes.
// The runtime's poller watches parkfd, an epoll instance whose one
// member is epfd, added after the last empty poll before a park (pollFn,
// arm), and taken out again when the park ends (disarm). While epfd
// was watched for good every event on it also woke the
// runtime's netpoller, which had nothing to do with it (nobody parked):
// with one phpredis client (2026-12-02, perf trace) that was two more
// epoll_pwait calls per request on another thread (39,273 for 20,000
// GETs, against 20,806 now and redis-server's 20,019) and a thread
// woken on the server's CPU at every request, in the loop thread's way.
// The Laravel package's RESP path (phpredis over the unix socket, one
// client, get/set/incr, 6 runs of 30 chunks interleaved with the build
// before, load 8-11): wall time per call 0.85-0.98x (median 0.90), the
// server's CPU per call lower in 5 of the 6 (GET 24.0 against 28.7 us).
// With more connections (50 redis-benchmark clients) the loop parks
// about every 20th request, and until session 11 epfd stayed in parkfd
// from the first park on (taking it out and back is two epoll_ctl calls
// per park: 2.43-2.50 system calls per request against 2.35-2.39 in
// session 9). But a watched epfd costs whoever delivers an event to it,
// on every request and not only at parks: the kernel runs the wake-up
// chain socket -> epfd -> parkfd -> the runtime's epoll instance (three
// ep_poll_callback passes under irq-off locks, against Redis's one) in
// the sender's context, which over loopback TCP is the client's CPU
// (the softirq of its send), and it wakes the runtime's netpoller
// whenever another thread is blocked in it. In the core setup
// (scripts/bench-resp.sh) redis-benchmark's core is the bound, so that
// work came straight off the requests/s. Taken out after every park
// (2026-12-02, 50 clients, no pipelining, the same binary with
// EPHPM_RESP_PARK_ARMED=1 for the old way, interleaved rounds). Core
// setup with redis-benchmark and both servers at SCHED_FIFO, so that the
// other jobs on the machine (load 9-14) could not take their CPUs: 4
// rounds, redis-benchmark's CPU per request GET 21.6 against 22.1 us,
// INCR 21.1 against 21.6 (redis-server 22.1 and 22.1), requests/s 45.0K
// against 43.8K and 46.6K against 45.5K (redis-server 44.9K, 44.6K),
// server CPU 14.8 against 15.0 and 14.2 against 15.0 us, context
// switches 40-43 against 52-58 per 1000 requests; in the client's
// profile the irq-off part of waking the server (sock_def_readable)
// took 10.7-11.0% of its samples, against 12.8-13.3% with redis-server.
// An earlier build, same setup at load 15-17: GET 29.0 against 30.9 us,
// lower in all 4 rounds. Half setup (the server the bound, load 10, 3
// rounds): server CPU per request level (GET 14.8 against 15.0 us, INCR
// 15.0 against 15.3), context switches 43-48 against 50-61 per 1000.
// With few connections (rawWaitConns: a PHP process's one connection,
// artisan, a queue worker) it first blocks up to blockMS in a raw
// epoll_wait instead, as Redis's ae loop does: the goroutine keeps its
// thread and P (no runtime bookkeeping, so sysmon does not take the P
// back), and a request wakes it with one system call where the park
// costs three more epoll calls and a pass through the scheduler on each
// round trip. Measured (2026-12-02, load 16-25, phpredis GET over the
// unix socket, one client, 14 runs of 40 interleaved chunks of 1,000
// calls against both and redis-server over TCP): the median round trip
// shorter in 11 of the 14 runs (typically 29.4-32.3 us against
// 32.4-34.9 parked, redis-server 32.2-35.3), the lower quartile in 13
// (by 1.5-3 us). With many clients (50, the
// redis-benchmark rows, half setup) it cost 3-10% more CPU per request
// than parking (5 rounds: GET 20.4 against 19.8 us, SET 19.2 against
// 17.4, MSET 23.8 against 22.4; 51-55 context switches per 1000
// requests against 30-46): there the next request is often only
// microseconds away, the park's scheduler pass finds it before the
// thread sleeps, and the raw wait puts the thread to sleep at every
// gap. It is used only with a P to spare (blockMS): the GC's stops and
// forEachP reach the loop by the preemption signal (EINTR, then the
// next function call yields), goroutines it readies (EPHPM.WAIT) and
// its P's timers are taken by the other Ps, and a wait longer than
// 10 ms is preempted by sysmon. A
// blocking epoll_wait (the fallback where the runtime cannot poll the
// fd) made the runtime hand the loop's P to other threads and kept its
// sysmon thread waking: under redis-benchmark -P 16 sysmon alone was
// about 15% of the server's CPU time, and the server made 17 voluntary
// context switches per 1000 requests (redis-server 12); parked in the
// poller, 10.
// Also tried (2026-12-01): blocking for up to 50 us in a raw
// epoll_pwait2 before parking, to replace the parking path's three
// extra epoll calls with one. Without pipelining on one pinned CPU it
// cost more (18 us of CPU per GET against 12-14 us, 2.7-3.0 system
// calls per request against 2.3-2.6, and 5x the context switches): the
// thread then sleeps at every gap, where the scheduler's path often
// finds the next request before it sleeps.
// What a wake-up costs (2026-12-01, GET without pipelining, 50 clients,
// one pinned CPU under a 10 ms / 20 ms quota, epoll calls traced per
// 50,000 requests): 14,154 polls of the loop's epoll fd, 11,637 of them
// with events (4.3 per poll; 9,118 were the poll right after a batch),
// 2,517 empty, each followed by a park: the runtime's non-blocking
// netpoll (2,613), then its blocking one (2,140). So a park is three
// epoll calls more than Redis's one epoll_wait, and the event loop makes
// 2.4-2.5 system calls per request against Redis's 2.2 (each about 2 us
// of CPU in this guest). Not possible with the runtime's poller: skipping
// the empty poll before parking (RawConn.Read resets the poll
// descriptor's readiness, so a notification latched in between is lost:
// a goroutine-per-connection variant that skipped its EAGAIN read that
// way hung redis-benchmark), and writing each reply at once instead of
// after the batch changed nothing (2.44-2.49 system calls per request).
// Also tried (2026-12-02, commits d457f1e..0edb39a, removed again): an
// io_uring loop in pure Go (receives and sends as SQEs, one
// io_uring_enter per turn, parked in the poller on an eventfd the ring
// signals). It made fewer system calls (0.8-1.6 per request without
// pipelining against 2.2-2.8) but not less CPU: a receive armed on an
// empty socket completes as task work queued to the Go thread that
// submitted it (on a normal ring: stalls of 1-25 ms, 1,000-3,000
// requests/s), so the ring had to be DEFER_TASKRUN, entered only by
// the loop's own locked thread, whose every park hands the P to another
// thread and back (4-8x the context switches). In the ephpm binary
// (bench-resp.sh, half setup, quiet) it reached 0.86-0.87x
// redis-server's requests/s against this loop's 0.97x, at 17.0-17.7 us
// of CPU per request against 16.3-16.7.
// Measured again in session 10 (2026-12-02, half setup, 50 clients, no
// pipelining, 3-5 interleaved rounds at load 5-15, ephpm binary), none
// kept: the raw wait for any number of connections (GET 15.8 against
// 15.2 us, INCR 15.0 against 15.0, SET 15.4 against 15.0; 2.22 system
// calls per request against 2.30 but 48-54 context switches per 1000
// against 39-41); a blocking epoll_wait the runtime knows of
// (entersyscall: sysmon then hands the P off and wakes every 20 us:
// 18-23 us, 130-138 context switches per 1000); up to 4 or 16 more
// empty polls before parking (level CPU, 2.7-3.8 system calls per
// request); GOMAXPROCS=1 (level); and session 7's io_uring loop with its
// park replaced by a raw blocking io_uring_enter on the locked thread
// (0.33-0.38 system calls per request, but 66-79 context switches per
// 1000 and 16.6-18.6 us, level with this loop). perf puts 75-80% of
// either server's CPU in the kernel's TCP path (sendto 44-50%, recvfrom
// 11%); what a loop can change is the system calls' entry and exit
// (about 1.4 us each here) and its waits. What was kept: flushPending
// sends a turn's replies with one io_uring_enter (sendring_linux.go).
func (l *loop) wait(timeout int) (int, error) {
	if l.epr == nil {
		if n, err := l.poll(); n > 0 || err != nil {
			return n, err
		}
		return syscall.EpollWait(l.epfd, l.events[:], timeout)
	}
	if l.blockMS > 0 && l.nconns <= rawWaitConns {
		l.disarm() // armed for good (EPHPM_RESP_PARK_ARMED) with more connections
		ms := l.blockMS
		if timeout >= 0 && timeout < ms {
			ms = timeout
		}
		if n, err := l.epollWait(ms); n > 0 || err != nil {
			return n, err
		}
	}
	if timeout >= 0 {
		// Moving the deadline costs a timer update: only when it has
		// passed or the timeout shrank (shutdown polls every 10ms).
		now := time.Now()
		if want := now.Add(time.Duration(timeout) * time.Millisecond); l.deadline.IsZero() || !now.Before(l.deadline) || want.Before(l.deadline) {
			l.deadline = want
			l.epf.SetReadDeadline(want)
		}
	}
	err := l.epr.Read(l.pollFn)
	if !parkArmedForGood || l.blockMS > 0 && l.nconns <= rawWaitConns {
		l.disarm() // see above: watched only while parked
	}
	if l.armErr != nil { // cannot happen short of ENOMEM: stop parking
		l.s.cfg.Logger.Warn("resp: cannot park the event loop in the runtime's poller, blocking in epoll_wait", "err", l.armErr)
		l.armErr = nil
		l.epr = nil
		return l.wait(timeout)
	}
	if err != nil {
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return 0, nil
		}
		if errors.Is(err, os.ErrNoDeadline) { // not in the runtime's poller after all
			l.epr = nil
			return l.wait(timeout)
		}
		return 0, err
	}
	return l.polled, l.pollErr
}

// poll is epoll_wait without blocking, as a raw system call.
func (l *loop) poll() (int, error) { return l.epollWait(0) }

// epollWait is epoll_wait for up to ms milliseconds as a raw system
// call: the goroutine keeps its thread and its P (see blockMS). EINTR
// (a signal: the runtime's preemption among them) is no events.
func (l *loop) epollWait(ms int) (int, error) {
	r, _, e := syscall.RawSyscall6(syscall.SYS_EPOLL_PWAIT, uintptr(l.epfd),
		uintptr(unsafe.Pointer(&l.events[0])), uintptr(len(l.events)), uintptr(ms), 0, 0)
	if e == syscall.EINTR {
		return 0, nil
	}
	if e != 0 {
		return 0, e
	}
	return int(r), nil
}

func (l *loop) isListener(fd int) bool {
	for _, f := range l.lns {
		if f == fd {
			return true
		}
	}
	return false
}

func (l *loop) runTasks() {
	l.mu.Lock()
	tasks := l.tasks
	l.tasks = nil
	l.mu.Unlock()
	for _, t := range tasks {
		t()
	}
}

func (l *loop) blockedConns() int {
	n := 0
	for _, c := range l.conns {
		if c != nil && c.blocked {
			n++
		}
	}
	return n
}

// beginStop: no more connections or input; blocked clients get their
// null reply (their waits are cancelled) before the loop closes them.
func (l *loop) beginStop() {
	for _, fd := range l.lns {
		l.ctl(syscall.EPOLL_CTL_DEL, fd, 0)
	}
	for _, c := range l.conns {
		if c == nil {
			continue
		}
		if c.waitCancel != nil {
			close(c.waitCancel)
			c.waitCancel = nil
		}
		l.setEvents(c, l.wantEvents(c))
	}
}

func (l *loop) closeIdle() {
	idle := l.s.cfg.IdleTimeout
	for _, c := range l.conns {
		if c != nil && !c.blocked && l.now.Sub(c.lastActive) > idle {
			l.closeConn(c)
		}
	}
}

func (l *loop) accept(lfd int) {
	for {
		fd, sa, err := syscall.Accept4(lfd, syscall.SOCK_NONBLOCK|syscall.SOCK_CLOEXEC)
		if err != nil {
			if err == syscall.EINTR || err == syscall.ECONNABORTED {
				continue
			}
			if err == syscall.EMFILE || err == syscall.ENFILE {
				l.s.cfg.Logger.Warn("resp accept", "err", err)
			}
			return // EAGAIN: another loop took it, or none left
		}
		s := l.s
		s.stats.connections.Add(1)
		if s.cfg.MaxClients > 0 && s.stats.clients.Load() >= int64(s.cfg.MaxClients) {
			s.stats.errors[errOther].Add(1)
			s.stats.rejected.Add(1)
			syscall.Write(fd, []byte("-ERR max number of clients reached\r\n"))
			syscall.Close(fd)
			continue
		}
		addr, laddr := "/unixsocket:0", s.cfg.Socket+":0"
		if _, ok := sa.(*syscall.SockaddrUnix); !ok {
			syscall.SetsockoptInt(fd, syscall.IPPROTO_TCP, syscall.TCP_NODELAY, 1)
			addr = sockaddrString(sa)
			if lsa, err := syscall.Getsockname(fd); err == nil {
				laddr = sockaddrString(lsa)
			}
		}
		c := s.newConnFD(fd, addr, laddr)
		c.l = l
		c.stripe = l.index
		c.lastActive = l.now
		if err := l.ctl(syscall.EPOLL_CTL_ADD, fd, evIn); err != nil {
			syscall.Close(fd)
			continue
		}
		c.events = evIn
		for fd >= len(l.conns) {
			l.conns = append(l.conns, nil)
		}
		l.conns[fd] = c
		l.nconns++
		s.mu.Lock()
		s.conns[c] = struct{}{}
		s.mu.Unlock()
		s.stats.clients.Add(1)
	}
}

// rawRead and rawWrite skip the runtime's syscall bookkeeping (a few
// percent of the CPU time under redis-benchmark): on a non-blocking
// socket they never block. They are recvfrom(2) and sendto(2) without an
// address, not read(2) and write(2): the same on a connected stream
// socket, without the file layer (vfs_read/vfs_write and the socket's
// read_iter/write_iter: 2-3% of the server's CPU without pipelining in
// perf, about 0.5 of which recvfrom's and sendto's own entry costs
// back). MSG_NOSIGNAL: a client gone away is EPIPE, without a SIGPIPE
// for the runtime to field.
func rawRead(fd int, b []byte) (int, error) { return rawIO(syscall.SYS_RECVFROM, fd, b, 0) }

func rawWrite(fd int, b []byte) (int, error) {
	return rawIO(syscall.SYS_SENDTO, fd, b, syscall.MSG_NOSIGNAL)
}

// rawIO is recvfrom(2) or sendto(2) (trap) of b on fd with flags, no
// address.
func rawIO(trap uintptr, fd int, b []byte, flags uintptr) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	n, _, e := syscall.RawSyscall6(trap, uintptr(fd), uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)), flags, 0, 0)
	if e != 0 {
		return -1, e
	}
	return int(n), nil
}

func sockaddrString(sa syscall.Sockaddr) string {
	switch a := sa.(type) {
	case *syscall.SockaddrInet4:
		return net.IP(a.Addr[:]).String() + ":" + strconv.Itoa(a.Port)
	case *syscall.SockaddrInet6:
		return "[" + net.IP(a.Addr[:]).String() + "]:" + strconv.Itoa(a.Port)
	}
	return ""
}

// wantEvents: output pending -> wait to write; blocked or stopping ->
// nothing (level-triggered input we will not read would spin); else read.
func (l *loop) wantEvents(c *conn) uint32 {
	switch {
	case c.wpos < len(c.w.b):
		return evOut
	case c.blocked || l.s.stopping():
		return 0
	}
	return evIn
}

func (l *loop) setEvents(c *conn, ev uint32) {
	if c.events != ev && !c.closed {
		c.events = ev
		l.ctl(syscall.EPOLL_CTL_MOD, c.fd, ev)
	}
}

func (l *loop) onEvent(c *conn, ev uint32) {
	if ev&(syscall.EPOLLERR|syscall.EPOLLHUP) != 0 && ev&syscall.EPOLLIN == 0 {
		l.closeConn(c)
		return
	}
	if ev&syscall.EPOLLOUT != 0 {
		if !l.write(c) || c.closed {
			return
		}
		if c.wpos < len(c.w.b) {
			return // still waiting for the client to read
		}
		if c.closeAfter {
			l.closeConn(c)
			return
		}
		l.setEvents(c, l.wantEvents(c))
		l.process(c) // input that arrived meanwhile
		return
	}
	if ev&syscall.EPOLLIN != 0 && !c.blocked && c.wpos == 0 {
		l.readAll(c, ev)
		return
	}
	if ev&(syscall.EPOLLERR|syscall.EPOLLHUP|syscall.EPOLLRDHUP) != 0 && !c.blocked {
		l.closeConn(c)
	}
}

// readAll reads c's input until a read comes back short (evIn is
// edge-triggered), running the commands of each read. It stops early
// when c cannot take more input now (blocked, output waiting for
// EPOLLOUT, closing): the events change then, and setting evIn again
// reports what is left. At the end of input (the client shut down its
// side: EPOLLRDHUP, or a read of 0 after others) c is closed once its
// replies are out, as Redis does on its next read.
func (l *loop) readAll(c *conn, ev uint32) {
	for first := true; ; first = false {
		var n, room int
		var err error
		if first && c.pre {
			// Read through the ring this turn (recvBatch): the bytes
			// are in p already.
			c.pre = false
			n, room, err = c.preN, c.preRoom, c.preErr
			if n > 0 {
				c.p.w -= n // counted again below
			}
		} else {
			c.p.makeRoom()
			room = len(c.p.buf) - c.p.w
			n, err = rawRead(c.fd, c.p.buf[c.p.w:])
		}
		if err == syscall.EINTR {
			continue
		}
		if err == syscall.EAGAIN {
			break
		}
		if n <= 0 {
			if first || err != nil {
				l.closeConn(c) // nothing of this call's is waiting to be sent
				return
			}
			c.eof = true
			break
		}
		c.p.w += n
		c.lastActive = l.now
		l.process(c)
		if c.closed || c.blocked || c.closeAfter || c.wpos != 0 {
			return
		}
		if n < room {
			if ev&(syscall.EPOLLRDHUP|syscall.EPOLLHUP) != 0 {
				c.eof = true // all read up to the client's FIN
			}
			break
		}
	}
	if c.eof && !c.flushQueued && !c.blocked {
		l.closeConn(c)
	}
}

// process runs the complete commands in c's input and sends the replies.
func (l *loop) process(c *conn) {
	c.beginBatch()
	defer c.endBatch()
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
			c.releaseRead() // not held across a system call
			if !l.write(c) || c.closed {
				return
			}
			if c.wpos < len(c.w.b) {
				return // resumed on EPOLLOUT
			}
		}
	}
	switch {
	case len(c.w.b) > c.wpos:
		if !c.flushQueued {
			c.flushQueued = true
			l.pending = append(l.pending, c)
		}
	case c.closeAfter || c.eof && !c.blocked:
		l.closeConn(c)
	}
}

// flushPending writes the replies process left buffered, and closes the
// connections that asked for it (QUIT, a protocol error) once theirs
// are out.
func (l *loop) flushPending() {
	if l.ring != nil && len(l.pending) > 1 {
		l.sendBatch()
	}
	for i, c := range l.pending {
		l.pending[i] = nil
		c.flushQueued = false
		if c.closed || c.events == evOut {
			continue // gone, or waiting for EPOLLOUT (onEvent goes on)
		}
		if !l.write(c) || c.closed {
			continue
		}
		if (c.closeAfter || c.eof && !c.blocked) && c.wpos == 0 && len(c.w.b) == 0 {
			l.closeConn(c)
		}
	}
	l.pending = l.pending[:0]
}

// recvBatch reads, with one system call, the input of the connections
// the first n events report readable where onEvent would read them
// (readAll then takes each result as its first read: see sendRing.recv).
func (l *loop) recvBatch(n int) {
	if l.ring.broken {
		l.ring.close()
		l.ring = nil
		return
	}
	cs := l.reading[:0]
	for i := 0; i < n && len(cs) < l.ring.entries; i++ {
		ev := l.events[i].Events
		fd := int(l.events[i].Fd)
		if ev&syscall.EPOLLIN == 0 || ev&syscall.EPOLLOUT != 0 || fd >= len(l.conns) {
			continue
		}
		c := l.conns[fd]
		if c == nil || c.closed || c.blocked || c.wpos != 0 {
			continue
		}
		c.p.makeRoom()
		cs = append(cs, c)
	}
	l.reading = cs
	if len(cs) > 1 {
		if l.ring.recv(cs) {
			l.recvs.Add(1)
		}
	} else if len(cs) == 1 {
		l.reading = l.reading[:0] // readAll reads it itself
	}
}

// sendBatch sends the pending replies through the ring, one system call
// for all of them (see sendRing); flushPending's l.write then finds them
// sent, or sends what is left.
func (l *loop) sendBatch() {
	if l.ring.broken {
		l.ring.close()
		l.ring = nil
		return
	}
	cs := l.sendable[:0]
	for _, c := range l.pending {
		if !c.closed && c.events != evOut && c.wpos < len(c.w.b) {
			cs = append(cs, c)
		}
	}
	l.sendable = cs
	for len(cs) > 1 {
		k := min(len(cs), l.ring.entries)
		if !l.ring.send(cs[:k]) {
			break
		}
		l.batches.Add(1)
		cs = cs[k:]
	}
	clear(l.sendable) // no conn kept alive by the scratch list
	l.sendable = l.sendable[:0]
}

// write sends what is buffered; on a full socket it waits for EPOLLOUT
// (reading nothing meanwhile). False: the connection was closed.
func (l *loop) write(c *conn) bool {
	for c.wpos < len(c.w.b) {
		n, err := rawWrite(c.fd, c.w.b[c.wpos:])
		if n > 0 {
			c.wpos += n
			continue
		}
		if err == syscall.EINTR {
			continue
		}
		if err == syscall.EAGAIN {
			if !c.authed {
				// Redis 7.0 (checkClientOutputBufferLimits) disconnects
				// an unauthenticated client whose replies pile up past
				// 1 KB: it may not make the server hold output for it.
				// Here its replies could not all be sent: it does not
				// read them (NOAUTH replies are a few dozen bytes).
				l.closeConn(c)
				return false
			}
			l.setEvents(c, evOut)
			return true
		}
		l.closeConn(c)
		return false
	}
	c.wpos = 0
	if cap(c.w.b) > readBufRelease {
		c.w.b = make([]byte, 0, 16*1024)
	} else {
		c.w.b = c.w.b[:0]
	}
	if c.events == evOut {
		l.setEvents(c, l.wantEvents(c))
	}
	return true
}

// flushBlocking tries for a moment to send what is left (shutdown).
func (l *loop) flushBlocking(c *conn) {
	deadline := time.Now().Add(100 * time.Millisecond)
	for !c.closed && c.wpos < len(c.w.b) && time.Now().Before(deadline) {
		if !l.write(c) {
			return
		}
		if c.wpos < len(c.w.b) {
			time.Sleep(time.Millisecond)
		}
	}
}

func (l *loop) closeConn(c *conn) {
	if c.closed {
		return
	}
	c.closed = true
	if c.waitCancel != nil {
		close(c.waitCancel)
		c.waitCancel = nil
	}
	l.ctl(syscall.EPOLL_CTL_DEL, c.fd, 0)
	syscall.Close(c.fd)
	l.conns[c.fd] = nil
	l.nconns--
	s := l.s
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
	s.stats.clients.Add(-1)
}

// block parks c for a blocking command: wait runs on its own goroutine
// and reply, on the loop, writes its result and resumes c.
func (c *conn) block(wait func(cancel <-chan struct{}) func()) {
	l := c.l
	c.blocked = true
	cancel := make(chan struct{})
	c.waitCancel = cancel
	if l.s.stopping() {
		close(cancel)
		c.waitCancel = nil
	}
	l.setEvents(c, l.wantEvents(c)) // no input while blocked
	go func() {
		reply := wait(cancel)
		l.post(func() {
			if c.closed {
				return
			}
			if c.waitCancel == cancel {
				c.waitCancel = nil
			}
			c.blocked = false
			reply()
			if c.s.stopping() {
				l.write(c)
				return
			}
			l.setEvents(c, l.wantEvents(c))
			l.process(c)
		})
	}()
}

// closeListeners closes the loops' listener fds (Close, after the loops).
func (s *Server) closeListenerFDs() {
	for _, fd := range s.lfds {
		syscall.Close(fd)
	}
	s.lfds = nil
}

func (s *Server) wakeLoops() {
	for _, l := range s.loops {
		l.wake()
	}
}

// parkArmedForGood (EPHPM_RESP_PARK_ARMED=1, for A/B measurements):
// epfd stays in parkfd from the first park on, as before session 11,
// instead of only while parked (see wait).
var parkArmedForGood = os.Getenv("EPHPM_RESP_PARK_ARMED") == "1"

// rawWaitConns: a loop with at most this many connections waits in a
// raw epoll_wait before parking (see wait); with more it parks at once.
const rawWaitConns = 4

// blockMS is how long each of n loops blocks in a raw epoll_wait before
// parking in the runtime's poller (0: it parks at once). See wait.
// EPHPM_RESP_BLOCK_MS overrides it (A/B measurements; 0 turns it off).
func blockMS(n int) int {
	if v, err := strconv.Atoi(os.Getenv("EPHPM_RESP_BLOCK_MS")); err == nil && v >= 0 {
		return v
	}
	// The loop keeps its P while it blocks: only with a P to spare for
	// everything else (PHP's callbacks, HTTP, timers, the GC's workers).
	if runtime.GOMAXPROCS(0) > n {
		return 2
	}
	return 0
}
