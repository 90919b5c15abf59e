//go:build linux

package resp

import (
	"errors"
	"os"
	"sync/atomic"
	"syscall"
	"unsafe"
)

// A minimal io_uring (Linux 5.19+ for multishot accept; 6.x here), in
// pure Go with raw system calls: the submission and completion rings are
// mmap'd and shared with the kernel, their heads and tails read and
// written with atomic loads and stores (Go's atomics are sequentially
// consistent, which covers the acquire/release the ring protocol needs:
// an SQE is complete before the tail that publishes it, a CQE is read
// before the head that frees it). Only what the RESP loop uses is here.

const (
	sysIoUringSetup    = 425
	sysIoUringEnter    = 426
	sysIoUringRegister = 427

	// setup flags
	setupCQSize       = 1 << 3
	setupClamp        = 1 << 4
	setupTaskrunFlag  = 1 << 9
	setupSubmitAll    = 1 << 7
	setupRDisabled    = 1 << 6
	setupSingleIssuer = 1 << 12
	setupDeferTaskrun = 1 << 13
	registerEnable    = 12
	featSingleMmap    = 1 << 0
	featNoDrop        = 1 << 1
	featFastPoll      = 1 << 5
	offSQRing         = 0
	offCQRing         = 0x8000000
	offSQEs           = 0x10000000
	enterGetEvents    = 1 << 0
	registerEventfd   = 4
	sqNeedWakeup      = 1 << 0
	sqCQOverflow      = 1 << 1
	sqTaskrun         = 1 << 2
	cqeFMore          = 1 << 1
	opAccept          = 13
	opAsyncCancel     = 14
	opSend            = 26
	opRecv            = 27
	sqeIOLink         = 1 << 2
	sqeCQESkipSuccess = 1 << 6
	acceptMultishot   = 1 << 0
	recvsendPollFirst = 1 << 0
)

type uringParams struct {
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

// sqe is struct io_uring_sqe (64 bytes), the fields the loop sets.
type sqe struct {
	opcode   uint8
	flags    uint8
	ioprio   uint16
	fd       int32
	off      uint64 // also addr2
	addr     uint64
	len      uint32
	opFlags  uint32 // msg_flags, accept_flags, cancel_flags
	userData uint64
	bufIndex uint16
	_        uint16
	_        int32
	_        [2]uint64
}

type cqe struct {
	userData uint64
	res      int32
	flags    uint32
}

type ring struct {
	fd      int
	sqMem   []byte
	cqMem   []byte // = sqMem with a single mmap
	sqeMem  []byte
	sqHead  *uint32
	sqTail  *uint32
	sqFlags *uint32
	sqMask  uint32
	sqes    []sqe
	cqHead  *uint32
	cqTail  *uint32
	cqMask  uint32
	cqes    []cqe
	cqFlags *uint32 // IORING_CQ_EVENTFD_DISABLED lives here

	tail    uint32 // next SQE to fill (published to *sqTail by submit)
	pending uint32 // filled, not yet submitted
}

var errRingFull = errors.New("io_uring submission queue full")

func ptrAt[T any](b []byte, off uint32) *T { return (*T)(unsafe.Pointer(&b[off])) }

// newRing sets up a ring of entries SQEs and cqEntries CQEs, disabled
// until enable is called on the thread that will use it.
//
// DEFER_TASKRUN (with SINGLE_ISSUER): a receive armed on an empty socket
// completes through "task work" when data comes. On a normal ring that
// work is queued to the thread that submitted the receive, which for a
// goroutine is whichever thread ran it then: an idle Go thread woken
// just to copy the data, or one busy elsewhere that runs it late (tried:
// 1,000-3,000 requests/s with 1-25 ms stalls, against 25,000 on this
// ring; COOP_TASKRUN changed nothing). Deferred, the work waits on the
// ring, the eventfd is signalled, and the loop runs it in its next
// io_uring_enter. TASKRUN_FLAG marks in the SQ flags that such work
// waits, so that a loop about to park runs it first.
func newRing(entries, cqEntries uint32) (*ring, error) {
	var p uringParams
	p.flags = setupCQSize | setupClamp | setupSubmitAll | setupRDisabled | setupSingleIssuer | setupDeferTaskrun | setupTaskrunFlag
	p.cqEntries = cqEntries
	fd, _, e := syscall.RawSyscall(sysIoUringSetup, uintptr(entries), uintptr(unsafe.Pointer(&p)), 0)
	if e != 0 {
		return nil, os.NewSyscallError("io_uring_setup", e)
	}
	r := &ring{fd: int(fd)}
	if p.features&featSingleMmap == 0 || p.features&featNoDrop == 0 || p.features&featFastPoll == 0 {
		syscall.Close(r.fd)
		return nil, errors.New("io_uring: kernel too old (needs single mmap, no-drop, fast poll)")
	}
	sqSize := p.sqOff.array + p.sqEntries*4
	if cqSize := p.cqOff.cqes + p.cqEntries*uint32(unsafe.Sizeof(cqe{})); cqSize > sqSize {
		sqSize = cqSize
	}
	mem, err := syscall.Mmap(r.fd, offSQRing, int(sqSize), syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED|syscall.MAP_POPULATE)
	if err != nil {
		syscall.Close(r.fd)
		return nil, os.NewSyscallError("mmap", err)
	}
	r.sqMem, r.cqMem = mem, mem
	sqeMem, err := syscall.Mmap(r.fd, offSQEs, int(p.sqEntries)*64, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED|syscall.MAP_POPULATE)
	if err != nil {
		r.close()
		return nil, os.NewSyscallError("mmap", err)
	}
	r.sqeMem = sqeMem
	r.sqHead = ptrAt[uint32](mem, p.sqOff.head)
	r.sqTail = ptrAt[uint32](mem, p.sqOff.tail)
	r.sqFlags = ptrAt[uint32](mem, p.sqOff.flags)
	r.sqMask = *ptrAt[uint32](mem, p.sqOff.ringMask)
	r.sqes = unsafe.Slice((*sqe)(unsafe.Pointer(&sqeMem[0])), p.sqEntries)
	// The SQ array indirection is set once to the identity: SQE i is
	// always at slot i.
	arr := unsafe.Slice(ptrAt[uint32](mem, p.sqOff.array), p.sqEntries)
	for i := range arr {
		arr[i] = uint32(i)
	}
	r.cqHead = ptrAt[uint32](mem, p.cqOff.head)
	r.cqTail = ptrAt[uint32](mem, p.cqOff.tail)
	r.cqMask = *ptrAt[uint32](mem, p.cqOff.ringMask)
	r.cqes = unsafe.Slice(ptrAt[cqe](mem, p.cqOff.cqes), p.cqEntries)
	r.cqFlags = ptrAt[uint32](mem, p.cqOff.flags)
	r.tail = atomic.LoadUint32(r.sqTail)
	return r, nil
}

func (r *ring) close() {
	if r.sqeMem != nil {
		syscall.Munmap(r.sqeMem)
	}
	if r.sqMem != nil {
		syscall.Munmap(r.sqMem)
	}
	syscall.Close(r.fd)
}

// registerEventfd makes the kernel signal efd on every completion: the
// loop parks in Go's poller on it.
func (r *ring) registerEventfd(efd int) error {
	fd := int32(efd)
	_, _, e := syscall.RawSyscall6(sysIoUringRegister, uintptr(r.fd), registerEventfd, uintptr(unsafe.Pointer(&fd)), 1, 0, 0)
	if e != 0 {
		return os.NewSyscallError("io_uring_register", e)
	}
	return nil
}

// get returns a zeroed SQE to fill, or nil when the queue is full (the
// caller submits and retries).
func (r *ring) get() *sqe {
	if r.tail-atomic.LoadUint32(r.sqHead) >= uint32(len(r.sqes)) {
		return nil
	}
	s := &r.sqes[r.tail&r.sqMask]
	*s = sqe{}
	r.tail++
	r.pending++
	return s
}

// enter publishes the filled SQEs and calls io_uring_enter once: it
// submits them and, with getEvents, also runs completion work queued to
// this thread. Completions then wait in the CQ ring (no system call to
// read them).
func (r *ring) enter(getEvents bool) error {
	atomic.StoreUint32(r.sqTail, r.tail)
	var flags uintptr
	if getEvents {
		flags = enterGetEvents
	}
	n := r.pending
	for {
		_, _, e := syscall.RawSyscall6(sysIoUringEnter, uintptr(r.fd), uintptr(n), 0, flags, 0, 0)
		switch e {
		case 0:
			r.pending = 0
			return nil
		case syscall.EINTR:
			continue
		case syscall.EAGAIN, syscall.EBUSY:
			// Out of kernel memory or the CQ is backed up: what was
			// consumed is gone from the SQ; the rest goes next time.
			r.pending = r.tail - atomic.LoadUint32(r.sqHead)
			return nil
		}
		return os.NewSyscallError("io_uring_enter", e)
	}
}

// needEnter: completions the kernel can only finish inside a system call
// of ours (task work, an overflowed CQ) are waiting.
func (r *ring) needEnter() bool {
	return atomic.LoadUint32(r.sqFlags)&(sqTaskrun|sqCQOverflow) != 0
}

// ready reports whether completions wait in the CQ ring.
func (r *ring) ready() bool {
	return atomic.LoadUint32(r.cqHead) != atomic.LoadUint32(r.cqTail)
}

// reap calls fn for each completion and frees their slots.
func (r *ring) reap(fn func(c *cqe)) int {
	head := atomic.LoadUint32(r.cqHead)
	tail := atomic.LoadUint32(r.cqTail)
	n := 0
	for ; head != tail; head++ {
		c := r.cqes[head&r.cqMask] // copied: the slot is freed below
		atomic.StoreUint32(r.cqHead, head+1)
		fn(&c)
		n++
	}
	return n
}

// enable starts a ring set up disabled, making the calling thread its
// only submitter (SINGLE_ISSUER).
func (r *ring) enable() error {
	_, _, e := syscall.RawSyscall6(sysIoUringRegister, uintptr(r.fd), registerEnable, 0, 0, 0, 0)
	if e != 0 {
		return os.NewSyscallError("io_uring_register", e)
	}
	return nil
}
