package kvredis

import (
	"context"
	"errors"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/redis/rueidis"

	"github.com/ephpm/ephpm/internal/kvclient/wire"
)

// The direct path: round-trip commands that do not use the client cache
// (set, setnx, del, incr_by, expire, ttl, compare-and-delete, and a get
// that does not use the cache) go over a small pool of blocking RESP2
// connections (internal/kvclient/wire, which ephpm php's client uses too)
// instead of rueidis.
//
// Why: a PHP thread calling ephpm_kv_set is a goroutine locked to its OS
// thread (a cgo callback). rueidis hands the command to its writer
// goroutine and the reply comes back from its reader goroutine, and the
// locked thread must then be woken: several cross-thread wake-ups per
// call, which on a busy machine cost more than the round trip itself
// (README, "Where a round trip's time goes"). A wire connection
// writes and reads with blocking system calls on the calling thread, as
// phpredis does.
//
// When: only for a standalone Redis (rueidis's Mode, so not a cluster)
// given by one address, without TLS: then every key is on the one server
// a plain TCP connection reaches. Otherwise, and whenever every pooled
// connection is busy, the rueidis path runs as before.
//
// Reading one's own writes (dirty.go): a rueidis write is fenced on the
// tracking connection (cached.go, doWrite); a direct write is not, so the
// key is marked dirty around it and reads of a dirty key bypass both
// caches until a fence on the tracking connection, sent after the write's
// reply, has come back.

// directPool holds the idle blocking connections.
type directPool struct {
	opts wire.DialOptions
	free chan *wire.Conn
	made atomic.Int32 // connections in existence (idle or in use)
	max  int32
	// pauseUntil (unix ns): after a failed dial, no dial is tried for
	// directRedialPause; calls take the rueidis path meanwhile (with
	// Redis down it fails fast; with Redis back it answers).
	pauseUntil atomic.Int64
	// closed: Close ran; connections given back are closed, not kept.
	closed atomic.Bool
}

// directRedialPause: see directPool.pauseUntil.
const directRedialPause = 250 * time.Millisecond

// directPoolSize is the most connections the pool makes: one per PHP
// thread calling at the same moment is what it needs, and PHP threads
// default to the number of CPUs. Beyond it callers take the rueidis path.
func directPoolSize() int { return max(2*runtime.GOMAXPROCS(0), 8) }

func newDirectPool(o Options) *directPool {
	n := directPoolSize()
	return &directPool{
		opts: wire.DialOptions{
			Network:  "tcp",
			Addr:     o.Addresses[0],
			Username: o.Username,
			Password: o.Password,
			DB:       o.DB,
			Timeout:  o.CommandTimeout,
		},
		free: make(chan *wire.Conn, n),
		max:  int32(n),
	}
}

// get takes an idle connection, or dials one while fewer than max exist.
// nil (and no error) when all are busy or dialling pauses; a dial error
// when the dial failed (nothing was sent).
func (p *directPool) get() (*wire.Conn, error) {
	select {
	case c := <-p.free:
		return c, nil
	default:
	}
	if p.closed.Load() || time.Now().UnixNano() < p.pauseUntil.Load() {
		return nil, nil
	}
	if p.made.Add(1) > p.max {
		p.made.Add(-1)
		return nil, nil
	}
	c, err := p.dial()
	if err != nil {
		p.made.Add(-1)
		return nil, err
	}
	return c, nil
}

// dial makes a connection; a failure pauses dialling.
func (p *directPool) dial() (*wire.Conn, error) {
	c, err := wire.Dial(p.opts)
	if err != nil {
		p.pauseUntil.Store(time.Now().Add(directRedialPause).UnixNano())
	}
	return c, err
}

// put gives c back.
func (p *directPool) put(c *wire.Conn) {
	if !p.closed.Load() {
		select {
		case p.free <- c:
			return
		default:
		}
	}
	p.discard(c)
}

// discard closes c (broken, or not wanted).
func (p *directPool) discard(c *wire.Conn) {
	c.Close()
	p.made.Add(-1)
}

// close closes the idle connections; those in use are closed when given
// back.
func (p *directPool) close() {
	p.closed.Store(true)
	for {
		select {
		case c := <-p.free:
			p.discard(c)
		default:
			return
		}
	}
}

// droppedBeforeReply: the server closed the connection (EOF before any
// byte of the reply, a reset, a broken pipe) rather than timing out or
// breaking mid-reply: what an idle connection to a restarted Redis (or
// one past its idle timeout) sees on its next use; the command did not
// run, so it is sent once more on a new connection.
func droppedBeforeReply(err error) bool {
	return err == io.EOF || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

// directEligible says whether the direct path may serve the options on
// a client of this mode.
func directEligible(o Options, mode rueidis.ClientMode) bool {
	return mode == rueidis.ClientModeStandalone && len(o.Addresses) == 1 && !o.TLS && o.TLSConfig == nil
}

// enableDirect turns the direct path on for a connected client when it
// is eligible (connectLoop, once).
func (s *Store) enableDirect(c rueidis.Client) {
	if s.opts.noDirect || !directEligible(s.opts, c.Mode()) {
		return
	}
	if s.tracking.Load() {
		s.dirty.start(s)
	}
	s.direct.Store(newDirectPool(s.opts))
}

// directTimeoutError is a direct call that got no answer within the
// command timeout: a timeout to errorKind, like rueidis's context error.
type directTimeoutError struct{ err error }

func (e directTimeoutError) Error() string        { return e.err.Error() }
func (e directTimeoutError) Unwrap() error        { return e.err }
func (e directTimeoutError) Is(target error) bool { return target == context.DeadlineExceeded }

// directReplyError is an error reply on the direct path (OOM, WRONGTYPE,
// NOSCRIPT...): "redis" to errorKind.
type directReplyError struct{ msg string }

func (e *directReplyError) Error() string { return e.msg }

// directCall runs one command on a pooled connection. used is false when
// the direct path is off, every connection is busy or the connection
// could not be made: the caller then takes the rueidis path. rk is the Redis key the command changes when
// write is set (marked dirty around the call so that this node reads its
// write at once). err is a transport failure (timeout included) or an
// error reply (*directReplyError); a nil reply is not an error. Failures
// are not counted here: the caller decides which are its data (incr_by
// of a non-integer) and which are failures.
func (s *Store) directCall(write bool, rk string, args ...string) (r wire.Reply, err error, used bool) {
	p := s.direct.Load()
	if p == nil {
		return r, nil, false
	}
	maybeYield() // yield.go; before a connection is taken
	c, err := p.get()
	if c == nil {
		// All busy, dialling paused, or the dial failed (nothing sent):
		// rueidis, which reconnects on its own, decides.
		return r, nil, false
	}
	dirty := write && s.tracking.Load()
	if dirty {
		s.dirty.mark(s, rk)
	}
	start := time.Now()
	r, err = c.Do(args, s.opts.CommandTimeout)
	if err != nil && droppedBeforeReply(err) {
		c.Close()
		if c, err = p.dial(); err != nil {
			// Not sent anywhere: rueidis decides.
			p.made.Add(-1)
			if dirty {
				s.dirty.done(rk[len(s.prefix):])
			}
			return wire.Reply{}, nil, false
		}
		r, err = c.Do(args, s.opts.CommandTimeout)
	}
	s.roundTrip(start)
	s.stats.directCalls.Add(1)
	if dirty {
		s.dirty.done(rk[len(s.prefix):])
	}
	if err != nil {
		p.discard(c) // out of step with the server
		if errors.Is(err, os.ErrDeadlineExceeded) {
			err = directTimeoutError{err}
		}
		return wire.Reply{}, err, true
	}
	p.put(c)
	if r.Kind == wire.KindError {
		return r, &directReplyError{msg: r.Str}, true
	}
	s.log.recovered()
	return r, nil, true
}

// directSimple is directCall for callers whose only failure value is "not
// done": every error is counted and logged.
func (s *Store) directSimple(op string, write bool, rk string, args ...string) (r wire.Reply, ok, used bool) {
	r, err, used := s.directCall(write, rk, args...)
	if !used {
		return r, false, false
	}
	if err != nil {
		s.fail(op, err)
		return r, false, true
	}
	return r, true, true
}

// directSetArgs is SET key value [NX] [PX ms].
func directSetArgs(rk, value string, nx bool, ttl time.Duration) []string {
	args := make([]string, 0, 6)
	args = append(args, "SET", rk, value)
	if nx {
		args = append(args, "NX")
	}
	if ttl > 0 {
		args = append(args, "PX", strconv.FormatInt(ms(ttl), 10))
	}
	return args
}

// directGet is an uncached GET on the direct path. err: Redis's
// WRONGTYPE reply (GetTyped); any other failure is counted and a miss.
func (s *Store) directGet(key string) (v string, found bool, err error, used bool) {
	rk := s.key(key)
	r, err, used := s.directCall(false, rk, "GET", rk)
	if !used {
		return "", false, nil, false
	}
	if err != nil {
		if wt := wrongType(err); wt != nil {
			return "", false, wt, true
		}
		s.fail("get", err)
		return "", false, nil, true
	}
	if r.Kind != wire.KindBulk {
		return "", false, nil, true
	}
	return r.Str, true, nil, true
}

// directIncrBy is IncrBy on the direct path, with the same results.
func (s *Store) directIncrBy(key string, delta int64) (int64, error, bool) {
	rk := s.key(key)
	r, err, used := s.directCall(true, rk, "INCRBY", rk, strconv.FormatInt(delta, 10))
	if !used {
		return 0, nil, false
	}
	if err == nil {
		if r.Kind == wire.KindInt {
			return r.Int, nil, true
		}
		err = errUnexpectedReply
	}
	if de, ok := err.(*directReplyError); ok {
		if kerr, known := s.incrReplyError(de.msg, err); known {
			return 0, kerr, true
		}
	}
	s.fail("incr", err)
	return 0, err, true
}

// directDelIfEquals is DelIfEquals on the direct path: the script by its
// SHA1, sent whole when Redis does not know it.
func (s *Store) directDelIfEquals(key, expected string) (ok, used bool) {
	rk := s.key(key)
	r, err, used := s.directCall(true, rk, "EVALSHA", delIfEqualsSHA, "1", rk, expected)
	if !used {
		return false, false
	}
	if de, isReply := err.(*directReplyError); isReply && strings.HasPrefix(de.msg, "NOSCRIPT") {
		r, err, used = s.directCall(true, rk, "EVAL", delIfEqualsScript, "1", rk, expected)
		if !used {
			// Every connection busy now: the script by rueidis.
			return false, false
		}
	}
	if err != nil {
		s.fail("del_if_equals", err)
		return false, true
	}
	return r.Kind == wire.KindInt && r.Int == 1, true
}
