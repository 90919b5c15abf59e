package kvredis

import "testing"

// mustNew makes a Store and closes it when the test ends.
func mustNew(tb testing.TB, o Options) *Store {
	tb.Helper()
	s, err := New(o)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(s.Close)
	return s
}
