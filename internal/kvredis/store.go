package kvredis

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/rueidis"

	"github.com/ephpm/ephpm/internal/config"
)

// Options says which Redis to use and how.
type Options struct {
	// Addresses are host:port; one is a standalone server (or any node of
	// a cluster, which rueidis detects), several are cluster seeds.
	Addresses []string
	Username  string
	Password  string
	DB        int // standalone only
	// TLS connects with TLS, verified against the system roots (Go reads
	// SSL_CERT_FILE / SSL_CERT_DIR too). TLSConfig, when set, is used
	// instead (tests).
	TLS       bool
	TLSConfig *tls.Config
	// KeyPrefix is put before every key; flush_all removes only keys
	// under it.
	KeyPrefix string
	// ClientCache is the byte budget of this node's client-side cache;
	// 0 turns it off (every read goes to Redis).
	ClientCache int64
	// CommandTimeout bounds every call; after it the call returns its
	// failure value. 0 means one second.
	CommandTimeout time.Duration
	// Logger receives the (rate-limited) failures; nil discards them.
	Logger *slog.Logger

	// noDirect keeps every command on rueidis (tests comparing paths).
	noDirect bool
	// fenceLazy and dirtyMax replace the constants of dirty.go when set
	// (tests of when the fencer fences).
	fenceLazy time.Duration
	dirtyMax  int64
}

// FromConfig turns [kv.redis] into Options.
func FromConfig(c config.KVRedisConfig, logger *slog.Logger) Options {
	return Options{
		Addresses:      append([]string(nil), c.Addresses...),
		Username:       c.Username,
		Password:       c.Password,
		DB:             c.DB,
		TLS:            c.TLS,
		KeyPrefix:      c.KeyPrefix,
		ClientCache:    int64(c.ClientCache),
		CommandTimeout: c.CommandTimeout.D(),
		Logger:         logger,
	}
}

// logInterval is the least time between two log lines about failures:
// with Redis down, every PHP call fails, and a log line each would drown
// the log (and the disk).
const logInterval = 10 * time.Second

// Store is the Redis-backed store. Safe for concurrent use.
type Store struct {
	opts   Options
	prefix string

	// client is nil until the first connection succeeds; New keeps
	// trying in the background so that a server started while Redis is
	// down serves pages and its KV calls fail fast until Redis comes.
	client atomic.Pointer[clientBox]

	stats     counters
	log       failureLog
	listeners invalidationListeners
	near      *nearCache // with ClientCache > 0
	// tracking: the client cache is in use (ClientCache > 0, and Redis
	// supports it: RESP3 and CLIENT TRACKING; see connectLoop).
	tracking atomic.Bool
	waits    waitRegistry // keys waited on (wait.go)

	// direct is the pool of blocking connections (direct.go), nil while
	// the direct path is off; dirty the keys it is writing (dirty.go).
	direct atomic.Pointer[directPool]
	dirty  dirtyKeys

	closeOnce sync.Once
	closed    chan struct{}
	connDone  chan struct{} // closed when the background connect ends
}

type clientBox struct{ c rueidis.Client }

// errNotConnected is a call's error before the first connection.
var errNotConnected = errors.New("not connected to Redis yet")

// New makes a Store and connects to Redis: at once if it answers within
// the command timeout, else in the background (retrying), so a Redis that
// is down at start delays nothing; calls fail until it is up. Only bad
// options are an error.
func New(o Options) (*Store, error) {
	if len(o.Addresses) == 0 {
		return nil, errors.New("kvredis: no Redis address")
	}
	for _, a := range o.Addresses {
		if _, _, err := net.SplitHostPort(a); err != nil {
			return nil, fmt.Errorf("kvredis: %q is not host:port", a)
		}
	}
	if o.CommandTimeout <= 0 {
		o.CommandTimeout = time.Second
	}
	s := &Store{
		opts:     o,
		prefix:   o.KeyPrefix,
		closed:   make(chan struct{}),
		connDone: make(chan struct{}),
	}
	s.log.logger = o.Logger
	if o.ClientCache > 0 {
		s.near = newNearCache(o.KeyPrefix, o.ClientCache)
		s.near.dirty = s.dirty.contains
		s.addInvalidationListener(s.near.invalidate)
		s.tracking.Store(true)
	}
	first := make(chan struct{})
	go s.connectLoop(first)
	select {
	case <-first:
	case <-time.After(o.CommandTimeout):
	}
	return s, nil
}

// connectLoop makes the rueidis client, retrying with backoff until it
// succeeds or the store is closed; rueidis itself reconnects after that.
// first is closed after the first attempt (after the client is stored
// when it succeeded, so that New returns a connected store).
func (s *Store) connectLoop(first chan struct{}) {
	defer close(s.connDone)
	backoff := 100 * time.Millisecond
	for attempt := 0; ; attempt++ {
		c, err := rueidis.NewClient(s.clientOption())
		if err == nil {
			select {
			case <-s.closed:
				c.Close()
			default:
				s.client.Store(&clientBox{c})
				s.enableDirect(c)
				if attempt > 0 {
					s.log.recovered()
				}
			}
			if attempt == 0 {
				close(first)
			}
			return
		}
		if errors.Is(err, rueidis.ErrNoCache) && s.tracking.Load() {
			// A server or proxy without RESP3 or CLIENT TRACKING (Redis
			// < 6, a proxy, an ACL without CLIENT): serve without the
			// client cache rather than not at all.
			s.tracking.Store(false)
			if s.log.logger != nil {
				s.log.logger.Warn("kv redis: Redis does not support client-side caching (RESP3 CLIENT TRACKING); client_cache is off", "err", err.Error())
			}
			attempt--
			continue
		}
		if attempt == 0 {
			close(first)
		}
		s.fail("connect", err)
		select {
		case <-s.closed:
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 2*time.Second)
	}
}

// rueidisCacheBytes is the budget of rueidis's own client cache, per
// connection (so per Redis node), for a ClientCache budget. The near cache
// (near.go) holds up to ClientCache bytes and answers hot reads; rueidis's
// cache only answers while a key's near entry is being refilled (and
// shares the value strings with it), so it can be small: what it evicts
// Redis still tracks and invalidates (TestNearCacheOutlivesRueidisCache).
// A variable for that test.
var rueidisCacheBytes = func(clientCache int64) int {
	return int(min(max(clientCache/8, 1<<20), 64<<20))
}

// clientOption is the rueidis configuration of Options.
func (s *Store) clientOption() rueidis.ClientOption {
	o := s.opts
	co := rueidis.ClientOption{
		InitAddress:  o.Addresses,
		Username:     o.Username,
		Password:     o.Password,
		SelectDB:     o.DB,
		ClientName:   "ephpm",
		DisableCache: !s.tracking.Load(),
		// Bounded so that a dead address does not hold the first
		// connection attempt (and so the server's start) for long.
		Dialer: net.Dialer{Timeout: max(o.CommandTimeout, time.Second)},
	}
	if !co.DisableCache {
		co.CacheSizeEachConn = rueidisCacheBytes(o.ClientCache)
	}
	// One connection per Redis node for every (non-blocking) command, so
	// that a write and the tracking of its key share a connection and the
	// write's fence (doWrite) orders its invalidation before our return.
	// rueidis pipelines concurrent commands on it.
	co.PipelineMultiplex = -1
	// rueidis retries read-only commands after network errors until the
	// context ends: with Redis down every read would then take the whole
	// command timeout, and a page making a dozen calls a dozen timeouts.
	// Two quick retries still carry a read over a connection that just
	// broke (the retry gets a fresh one); after them the call fails.
	co.RetryDelay = func(attempts int, _ rueidis.Completed, _ error) time.Duration {
		if attempts > 2 {
			return -1
		}
		return time.Duration(attempts) * 10 * time.Millisecond
	}
	if o.TLSConfig != nil {
		co.TLSConfig = o.TLSConfig
	} else if o.TLS {
		co.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	co.OnInvalidations = s.onInvalidations
	return co
}

// rc returns the client, or nil before the first connection.
func (s *Store) rc() rueidis.Client {
	if b := s.client.Load(); b != nil {
		return b.c
	}
	return nil
}

// key is the Redis key of a store key.
//
// The result is always a string of our own, never k itself (an empty
// prefix would return k): k may view the caller's memory for the call
// only, and rueidis's client cache, the near cache and Wait's registry
// keep the key.
func (s *Store) key(k string) string {
	if s.prefix == "" {
		return strings.Clone(k)
	}
	return s.prefix + k
}

// ctx bounds one call by the command timeout.
func (s *Store) ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), s.opts.CommandTimeout)
}

// Close disconnects; calls after it fail.
func (s *Store) Close() {
	s.closeOnce.Do(func() {
		close(s.closed)
		<-s.connDone
		if p := s.direct.Load(); p != nil {
			p.close()
		}
		if c := s.rc(); c != nil {
			c.Close()
		}
		if s.near != nil {
			// Nothing is tracked any more: serve no cached value (nor
			// publish one: the mirror is flushed, its table stays, as C
			// may be reading it).
			s.near.invalidate(nil, true)
			if p := s.near.pub.Load(); p != nil {
				p.Close()
			}
		}
	})
}

// Ping checks that Redis answers within the command timeout (readiness).
func (s *Store) Ping() error {
	c := s.rc()
	if c == nil {
		return errNotConnected
	}
	ctx, cancel := s.ctx()
	defer cancel()
	return c.Do(ctx, c.B().Ping().Build()).Error()
}
