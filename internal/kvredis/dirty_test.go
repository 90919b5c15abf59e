package kvredis

import (
	"strconv"
	"testing"
	"time"

	"github.com/ephpm/ephpm/internal/redistest"
)

// lazyStore is a store on its own Redis whose fencer fences only when
// asked (fenceLazy an hour), and at once past max dirty keys (0: the
// default).
func lazyStore(t *testing.T, max int64) *Store {
	t.Helper()
	r := redistest.Start(t, redistest.Options{})
	s := mustNew(t, Options{Addresses: []string{r.Addr}, KeyPrefix: "t:", ClientCache: 8 << 20, CommandTimeout: testTimeout, fenceLazy: time.Hour, dirtyMax: max})
	waitReady(t, s)
	if s.direct.Load() == nil {
		t.Fatal("direct path off on a standalone Redis without TLS")
	}
	return s
}

// TestDirtyWritesAloneSendNoFence: writes nobody reads back send no fence
// (the PING whose wake-ups cost more than the write, dirty.go); a read of
// a written key gets its value from Redis at once and asks for the fence
// that makes the key cached again.
func TestDirtyWritesAloneSendNoFence(t *testing.T) {
	t.Parallel()
	s := lazyStore(t, 0)
	for i := 0; i < 200; i++ {
		if !s.Set("w:"+strconv.Itoa(i%8), strconv.Itoa(i), 0) {
			t.Fatal("Set failed")
		}
		if _, err := s.IncrBy("w:n", 1); err != nil {
			t.Fatal(err)
		}
	}
	// Nothing asked for a fence: none is sent, however long we wait
	// (a short wait is enough to catch a fencer that would send one).
	time.Sleep(50 * time.Millisecond)
	if f := s.dirty.fences.Load(); f != 0 {
		t.Fatalf("%d fences for writes nobody read", f)
	}
	if n := s.dirty.n.Load(); n != 9 {
		t.Fatalf("%d dirty keys, want 9", n)
	}
	// Read back at once: the last write, from Redis.
	wantGet(t, s, "w:7", "199", true)
	wantGet(t, s, "w:n", "200", true)
	// That read asked for a fence; after it the key is cached again.
	eventually(t, "w:7 clean after its read", func() bool { return !s.dirty.has("w:7") })
	if s.dirty.fences.Load() == 0 {
		t.Fatal("key clean without a fence")
	}
	wantGet(t, s, "w:7", "199", true)
	h := s.Stats().CacheHits
	wantGet(t, s, "w:7", "199", true)
	if s.Stats().CacheHits == h {
		t.Fatal("a fenced key is not answered by the cache")
	}
}

// TestDirtyMaxAsksForFence: past max dirty keys the fencer fences without
// any read (and with its timer off), so the map stays small.
func TestDirtyMaxAsksForFence(t *testing.T) {
	t.Parallel()
	s := lazyStore(t, 16)
	for i := 0; i < 40; i++ {
		if !s.Set("m:"+strconv.Itoa(i), "v", 0) {
			t.Fatal("Set failed")
		}
	}
	// The 17th mark asked for a fence, sent after the first 16 writes
	// were done: those at least are cleared. (Keys written after the last
	// fence stay dirty: the timer is off and nobody reads them.)
	eventually(t, "a fence with no read", func() bool { return s.dirty.fences.Load() > 0 && s.dirty.n.Load() <= 40-16 })
}

// TestDirtyDefaultFencerEmptiesMap: with the default timer, keys written
// and never read are fenced and forgotten within about fenceLazy.
func TestDirtyDefaultFencerEmptiesMap(t *testing.T) {
	t.Parallel()
	_, s := standalone(t, 8<<20)
	for i := 0; i < 20; i++ {
		s.Set("d:"+strconv.Itoa(i), "v", 0)
	}
	waitClean(t, s)
	wantGet(t, s, "d:3", "v", true)
}
