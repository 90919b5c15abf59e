package phpembed

/*
#include "ephpm.h"
#include <stdint.h>
void ephpm_kv_note_error(const char *msg, size_t len);
uintptr_t ephpm_cur_slot(void);
*/
import "C"

import (
	"context"
	"math"
	"sync"
	"time"
	"unsafe"
)

// ephpm_kv_wait(string $key, int $last_version, int $timeout_ms): the
// key's version and value as soon as its version differs from last
// (kvfuncs.c builds the array). The wait never outlasts the request's
// execution-time limit (Go's timer would interrupt PHP there, but cannot
// wake a PHP thread blocked in Go) and ends when the runtime shuts down.
// Returns 1 with *version and val set (val a string, or left null when
// the key is absent), 0 on timeout, EPHPM_KV_ALLOC_FAILED when the value
// did not fit in PHP's memory_limit.
//
//export ephpm_go_kv_wait
func ephpm_go_kv_wait(key *C.char, klen C.size_t, last C.ulonglong, timeoutMs C.longlong, version *C.ulonglong, val unsafe.Pointer) C.int {
	b := kvOps()
	if b == nil {
		return 0
	}
	timeout, cancel, release := waitBounds(int64(timeoutMs))
	v, value, exists, ok := b.Wait(cstr(key, klen), uint64(last), timeout, cancel)
	release()
	if !ok {
		return 0
	}
	*version = C.ulonglong(v)
	if exists && C.ephpm_zval_set_stringl(val, (*C.char)(unsafe.Pointer(unsafe.StringData(value))), C.size_t(len(value))) != 0 {
		return C.EPHPM_KV_ALLOC_FAILED
	}
	return 1
}

// waitBounds turns PHP's timeout in milliseconds into the wait's timeout,
// capped by the execution-time limit of the request running on this PHP
// thread, and the channel that ends it early: when the server shuts down
// (EndWaits) or the request's client goes away (a long poll whose browser
// left must not hold a PHP thread to its timeout). Both are callbacks on
// contexts, no goroutine per wait. release undoes them.
func waitBounds(ms int64) (time.Duration, <-chan struct{}, func()) {
	d := time.Duration(0)
	if ms > 0 {
		d = time.Duration(math.MaxInt64)
		if ms < math.MaxInt64/int64(time.Millisecond) {
			d = time.Duration(ms) * time.Millisecond
		}
	}
	w := workerFor(C.ephpm_cur_slot())
	if w == nil {
		return d, nil, func() {} // `ephpm php`: no limit by default, no server shutdown
	}
	w.mu.Lock()
	limitAt, cur := w.limitAt, w.cur
	w.mu.Unlock()
	if !limitAt.IsZero() {
		d = min(d, max(time.Until(limitAt), 0))
	}
	if cur == nil || cur.r == nil || cur.detached {
		// No client to wait for (a response ended by
		// fastcgi_finish_request() has none, its context is done).
		return d, kvWaitsEnd.Done(), func() {}
	}
	ctx, cancel := context.WithCancel(cur.r.Context())
	stop := context.AfterFunc(kvWaitsEnd, cancel)
	return d, ctx.Done(), func() {
		stop()
		cancel()
	}
}

// kvWaitsEnd is canceled by EndWaits: every ephpm_kv_wait running or to
// come returns false at once.
var kvWaitsEnd, endKVWaits = context.WithCancel(context.Background())

// EndWaits makes every ephpm_kv_wait, running or to come, return false at
// once. The server calls it when shutdown begins, so that requests parked
// in a wait finish within the grace period instead of at their timeout;
// Shutdown calls it too.
func (rt *Runtime) EndWaits() { endKVWaits() }

// warnKVFailure is the OnError of a backend installed by SetKVBackend. It
// runs on the PHP thread inside the failing call; kvfuncs.c raises the
// warning once that call is back in C. Each failure is noted (flush_all's
// result depends on it), the warning text once per request: the first
// failure says what is wrong, the next ones would only repeat it.
func warnKVFailure(err error) {
	slot := uintptr(C.ephpm_cur_slot())
	if !firstKVFailure(slot) {
		C.ephpm_kv_note_error(nil, 0)
		return
	}
	msg := err.Error()
	if msg == "" {
		msg = "KV backend failed"
	}
	C.ephpm_kv_note_error((*C.char)(unsafe.Pointer(unsafe.StringData(msg))), C.size_t(len(msg)))
}

// kvWarned remembers, per PHP slot, the request generation (+1) that got
// its warning; slot 0 (`ephpm php`, one script per process) warns once.
var kvWarned struct {
	sync.Mutex
	gen map[uintptr]uint64
}

func firstKVFailure(slot uintptr) bool {
	var gen uint64
	if w := workerFor(C.uintptr_t(slot)); w != nil {
		w.mu.Lock()
		gen = w.gen
		w.mu.Unlock()
	}
	kvWarned.Lock()
	defer kvWarned.Unlock()
	if kvWarned.gen == nil {
		kvWarned.gen = make(map[uintptr]uint64)
	}
	if kvWarned.gen[slot] == gen+1 {
		return false
	}
	kvWarned.gen[slot] = gen + 1
	return true
}
