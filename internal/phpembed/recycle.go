package phpembed

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"
)

// Why a run of the worker script ended: the label of
// ephpm_php_worker_restarts_total{cause=...}. RestartWorkers takes its own
// cause (CauseReload, or whatever the caller names).
const (
	CauseMaxRequests = "max_requests" // worker_max_requests (with jitter) reached
	CauseMaxMemory   = "max_memory"   // a request left the heap above worker_max_memory
	CauseTTL         = "ttl"          // the run served requests and is worker_ttl old
	CauseIdleTTL     = "idle_ttl"     // the run served requests, then idled worker_idle_ttl
	CauseReload      = "reload"       // RestartWorkers (reload, deploy, `ephpm dev`)
	CauseCrash       = "crash"        // fatal error, uncaught exception, exit, the script ended
	CauseBootFailure = "boot_failure" // the run ended before it took a request
)

// WorkerUpdate is what RestartWorkers changes for the new runs; a zero
// field keeps the current value.
type WorkerUpdate struct {
	WorkerScript     string // absolute, already resolved through symlinks by the caller
	WorkerScriptName string // its URL path (SCRIPT_NAME while it boots)
	DocumentRoot     string // $_SERVER['DOCUMENT_ROOT'] while it boots
}

// ErrWorkerBoot is returned (wrapped) by RestartWorkers when a new run of
// the worker script ended before it took a request.
var ErrWorkerBoot = errors.New("phpembed: the restarted worker script failed before it took a request")

// hygiene is the Runtime's share of worker recycling: restart counts by
// cause, the script new runs boot, and RestartWorkers' serialization.
type hygiene struct {
	restartMu sync.Mutex // one RestartWorkers at a time

	scriptMu sync.Mutex
	script   *WorkerUpdate // nil until the first RestartWorkers: rt.opts' values

	countMu sync.Mutex
	counts  map[string]int64
}

// restartOrder is one worker's part of a RestartWorkers call. The run that
// begins after it was given answers it: ok once it asks for its first
// request, not ok if it ends before (or the runtime shuts down).
type restartOrder struct {
	cause string
	done  chan struct{}
	ok    bool // written before done is closed
}

// RestartWorkers replaces the worker-mode workers one at a time: each
// finishes the request it is running (never interrupted), its worker script
// run ends, and a new run starts with the given options (zero values keep the
// current ones). It waits for the new run to take its first request (or to
// fail to boot) before moving to the next worker, so capacity never drops by
// more than one worker. Returns when all are replaced or ctx ends. In request
// mode it only swaps the options (new requests see them) and returns.
// Safe to call concurrently (calls are serialized).
//
// When a new run fails before it takes a request, RestartWorkers stops
// there and returns an error wrapping ErrWorkerBoot: the workers not yet
// replaced keep serving the old script (a broken release takes down one
// worker, not all), and the caller can call again with the old script.
// That one worker keeps retrying the new script with the crash backoff.
func (rt *Runtime) RestartWorkers(ctx context.Context, cause string, o WorkerUpdate) error {
	h := &rt.hyg
	h.restartMu.Lock()
	defer h.restartMu.Unlock()
	if rt.closed.Load() {
		return ErrClosed
	}
	if cause == "" {
		cause = CauseReload
	}
	h.scriptMu.Lock()
	cur := rt.scriptLocked()
	if o.WorkerScript != "" {
		cur.WorkerScript = o.WorkerScript
	}
	if o.WorkerScriptName != "" {
		cur.WorkerScriptName = o.WorkerScriptName
	}
	if o.DocumentRoot != "" {
		cur.DocumentRoot = o.DocumentRoot
	}
	h.script = &cur
	h.scriptMu.Unlock()
	if rt.direct {
		return nil
	}
	for i, w := range rt.workers {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("phpembed: restarting workers: %d of %d replaced: %w", i, len(rt.workers), err)
		}
		ord := &restartOrder{cause: cause, done: make(chan struct{})}
		w.mu.Lock()
		w.order = ord
		w.ordered.Store(true)
		w.mu.Unlock()
		select {
		case w.ctl <- struct{}{}:
		default: // a wake-up is pending already
		}
		select {
		case <-ord.done:
		case <-ctx.Done():
			return fmt.Errorf("phpembed: restarting workers: %d of %d replaced: %w", i, len(rt.workers), ctx.Err())
		case <-rt.stopMain:
			return ErrClosed
		}
		if !ord.ok {
			if rt.closed.Load() {
				return ErrClosed
			}
			return fmt.Errorf("%w (worker %d of %d, script %s; see the log)", ErrWorkerBoot, i+1, len(rt.workers), cur.WorkerScript)
		}
	}
	return nil
}

// scriptLocked is the worker script new runs boot (h.scriptMu held).
func (rt *Runtime) scriptLocked() WorkerUpdate {
	if s := rt.hyg.script; s != nil {
		return *s
	}
	return WorkerUpdate{
		WorkerScript:     rt.opts.WorkerScript,
		WorkerScriptName: rt.opts.WorkerScriptName,
		DocumentRoot:     rt.opts.DocumentRoot,
	}
}

// workerScript is the worker script a run starting now boots.
func (rt *Runtime) workerScript() WorkerUpdate {
	rt.hyg.scriptMu.Lock()
	defer rt.hyg.scriptMu.Unlock()
	return rt.scriptLocked()
}

// WorkerRestarts counts worker script runs ended, by cause (M reads it for /metrics).
func (rt *Runtime) WorkerRestarts() map[string]int64 {
	h := &rt.hyg
	h.countMu.Lock()
	defer h.countMu.Unlock()
	out := make(map[string]int64, len(h.counts))
	for k, v := range h.counts {
		out[k] = v
	}
	return out
}

func (rt *Runtime) countRestart(cause string) {
	h := &rt.hyg
	h.countMu.Lock()
	if h.counts == nil {
		h.counts = make(map[string]int64)
	}
	h.counts[cause]++
	h.countMu.Unlock()
}

// beginRun resets the per-run state before the worker script starts
// again: the run's max-requests limit is drawn (jitter), and a restart
// ordered for this worker is taken on (this run answers it).
func (w *worker) beginRun() {
	w.exitReason = exitNone
	w.exitCause = ""
	w.handled = 0
	w.tookRequest = false
	w.runStart = time.Now()
	w.limit = drawLimit(w.rt.opts.WorkerMaxRequests, w.rt.opts.WorkerMaxRequestsJitter)
	w.mu.Lock()
	if w.order != nil {
		w.waiters = append(w.waiters, w.order)
		w.order = nil
		w.ordered.Store(false)
	}
	w.mu.Unlock()
	// A wake-up left from an order this run now answers.
	select {
	case <-w.ctl:
	default:
	}
}

// drawLimit is one run's request limit: max minus a uniform draw from
// [0, jitter] (jitter -1 = max/10), at least 1; 0 when max is 0 (never).
func drawLimit(max, jitter int) int {
	if max <= 0 {
		return 0
	}
	if jitter < 0 {
		jitter = max / 10
	}
	jitter = min(jitter, max-1)
	if jitter <= 0 {
		return max
	}
	return max - rand.IntN(jitter+1)
}

// answerWaiters tells RestartWorkers how this run's boot went.
func (w *worker) answerWaiters(ok bool) {
	for _, o := range w.waiters {
		o.ok = ok
		close(o.done)
	}
	w.waiters = nil
}

// stopCause says whether the run must end before taking another request,
// and why. Called on the PHP thread after every request (and before the
// first); mem is the heap left once the request's state is gone.
func (w *worker) stopCause(mem int64) string {
	if c := w.orderCause(); c != "" {
		return c
	}
	// A run that served nothing has nothing to shed: recycling it would
	// only reboot the application (and loop, if its boot alone is above
	// the limits).
	if w.handled == 0 {
		return ""
	}
	if w.limit > 0 && w.handled >= w.limit {
		return CauseMaxRequests
	}
	o := &w.rt.opts
	if o.WorkerMaxMemory > 0 && mem > o.WorkerMaxMemory {
		return CauseMaxMemory
	}
	if o.WorkerTTL > 0 && time.Since(w.runStart) >= o.WorkerTTL {
		return CauseTTL
	}
	return ""
}

// orderCause is the cause of a restart ordered for this worker, "" if none.
func (w *worker) orderCause() string {
	if !w.ordered.Load() {
		return ""
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.order == nil {
		return ""
	}
	return w.order.cause
}

// parkFor is how long a worker may park before its idle_ttl or ttl ends
// the run (0 = no limit; only a run that served requests has one), and
// the cause when it does.
func (w *worker) parkFor() (time.Duration, string) {
	o := &w.rt.opts
	if w.handled == 0 || (o.WorkerIdleTTL <= 0 && o.WorkerTTL <= 0) {
		return 0, ""
	}
	d, cause := o.WorkerIdleTTL, CauseIdleTTL
	if o.WorkerTTL > 0 {
		left := max(o.WorkerTTL-time.Since(w.runStart), time.Nanosecond)
		if d <= 0 || left < d {
			d, cause = left, CauseTTL
		}
	}
	return d, cause
}

// park waits for the next request once the spin found none. It also wakes
// for a restart order and, if the run has an idle_ttl or ttl, when that
// ends; then it returns the cause and no request.
func (w *worker) park() (req *Request, ok bool, cause string) {
	d, timeCause := w.parkFor()
	if d <= 0 {
		// The common case (no idle_ttl or ttl): the queue and the
		// restart wake-up only.
		for {
			select {
			case req, ok = <-w.rt.queue:
				return req, ok, ""
			case <-w.ctl:
				if c := w.orderCause(); c != "" {
					return nil, true, c
				}
				// A stale wake-up (the order was taken on already).
			}
		}
	}
	if w.parkTimer == nil {
		w.parkTimer = time.NewTimer(d)
	} else {
		w.parkTimer.Reset(d)
	}
	defer w.parkTimer.Stop()
	timeout := w.parkTimer.C
	for {
		select {
		case req, ok = <-w.rt.queue:
			return req, ok, ""
		case <-w.ctl:
			if c := w.orderCause(); c != "" {
				return nil, true, c
			}
			// A stale wake-up (the order was taken on already): park on.
		case <-timeout:
			return nil, true, timeCause
		}
	}
}

// waitBackoff sleeps d after a crash, or until shutdown (false) or a
// restart order (true at once: the new run should not wait out the
// backoff of the old one).
func (w *worker) waitBackoff(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			return true
		case <-w.rt.stopMain:
			return false
		case <-w.ctl:
			if w.orderCause() != "" {
				return true
			}
		}
	}
}
