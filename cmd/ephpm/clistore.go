package main

import (
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/ephpm/ephpm/internal/config"
	"github.com/ephpm/ephpm/internal/kv"
	"github.com/ephpm/ephpm/internal/kvclient"
	"github.com/ephpm/ephpm/internal/kvredis"
	"github.com/ephpm/ephpm/internal/phpembed"
)

// kvURLEnv names the running server's store for processes outside it: the
// Laravel package reads it too, so `php artisan` and `ephpm php artisan`
// reach the same store.
const kvURLEnv = "EPHPM_KV_URL"

// cliKVTimeout bounds one call of `ephpm php` / `ephpm kv` to the server.
const cliKVTimeout = 2 * time.Second

// setupCLIStore gives the ephpm_kv_* functions of `ephpm php` their store:
// with configGiven, the store of the server configPath describes: its
// Redis directly when [kv] backend = "redis", else its [kv.resp] (unix
// socket preferred, password sent); else the server
// EPHPM_KV_URL names; else a store local to this process, which says so on
// stderr the first time PHP uses it. The returned func releases it.
//
// An unreachable server is not an error here: the script runs, and each
// KV call returns its failure value with a PHP warning (as a web request
// would see a store outage), so a script that does not need the store is
// not stopped by it.
func setupCLIStore(configPath string, configGiven bool) (func(), error) {
	if configGiven {
		cfg, err := config.Load(configPath)
		if err != nil {
			return nil, err
		}
		if cfg.KV.Backend == "redis" {
			return useRedis(cfg)
		}
		o, err := kvclient.FromConfig(cfg.KV.RESP, cliKVTimeout)
		if err != nil {
			return nil, fmt.Errorf("%s: %v; set [kv.resp] socket (or listen) in it and restart the server, so that `ephpm php` can reach its store", configPath, err)
		}
		return useClient(kvclient.New(o)), nil
	}
	if u := os.Getenv(kvURLEnv); u != "" {
		o, err := kvclient.ParseURL(u, cliKVTimeout)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", kvURLEnv, err)
		}
		return useClient(kvclient.New(o)), nil
	}
	local := &localStore{}
	phpembed.SetKVBackend(local)
	return local.Close, nil
}

// useRedis gives `ephpm php` the server's Redis store directly: the same
// Redis, key_prefix and client cache the server nodes use, so no server
// needs to run (a deploy's artisan commands work before the first node
// starts). Failures are logged on stderr, rate-limited, as a node logs them.
func useRedis(cfg *config.Config) (func(), error) {
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	s, err := kvredis.New(kvredis.FromConfig(cfg.KV.Redis, logger))
	if err != nil {
		return nil, fmt.Errorf("%s: kv.redis: %w", cfg.File, err)
	}
	phpembed.SetKVBackend(s)
	return s.Close, nil
}

func useClient(c *kvclient.Client) func() {
	phpembed.SetKVBackend(c)
	return func() { c.Close() }
}

// localStore is the store of an `ephpm php` run without a server: the
// first call says on stderr that nothing is shared, since a user who
// forgot --config would otherwise see an empty cache and no reason. It is
// installed as a backend rather than with SetKVStore so that every call
// passes here (the C fast paths would bypass the notice); a CLI script's
// calls are few enough that the in-process speed does not matter.
//
// The kv.Store is made at that first call: most scripts never use the
// store, and making one costs every start of `ephpm php` (its tables and
// its sweeper goroutine with two tickers).
type localStore struct {
	once  sync.Once
	store *kv.Store
}

// s says the notice and makes the store, the first time.
func (l *localStore) s() *kv.Store {
	l.once.Do(func() {
		fmt.Fprintf(os.Stderr, "ephpm php: the ephpm_kv_* store is local to this process and empty; to use a running server's store, pass --config <its ephpm.toml> (with [kv.resp] set) or set %s\n", kvURLEnv)
		store, err := kv.New(kv.Options{})
		if err != nil {
			// Only a bad policy or a negative limit fail, and the
			// options are empty.
			panic(fmt.Sprintf("ephpm php: local kv store: %v", err))
		}
		l.store = store
	})
	return l.store
}

// Close stops the store's sweeper, if the store was made. It runs after
// PHP has stopped; the once makes a later first call see no store made.
func (l *localStore) Close() {
	l.once.Do(func() {})
	if l.store != nil {
		l.store.Close()
	}
}

func (l *localStore) Get(k string) (string, bool) { return l.s().Get(k) }
func (l *localStore) Set(k, v string, ttl time.Duration) bool {
	return l.s().Set(k, v, ttl)
}
func (l *localStore) SetNX(k, v string, ttl time.Duration) bool {
	return l.s().SetNX(k, v, ttl)
}
func (l *localStore) Del(k string) bool                       { return l.s().Del(k) }
func (l *localStore) Exists(k string) bool                    { return l.s().Exists(k) }
func (l *localStore) IncrBy(k string, d int64) (int64, error) { return l.s().IncrBy(k, d) }
func (l *localStore) Expire(k string, ttl time.Duration) bool { return l.s().Expire(k, ttl) }
func (l *localStore) TTL(k string) int64                      { return l.s().TTL(k) }
func (l *localStore) PTTL(k string) int64                     { return l.s().PTTL(k) }
func (l *localStore) DelIfEquals(k, v string) bool            { return l.s().DelIfEquals(k, v) }
func (l *localStore) DelPrefix(p string) int                  { return l.s().DelPrefix(p) }
func (l *localStore) Flush()                                  { l.s().Flush() }

// SetSeconds and ExpireSeconds take TTLs longer than a Duration holds
// (phpembed's secondsTTL), so a TTL such as 9999999999 s is kept as the
// server's store keeps it, not cut to 292 years. phpembed passes no key
// hash to a backend, and kv.Store.SetSeconds needs the store's own, so the
// write and its TTL are two steps here: this store has one PHP thread.
func (l *localStore) SetSeconds(k string, _ uint64, v string, sec int64, nx bool) bool {
	var ok bool
	if nx {
		ok = l.s().SetNX(k, v, 0)
	} else {
		ok = l.s().Set(k, v, 0)
	}
	if ok && sec > 0 {
		l.s().ExpireSeconds(k, sec)
	}
	return ok
}
func (l *localStore) ExpireSeconds(k string, sec int64) bool { return l.s().ExpireSeconds(k, sec) }
func (l *localStore) Wait(k string, last uint64, timeout time.Duration, cancel <-chan struct{}) (uint64, string, bool, bool) {
	return l.s().Wait(k, last, timeout, cancel)
}
