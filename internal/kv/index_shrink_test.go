package kv

import (
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Tables shrink when most of their keys are deleted (index.go, Compute's
// delete): after Flush or a DelPrefix of most keys a segment kept its big
// table and its deleted cells until ~3/8 of its cells had been inserted
// again, so the memory stayed held and a miss cost what it costs in the
// full store.

// ixTotalCells is the number of cells of all the index's tables now.
func ixTotalCells(x *index) int {
	n := 0
	for s := range x.segs {
		if t := x.segs[s].t.Load(); t != nil {
			n += len(t.l)
		}
	}
	return n
}

// ixMaxCells is the most cells the tables may hold with n keys: a table
// is rebuilt smaller once fewer than 1/16 of its cells are live, so each
// segment holds at most 16 lines per live key, or its smallest table
// (with no key left: 8 lines per segment, 512 lines).
func ixMaxCells(n int) int { return ixSegs*ixMinLines + 16*n }

func newShrinkStore(t *testing.T) *Store {
	t.Helper()
	s, err := New(Options{SweepInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func shrinkFill(t *testing.T, s *Store, prefix string, n int) {
	t.Helper()
	for i := 0; i < n; i++ {
		if !s.Set(prefix+strconv.Itoa(i), "v"+strconv.Itoa(i), 0) {
			t.Fatalf("Set(%s%d) refused", prefix, i)
		}
	}
}

// shrinkCheck fails unless the store's index is sized for its keys and
// every key in keep (key -> value) is found with its value.
func shrinkCheck(t *testing.T, s *Store, full int, keep map[string]string) {
	t.Helper()
	if got, max := ixTotalCells(s.m), ixMaxCells(len(keep)); got > max {
		t.Fatalf("%d keys left: the index holds %d cells (%d when full), want at most %d", len(keep), got, full, max)
	}
	if s.m.Size() != len(keep) {
		t.Fatalf("index Size %d, want %d", s.m.Size(), len(keep))
	}
	for k, want := range keep {
		if v, ok := s.Get(k); !ok || v != want {
			t.Fatalf("Get(%q) = %q, %v; want %q", k, v, ok, want)
		}
	}
	seen := 0
	s.Range(func(key string, _ int64) bool {
		if _, ok := keep[key]; !ok {
			t.Fatalf("Range gave %q, not a remaining key", key)
		}
		seen++
		return true
	})
	if seen != len(keep) {
		t.Fatalf("Range saw %d keys, want %d", seen, len(keep))
	}
}

// TestIndexShrinksAfterDeletes: 100K keys set, then all removed by Del, by
// Flush, or all but a few by DelPrefix: the tables go back down to the
// size of what is left, the remaining keys are found, and the store keeps
// working (a new fill grows the tables again).
func TestIndexShrinksAfterDeletes(t *testing.T) {
	const n = 100_000
	cases := []struct {
		name   string
		remove func(s *Store) map[string]string // returns the keys left
	}{
		{"Del", func(s *Store) map[string]string {
			for i := 0; i < n; i++ {
				if !s.Del("key:" + strconv.Itoa(i)) {
					t.Fatalf("Del(key:%d) found nothing", i)
				}
			}
			return map[string]string{}
		}},
		{"Flush", func(s *Store) map[string]string {
			s.Flush()
			return map[string]string{}
		}},
		{"DelPrefix", func(s *Store) map[string]string {
			keep := map[string]string{}
			for i := 0; i < 500; i++ {
				k := "other:" + strconv.Itoa(i)
				if !s.Set(k, "o"+strconv.Itoa(i), 0) {
					t.Fatalf("Set(%s) refused", k)
				}
				keep[k] = "o" + strconv.Itoa(i)
			}
			if got := s.DelPrefix("key:"); got != n {
				t.Fatalf("DelPrefix removed %d keys, want %d", got, n)
			}
			return keep
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := newShrinkStore(t)
			shrinkFill(t, s, "key:", n)
			full := ixTotalCells(s.m)
			if full < n {
				t.Fatalf("%d cells for %d keys", full, n)
			}
			keep := c.remove(s)
			shrinkCheck(t, s, full, keep)
			// Refill: grows again, every key found.
			shrinkFill(t, s, "key:", n/10)
			for i := 0; i < n/10; i++ {
				keep["key:"+strconv.Itoa(i)] = "v" + strconv.Itoa(i)
			}
			shrinkCheck(t, s, full, keep)
		})
	}
}

// TestIndexShrinkKeepsReaders: lock-free readers look up keys present for
// the whole test while a writer fills their segments with 20K other keys
// and deletes them again, round after round (each round grows the tables
// and shrinks them back): the stable keys are always found with their
// own slot, a deleted key never comes back, and at the end the tables are
// small again.
func TestIndexShrinkKeepsReaders(t *testing.T) {
	x := newIndex()
	stable := map[string]*slot{}
	for i := 0; i < 200; i++ {
		k := "stable:" + strconv.Itoa(i)
		sl, st := newSlot(k)
		x.Compute(st, func(*slot, bool) (*slot, ixOp) { return sl, ixUpdate })
		stable[st] = sl
	}
	rounds := 8
	if testing.Short() {
		rounds = 3
	}
	var stop atomic.Bool
	var fail atomic.Pointer[string]
	var wg sync.WaitGroup
	for r := 0; r < 2; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				for k, want := range stable {
					if got, ok := x.Load(k); !ok || got != want {
						msg := "stable key " + k + " lost during a shrink or grow"
						fail.CompareAndSwap(nil, &msg)
						return
					}
				}
				if _, ok := x.Load("churn:never"); ok {
					msg := "an absent key found"
					fail.CompareAndSwap(nil, &msg)
					return
				}
			}
		}()
	}
	const churn = 20_000
	for round := 0; round < rounds && fail.Load() == nil; round++ {
		for i := 0; i < churn; i++ {
			sl, st := newSlot("churn:" + strconv.Itoa(i))
			x.Compute(st, func(_ *slot, loaded bool) (*slot, ixOp) {
				if loaded {
					t.Errorf("round %d: churn:%d present before its insert", round, i)
				}
				return sl, ixUpdate
			})
		}
		for i := 0; i < churn; i++ {
			k := "churn:" + strconv.Itoa(i)
			found := false
			x.Compute(k, func(cur *slot, loaded bool) (*slot, ixOp) {
				found = loaded
				return cur, ixDelete
			})
			if !found {
				t.Fatalf("round %d: %s not found for its delete", round, k)
			}
			if _, ok := x.Load(k); ok {
				t.Fatalf("round %d: %s found after its delete", round, k)
			}
		}
	}
	stop.Store(true)
	wg.Wait()
	if m := fail.Load(); m != nil {
		t.Fatal(*m)
	}
	if got, max := ixTotalCells(x), ixMaxCells(len(stable)); got > max {
		t.Fatalf("%d cells for %d keys after the churn, want at most %d", got, len(stable), max)
	}
	if x.Size() != len(stable) {
		t.Fatalf("Size %d, want %d", x.Size(), len(stable))
	}
}

// BenchmarkIndexMissAfterFlush: an index Load of an absent key in a store
// that held 1M keys, was flushed, and holds 1,000 new ones (the tables of
// the million were kept until ~180K new inserts before tables shrank).
// Reports the index's cells too. Compare with BenchmarkIndexMissFresh.
func BenchmarkIndexMissAfterFlush(b *testing.B) {
	s, err := New(Options{SweepInterval: time.Hour})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	for i := 0; i < 1_000_000; i++ {
		s.Set("key:"+strconv.Itoa(i), "v", 0)
	}
	s.Flush()
	for i := 0; i < 1000; i++ {
		s.Set("new:"+strconv.Itoa(i), "v", 0)
	}
	// Many absent keys, so that their probes do not all stay in cache.
	miss := make([]string, 1<<20)
	for i := range miss {
		miss[i] = "absent:" + strconv.Itoa(i)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, ok := s.m.Load(miss[i&(1<<20-1)]); ok {
			b.Fatal("absent key found")
		}
	}
	b.ReportMetric(float64(ixTotalCells(s.m)), "cells")
}

// BenchmarkIndexMissFresh: the same miss in a store that only ever held
// the 1,000 keys.
func BenchmarkIndexMissFresh(b *testing.B) {
	s, err := New(Options{SweepInterval: time.Hour})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	for i := 0; i < 1000; i++ {
		s.Set("new:"+strconv.Itoa(i), "v", 0)
	}
	miss := make([]string, 1<<20)
	for i := range miss {
		miss[i] = "absent:" + strconv.Itoa(i)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, ok := s.m.Load(miss[i&(1<<20-1)]); ok {
			b.Fatal("absent key found")
		}
	}
	b.ReportMetric(float64(ixTotalCells(s.m)), "cells")
}
