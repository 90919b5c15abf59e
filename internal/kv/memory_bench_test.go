package kv

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
)

// BenchmarkMillionMemory is the memory row of make bench-kv in Go: a
// million keys of 16 bytes with 32-byte values, the Go heap they hold
// per key after a collection (the store's index, slots and values; the
// RSS the bench measures adds what the runtime keeps resident).
func BenchmarkMillionMemory(b *testing.B) {
	keys := make([]string, millionKeys)
	for i := range keys {
		keys[i] = fmt.Sprintf("bench:k:%08d", i)
	}
	v := strings.Repeat("v", 32)
	var ms runtime.MemStats
	for i := 0; i < b.N; i++ {
		runtime.GC()
		runtime.ReadMemStats(&ms)
		before := ms.HeapAlloc
		s, _ := New(Options{})
		for _, k := range keys {
			s.Set(k, v, 0)
		}
		runtime.GC()
		runtime.ReadMemStats(&ms)
		b.ReportMetric(float64(ms.HeapAlloc-before)/millionKeys, "heap-B/key")
		s.Close()
		runtime.KeepAlive(s)
	}
}
