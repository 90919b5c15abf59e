package kvredis

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/puzpuzpuz/xsync/v4"
	"github.com/redis/rueidis"
)

// Stats are the backend's counters for /metrics.
type Stats struct {
	// Errors by kind: "timeout" (no answer within the command timeout),
	// "connection" (Redis unreachable or the connection broke), "redis"
	// (an error reply other than the expected ones, e.g. OOM).
	Errors map[string]int64
	// CacheHits and CacheMisses count reads (get, exists) answered from
	// this node's client-side cache and those that went to Redis.
	CacheHits, CacheMisses int64
	// RoundTrips and RoundTripSeconds: commands sent to Redis and the
	// total time they took (their mean is the round-trip time).
	RoundTrips       int64
	RoundTripSeconds float64
}

// ErrorKinds are the keys of Stats.Errors, in a fixed order.
var ErrorKinds = []string{"timeout", "connection", "redis"}

type counters struct {
	errTimeout, errConn, errRedis atomic.Int64
	// Hits are counted on the hot path by every PHP thread: striped.
	cacheHits        stripedCounter
	cacheMisses      atomic.Int64
	trips, tripNanos atomic.Int64
	// directCalls: commands sent over the direct path (direct.go); for
	// tests.
	directCalls atomic.Int64
	// externalHits counts the hits answered outside Go, from the near
	// cache's published table (near_pub.go); nil: none.
	externalHits atomic.Pointer[func() int64]
}

// external is the hits counted outside Go (externalHits), 0 if none.
func (c *counters) external() int64 {
	if f := c.externalHits.Load(); f != nil {
		return (*f)()
	}
	return 0
}

// Stats returns a snapshot of the counters.
func (s *Store) Stats() Stats {
	c := &s.stats
	return Stats{
		Errors: map[string]int64{
			"timeout":    c.errTimeout.Load(),
			"connection": c.errConn.Load(),
			"redis":      c.errRedis.Load(),
		},
		CacheHits:        c.cacheHits.Load() + c.external(),
		CacheMisses:      c.cacheMisses.Load(),
		RoundTrips:       c.trips.Load(),
		RoundTripSeconds: float64(c.tripNanos.Load()) / 1e9,
	}
}

// errorKind classifies a failed call's error.
func errorKind(err error) string {
	var re *rueidis.RedisError
	var de *directReplyError
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	case errors.As(err, &re), errors.As(err, &de):
		return "redis"
	default:
		return "connection"
	}
}

// fail counts a failed call and logs it (rate-limited). op names the PHP
// function or command, for the log.
func (s *Store) fail(op string, err error) {
	switch errorKind(err) {
	case "timeout":
		s.stats.errTimeout.Add(1)
	case "redis":
		s.stats.errRedis.Add(1)
	default:
		s.stats.errConn.Add(1)
	}
	s.log.failed(op, err)
}

// roundTrip records one command's time.
func (s *Store) roundTrip(start time.Time) {
	s.stats.trips.Add(1)
	s.stats.tripNanos.Add(int64(time.Since(start)))
}

// do runs one command within the command timeout, timing it. ok is false
// (and the failure counted and logged) when Redis could not be asked or
// answered with an error; a nil reply is not a failure.
func (s *Store) do(op string, build func(c rueidis.Client) rueidis.Completed) (rueidis.RedisMessage, bool) {
	m, ok, wt := s.doTyped(op, build)
	if wt != nil {
		s.fail(op, wt)
		return m, false
	}
	return m, ok
}

// doTyped is do for a read whose WRONGTYPE reply is the caller's data (a
// key of another Redis type: GetTyped), not a failure of Redis: that
// reply is returned as wt, neither counted nor logged.
func (s *Store) doTyped(op string, build func(c rueidis.Client) rueidis.Completed) (m rueidis.RedisMessage, ok bool, wt error) {
	c := s.rc()
	if c == nil {
		s.fail(op, errNotConnected)
		return rueidis.RedisMessage{}, false, nil
	}
	ctx, cancel := s.ctx()
	defer cancel()
	start := time.Now()
	r := c.Do(ctx, build(c))
	s.roundTrip(start)
	m, err := r.ToMessage()
	if err != nil && !rueidis.IsRedisNil(err) {
		if wt := wrongType(err); wt != nil {
			return m, false, wt
		}
		s.fail(op, err)
		return m, false, nil
	}
	s.log.recovered()
	return m, true, nil
}

// failureLog writes failures to the log at most once per logInterval,
// saying how many were left out, and once when calls succeed again.
type failureLog struct {
	logger *slog.Logger

	// failing is set from the first logged failure until recovered: a
	// successful call loads it (one atomic load) to log the recovery.
	failing atomic.Bool

	mu         sync.Mutex
	last       time.Time // when the last line was written
	suppressed int64     // failures since then not logged
}

// failed logs a failure unless one was logged within logInterval.
func (l *failureLog) failed(op string, err error) {
	if l.logger == nil {
		return
	}
	l.mu.Lock()
	now := time.Now()
	if l.failing.Load() && now.Sub(l.last) < logInterval {
		l.suppressed++
		l.mu.Unlock()
		return
	}
	n := l.suppressed
	l.last, l.suppressed = now, 0
	l.failing.Store(true)
	l.mu.Unlock()
	l.logger.Warn("kv redis: call failed, returning its failure value", "op", op, "err", err.Error(), "kind", errorKind(err), "failures_not_logged", n)
}

// recovered logs once that Redis answers again after logged failures;
// while nothing failed it costs one atomic load.
func (l *failureLog) recovered() {
	if l.logger == nil || !l.failing.Load() {
		return
	}
	l.mu.Lock()
	was, n := l.failing.Swap(false), l.suppressed
	l.suppressed = 0
	l.mu.Unlock()
	if was {
		l.logger.Info("kv redis: Redis answers again", "failures_not_logged", n)
	}
}

// stripedCounter is an xsync.Counter with atomic.Int64's method names;
// the zero value counts (its stripes are made on first use).
type stripedCounter struct {
	once sync.Once
	c    *xsync.Counter
}

func (h *stripedCounter) get() *xsync.Counter {
	h.once.Do(func() { h.c = xsync.NewCounter() })
	return h.c
}

// Add adds n.
func (h *stripedCounter) Add(n int64) { h.get().Add(n) }

// Load is the sum.
func (h *stripedCounter) Load() int64 { return h.get().Value() }
