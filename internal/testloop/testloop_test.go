package testloop

import (
	"sync"
	"sync/atomic"
	"testing"
)

// TestUntilStopped: f runs with 0, 1, 2, ... until stop is closed, and
// wg.Wait returns once the goroutine has left.
func TestUntilStopped(t *testing.T) {
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var calls atomic.Int64
	reached := make(chan struct{})
	UntilStopped(&wg, stop, func(i int) {
		if int64(i) != calls.Load() {
			t.Errorf("call %d got i=%d", calls.Load(), i)
		}
		if calls.Add(1) == 100 {
			close(reached)
		}
	})
	<-reached
	close(stop)
	wg.Wait()
	n := calls.Load()
	if n < 100 {
		t.Fatalf("f ran %d times, want at least 100", n)
	}
	if calls.Load() != n {
		t.Fatal("f still runs after wg.Wait")
	}
}
