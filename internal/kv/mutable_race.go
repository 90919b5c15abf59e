//go:build race

package kv

import (
	"sync/atomic"
	"unsafe"
)

// Under the race detector a mutable version's bytes are written and read
// a word at a time with atomic operations: the seqlock's plain copies
// would be reported as races (they are, by design: a torn copy is thrown
// away). A version's bytes start 8-aligned and its capacity is a multiple
// of 8, so whole words stay inside it.

func copyIn(dst unsafe.Pointer, v string) {
	for i := 0; i < len(v); i += 8 {
		var w uint64
		for j := 0; j < 8 && i+j < len(v); j++ {
			w |= uint64(v[i+j]) << (8 * j)
		}
		atomic.StoreUint64((*uint64)(unsafe.Add(dst, i)), w)
	}
}

func copyOut(b []byte, src unsafe.Pointer) {
	for i := 0; i < len(b); i += 8 {
		w := atomic.LoadUint64((*uint64)(unsafe.Add(src, i)))
		for j := 0; j < 8 && i+j < len(b); j++ {
			b[i+j] = byte(w >> (8 * j))
		}
	}
}
