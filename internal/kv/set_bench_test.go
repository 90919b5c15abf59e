package kv

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
)

// BenchmarkThousandSet is the x 1K keys set rows of make bench-kv in Go:
// 1000 keys of 16 bytes overwritten in turn with values of 16 bytes or
// 1 KB, with PHP's hash as phpembed passes it, in CPU ns per set
// (getrusage: on a busy machine wall time mostly measures the wait for a
// core), on the server's store (with its GC floor).
func BenchmarkThousandSet(b *testing.B) {
	for _, size := range []int{16, 1024} {
		b.Run(strconv.Itoa(size), func(b *testing.B) {
			s, _ := New(Options{ReturnMemory: true})
			defer s.Close()
			keys := make([]string, 1000)
			hashes := make([]uint64, len(keys))
			v := strings.Repeat("v", size)
			for i := range keys {
				keys[i] = fmt.Sprintf("bench:k:%08d", i)
				hashes[i] = FilterHash(keys[i])
				s.SetHashed(keys[i], hashes[i], v, 0)
			}
			w := strings.Repeat("w", size)
			b.ReportAllocs()
			defer cpuTimer(b)()
			for i := 0; i < b.N; i++ {
				j := i % len(keys)
				s.SetHashed(keys[j], hashes[j], w, 0)
			}
		})
	}
}
