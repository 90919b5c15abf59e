//go:build !race

package kv

import "unsafe"

// copyIn writes v at dst, a mutable version's bytes, under its lock.
func copyIn(dst unsafe.Pointer, v string) {
	copy(unsafe.Slice((*byte)(dst), len(v)), v)
}

// copyOut reads len(b) bytes of a mutable version at src into b; a writer
// may be writing them (the seqlock then makes the reader copy again).
func copyOut(b []byte, src unsafe.Pointer) {
	copy(b, unsafe.Slice((*byte)(src), len(b)))
}
