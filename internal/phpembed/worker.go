package phpembed

/*
#include "ephpm.h"
*/
import "C"

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"
)

// A worker is one PHP execution slot. In worker mode it is a goroutine
// locked to its OS thread for its whole life, taking requests from the
// shared queue; in request mode it is a token that a serving goroutine
// holds while it runs PHP on its own thread.
type worker struct {
	rt   *Runtime
	slot uintptr

	mu sync.Mutex // guards the fields below against the timer goroutine

	eg       unsafe.Pointer // the running thread's executor globals, for interrupts
	tid      C.uintptr_t    // its pthread id, to wake it from a blocking sleep
	cur      *Request
	gen      uint64
	deadline time.Time // hard end of the current request (server timeout)
	limitAt  time.Time // when the limit runs out (zero: none); ephpm_kv_wait stops there
	limitSec int64     // the limit armed last (seconds), for PHP's timeout message
	// Worker mode: the worker script runs outside any request, booting
	// (before its first ephpm_handle_request / take_request) or after its
	// loop ended. Its limit is then armed as for a request (PHP's
	// max_execution_time, set_time_limit() included), so a boot that never
	// returns is ended instead of holding its thread, the queue behind it
	// and the shutdown forever. bareTimedOut: that limit fired.
	bare         bool
	bareTimedOut bool
	// The limit's timer: one per slot, created on first use and reset for
	// every request (a new time.AfterFunc per request was a timer and a
	// closure allocated each time). A Reset cannot recall a callback
	// already running, so the callback fires only if the timer is still
	// armed (timerOn), for the generation it was armed for (timerGen), and
	// its time (fireAt) has come: a late callback of an earlier arming
	// finds one of them changed and does nothing.
	// The Go timer is not stopped when a request ends, nor reset when the
	// next one arms a limit it would reach no later (timerAt, when it is
	// pending: zero once it fired): a callback that finds fireAt still
	// ahead waits on for it. With max_execution_time = 30 the timer then
	// fires about once in 30 s per slot instead of being reset and
	// stopped for every request (two operations on the runtime's timer
	// heap, with its lock, per request).
	timer    *time.Timer
	timerOn  bool
	timerGen uint64
	fireAt   time.Time
	timerAt  time.Time
	// max_execution_time at the start of this slot's last request
	// (request mode; -1: none yet), armed by Go before the next one.
	// Touched only by the goroutine holding the token.
	startLimit int64

	// Worker mode, touched only by the PHP thread itself.
	exitReason  int
	handled     int
	tookRequest bool      // this run of the worker script has asked for a request
	heldC       *Request  // the request whose C memory worker.c points into (dropHeldC)
	lastPass    time.Time // when the worker last passed through Go's scheduler on purpose
	bootFailed  bool      // the last run ended before it did (counted in rt.failedBoots)
	boots       atomic.Int64

	// PHP's zend_memory_usage(0) after the last request (both modes; in
	// worker mode once the request's state is torn down, so it is what
	// the application keeps). Written by the PHP thread, read by anyone.
	memory atomic.Int64

	// Worker mode recycling and restarts (recycle.go). order is guarded
	// by mu; the rest is touched only by the PHP thread.
	ctl       chan struct{}   // cap 1: wakes the parked worker to look at order
	order     *restartOrder   // a restart asked by RestartWorkers, not yet begun
	ordered   atomic.Bool     // order != nil, checked after every request without mu
	waiters   []*restartOrder // orders this run answers once it takes a request or fails
	runStart  time.Time       // when this run of the worker script began
	limit     int             // this run's max requests (jitter drawn), 0 = none
	exitCause string          // why the run was told to stop (a RestartCause)
	parkTimer *time.Timer     // idle_ttl / ttl while parked

	// Introspection (threads.go): /_ephpm/threads and the thread metrics.
	// state is set by the PHP thread (worker mode), served after each
	// request; since, interrupted and stuck describe w.cur, under mu.
	state       atomic.Int32 // threadIdle, threadBooting, ... (busy = cur != nil)
	served      atomic.Int64 // requests finished on this slot
	phpTime     atomic.Int64 // their time on the slot (ns, taken to finished): GOMAXPROCS's tuner
	since       time.Time    // when cur was taken
	interrupted bool         // cur's deadline interrupt has fired
	stuck       bool         // and cur outlived its repetition (logged once)
}

// loop runs the worker script on this worker's own locked thread (worker
// mode; request mode runs PHP in runDirect instead).
func (w *worker) loop(onStartupThread bool) {
	defer w.rt.wg.Done()
	if !onStartupThread {
		runtime.LockOSThread()
		C.ephpm_thread_init()
		defer C.ephpm_thread_shutdown()
	}
	w.eg = C.ephpm_thread_executor_globals()
	w.tid = C.ephpm_thread_self()
	w.workerLoop()
}

// runDirect runs req with a free worker token, or queues it for the next
// token holder if all are busy. It returns false when the queue is full;
// otherwise req is done (or handed to PHP) when it returns. It calls
// rt.pending.Done once PHP is finished with req.
//
// PHP runs on a goroutine of its own, not on the caller's: the caller is
// net/http's handler, and fastcgi_finish_request() must let it return
// (which is what completes the response) while the script goes on. That
// goroutine, a token holder kept between requests (holder.go), takes
// over the caller's thread when the caller parks in Serve, so this costs
// a channel wake-up, not a hand-off between threads.
//
// A request that finds every token busy waits in rt.dq, and the goroutine
// that holds a token takes it from there when its own request is done, on
// the same thread, without giving the token back in between (and, under
// load, polls it for a moment when it is empty: holderSpin). Handing the
// token to a waiting goroutine instead (as before) cost every queued
// request a goroutine wake-up, a new goroutine, a thread lock and a cgo
// call to prepare the thread, and often moved PHP to another OS thread
// that had to be woken first, while the token sat unused (measured on a
// loaded machine, Laravel: 66-180 us per request between one request's
// end on a token and the next one's start). With this and sapi.c's 4
// system calls fewer, a hello world took 93 instead of 107 us of server
// CPU (medians of 8 interleaved rounds; Laravel within the noise). Yielding
// between queued requests (runtime.Gosched, so the response goroutine runs
// at once) was measured and dropped: 96 vs 79 us on a hello world.
func (rt *Runtime) runDirect(req *Request) bool {
	if rt.exclusive.Load() == 0 {
		select {
		case w := <-rt.idle:
			rt.startHolder(w, req)
			return true
		default:
		}
	}
	depth := rt.waiting.Add(1)
	if depth > int64(rt.opts.QueueSize) {
		rt.waiting.Add(-1)
		rt.pending.Done()
		return false
	}
	select {
	case rt.dq <- req:
	default:
		// Full of requests whose clients left (skipped when reached).
		rt.waiting.Add(-1)
		rt.pending.Done()
		return false
	}
	if depth >= int64(deepQueuePerThread*len(rt.workers)) {
		rt.noteDeepQueue()
	}
	// Queued first, then a look for a free token: a holder gives its
	// token back first and then looks at the queue, so between the two
	// of them one sees the other (see runOnToken and giveBack).
	if rt.exclusive.Load() == 0 {
		select {
		case w := <-rt.idle:
			rt.startHolder(w, nil)
		default:
		}
	}
	select {
	case <-req.done:
	case <-req.r.Context().Done():
		// The client left while the request waited: it leaves the
		// queue now, unless a token holder has just taken it.
		if req.claim.CompareAndSwap(claimQueued, claimAbandoned) {
			rt.waiting.Add(-1)
			req.canceled = true
			rt.complete(req)
			rt.pending.Done()
		}
	}
	return true
}

// Request.claim: who owns a queued request (request mode).
const (
	claimQueued    int32 = iota // waiting in rt.dq
	claimTaken                  // a token holder runs it
	claimAbandoned              // its client left; skipped when dequeued
)

// next takes the next live request from the queue, or nil if there is
// none.
func (rt *Runtime) next() *Request {
	for {
		select {
		case req := <-rt.dq:
			if !req.claim.CompareAndSwap(claimQueued, claimTaken) {
				continue // abandoned: Serve has answered it
			}
			rt.waiting.Add(-1)
			return req
		default:
			return nil
		}
	}
}

// holderSpin is how long a token holder polls an empty queue before it
// gives its token back, while the queue runs deep (deepQueuePerThread).
//
// Without it, a token came back whenever the queue was empty for a
// moment, which under load is all the time: the next request found the
// token free and ran PHP at once on its own goroutine's P, ahead of the
// ones already waiting, so the requests queued in Go's run queues
// instead of in the FIFO queue here, and a connection goroutine waited
// behind whatever PHP a P was running (a hello world's access-log
// duration had a p50 of 0.02 ms, so almost nothing waited for PHP, while
// wrk saw a p99 of 3.9-5.1 ms). With the spin the PHP threads keep their
// tokens under heavy load and take the requests in arrival order, as
// worker mode's workers do (workerSpin, the same 20 us).
const holderSpin = 20 * time.Microsecond

// deepQueuePerThread: holders spin (holderSpin) for queueRecent after a
// request found this many requests per PHP thread waiting, itself
// included. With few clients per PHP thread the spin costs more than it
// gives: the connection goroutine that makes the next request was made
// ready on the spinning holder's P and waits for it, PHP moves between
// threads at every request instead of running on the thread that read
// it, and a spin often ends with no request (measured, hello world, 2 PHP
// threads, spinning whenever anything queued: with 6 and 8 clients
// 0.80x and 0.86x the requests at 1.31x and 1.17x the CPU per request,
// with 4 clients 0.84x; with 16 and 32 clients 1.04x and 1.07x at 0.93-0.98x
// the CPU, and half the p99). 4 per thread (8 waiting for 2 threads) is
// never reached by 8 clients and is reached within moments by 16.
const deepQueuePerThread = 4

// queueRecent: how long a deep queue keeps holders spinning. Long enough
// to span the gaps of a steady load, short enough that a server whose
// load has gone stops spinning at once.
const queueRecent = 100 * time.Millisecond

// noteDeepQueue records that a request found the queue deep, for
// nextQueued. It writes the shared word only when the last note is older
// than a millisecond, so a queue that stays deep does not bounce the
// cache line between the CPUs at every request.
func (rt *Runtime) noteDeepQueue() {
	now := int64(time.Since(rt.startedAt))
	if now-rt.lastDeep.Load() > int64(time.Millisecond) {
		rt.lastDeep.Store(now)
	}
}

// nextQueued takes the next live request from the queue. If it is empty
// and the queue ran deep within queueRecent, it polls it for holderSpin,
// yielding the CPU between polls as a worker does (see nextFromQueue).
// It does not poll when the runtime does not spin (spinsWith).
// nil: none came, or someone takes every token (ResetOPcache), which a
// holder must not delay by taking more requests.
func (rt *Runtime) nextQueued() *Request {
	var deadline time.Time
	for {
		if rt.exclusive.Load() != 0 {
			return nil
		}
		if req := rt.next(); req != nil {
			return req
		}
		if rt.noSpin {
			return nil
		}
		if deadline.IsZero() {
			since := time.Since(rt.startedAt)
			if int64(since)-rt.lastDeep.Load() >= int64(queueRecent) {
				return nil
			}
			deadline = rt.startedAt.Add(since + holderSpin)
		} else if !time.Now().Before(deadline) {
			return nil
		}
		spinYield()
	}
}

// runOnToken runs req's script on the calling goroutine's thread, holding
// worker token w, then the queued requests while there are any, and gives
// the token back after. req nil: start with the queue.
func (rt *Runtime) runOnToken(w *worker, req *Request) {
	// The thread must not change between preparing it and running the
	// requests: PHP's context and the interrupt target are per thread.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var eg unsafe.Pointer
	var tid C.uintptr_t
	var ready *worker // the token whose eg and tid name this thread
	lastPass := time.Now()
	for {
		if req == nil {
			if req = rt.nextQueued(); req == nil {
				var again bool
				if w, again = rt.handBack(w); again {
					continue
				}
				return
			}
		}
		if ready != w {
			if eg == nil {
				eg = C.ephpm_thread_prepare(&tid)
			}
			w.mu.Lock()
			w.eg, w.tid = eg, tid
			w.mu.Unlock()
			ready = w
		}
		if w.accept(req) {
			w.armStartLimit(req)
			// PHP may go on past fastcgi_finish_request(), when Serve has
			// returned: req's C memory stays until PHP is done.
			req.holdC()
			cres := req.cres
			cres.defer_output = 1
			C.ephpm_request_run(C.uintptr_t(w.slot), req.creq, cres)
			handDeferredOutput(w.slot, cres)
			res := *cres
			w.memory.Store(int64(res.memory))
			w.finish(req, res)
			req.dropC()
		}
		rt.pending.Done()
		req = nil
		schedPass(&lastPass)
	}
}

// schedPassEvery: a token holder running queued requests back to back
// passes through Go's scheduler (runtime.Gosched) at a request boundary
// once this long has gone by since its last pass. Without it the holder
// never reschedules, so after 10 ms (the runtime's forcePreemptNS) sysmon
// sees its P as hogging: it then retakes that P at every pass, stays at
// its shortest 20 us period (its own CPU, and a wake-up that preempts a
// PHP thread on a 2-CPU machine), and flags the goroutine for preemption,
// which at its next call into Go costs two thread hand-offs (a locked
// goroutine). A pass costs those two hand-offs once; at 5 ms that is once
// per 2 Laravel requests and once per ~150 hello worlds, where passing at
// every request boundary (measured in session 6) costs a hello world too
// much. It must stay below 10 ms with margin: sysmon notes the tick's
// change only when it looks.
const schedPassEvery = 5 * time.Millisecond

// schedPass passes through Go's scheduler once schedPassEvery has gone by
// since *last, and notes when.
func schedPass(last *time.Time) {
	if now := time.Now(); now.Sub(*last) >= schedPassEvery {
		runtime.Gosched()
		*last = now
	}
}

// giveBack returns token w taken outside runOnToken (ResetOPcache), and
// starts a token holder for the queue if requests wait in it.
func (rt *Runtime) giveBack(w *worker) {
	if w, again := rt.handBack(w); again {
		rt.startHolder(w, nil)
	}
}

// handBack gives token w back, then looks at the queue once more: a
// request queued while every token was busy may have looked for a free
// token just before w came back (runDirect queues first, then looks). It
// returns a token to serve the queue with, and true, if requests wait and
// a token is free; false if none wait, the runtime is held exclusively,
// or another holder took the token (it will look at the queue itself).
func (rt *Runtime) handBack(w *worker) (*worker, bool) {
	rt.idle <- w
	if len(rt.dq) == 0 || rt.exclusive.Load() != 0 {
		return nil, false
	}
	select {
	case w = <-rt.idle:
		return w, true
	default:
		return nil, false
	}
}

// accept makes req the worker's current request, unless its client left
// or its deadline passed while it waited in the queue.
func (w *worker) accept(req *Request) bool {
	if err := req.r.Context().Err(); err != nil {
		req.canceled = true
		w.complete(req)
		return false
	}
	now := time.Now()
	if !req.deadline.IsZero() && now.After(req.deadline) {
		req.queueTimeout = true
		w.complete(req)
		return false
	}
	w.mu.Lock()
	w.cur = req
	w.gen++
	w.limitSec = 0
	w.deadline = req.deadline
	w.beginLocked(now)
	w.mu.Unlock()
	return true
}

// finish records PHP's result for req and hands it back to Serve.
func (w *worker) finish(req *Request, res C.ephpm_result) {
	w.mu.Lock()
	if w.cur == req {
		w.cur = nil
		w.phpTime.Add(int64(time.Since(w.since)))
		w.served.Add(1)
	}
	w.stopTimerLocked()
	w.mu.Unlock()
	if req.result.Status == 0 {
		req.result.Status = int(res.status)
	}
	req.result.Fatal = req.result.Fatal || res.bailout != 0
	req.result.StartupFailed = res.startup_failed != 0
	w.complete(req)
}

func (w *worker) complete(req *Request) { w.rt.complete(req) }

func (rt *Runtime) complete(req *Request) {
	rt.inflight.Add(-1)
	req.release()
}

// armStartLimit arms the limit a request starts with (max_execution_time
// as PHP saw it at the start of the slot's last request) before PHP runs,
// and tells PHP so in req.creq: PHP calls into Go at its request start
// only when its value differs (ephpm_request_run; worker.c in worker
// mode), which then re-arms.
// The limit counts from just before PHP's request startup, where PHP's
// own timer would start it. Nothing is armed before the slot's first
// request: PHP reports the value then.
func (w *worker) armStartLimit(req *Request) {
	if w.startLimit < 0 {
		return
	}
	w.armLimit(w.startLimit)
	req.creq.limit_armed = 1
	req.creq.armed_limit = C.long(w.startLimit)
}

// handDeferredOutput hands over what a request wrote last, left by
// ephpm_request_run in res (defer_output) instead of a call into Go from
// C: the same ephpm_go_send_headers_write, on the same thread, with the
// request still current. Must run before the thread runs PHP again.
func handDeferredOutput(slot uintptr, res *C.ephpm_result) {
	if res.out_headers == 0 && res.out_len == 0 {
		return
	}
	if res.out_headers != 0 {
		ephpm_go_send_headers_write(C.uintptr_t(slot), C.int(res.hdr_status), res.hdr, res.hdr_len, C.int(res.hdr_default_ct), res.out, res.out_len)
		return
	}
	ephpm_go_write(C.uintptr_t(slot), res.out, res.out_len)
}

// armLimit (re)starts the execution-time limit of the running request:
// seconds from now (0 = no limit), capped by the request's hard deadline.
// Called on the PHP thread: at request start and from set_time_limit().
func (w *worker) armLimit(seconds int64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.stopTimerLocked()
	if w.cur == nil && !w.bare {
		return
	}
	w.limitSec = seconds
	var d time.Duration = -1
	if seconds > 0 {
		d = time.Duration(seconds) * time.Second
	}
	if !w.deadline.IsZero() {
		if left := time.Until(w.deadline); d < 0 || left < d {
			d = max(left, 0)
		}
	}
	if d < 0 {
		return
	}
	w.limitAt = time.Now().Add(d)
	w.startTimerLocked(d, w.limitAt)
}

// startTimerLocked (re)arms the slot's timer to fire for the current
// generation after d, at the time at.
func (w *worker) startTimerLocked(d time.Duration, at time.Time) {
	w.timerOn, w.timerGen, w.fireAt = true, w.gen, at
	if w.timer == nil {
		w.timer = time.AfterFunc(d, w.timerFired)
		w.timerAt = at
		return
	}
	if !w.timerAt.IsZero() && !w.timerAt.After(at) {
		return // pending, and due no later: timerFired waits on from there
	}
	w.timer.Reset(d)
	w.timerAt = at
}

// stopTimerLocked disarms the limit. The Go timer stays pending (see
// worker.timer): when it fires, timerOn is false and it does nothing.
func (w *worker) stopTimerLocked() {
	w.timerOn = false
	w.limitAt = time.Time{}
}

// timerFired is the timer's callback: it fires for the arming still in
// force once its time has come, waits on if that time is still ahead
// (the timer was left pending from an earlier arming), and is a no-op
// for a stale one (see worker.timer).
func (w *worker) timerFired() {
	w.mu.Lock()
	w.timerAt = time.Time{}
	if w.timerOn {
		if left := time.Until(w.fireAt); left > 0 {
			w.timer.Reset(left)
			w.timerAt = w.fireAt
			w.mu.Unlock()
			return
		}
	}
	due := w.timerOn
	gen := w.timerGen
	w.mu.Unlock()
	if due {
		w.fire(gen)
	}
}

// fire interrupts the request of generation gen if it is still running,
// and keeps doing so every second: PHP runs shutdown functions after the
// timeout error, and those are bounded the same way.
func (w *worker) fire(gen uint64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.gen != gen {
		return
	}
	switch {
	case w.cur != nil:
		w.noteInterruptLocked() // a repeat means the request is stuck (threads.go)
		w.cur.timedOut = true
	case w.bare:
		w.bareTimedOut = true
	default:
		return
	}
	C.ephpm_interrupt_limit(w.eg, C.long(w.limitSec))
	C.ephpm_thread_kick(w.tid)
	w.startTimerLocked(time.Second, time.Now().Add(time.Second))
}

// enterBare arms the limit of a worker script running outside any request
// (a boot, or what follows its loop) with PHP's value at that point; the
// boot's is armed from C (ephpm_go_request_started), -1 here. Called on
// the PHP thread.
func (w *worker) enterBare(seconds int64) {
	w.mu.Lock()
	w.gen++
	w.bare = true
	w.bareTimedOut = false
	w.limitSec = 0
	w.deadline = time.Time{}
	w.mu.Unlock()
	if seconds >= 0 {
		w.armLimit(seconds)
	}
}

// leaveBare disarms that limit: the script took a request, or its run
// ended. It reports whether the limit had fired (bareTimedOut stays set
// until the next enterBare).
func (w *worker) leaveBare() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.bare {
		w.bare = false
		w.stopTimerLocked()
	}
	return w.bareTimedOut
}

// interruptCurrent stops whatever the worker runs now (shutdown deadline),
// a request or the worker script outside one (a boot that never ends).
func (w *worker) interruptCurrent() {
	w.mu.Lock()
	gen, busy := w.gen, w.cur != nil || w.bare
	w.mu.Unlock()
	if busy {
		w.fire(gen)
	}
}

func workerFor(slot C.uintptr_t) *worker {
	i := int(slot) - 1
	if i < 0 || i >= len(slots) {
		return nil
	}
	return slots[i]
}

// current returns the request running on slot. Only the PHP thread itself
// calls this (from SAPI callbacks), so w.cur cannot change under it.
func current(slot C.uintptr_t) *Request {
	w := workerFor(slot)
	if w == nil {
		return nil
	}
	return w.cur
}
