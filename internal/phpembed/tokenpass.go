package phpembed

/*
#include "ephpm.h"
*/
import "C"

import (
	"runtime"
	"time"
	_ "unsafe" // go:linkname
)

// tokenPass is request mode's pass through Go's scheduler (see
// schedPassEvery for why a token holder needs one): once schedPassEvery has
// gone by since *last, the holder yields with its thread unlocked and locks
// whichever thread it resumes on. It reports whether it yielded.
//
// The holder is locked to its thread only so that the thread cannot change
// between preparing PHP on it and running a request (a request is one cgo
// call, and its executor globals and thread id are what the timeout
// interrupt targets); between two requests nothing of PHP's is on the Go
// stack, so the goroutine may move. A locked goroutine's Gosched cannot go
// through the scheduler on its own thread: it hands its P to another thread
// (stoplockedm), sleeps, and waits for that thread to find it in the global
// queue and hand the P back (startlockedm), two thread switches during
// which the token runs nothing. Counted with uprobes under Laravel in
// request mode (wrk -c32): 0.95 stoplockedm per request from this pass.
// Unlocked, the yield runs the scheduler on the same thread: it runs what
// is queued on its P (often the response goroutine this request just
// readied) and then the holder again; if another thread stole the holder
// meanwhile, the caller prepares PHP there. The yield is runtime.goyield,
// not Gosched: Gosched queues the holder on the global run queue, where an
// idle thread spinning for work often took it (PHP prepared on another
// thread after 0.58-0.74 of the passes, its heap and globals cold there);
// goyield queues it on its own P (0.09-0.16). Uprobes, same load, 2 rounds
// each: stoplockedm per request 1.04-1.24 before, 0.15-0.17 with Gosched,
// 0.20-0.22 with goyield (what is left is sysmon's preemption of a request
// running over 10 ms, taken at its next call into Go).
//
// Worker mode cannot do this: a worker's PHP request outlives the pass.
func tokenPass(last *time.Time) bool {
	now := time.Now()
	if now.Sub(*last) < schedPassEvery {
		return false
	}
	runtime.UnlockOSThread()
	goyield()
	runtime.LockOSThread()
	*last = time.Now()
	return true
}

// goyield is runtime.Gosched that puts the goroutine on its P's own run
// queue instead of the global one. The runtime keeps it reachable by
// linkname (it is on its list of symbols other packages use).
//
//go:linkname goyield runtime.goyield
func goyield()

// threadID is the calling thread's pthread id (the one PHP was prepared on
// when it matches the token's).
func threadID() C.uintptr_t { return C.ephpm_thread_self() }
