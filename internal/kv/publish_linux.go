package kv

import (
	"syscall"
	"time"
	"unsafe"
)

// mapAnon maps size bytes of zeroed memory outside the Go heap (pages
// become resident only when touched), or returns nil.
func mapAnon(size int) []byte {
	b, err := syscall.Mmap(-1, 0, size, syscall.PROT_READ|syscall.PROT_WRITE,
		syscall.MAP_ANON|syscall.MAP_PRIVATE|syscall.MAP_NORESERVE)
	if err != nil {
		return nil
	}
	// Huge pages where the kernel gives them on request (THP "madvise"):
	// copying a 64 KB value out then costs one TLB miss, not 16, and a
	// TLB miss inside a VM walks two page tables. Only touched 2 MB pages
	// become resident.
	_ = syscall.Madvise(b, madvHugepage)
	return b
}

const madvHugepage = 14 // MADV_HUGEPAGE

const (
	clockMonotonic       = 1 // CLOCK_MONOTONIC
	clockMonotonicCoarse = 6 // CLOCK_MONOTONIC_COARSE
)

func clockGet(id uintptr, res bool) (int64, bool) {
	var ts syscall.Timespec
	call := uintptr(syscall.SYS_CLOCK_GETTIME)
	if res {
		call = syscall.SYS_CLOCK_GETRES
	}
	if _, _, errno := syscall.Syscall(call, id, uintptr(unsafe.Pointer(&ts)), 0); errno != 0 {
		return 0, false
	}
	return ts.Nano(), true
}

// coarseSlack is added to the coarse clock's resolution: the coarse clock
// is the monotonic clock as of the last timer tick, and a tick can come a
// little late on a busy machine.
const coarseSlack = 5 * time.Millisecond

// calibrateCoarse returns cbase such that CLOCK_MONOTONIC_COARSE + cbase
// is never below now() (the store's default clock: its unix time at start
// plus the Go runtime's monotonic clock, which is CLOCK_MONOTONIC here,
// since then: now() - CLOCK_MONOTONIC is a constant K). Each sample
// bounds K from above by now() read after the monotonic clock; the
// coarse clock trails the monotonic one by at most its resolution (one
// tick) plus slack. 0 when a clock is missing: C then never answers an
// entry with a deadline.
func calibrateCoarse(now func() int64) int64 {
	res, ok := clockGet(clockMonotonicCoarse, true)
	if !ok || res <= 0 || res > int64(100*time.Millisecond) {
		return 0
	}
	if _, ok := clockGet(clockMonotonicCoarse, false); !ok {
		return 0
	}
	best := int64(0)
	for i := 0; i < 16; i++ {
		m, ok := clockGet(clockMonotonic, false)
		b := now()
		if !ok {
			return 0
		}
		if k := b - m; i == 0 || k < best {
			best = k
		}
	}
	cbase := best + 2*res + int64(coarseSlack)
	if cbase == 0 {
		cbase = 1
	}
	return cbase
}

// coarseNow is what C computes: CLOCK_MONOTONIC_COARSE + cbase (tests).
func coarseNow(cbase int64) int64 {
	c, _ := clockGet(clockMonotonicCoarse, false)
	return c + cbase
}

func unmapAnon(b []byte) { syscall.Munmap(b) }
