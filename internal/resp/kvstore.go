package resp

import "github.com/ephpm/ephpm/internal/kv"

// KVStore adapts *kv.Store to Store: only Update differs, by the type of
// its function.
func KVStore(s *kv.Store) Store { return kvStore{s} }

type kvStore struct{ *kv.Store }

func (s kvStore) Update(key string, fn UpdateFunc) error {
	return s.Store.Update(key, func(old string, exp int64, exists bool) (string, int64, kv.UpdateOp) {
		v, e, op := fn(old, exp, exists)
		return v, e, kv.UpdateOp(op)
	})
}
