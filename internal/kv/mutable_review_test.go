package kv

import (
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Session 12 review. A key whose value is written in place (PHP's set:
// SetHashed, mutable.go) changes its value and its expiry under the
// version's seqlock. GetWithExpiry (RESP's RENAME, EXPIRETIME, COPY read
// value and TTL with it) must return a pair the key held at one moment:
// the value of one set with the expiry of the same set. It read the value
// under the seqlock and the expiry after it, so a set landing in between
// paired the old value with the new set's TTL (RENAME then moved "A"
// with B's TTL, a state the key never had).
func TestReviewGetWithExpiryPairsValueAndTTLOfOneSet(t *testing.T) {
	s, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// Over 40 bytes: not a small record of the index's lines (index.go),
	// so the key has a slot whose version is written in place.
	key := strings.Repeat("p", 41)
	h := keyHash(key)
	// "A" never has a TTL, "BB" always has one: both fit the slot's
	// capacity, so every set after the first is written in place.
	s.SetHashed(key, h, "A", 0)
	if _, v := s.find(key, h); v == nil || !v.isMut() {
		t.Fatal("the key's version is not mutable in place")
	}
	var stop atomic.Bool
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; !stop.Load(); i++ {
			if i%2 == 0 {
				s.SetHashed(key, h, "A", 0)
			} else {
				s.SetHashed(key, h, "BB", time.Hour)
			}
		}
	}()
	bad, reads := 0, 0
	for end := time.Now().Add(time.Second); time.Now().Before(end) && bad == 0; {
		for i := 0; i < 1000; i++ {
			v, exp, ok := s.GetWithExpiry(key)
			reads++
			if !ok || (v == "A") != (exp == 0) || (v != "A" && v != "BB") {
				bad++
				t.Errorf("GetWithExpiry: %q expiring at %d (ok %v): A is set without a TTL, BB with one", v, exp, ok)
				break
			}
		}
	}
	stop.Store(true)
	wg.Wait()
	if _, v := s.find(key, h); !v.isMut() {
		t.Errorf("the version was replaced meanwhile: the test did not test in-place writes")
	}
	t.Logf("%d reads", reads)
}
