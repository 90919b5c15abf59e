package phpembed

/*
#include <stdlib.h>
#include "ephpm.h"
*/
import "C"

import (
	"net/http"
	"time"
)

// Why a worker script stopped taking requests.
const (
	exitNone     = iota // still running, or the script ended on its own
	exitRecycle         // a recycle rule or a restart order (w.exitCause says which)
	exitShutdown        // the runtime is shutting down
)

// workerLoop runs the worker script over and over: after a recycle or a
// restart order at once, after a crash (fatal error, uncaught exception,
// exit, the script returning) with a growing delay so a broken script does
// not spin. Every run that ends, shutdown aside, is counted by cause.
func (w *worker) workerLoop() {
	backoff := 100 * time.Millisecond
	log := w.rt.log
	defer w.setState(threadStopped)
	for {
		w.beginRun()
		w.setState(threadBooting)
		boots := w.boots.Add(1)
		res, timedOut := w.runWorkerScript()
		w.setState(threadRestarting)
		switch {
		case w.exitReason == exitShutdown:
			w.answerWaiters(false)
			return
		case w.exitReason == exitRecycle && !res.Fatal:
			w.rt.countRestart(w.exitCause)
			log.Debug("PHP worker recycled", "slot", w.slot, "cause", w.exitCause, "requests", w.handled,
				"limit", w.limit, "memory", w.memory.Load(), "age", time.Since(w.runStart).Round(time.Millisecond))
			backoff = 100 * time.Millisecond
			continue
		}
		if w.handled > 0 {
			backoff = 100 * time.Millisecond
		}
		if w.tookRequest {
			w.rt.countRestart(CauseCrash)
			log.Error("PHP worker stopped unexpectedly; restarting", "slot", w.slot,
				"script", w.scriptName(), "fatal", res.Fatal, "requests", w.handled, "boots", boots, "retry_in", backoff)
		} else if timedOut && w.rt.closed.Load() {
			// The shutdown's deadline ended a boot that never took a
			// request (max_execution_time = 0, or longer than the grace):
			// not a failure of the script, and no restart follows.
			log.Warn("PHP worker script stopped at shutdown before it took a request", "slot", w.slot, "script", w.scriptName())
			w.answerWaiters(false)
			return
		} else {
			w.rt.countRestart(CauseBootFailure)
			if timedOut {
				log.Error("PHP worker script ran past max_execution_time before taking a request (its boot never reached ephpm_handle_request() or \\Ephpm\\Worker\\take_request()); restarting",
					"slot", w.slot, "script", w.scriptName(), "boots", boots, "retry_in", backoff)
			} else {
				log.Error("PHP worker script ended before taking a request (it must loop on ephpm_handle_request() or \\Ephpm\\Worker\\take_request()); restarting",
					"slot", w.slot, "script", w.scriptName(), "fatal", res.Fatal, "boots", boots, "retry_in", backoff)
			}
			w.markBootFailed()
			// Only now: RestartWorkers' caller finds the failure counted.
			w.answerWaiters(false)
		}
		if !w.waitBackoff(backoff) {
			// Shutting down: one more run would only take the queue's
			// close; let the loop see it. A script that failed before
			// taking a request never sees it: it would fail again at
			// once, forever, and hold the shutdown until its timeout.
			if !w.tookRequest {
				w.answerWaiters(false)
				return
			}
		}
		backoff = min(backoff*2, 5*time.Second)
	}
}

// scriptName is the worker script the current run boots (for the log).
func (w *worker) scriptName() string { return w.rt.workerScript().WorkerScript }

// runWorkerScript runs the worker script as one PHP request. It returns
// when the script ends; a request it held then ends too (500 if nothing
// was sent). timedOut: the run was ended by its limit outside a request
// (a boot or a tail past max_execution_time; see worker.bare).
func (w *worker) runWorkerScript() (res Result, timedOut bool) {
	sc := w.rt.workerScript()
	boot, _ := http.NewRequest(http.MethodGet, sc.WorkerScriptName, nil)
	boot.RequestURI = sc.WorkerScriptName
	breq := &Request{r: boot}
	breq.build(Script{
		Filename:     sc.WorkerScript,
		Name:         sc.WorkerScriptName,
		DocumentRoot: sc.DocumentRoot,
	}, w.rt.opts.ServerSoftware)
	defer putCBuf(breq.cbuf)

	var cres C.ephpm_result
	// PHP's start of the run arms its limit (ephpm_go_request_started).
	w.enterBare(-1)
	C.ephpm_request_run(C.uintptr_t(w.slot), breq.creq, &cres)
	timedOut = w.leaveBare()
	// A run that ended inside a request (a fatal error, exit) never came
	// back to ephpm_go_worker_next; its state is gone with the run.
	w.dropHeldC()

	w.mu.Lock()
	held := w.cur
	w.mu.Unlock()
	if held != nil {
		held.result.Fatal = true
		w.finish(held, cres)
	}
	return Result{Fatal: cres.bailout != 0 || cres.startup_failed != 0}, timedOut
}

// dropHeldC lets go of the C memory of the request worker.c last took.
// Only the worker's own thread calls it (from C, or once its run ended).
func (w *worker) dropHeldC() {
	if h := w.heldC; h != nil {
		w.heldC = nil
		h.dropC()
	}
}

//export ephpm_go_worker_mode
func ephpm_go_worker_mode(slot C.uintptr_t) C.int {
	if w := workerFor(slot); w != nil && w.rt.opts.WorkerScript != "" {
		return 1
	}
	return 0
}

// ephpm_go_worker_next blocks until the next request for this worker and
// returns it, or nil when the worker must stop (shutdown, a recycle rule,
// a restart order). mem is PHP's heap once the last request's state is
// gone (the worker script's own data).
//
//export ephpm_go_worker_next
func ephpm_go_worker_next(slot C.uintptr_t, mem C.size_t) *C.ephpm_request {
	w := workerFor(slot)
	if w == nil {
		return nil
	}
	// worker.c has torn down the last request's state (worker_end_state):
	// its C memory is no longer pointed to from PHP.
	w.dropHeldC()
	w.memory.Store(int64(mem))
	// The boot's limit ends here. If it fired just before (PHP may not
	// have seen the interrupt yet), the run ends as timed out rather than
	// let the interrupt hit the first request.
	if w.bare && w.leaveBare() { // only this thread writes w.bare
		return nil
	}
	if !w.tookRequest {
		w.tookRequest = true
		w.setState(threadIdle)
		w.rt.workerUp.Store(true)
		if w.bootFailed {
			w.bootFailed = false
			w.rt.failedBoots.Add(-1)
		}
		w.answerWaiters(true)
	}
	if cause := w.stopCause(int64(mem)); cause != "" {
		w.exitReason, w.exitCause = exitRecycle, cause
		w.enterBare(w.startLimit)
		return nil
	}
	// Under load a worker takes request after request without parking,
	// so it would never pass through Go's scheduler: see schedPassEvery.
	schedPass(&w.lastPass)
	for {
		req, ok, cause := w.nextFromQueue()
		if cause != "" {
			w.exitReason, w.exitCause = exitRecycle, cause
			w.enterBare(w.startLimit)
			return nil
		}
		if !ok {
			break
		}
		if !w.accept(req) {
			continue
		}
		// The limit, armed here and not from C once the request's state
		// is built (worker.c checks the value): a call into Go less.
		w.armStartLimit(req)
		w.handled++
		// Done is signalled (ephpm_go_worker_done) before worker.c tears
		// the request's state down, so Serve may return first: PHP holds
		// req's C memory until its next ephpm_go_worker_next.
		req.holdC()
		w.heldC = req
		return req.creq
	}
	w.exitReason = exitShutdown
	// What the script does after its loop is bounded as its boot was.
	w.enterBare(w.startLimit)
	return nil
}

// workersBrokenMsg is the 503 answer while no worker script gets as far
// as taking a request.
const workersBrokenMsg = "the PHP worker script fails before it takes a request (see the server log)"

// markBootFailed counts this worker as broken. Once all are, the requests
// waiting in the queue are answered at once: no worker will take them
// before a restart, and a restart of a broken script fails again.
func (w *worker) markBootFailed() {
	if !w.bootFailed {
		w.bootFailed = true
		w.rt.failedBoots.Add(1)
	}
	if !w.rt.workersBroken() {
		return
	}
	for {
		select {
		case req, ok := <-w.rt.queue:
			if !ok {
				return
			}
			req.noWorkers = true
			w.rt.complete(req)
		default:
			return
		}
	}
}

func (rt *Runtime) workersBroken() bool {
	return !rt.direct && int(rt.failedBoots.Load()) == len(rt.workers)
}

// workerSpin is how long a worker polls the queue before it parks
// (measured, hello world on 2 CPUs: 0 -> 20 us, about +5% requests/s and
// p99 4.5 -> 3.8 ms; 80 us was worse. Again once the router got faster:
// 0 us 10% slower than 5, 20 or 50 us, which were alike).
const workerSpin = 20 * time.Microsecond

// nextFromQueue receives the next request. A worker is a goroutine locked
// to its thread, and parking it costs two thread wake-ups when the next
// request comes; under load the next one comes within microseconds, so it
// polls for a moment first.
//
// Between polls it yields its CPU to the kernel (spinYield). On a machine
// with as many busy threads as CPUs, the next request is made by a
// connection goroutine that may be waiting for the very CPU the spin
// holds: a spin that only polled held it for its whole 20 us and then
// parked anyway. Yielding lets that thread run; the request is then
// found by the next poll, and the worker does not park. Measured on 2
// CPUs under wrk -t2 -c32 (hello world, machine loaded by other jobs):
// parks (runtime.stoplockedm, counted with a uprobe) 0.20-0.28 -> 0.03-0.08
// per request; server CPU per request 72.4 -> 59.4 us (medians of 5
// interleaved rounds at load 16-22, ranges wide and overlapping). With nothing else runnable the yield returns at
// once and the spin is what it was.
//
// It parks at once when the runtime does not spin (spinsWith).
//
// Parked, it also wakes for a restart order or its idle_ttl/ttl (park),
// and then returns the cause instead of a request.
func (w *worker) nextFromQueue() (*Request, bool, string) {
	for deadline := time.Now().Add(workerSpin); !w.rt.noSpin; {
		select {
		case req, ok := <-w.rt.queue:
			return req, ok, ""
		default:
		}
		if !time.Now().Before(deadline) {
			break
		}
		spinYield()
	}
	req, ok, cause := w.park()
	w.lastPass = time.Now() // parked: it went through the scheduler
	return req, ok, cause
}

// ephpm_go_worker_done hands a request answered by the worker back to Serve.
//
//export ephpm_go_worker_done
func ephpm_go_worker_done(slot C.uintptr_t, status C.int) {
	w := workerFor(slot)
	if w == nil {
		return
	}
	w.mu.Lock()
	req := w.cur
	w.mu.Unlock()
	if req != nil {
		w.finish(req, C.ephpm_result{status: status})
	}
}

// ephpm_go_worker_output_done is a worker request's end in one call into
// Go (sapi.c, ephpm_output_push_worker_done): the headers PHP sent if Go
// does not have them yet (hdrs nil: none pending), the output gathered
// so far (n may be 0), then ephpm_go_worker_done.
//
//export ephpm_go_worker_output_done
func ephpm_go_worker_output_done(slot C.uintptr_t, hstatus C.int, hdrs *C.char, hn C.size_t, defaultCT C.int, p *C.char, n C.size_t, status C.int) {
	if hdrs != nil {
		ephpm_go_send_headers_write(slot, hstatus, hdrs, hn, defaultCT, p, n)
	} else if n > 0 {
		ephpm_go_write(slot, p, n)
	}
	ephpm_go_worker_done(slot, status)
}

// Boots is how many times worker scripts were started (all threads).
func (rt *Runtime) Boots() int64 {
	var n int64
	for _, w := range rt.workers {
		n += w.boots.Load()
	}
	return n
}
