package kvredis

import (
	"testing"
	"time"

	"github.com/ephpm/ephpm/internal/redistest"
)

// BenchmarkGetCached is Get answered by the client cache: the path of a
// hot ephpm_kv_get on the Redis backend (target: within 2x of the memory
// backend from PHP).
func BenchmarkGetCached(b *testing.B) {
	r := redistest.Start(b, redistest.Options{})
	s := mustNew(b, Options{Addresses: []string{r.Addr}, KeyPrefix: "bench:", ClientCache: 64 << 20, CommandTimeout: time.Second})
	if !s.Set("k", "some value of a typical size, say sixty-four bytes long......", 0) {
		b.Fatal("set failed")
	}
	if _, ok := s.Get("k"); !ok {
		b.Fatal("get missed")
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, ok := s.Get("k"); !ok {
				b.Error("get missed")
				return
			}
		}
	})
}
