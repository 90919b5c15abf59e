package kv

import (
	"testing"
	"time"
)

// The sweeper skips a store that never held a key with a TTL, and sweeps
// as before once any path gave one: Set with a TTL, Expire, or Update
// (the RESP commands' path).
func TestSweepOnlyOnceATTLWasSet(t *testing.T) {
	for _, tc := range []struct {
		name string
		ttl  func(s *Store, now int64)
	}{
		{"set", func(s *Store, _ int64) { s.Set("k", "v", time.Millisecond) }},
		{"expire", func(s *Store, _ int64) { s.Set("k", "v", 0); s.Expire("k", time.Millisecond) }},
		{"update", func(s *Store, now int64) {
			s.Update("k", func(string, int64, bool) (string, int64, UpdateOp) {
				return "v", now + int64(time.Millisecond), UpdateStore
			})
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, clk := newStore(t, Options{SweepInterval: time.Hour})
			for i := 0; i < 100; i++ {
				s.Set("plain:"+string(rune('a'+i%26))+string(rune('a'+i/26)), "v", 0)
			}
			if s.hadTTL.Load() || s.SweepExpired() != 0 {
				t.Fatal("a store without TTLs swept")
			}
			tc.ttl(s, clk.now())
			if !s.hadTTL.Load() {
				t.Fatal("the TTL was not noted")
			}
			clk.advance(time.Second)
			if n := s.SweepExpired(); n != 1 {
				t.Fatalf("swept %d keys, want 1", n)
			}
			if s.Len() != 100 {
				t.Fatalf("%d keys left", s.Len())
			}
		})
	}
}
