package phpembed

/*
#include "ephpm.h"
*/
import "C"

import (
	"runtime"
	"time"
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
// Unlocked, Gosched runs the scheduler on the same thread: it runs what is
// queued there (often the response goroutine this request just readied)
// and picks the holder up again from the global queue, usually on the same
// thread; if another thread took it, the caller prepares PHP there.
//
// Worker mode cannot do this: a worker's PHP request outlives the pass.
func tokenPass(last *time.Time) bool {
	now := time.Now()
	if now.Sub(*last) < schedPassEvery {
		return false
	}
	runtime.UnlockOSThread()
	runtime.Gosched()
	runtime.LockOSThread()
	*last = time.Now()
	return true
}

// threadID is the calling thread's pthread id (the one PHP was prepared on
// when it matches the token's).
func threadID() C.uintptr_t { return C.ephpm_thread_self() }
