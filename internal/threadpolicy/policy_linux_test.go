package threadpolicy

import (
	"runtime"
	"sync"
	"testing"
)

func TestParse(t *testing.T) {
	for _, c := range []struct {
		in   string
		want Policy
	}{{"normal", Normal}, {"batch", Batch}} {
		got, err := Parse(c.in)
		if err != nil || got != c.want || got.String() != c.in {
			t.Errorf("Parse(%q) = %v, %v", c.in, got, err)
		}
	}
	for _, bad := range []string{"", "BATCH", "idle", "fifo"} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q) accepted", bad)
		}
	}
}

// newThreads makes the runtime start n more OS threads: each goroutine
// holds its own locked thread until all have started.
func newThreads(t *testing.T, n int) []int {
	t.Helper()
	var wg sync.WaitGroup
	tids := make([]int, n)
	release := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			runtime.LockOSThread() // never unlocked: the thread ends with the goroutine
			tids[i] = gettid()
			wg.Done()
			<-release
		}()
	}
	wg.Wait()
	close(release)
	return tids
}

func allThreads(t *testing.T, want Policy) {
	t.Helper()
	tids, err := threads()
	if err != nil {
		t.Fatal(err)
	}
	for _, tid := range tids {
		cur, err := policyOf(tid)
		if err != nil {
			continue // ended since the listing
		}
		if cur != want.kernel() {
			t.Errorf("thread %d: policy %d, want %d (%v)", tid, cur, want.kernel(), want)
		}
	}
}

func TestApplyReachesEveryThreadAndTheirChildren(t *testing.T) {
	newThreads(t, 4) // threads that exist before Apply
	n, err := Apply(Batch)
	t.Cleanup(func() { Apply(Normal) })
	if err != nil {
		t.Fatalf("Apply(Batch): %v", err)
	}
	if n == 0 {
		t.Fatal("Apply(Batch) changed no thread")
	}
	allThreads(t, Batch)
	// Threads started afterwards inherit it from their creator.
	for _, tid := range newThreads(t, 4) {
		if cur, err := policyOf(tid); err == nil && cur != schedBatch {
			t.Errorf("new thread %d: policy %d, want batch", tid, cur)
		}
	}
	allThreads(t, Batch)
	if n, err := Apply(Batch); err != nil || n != 0 {
		t.Errorf("Apply(Batch) again changed %d threads, err %v; want 0, nil", n, err)
	}

	if _, err := Apply(Normal); err != nil {
		t.Fatalf("Apply(Normal): %v", err)
	}
	allThreads(t, Normal)
}

// A thread given SCHED_IDLE on purpose (as `chrt -i` would) keeps it:
// Apply changes only the other of its two policies.
func TestApplyLeavesOtherPoliciesAlone(t *testing.T) {
	const schedIdle = 5
	idle := make(chan int)
	done := make(chan struct{})
	go func() {
		runtime.LockOSThread() // never unlocked: the thread ends with the goroutine
		tid := gettid()
		if err := setPolicy(tid, schedIdle); err != nil {
			close(idle)
			return
		}
		idle <- tid
		<-done
	}()
	tid, ok := <-idle
	if !ok {
		t.Skip("SCHED_IDLE refused here")
	}
	defer close(done)
	t.Cleanup(func() { Apply(Normal) })
	if _, err := Apply(Batch); err != nil {
		t.Fatalf("Apply(Batch): %v", err)
	}
	if cur, err := policyOf(tid); err != nil || cur != schedIdle {
		t.Errorf("the SCHED_IDLE thread has policy %d (err %v) after Apply(Batch), want it kept at %d", cur, err, schedIdle)
	}
	if cur, err := policyOf(gettidOfAnother(t, tid)); err == nil && cur != schedBatch {
		t.Errorf("another thread: policy %d after Apply(Batch), want batch", cur)
	}
}

// gettidOfAnother returns a thread of this process other than tid.
func gettidOfAnother(t *testing.T, tid int) int {
	t.Helper()
	tids, err := threads()
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range tids {
		if x != tid {
			return x
		}
	}
	t.Fatal("only one thread")
	return 0
}
