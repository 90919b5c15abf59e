package kv

import (
	"hash/maphash"
	"math/rand/v2"
	"sync"
	"testing"
)

// The fuzz test's keys: crafted once, for one seed, to share a segment, a
// tag and (by twos) a home bucket, so that the fuzzer's operations all
// land in one table's probe sequences (see rvIndexKeys).
var (
	rvFuzzOnce sync.Once
	rvFuzzSeed maphash.Seed
	rvFuzzKeys []string
)

func rvFuzzSetup() {
	rvFuzzOnce.Do(func() {
		x := newIndex()
		rvFuzzSeed = x.seed
		rvFuzzKeys = rvIndexKeys(x, rand.New(rand.NewPCG(42, 42)), 2, 1)
	})
}

// FuzzReviewIndex decodes bytes into inserts, deletes, re-inserts and
// checks on an index of colliding keys, against a plain map: after every
// operation the touched key's Load is the map's answer, and at each check
// every key's Load, Range (each key once, its own slot) and Size are.
func FuzzReviewIndex(f *testing.F) {
	f.Add([]byte{0, 1, 0, 2, 1, 1, 0, 1, 2, 0})
	f.Add([]byte{0, 0, 0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 1, 3, 0, 7, 0, 8, 2, 0, 1, 0, 0, 0, 2, 0})
	seq := make([]byte, 0, 600)
	for i := 0; i < 300; i++ { // grow through several rebuilds, delete half, check
		seq = append(seq, 0, byte(i))
	}
	for i := 0; i < 300; i += 2 {
		seq = append(seq, 1, byte(i))
	}
	f.Add(append(seq, 2, 0))
	f.Fuzz(func(t *testing.T, ops []byte) {
		rvFuzzSetup()
		keys := rvFuzzKeys
		x := &index{seed: rvFuzzSeed}
		present := map[string]*slot{}
		check := func(step int) {
			for _, k := range keys {
				sl, ok := x.Load(k)
				if want, in := present[k]; ok != in || sl != want {
					t.Fatalf("step %d: Load(%.20q len %d) = %p %v, want %p %v", step, k, len(k), sl, ok, want, in)
				}
			}
			seen := map[string]int{}
			x.Range(func(k string, sl *slot) bool {
				if seen[k]++; seen[k] > 1 || present[k] != sl {
					t.Fatalf("step %d: Range gave %.20q (time %d) with slot %p, want %p", step, k, seen[k], sl, present[k])
				}
				return true
			})
			if len(seen) != len(present) || x.Size() != len(present) {
				t.Fatalf("step %d: Range %d keys, Size %d, want %d", step, len(seen), x.Size(), len(present))
			}
		}
		for i := 0; i+1 < len(ops); i += 2 {
			k := keys[int(ops[i+1])%len(keys)]
			switch ops[i] % 3 {
			case 0: // insert (or leave a present key alone)
				sl, _ := newSlot(k)
				x.Compute(k, func(cur *slot, loaded bool) (*slot, ixOp) {
					if loaded != (present[k] != nil) || cur != present[k] {
						t.Fatalf("step %d: %.20q found %p %v, want %p", i/2, k, cur, loaded, present[k])
					}
					if loaded {
						return nil, ixCancel
					}
					return sl, ixUpdate
				})
				if present[k] == nil {
					present[k] = sl
				}
			case 1: // delete
				x.Compute(k, func(cur *slot, loaded bool) (*slot, ixOp) {
					if cur != present[k] {
						t.Fatalf("step %d: delete of %.20q found %p, want %p", i/2, k, cur, present[k])
					}
					return cur, ixDelete
				})
				delete(present, k)
			default:
				check(i / 2)
			}
			if sl, ok := x.Load(k); ok != (present[k] != nil) || sl != present[k] {
				t.Fatalf("step %d: after the op Load(%.20q) = %p %v, want %p", i/2, k, sl, ok, present[k])
			}
		}
		check(-1)
	})
}
