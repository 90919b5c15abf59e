package kvredis

import (
	"testing"
	"time"

	"github.com/ephpm/ephpm/internal/redistest"
)

const benchValue = "some value of a typical size, say sixty-four bytes long......"

func benchStore(b *testing.B, cache int64) *Store {
	r := redistest.Start(b, redistest.Options{})
	s := mustNew(b, Options{Addresses: []string{r.Addr}, KeyPrefix: "bench:", ClientCache: cache, CommandTimeout: time.Second})
	waitReady(b, s)
	return s
}

// benchGet runs Get of key in parallel, every call a hit.
func benchGet(b *testing.B, s *Store, key string) {
	if _, ok := s.Get(key); !ok {
		b.Fatal("get missed")
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, ok := s.Get(key); !ok {
				b.Error("get missed")
				return
			}
		}
	})
}

// BenchmarkGetCached is Get answered by the client cache: the path of a
// hot ephpm_kv_get on the Redis backend (target: within 2x of the memory
// backend from PHP).
func BenchmarkGetCached(b *testing.B) {
	s := benchStore(b, 64<<20)
	s.Set("k", benchValue, 0)
	benchGet(b, s, "k")
}

// BenchmarkGetCachedTTL is the same for a key with a TTL (a clock read
// per hit).
func BenchmarkGetCachedTTL(b *testing.B) {
	s := benchStore(b, 64<<20)
	s.Set("k", benchValue, time.Hour)
	benchGet(b, s, "k")
}

// BenchmarkGetUncached is Get without the client cache: a round trip.
func BenchmarkGetUncached(b *testing.B) {
	s := benchStore(b, 0)
	s.Set("k", benchValue, 0)
	benchGet(b, s, "k")
}

// BenchmarkSet, with the client cache on (each write pipelined with its
// fence) and off.
func BenchmarkSet(b *testing.B) {
	for _, c := range []struct {
		name  string
		cache int64
	}{{"cache", 64 << 20}, {"nocache", 0}} {
		b.Run(c.name, func(b *testing.B) {
			s := benchStore(b, c.cache)
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if !s.Set("k", benchValue, 0) {
						b.Error("set failed")
						return
					}
				}
			})
		})
	}
}

// BenchmarkIncr, with the client cache on and off.
func BenchmarkIncr(b *testing.B) {
	for _, c := range []struct {
		name  string
		cache int64
	}{{"cache", 64 << 20}, {"nocache", 0}} {
		b.Run(c.name, func(b *testing.B) {
			s := benchStore(b, c.cache)
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := s.IncrBy("n", 1); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}
