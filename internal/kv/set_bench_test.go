package kv

import (
	"fmt"
	"strings"
	"testing"
)

// BenchmarkThousandSet is the 16 B x 1K keys set row of make bench-kv in
// Go: 1000 keys of 16 bytes overwritten in turn with 16-byte values, with
// PHP's hash as phpembed passes it, in CPU ns per set (getrusage: on a
// busy machine wall time mostly measures the wait for a core).
func BenchmarkThousandSet(b *testing.B) {
	s, _ := New(Options{ReturnMemory: true}) // the server's store: with its GC floor
	defer s.Close()
	keys := make([]string, 1000)
	hashes := make([]uint64, len(keys))
	v := strings.Repeat("v", 16)
	for i := range keys {
		keys[i] = fmt.Sprintf("bench:k:%08d", i)
		hashes[i] = FilterHash(keys[i])
		s.SetHashed(keys[i], hashes[i], v, 0)
	}
	w := strings.Repeat("w", 16)
	b.ReportAllocs()
	defer cpuTimer(b)()
	for i := 0; i < b.N; i++ {
		j := i % len(keys)
		s.SetHashed(keys[j], hashes[j], w, 0)
	}
}
