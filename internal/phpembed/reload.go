package phpembed

/*
#include "ephpm.h"
#include "reload.h"
*/
import "C"

import (
	"context"
	"errors"
	"fmt"
	"runtime"
)

// NewRelease tells the PHP threads that a reload resolved a new release:
// each clears its realpath cache before its next request (or worker
// script run), so a path through the swapped symlink resolves to the new
// release at once instead of after realpath_cache_ttl.
func NewRelease() { C.ephpm_release_bump() }

// ErrOPcacheWorkerMode is returned by ResetOPcache in worker mode: every
// worker is always inside its worker script's run, executing code that
// lives in OPcache's shared memory, so there is no moment at which the
// cache may be emptied (OPcache's own check cannot see threads).
var ErrOPcacheWorkerMode = errors.New("phpembed: OPcache is not reset in worker mode (the workers run code held in it)")

// ResetOPcache empties OPcache, in request mode, once no PHP request
// runs: it takes every PHP thread as they come free (requests arriving
// meanwhile wait for a thread, as when all are busy), resets on the
// calling goroutine's thread, and gives the threads back. It returns
// true when OPcache was reset, false with a nil error when OPcache is not
// loaded or not enabled, and an error when ctx ended before every thread
// was free (nothing is reset then).
func (rt *Runtime) ResetOPcache(ctx context.Context) (bool, error) {
	if !rt.direct {
		return false, ErrOPcacheWorkerMode
	}
	rt.closeMu.RLock()
	if rt.closed.Load() {
		rt.closeMu.RUnlock()
		return false, ErrClosed
	}
	// Counted like a request, so Shutdown waits for it before PHP's
	// module shutdown.
	rt.pending.Add(1)
	rt.closeMu.RUnlock()
	defer rt.pending.Done()

	held := make([]*worker, 0, len(rt.workers))
	rt.exclusive.Add(1) // token holders stop taking queued requests
	defer func() {
		rt.exclusive.Add(-1)
		for _, w := range held {
			rt.giveBack(w)
		}
	}()
	for len(held) < len(rt.workers) {
		select {
		case w := <-rt.idle:
			held = append(held, w)
		case <-ctx.Done():
			return false, fmt.Errorf("phpembed: OPcache not reset: %d of %d PHP threads still busy: %w",
				len(rt.workers)-len(held), len(rt.workers), ctx.Err())
		}
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	C.ephpm_thread_prepare(nil)
	switch C.ephpm_opcache_reset() {
	case 1:
		return true, nil
	case 0:
		return false, nil
	default:
		return false, errors.New("phpembed: OPcache not reset: PHP could not start a request (see the log)")
	}
}
