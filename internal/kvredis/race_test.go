package kvredis

import (
	"strconv"
	"sync"
	"testing"
	"time"
)

// TestConcurrentGetSetInvalidations: readers, writers on this node and
// another node's writes (invalidations) at once, for the race detector
// and for the cache's promise: a reader never sees a key's counter go
// back (no value older than one already seen is served once its
// invalidation came), and a node reads its own writes at once.
func TestConcurrentGetSetInvalidations(t *testing.T) {
	t.Parallel()
	_, a, other := twoNodes(t)
	const keys = 4
	dur := 1500 * time.Millisecond
	if testing.Short() {
		dur = 300 * time.Millisecond
	}
	deadline := time.Now().Add(dur)
	var wg sync.WaitGroup
	errs := make(chan string, 16)
	report := func(msg string) {
		select {
		case errs <- msg:
		default:
		}
	}

	// Writers: "own<i>" written by this node (read back at once), "ext<i>"
	// by the other node, each with increasing values.
	for i := 0; i < keys; i++ {
		wg.Add(2)
		go func(k string) {
			defer wg.Done()
			for n := 1; time.Now().Before(deadline); n++ {
				if !a.Set(k, strconv.Itoa(n), 0) {
					report("Set failed")
					return
				}
				if v, _ := a.Get(k); v != strconv.Itoa(n) {
					report(k + ": own write " + strconv.Itoa(n) + " read back as " + v)
					return
				}
				time.Sleep(100 * time.Microsecond)
			}
		}("own" + strconv.Itoa(i))
		go func(k string) {
			defer wg.Done()
			for n := 1; time.Now().Before(deadline); n++ {
				if !other.Set(k, strconv.Itoa(n), 0) {
					report("Set on the other node failed")
					return
				}
				time.Sleep(200 * time.Microsecond)
			}
		}("ext" + strconv.Itoa(i))
	}
	// Readers: each key's value never goes back.
	for r := 0; r < 4; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			seen := map[string]int{}
			for time.Now().Before(deadline) {
				for i := 0; i < keys; i++ {
					for _, k := range []string{"own" + strconv.Itoa(i), "ext" + strconv.Itoa(i)} {
						v, ok := a.Get(k)
						if !ok {
							if seen[k] > 0 {
								report(k + " vanished after " + strconv.Itoa(seen[k]))
								return
							}
							continue
						}
						n, _ := strconv.Atoi(v)
						if n < seen[k] {
							report(k + ": read " + v + " after " + strconv.Itoa(seen[k]))
							return
						}
						seen[k] = n
					}
				}
				time.Sleep(50 * time.Microsecond) // not a busy loop: see TestReadYourOwnWrites
			}
		}()
	}
	// Resets of the whole cache (as a reconnect does) now and then.
	wg.Add(1)
	go func() {
		defer wg.Done()
		for time.Now().Before(deadline) {
			a.near.invalidate(nil, true)
			time.Sleep(20 * time.Millisecond)
		}
	}()
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	st := a.Stats()
	if st.CacheHits == 0 || st.CacheMisses == 0 {
		t.Fatalf("hits %d, misses %d: the test did not exercise the cache", st.CacheHits, st.CacheMisses)
	}
	t.Logf("cache hits %d, misses %d", st.CacheHits, st.CacheMisses)
	// Quiet now: every node converges on Redis's values.
	for i := 0; i < keys; i++ {
		k := "ext" + strconv.Itoa(i)
		want, _ := other.Get(k)
		eventually(t, "the last write to "+k, func() bool { v, _ := a.Get(k); return v == want })
	}
}
