package kv

import (
	"strconv"
	"testing"
	"unsafe"
)

// TestIndexFindsEveryKey: after inserts (through every rebuild of a
// segment) and deletes, Load finds exactly the keys present, Range visits
// each of them once and Size counts them; over many seeds, so that
// collisions of tags and probe sequences occur.
func TestIndexFindsEveryKey(t *testing.T) {
	for round := 0; round < 50; round++ {
		x := newIndex()
		const n = 3000
		keys := make([]string, n)
		for i := range keys {
			keys[i] = "key:" + strconv.Itoa(i)
			if i%97 == 0 {
				keys[i] = "" + keys[i][:i%5] // short ones, the empty key too
			}
		}
		present := map[string]*slot{}
		for i, k := range keys {
			if _, dup := present[k]; dup {
				continue
			}
			sl, stable := newSlot(k)
			x.Compute(stable, func(cur *slot, loaded bool) (*slot, ixOp) {
				if loaded {
					t.Fatalf("round %d: %q loaded before its insert (slot holds %q)", round, k, unsafe.String((*byte)(unsafe.Add(unsafe.Pointer(cur), 8)), 16))
				}
				return sl, ixUpdate
			})
			present[k] = sl
			if i%3 == 0 { // delete an earlier key
				d := keys[i/2]
				if _, ok := present[d]; ok {
					x.Compute(d, func(cur *slot, loaded bool) (*slot, ixOp) {
						if !loaded || cur != present[d] {
							t.Fatalf("round %d: %q not found for its delete", round, d)
						}
						return cur, ixDelete
					})
					delete(present, d)
				}
			}
		}
		for _, k := range keys {
			sl, ok := x.Load(k)
			if want, in := present[k]; ok != in || sl != want {
				t.Fatalf("round %d: Load(%q) = %p, %v; want %p, %v", round, k, sl, ok, want, in)
			}
		}
		seen := map[string]int{}
		x.Range(func(k string, sl *slot) bool {
			seen[k]++
			if present[k] != sl {
				t.Fatalf("round %d: Range gave %q with a slot not its own", round, k)
			}
			return true
		})
		if len(seen) != len(present) || x.Size() != len(present) {
			t.Fatalf("round %d: Range saw %d keys, Size %d, want %d", round, len(seen), x.Size(), len(present))
		}
		for k, c := range seen {
			if c != 1 {
				t.Fatalf("round %d: Range saw %q %d times", round, k, c)
			}
		}
	}
}
