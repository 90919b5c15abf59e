package main

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/ephpm/ephpm/internal/config"
	"github.com/ephpm/ephpm/internal/kvclient"
	"github.com/ephpm/ephpm/internal/kvredis"
	"github.com/ephpm/ephpm/internal/resp"
)

// dialRedisBridge gives `ephpm kv` the Redis store of a config with [kv]
// backend = "redis", directly (no server has to run): the store is served
// by a RESP server of this process on a private unix socket and the usual
// client talks to it. So each subcommand sees exactly what the RESP
// endpoint of a node answers (keys under key_prefix, SCAN, FLUSHALL within
// the prefix) without a second implementation of them. The returned func
// stops the bridge and the store.
func dialRedisBridge(cfg *config.Config) (*kvclient.Client, func(), error) {
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	store, err := kvredis.New(kvredis.FromConfig(cfg.KV.Redis, logger))
	if err != nil {
		return nil, nil, fmt.Errorf("%s: kv.redis: %w", cfg.File, err)
	}
	// A Redis that is down would make every command look like a missing
	// key: say so instead.
	if err := store.Ping(); err != nil {
		store.Close()
		return nil, nil, fmt.Errorf("Redis at %v (kv.redis.addresses) does not answer: %v", cfg.KV.Redis.Addresses, err)
	}
	dir, err := os.MkdirTemp("", "ephpm-kv-")
	if err != nil {
		store.Close()
		return nil, nil, err
	}
	sock := filepath.Join(dir, "kv.sock")
	srv := resp.New(resp.RedisStore(store), resp.Config{Socket: sock, SocketMode: 0o600, Goroutines: true, Logger: logger, Version: version})
	stop := func() {
		srv.Close(time.Second)
		store.Close()
		os.RemoveAll(dir)
	}
	if err := srv.Start(); err != nil {
		stop()
		return nil, nil, err
	}
	c, err := kvclient.Dial(config.RESPConfig{Socket: sock}, cfg.KV.Redis.CommandTimeout.D()+cliKVTimeout)
	if err != nil {
		stop()
		return nil, nil, err
	}
	return c, func() { c.Close(); stop() }, nil
}
