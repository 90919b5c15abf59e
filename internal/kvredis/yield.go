package kvredis

import (
	"runtime"
	"sync/atomic"
	"time"
	"unsafe"
)

// Why a PHP thread yields now and then on the direct path.
//
// A PHP thread is a goroutine locked to its thread that spends its time in
// C (a cgo call, "in a syscall" to the scheduler) and calls into Go for
// each ephpm_kv_* function. The scheduler's sysmon preempts a goroutine
// that has run for 10 ms without being rescheduled (the P's schedtick
// unchanged), and when it is in a syscall takes its P away. A PHP thread
// is never rescheduled while it runs a request, so after 10 ms sysmon
// takes the P at nearly every tick; the thread takes it back at its next
// call into Go (or the next blocking read's return), and every take
// counts as work done, which keeps sysmon waking every 20 us instead of
// backing off to 10 ms. perf on a loop of ephpm_kv_set (2026-12-01): sysmon
// about 0.25 wake-ups per call and 16% of the process's CPU samples;
// phpredis, which never enters Go, has none of it.
//
// runtime.Gosched at least every yieldEvery reschedules the goroutine
// (two thread switches: its P is handed to another thread, which hands it
// back), so it is never 10 ms on one schedtick and sysmon stays asleep.
// Measured the same way: sysmon's ticks 0.016 per call instead of 0.08-0.11,
// CPU per ephpm_kv_set 25 us instead of 30 us (phpredis 26 us).
//
// Which thread is asking: the goroutine's identity is not available, but
// a PHP thread's goroutine has a stack of its own, so the address of a
// local variable picks its slot. Two threads sharing a slot, or a stack
// that moved, only make a thread yield less often (back to sysmon's
// preemption), never wrongly.
const yieldEvery = 5 * time.Millisecond

// yieldSlots: last yield (unix ns) per slot.
var yieldSlots [64]struct {
	at atomic.Int64
	_  [56]byte // one slot per cache line
}

// maybeYield calls runtime.Gosched when this goroutine's slot has not
// yielded for yieldEvery.
func maybeYield() {
	now := time.Now().UnixNano()
	var here byte
	slot := &yieldSlots[(uintptr(unsafe.Pointer(&here))>>13)%uintptr(len(yieldSlots))].at
	last := slot.Load()
	if now-last < int64(yieldEvery) || !slot.CompareAndSwap(last, now) {
		return
	}
	runtime.Gosched()
}
