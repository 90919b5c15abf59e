package resp

import (
	"github.com/ephpm/ephpm/internal/kv"
	"github.com/ephpm/ephpm/internal/kvredis"
)

// RedisStore adapts the Redis-backed store to Store, for the RESP endpoint
// of a server whose [kv] backend is "redis". Serve it with
// Config{Goroutines: true}: every command is a round trip to Redis, which
// must not hold an event loop.
//
// What the RESP endpoint promises changes with it: a single command is
// atomic on Redis (Update is a WATCH/MULTI/EXEC), but MULTI/EXEC and the
// multi-key commands (MSET, RENAME...) exclude only the other clients of
// this node's endpoint, not PHP requests or other nodes. DBSIZE and INFO
// keyspace count the keys under the prefix (see kvredis.Store.KVStats).
func RedisStore(s *kvredis.Store) Store { return redisStore{s} }

type redisStore struct{ *kvredis.Store }

func (s redisStore) Stats() kv.Stats { return s.Store.KVStats() }

func (s redisStore) Update(key string, fn UpdateFunc) error {
	return s.Store.Update(key, func(old string, exp int64, exists bool) (string, int64, kv.UpdateOp) {
		v, e, op := fn(old, exp, exists)
		return v, e, kv.UpdateOp(op)
	})
}
