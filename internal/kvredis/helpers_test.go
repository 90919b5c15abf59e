package kvredis

import (
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/ephpm/ephpm/internal/redistest"
)

// mustNew makes a Store and closes it when the test ends. Without a
// Logger of its own the store logs to the test's log.
func mustNew(tb testing.TB, o Options) *Store {
	tb.Helper()
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(testLog{tb}, nil))
	}
	s, err := New(o)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(s.Close)
	return s
}

// waitReady waits until s answers (up to 5 s). New returns before its
// first connection when that fails, and it can: on a loaded machine a
// redis-server may start listening a moment after redistest saw its port
// answer (a dial to a free port in the ephemeral range can connect to
// itself); the store then connects on its next try.
func waitReady(tb testing.TB, s *Store) {
	tb.Helper()
	if err := readyWithin(s, 5*time.Second); err != nil {
		tb.Fatalf("Redis does not answer: %v", err)
	}
}

// readyWithin polls Ping for up to d and returns its last error.
func readyWithin(s *Store, d time.Duration) error {
	end := time.Now().Add(d)
	for {
		err := s.Ping()
		if err == nil || time.Now().After(end) {
			return err
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// testLog writes log lines to the test's log.
type testLog struct{ tb testing.TB }

func (w testLog) Write(p []byte) (int, error) {
	w.tb.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// testTimeout is the command timeout of the tests: long enough for a busy
// machine, short enough that fault tests stay fast.
const testTimeout = 2 * time.Second

// cacheModes runs fn with the client cache off and on: every result must
// be the same.
func cacheModes(t *testing.T, fn func(t *testing.T, cache int64)) {
	t.Run("nocache", func(t *testing.T) { fn(t, 0) })
	t.Run("cache", func(t *testing.T) { fn(t, 8<<20) })
}

// standalone starts a Redis and a Store on it with KeyPrefix "t:".
func standalone(t *testing.T, cache int64) (*redistest.Server, *Store) {
	t.Helper()
	r := redistest.Start(t, redistest.Options{})
	s := mustNew(t, Options{Addresses: []string{r.Addr}, KeyPrefix: "t:", ClientCache: cache, CommandTimeout: testTimeout})
	waitReady(t, s)
	return r, s
}

// eventually polls cond for up to 5 s (what another connection learns
// from Redis arrives asynchronously).
func eventually(t *testing.T, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > 5*time.Second {
			t.Fatalf("%s: not within 5 s", what)
		}
		time.Sleep(time.Millisecond)
	}
	return time.Since(start)
}

// wantGet checks Get's result.
func wantGet(t *testing.T, s *Store, key, want string, wantOK bool) {
	t.Helper()
	v, ok := s.Get(key)
	if ok != wantOK || v != want {
		t.Fatalf("Get(%q) = %q, %v; want %q, %v", key, v, ok, want, wantOK)
	}
}

// cliKeys is every key Redis holds (redis-cli KEYS *), sorted by Redis.
func cliKeys(r *redistest.Server) []string {
	out := r.CLI("--no-raw", "keys", "*")
	if out == "(empty array)" || out == "(empty list or set)" || out == "" {
		return nil
	}
	var keys []string
	for _, line := range strings.Split(out, "\n") {
		if i := strings.Index(line, ") "); i >= 0 {
			line = line[i+2:]
		}
		keys = append(keys, strings.Trim(line, `"`))
	}
	return keys
}
