package main

import (
	"fmt"
	"log/slog"

	"github.com/ephpm/ephpm/internal/config"
	"github.com/ephpm/ephpm/internal/kv"
	"github.com/ephpm/ephpm/internal/kvredis"
	"github.com/ephpm/ephpm/internal/phpembed"
)

// kvBackend is the store behind the ephpm_kv_* functions that [kv] backend
// chooses (SPEC section 9): the in-process store (memory, with the C fast
// paths) or Redis shared by many nodes. Exactly one of the two is set.
type kvBackend struct {
	mem   *kv.Store
	redis *kvredis.Store
}

// openKVBackend makes the configured store. A Redis that is down at start
// is not an error: the server starts, its KV calls fail (logged) until
// Redis answers.
func openKVBackend(cfg *config.Config, logger *slog.Logger) (kvBackend, error) {
	if cfg.KV.Backend == "redis" {
		s, err := kvredis.New(kvredis.FromConfig(cfg.KV.Redis, logger))
		if err != nil {
			return kvBackend{}, fmt.Errorf("kv.redis: %w", err)
		}
		return kvBackend{redis: s}, nil
	}
	s, err := kv.New(kv.Options{
		MemoryLimit:  int64(cfg.KV.MemoryLimit),
		Policy:       kv.Policy(cfg.KV.EvictionPolicy),
		ReturnMemory: true,
	})
	if err != nil {
		return kvBackend{}, fmt.Errorf("kv: %w", err)
	}
	return kvBackend{mem: s}, nil
}

// install makes it the store of the PHP functions in this process.
func (b kvBackend) install() {
	if b.redis != nil {
		phpembed.SetKVBackend(b.redis)
		return
	}
	phpembed.SetKVStore(b.mem)
}

// Close releases it (Redis connections, the memory store's sweeper).
func (b kvBackend) Close() {
	if b.redis != nil {
		b.redis.Close()
	}
	if b.mem != nil {
		b.mem.Close()
	}
}

// name is the backend's name for the log.
func (b kvBackend) name() string {
	if b.redis != nil {
		return "redis"
	}
	return "memory"
}
