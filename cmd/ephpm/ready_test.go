package main

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// A burst of concurrent probes costs one check; after the cache time the
// next probe checks again and sees the new answer.
func TestCachedCheck(t *testing.T) {
	var calls atomic.Int32
	var fail atomic.Bool
	check := newCachedCheck(func() error {
		calls.Add(1)
		time.Sleep(10 * time.Millisecond) // a slow round trip: others wait for it
		if fail.Load() {
			return errors.New("down")
		}
		return nil
	}, 200*time.Millisecond)

	var wg sync.WaitGroup
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := check(); err != nil {
				t.Errorf("check: %v", err)
			}
		}()
	}
	wg.Wait()
	if n := calls.Load(); n != 1 {
		t.Fatalf("50 concurrent probes ran the check %d times, want 1", n)
	}
	fail.Store(true)
	if err := check(); err != nil {
		t.Fatalf("within the cache time the cached answer stands, got %v", err)
	}
	time.Sleep(250 * time.Millisecond)
	if err := check(); err == nil || err.Error() != "down" {
		t.Fatalf("after the cache time: %v, want down", err)
	}
	if n := calls.Load(); n != 2 {
		t.Fatalf("check ran %d times, want 2", n)
	}
}
