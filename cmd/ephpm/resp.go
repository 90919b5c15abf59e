package main

import (
	"fmt"
	"io/fs"
	"log/slog"
	"time"

	"github.com/ephpm/ephpm/internal/config"
	"github.com/ephpm/ephpm/internal/resp"
)

// startRESP serves the store over the Redis protocol when [kv.resp]
// names a listener or a socket (SPEC section 7); nil when it does not.
func startRESP(cfg *config.Config, store kvBackend, logger *slog.Logger) (*resp.Server, error) {
	rc := cfg.KV.RESP
	if !rc.Enabled() {
		return nil, nil
	}
	rs, err := store.respStore()
	if err != nil {
		return nil, fmt.Errorf("kv.resp: %w", err)
	}
	srv := resp.New(rs, resp.Config{
		Listen:          rc.Listen,
		Socket:          rc.Socket,
		SocketMode:      fs.FileMode(rc.FileMode()),
		Password:        rc.Password,
		MaxClients:      rc.MaxClients,
		IdleTimeout:     time.Duration(rc.IdleTimeout) * time.Second,
		MaxBulkLen:      int64(rc.MaxBulkLen),
		Logger:          logger,
		MaxMemory:       int64(cfg.KV.MemoryLimit),
		MaxValueLen:     memoryValueBound(cfg, store),
		MaxMemoryPolicy: cfg.KV.EvictionPolicy,
		Version:         version,
		// On Redis every command is a round trip: served on a goroutine
		// per connection, so one slow answer does not hold up an event
		// loop and every client on it.
		Goroutines: store.redis != nil,
	})
	if err := srv.Start(); err != nil {
		return nil, fmt.Errorf("kv.resp: %w", err)
	}
	attrs := []any{"auth", rc.Password != ""}
	if a := srv.Addr(); a != nil {
		attrs = append(attrs, "tcp", a.String())
	}
	if rc.Socket != "" {
		attrs = append(attrs, "socket", rc.Socket)
	}
	logger.Info("ephpm resp listening", attrs...)
	return srv, nil
}

// respStore is the store the RESP endpoint serves: the same one the PHP
// functions use.
func (b kvBackend) respStore() (resp.Store, error) {
	if b.redis != nil {
		return resp.RedisStore(b.redis), nil
	}
	return resp.KVStore(b.mem), nil
}

// memoryValueBound is the longest value the in-process store could hold:
// its memory_limit (0 = none). On Redis, Redis's maxmemory decides.
func memoryValueBound(cfg *config.Config, store kvBackend) int64 {
	if store.redis != nil {
		return 0
	}
	return int64(cfg.KV.MemoryLimit)
}
