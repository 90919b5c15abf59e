package phpembed

import (
	"testing"
	"time"
)

// A token holder takes queued requests in arrival order, gives way at
// once to someone taking every token (ResetOPcache) even with requests
// waiting, and does not poll an empty queue unless the queue ran deep
// lately (holderSpin, deepQueuePerThread).
func TestNextQueued(t *testing.T) {
	rt := &Runtime{dq: make(chan *Request, 4), startedAt: time.Now().Add(-time.Hour)}
	a, b := &Request{}, &Request{}
	rt.dq <- a
	rt.dq <- b
	rt.waiting.Store(2)

	rt.exclusive.Store(1)
	if got := rt.nextQueued(); got != nil {
		t.Fatalf("held exclusively: nextQueued took a request")
	}
	if len(rt.dq) != 2 {
		t.Fatalf("held exclusively: %d requests left in the queue, want 2", len(rt.dq))
	}
	rt.exclusive.Store(0)
	if got := rt.nextQueued(); got != a {
		t.Fatalf("first: got %p, want the first queued %p", got, a)
	}
	if got := rt.nextQueued(); got != b {
		t.Fatalf("second: got %p, want %p", got, b)
	}
	if n := rt.waiting.Load(); n != 0 {
		t.Errorf("waiting = %d after both were taken, want 0", n)
	}

	// A request whose client left is skipped.
	c, d := &Request{}, &Request{}
	c.claim.Store(claimAbandoned)
	rt.dq <- c
	rt.dq <- d
	rt.waiting.Store(1)
	if got := rt.nextQueued(); got != d {
		t.Fatalf("after an abandoned one: got %p, want %p", got, d)
	}

	// No deep queue for an hour: an empty queue returns at once, however
	// slow the machine (no spin at all).
	rt.lastDeep.Store(0)
	for i := 0; i < 1000; i++ {
		if got := rt.nextQueued(); got != nil {
			t.Fatalf("empty queue: got %p", got)
		}
	}

	// noteDeepQueue records the time; nextQueued then spins on an empty
	// queue, but not for ever.
	rt.noteDeepQueue()
	if since := time.Since(rt.startedAt) - time.Duration(rt.lastDeep.Load()); since < 0 || since > time.Minute {
		t.Fatalf("noteDeepQueue recorded %v ago", since)
	}
	done := make(chan *Request)
	go func() { done <- rt.nextQueued() }()
	select {
	case got := <-done:
		if got != nil {
			t.Fatalf("spin on an empty queue returned %p", got)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("nextQueued kept polling an empty queue")
	}
}
