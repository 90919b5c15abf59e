package resp

import (
	"testing"

	"github.com/ephpm/ephpm/internal/kv"
)

// The hot commands allocate nothing of their own: what remains is the
// store's (a SET's new value version).
func TestCommandAllocs(t *testing.T) {
	store, err := kv.New(kv.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	s := New(KVStore(store), Config{})
	c := s.newConnFD(-1, "", "")
	store.Set("key:000001", "some value", 0)
	store.IncrBy("counter", 1)
	for _, tc := range []struct {
		args []string
		max  float64
	}{
		{[]string{"PING"}, 0},
		{[]string{"GET", "key:000001"}, 0},
		{[]string{"GET", "missing"}, 0},
		{[]string{"INCR", "counter"}, 0},
		{[]string{"EXISTS", "key:000001"}, 0},
		{[]string{"SET", "key:000001", "other value"}, 1},
		{[]string{"MSET", "key:000001", "a", "key:000002", "b"}, 2},
	} {
		args := make([][]byte, len(tc.args))
		for i, a := range tc.args {
			args[i] = []byte(a)
		}
		n := testing.AllocsPerRun(200, func() {
			c.exec(args)
			c.w.b = c.w.b[:0]
		})
		if n > tc.max {
			t.Errorf("%q: %v allocations, want <= %v", tc.args, n, tc.max)
		}
	}
}
