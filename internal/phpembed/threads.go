package phpembed

import (
	"time"
)

// Thread states, as /_ephpm/threads and ephpm_php_threads_by_state name
// them. A worker's state field holds one of the non-busy ones; busy is
// read from w.cur (a request is running on the slot).
const (
	threadIdle       int32 = iota // waiting for a request (request mode: a free token)
	threadBooting                 // worker mode: the worker script runs but has not asked for a request yet
	threadRestarting              // worker mode: the run ended; the next one starts (after a backoff if it crashed)
	threadStopped                 // worker mode: the worker ended for good (shutdown)
)

// ThreadStates are the states a thread can be in, in the order the metrics
// list them.
var ThreadStates = []string{"idle", "busy", "booting", "restarting", "stopped"}

var stateNames = [...]string{threadIdle: "idle", threadBooting: "booting", threadRestarting: "restarting", threadStopped: "stopped"}

// ThreadInfo is what one PHP thread (slot) is doing, for /_ephpm/threads.
type ThreadInfo struct {
	Slot  int    `json:"slot"`
	State string `json:"state"` // one of ThreadStates
	// The running request (state busy): its method and URI as received,
	// when PHP took it (its wait in the queue is not included) and how
	// long ago that was.
	Method         string    `json:"method,omitempty"`
	URI            string    `json:"uri,omitempty"`
	Started        time.Time `json:"started,omitzero"`
	ElapsedSeconds float64   `json:"elapsed_seconds,omitempty"`
	// TimedOut: the request's deadline (the server's request timeout or
	// max_execution_time) passed and PHP was interrupted. Stuck: it
	// still ran when the interrupt was repeated a second later, so PHP is
	// not getting to see it (blocked in a C call: a lock, a read without
	// a timeout); it holds the thread until that call returns.
	TimedOut bool `json:"timed_out,omitempty"`
	Stuck    bool `json:"stuck,omitempty"`
	// Requests this slot finished since the server started.
	RequestsServed int64 `json:"requests_served"`
	// PHP's memory (zend_memory_usage) after the slot's last request; in
	// worker mode what the worker script keeps between requests.
	MemoryBytes int64 `json:"memory_bytes"`
	// Worker mode: runs of the worker script started on this slot.
	Boots int64 `json:"boots,omitempty"`
}

// Threads reports each PHP thread, in slot order. It holds each worker's
// lock only to copy its current request's fields.
func (rt *Runtime) Threads() []ThreadInfo {
	now := time.Now()
	out := make([]ThreadInfo, len(rt.workers))
	for i, w := range rt.workers {
		ti := ThreadInfo{
			Slot:           int(w.slot),
			RequestsServed: w.served.Load(),
			MemoryBytes:    w.memory.Load(),
		}
		st := w.state.Load()
		if !rt.direct {
			ti.Boots = w.boots.Load()
			if ti.Boots == 0 && st == threadIdle {
				st = threadBooting // its thread has not started the script yet
			}
		}
		ti.State = stateNames[st]
		w.mu.Lock()
		if req := w.cur; req != nil {
			ti.State = "busy"
			ti.Method, ti.URI = req.r.Method, req.r.RequestURI
			ti.Started = w.since
			ti.ElapsedSeconds = now.Sub(w.since).Seconds()
			ti.TimedOut = req.timedOut
			ti.Stuck = w.stuck
		}
		w.mu.Unlock()
		out[i] = ti
	}
	return out
}

// setState records a worker-mode thread's state (the PHP thread itself
// calls it at each change; busy is not recorded here).
func (w *worker) setState(s int32) { w.state.Store(s) }

// beginLocked records when the slot took its current request (under w.mu,
// from accept).
func (w *worker) beginLocked(now time.Time) {
	w.since = now
	w.interrupted = false
	w.stuck = false
}

// noteInterruptLocked is called under w.mu each time the deadline
// interrupt fires for the current request (every second until the request
// ends). The first one is the deadline; if the request is still there for
// the next, the interrupt did not reach PHP: the request is stuck. That
// is logged once, as a warning, off the lock.
func (w *worker) noteInterruptLocked() {
	if !w.interrupted {
		w.interrupted = true
		return
	}
	if w.stuck {
		return
	}
	w.stuck = true
	req := w.cur
	elapsed := time.Since(w.since).Round(time.Millisecond)
	go w.rt.log.Warn("PHP request stuck past its deadline: the interrupt does not stop it (blocked in a C call?); it holds its PHP thread until that call returns",
		"slot", w.slot, "method", req.r.Method, "uri", req.r.RequestURI, "elapsed", elapsed,
		"request_id", req.r.Header.Get("X-Request-Id")) // set by the server before PHP ran
}
