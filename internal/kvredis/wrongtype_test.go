package kvredis

import (
	"errors"
	"strings"
	"testing"

	"github.com/ephpm/ephpm/internal/kv"
	"github.com/ephpm/ephpm/internal/redistest"
)

// A key another client made a list under the prefix: GetTyped reports
// Redis's own WRONGTYPE reply (what the RESP endpoint answers), Get is a
// miss (PHP's failure value), Exists is true as Redis's EXISTS says, and
// IncrBy's error is Redis's WRONGTYPE text that is still kv.ErrNotInteger
// (PHP's false). The same with the client cache off and on, on the
// direct path and on rueidis's. None of it counts as a failure of Redis.
func TestForeignTypeReads(t *testing.T) {
	cacheModes(t, func(t *testing.T, cache int64) {
		for _, direct := range []bool{true, false} {
			r := redistest.Start(t, redistest.Options{})
			s := mustNew(t, Options{Addresses: []string{r.Addr}, KeyPrefix: "t:", ClientCache: cache, CommandTimeout: testTimeout, noDirect: !direct})
			waitReady(t, s)
			r.CLI("RPUSH", "t:L", "a")
			for i := 0; i < 2; i++ { // a second read must not come from a cache
				v, ok, err := s.GetTyped("L")
				if ok || v != "" || err == nil || !strings.HasPrefix(err.Error(), "WRONGTYPE Operation against a key holding the wrong kind of value") {
					t.Fatalf("direct=%v GetTyped of a list: %q %v %v", direct, v, ok, err)
				}
			}
			if v, ok := s.Get("L"); ok || v != "" {
				t.Errorf("direct=%v Get of a list: %q %v, want a miss", direct, v, ok)
			}
			if !s.Exists("L") {
				t.Errorf("direct=%v Exists of a list: false, want true (EXISTS says 1)", direct)
			}
			_, err := s.IncrBy("L", 1)
			if !errors.Is(err, kv.ErrNotInteger) || !strings.HasPrefix(err.Error(), "WRONGTYPE ") {
				t.Errorf("direct=%v IncrBy of a list: %v, want WRONGTYPE that is kv.ErrNotInteger", direct, err)
			}
			// A string and a missing key read as ever.
			s.Set("s", "v", 0)
			if v, ok, err := s.GetTyped("s"); !ok || v != "v" || err != nil {
				t.Errorf("direct=%v GetTyped of a string: %q %v %v", direct, v, ok, err)
			}
			if v, ok, err := s.GetTyped("none"); ok || v != "" || err != nil {
				t.Errorf("direct=%v GetTyped of a missing key: %q %v %v", direct, v, ok, err)
			}
			// The caller's data, not a failure of Redis: not counted
			// (nor logged), as IncrBy's "not an integer" is not.
			if n := s.stats.errRedis.Load(); n != 0 {
				t.Errorf("direct=%v backend errors counted: %d, want 0", direct, n)
			}
			if got := r.CLI("LRANGE", "t:L", "0", "-1"); got != "a" {
				t.Errorf("the list after the reads: %q", got)
			}
		}
	})
}
