package kv

import (
	"sync/atomic"
	"testing"
)

// BenchmarkMillionChain times, interleaved in chunks over the same
// shuffled million keys, what a PHP get costs on the Go side: after
// kvfuncs.c read the key's presence-filter line (which is the lookup
// cache's line) and waited for it, as the call into Go waits for every
// load before it ("filter+peek"), and without that read ("peek": what
// kvfuncs.c does while gets rarely miss); the same without the lookup
// cache (index bucket -> slot -> version, then the access clock as Peek
// touches it); and a writer's lookup (find) followed by a locked
// instruction, as a set's compare-and-swap. Chained reads (each waits for
// the one before), CPU ns per read. Measured (load 4-11): filter+peek
// 620-950, peek 510-730, index 470-690: the filter's line costs one
// dependent miss when waited for; the lookup cache's line and the other
// key's slot it points to cost little more than the index alone (the CPU
// overlaps them with the index's bucket).
func BenchmarkMillionChain(b *testing.B) {
	m := millionStore(b)
	s := m.s
	scratch := make([]byte, 1024)
	paths := []struct {
		name string
		f    func(j int) int
	}{
		{"filter+peek", func(j int) int {
			e := &s.hot[hotIndex(m.hashes[j])]
			x := int(e.cnt[0] >> 31)
			v, ok := s.Peek(m.keys[j+x], m.hashes[j+x], scratch)
			if !ok {
				b.Fatal("miss")
			}
			return int(v[0] >> 7)
		}},
		// (The keys are small records, index.go: the index's line holds
		// the value, copied here, and the access clock.)
		{"filter+index", func(j int) int {
			e := &s.hot[hotIndex(m.hashes[j])]
			x := int(e.cnt[0] >> 31)
			r, ok := s.m.get(m.keys[j+x], scratch, true)
			if !ok {
				b.Fatal("miss")
			}
			if !r.small { // (published since: indirect)
				return int(r.sl.v.Load().n >> 31)
			}
			s.peekTouchLine(m.keys[j], r.line)
			return recBit(r)
		}},
		{"peek", func(j int) int {
			v, ok := s.Peek(m.keys[j], m.hashes[j], scratch)
			if !ok {
				b.Fatal("miss")
			}
			return int(v[0] >> 7)
		}},
		// A writer's lookup, then a locked instruction (as the set's
		// compare-and-swap and the call into Go are).
		{"find", func(j int) int {
			sl, v, r := s.findRec(m.keys[j], m.hashes[j], nil, false)
			if sl != nil { // (published since: indirect)
				return int(atomic.AddUint32(&v.clock, 0) >> 31)
			}
			if !r.small && sl == nil {
				b.Fatal("miss")
			}
			return int(r.line.clock.Add(0) >> 31)
		}},
		{"index", func(j int) int {
			r, ok := s.m.get(m.keys[j], scratch, true)
			if !ok {
				b.Fatal("miss")
			}
			if !r.small { // (published since: indirect)
				return int(r.sl.v.Load().n >> 31)
			}
			s.peekTouchLine(m.keys[j], r.line)
			return recBit(r)
		}},
	}
	runChainedPaths(b, paths, millionKeys-1)
}

// BenchmarkMillionSetChained overwrites the million keys in one shuffled
// order with 16-byte values (after a pass that made every key's version
// mutable, so the timed sets are in place, as PHP's set row's median
// round); the set's compare-and-swap serializes them as PHP's calls are.
func BenchmarkMillionSetChained(b *testing.B) {
	benchMillionSets(b, 1)
}

// BenchmarkMillionSetScattered is BenchmarkMillionSetChained with the
// timed sets in another order than the pass that made every key's version
// mutable (a stride through the shuffled keys): a separately allocated
// version is then a cache miss of its own, as in an application that does
// not write its keys in one fixed order (PHP's set row writes them in the
// same order every round, so the versions its first pass allocated are
// read in allocation order, which the CPU's prefetcher streams).
func BenchmarkMillionSetScattered(b *testing.B) {
	benchMillionSets(b, 7919)
}

// benchMillionSets sets every key once (making its version mutable), then
// times sets of key i*stride in the shuffled order.
func benchMillionSets(b *testing.B, stride int) {
	m := millionStore(b)
	s := m.s
	v := "wwwwwwwwwwwwwwww"
	for j := range m.keys {
		s.SetHashed(m.keys[j], m.hashes[j], v, 0)
	}
	b.ReportAllocs()
	defer cpuTimer(b)()
	for i := 0; i < b.N; i++ {
		j := i * stride % millionKeys
		s.SetHashed(m.keys[j], m.hashes[j], v, 0)
	}
}

// recBit is a bit of a small record's value copied by a look-up (0 for
// a record made indirect since: a key the benchmark read twice within
// the publish window is published, and so no longer small).
func recBit(r rec) int {
	if !r.small || len(r.v) == 0 {
		return 0
	}
	return int(r.v[0] >> 7)
}
