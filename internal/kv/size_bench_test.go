package kv

import (
	"strconv"
	"strings"
	"testing"
)

// Set and published-path reads by value size (the rows of make bench-kv).
func BenchmarkSetSize(b *testing.B) {
	for _, size := range []int{16, 1024, 64 << 10} {
		b.Run(strconv.Itoa(size), func(b *testing.B) {
			s := benchStore(b)
			v := strings.Repeat("v", size)
			b.ReportAllocs()
			b.SetBytes(int64(size))
			for i := 0; i < b.N; i++ {
				s.SetHashed(benchKeys[i&1023], uint64(i&1023), v, 0)
			}
		})
	}
}

func BenchmarkPublishedReadSize(b *testing.B) {
	for _, size := range []int{16, 1024, 64 << 10} {
		b.Run(strconv.Itoa(size), func(b *testing.B) {
			s := benchStore(b)
			if s.EnablePublishing() == nil {
				b.Skip("no published values")
			}
			b.Cleanup(s.dropPublished)
			v := strings.Repeat("v", size)
			for _, k := range benchKeys[:512] {
				s.Set(k, v, 0)
				readTwice(s, k)
			}
			b.SetBytes(int64(size))
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, _, ok := s.pubRead(benchKeys[i&511], nil); !ok {
					b.Fatal("not published")
				}
			}
		})
	}
}
