package kvclient

import (
	"errors"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/ephpm/ephpm/internal/kv"
)

// The kv.Backend methods: each maps one PHP function of SPEC section 1 onto
// the server's commands (SPEC section 7) with the same result. A call that
// cannot reach the server returns the function's failure value (miss,
// false, 0, -2) and hands the error to OnError.

var _ kv.Backend = (*Client)(nil)

// call runs one command; a transport failure or an error reply not listed
// in expected is reported and comes back as ok=false.
func (c *Client) call(expected func(msg string) bool, args ...string) (Reply, bool) {
	r, err := c.Do(args...)
	if err != nil {
		c.report(err)
		return Reply{}, false
	}
	if r.Kind == KindError {
		if expected == nil || !expected(r.Str) {
			c.report(&ServerError{Msg: args[0] + ": " + r.Str})
		}
		return r, false
	}
	return r, true
}

// callInt runs a command answered with an integer.
func (c *Client) callInt(args ...string) (int64, bool) {
	r, ok := c.call(nil, args...)
	if !ok {
		return 0, false
	}
	if r.Kind != KindInt {
		c.report(unexpected(args[0], r))
		return 0, false
	}
	return r.Int, true
}

func unexpected(cmd string, r Reply) error {
	return &ServerError{Msg: cmd + ": unexpected reply of kind " + strconv.Itoa(int(r.Kind))}
}

// millis turns a positive TTL into PX's milliseconds: at least 1 (PX 0 is
// an error), and sub-millisecond remainders rounded up, as the store keeps
// a key at least as long as asked.
func millis(ttl time.Duration) string {
	ms := int64(ttl / time.Millisecond)
	if ttl%time.Millisecond != 0 {
		ms++
	}
	return strconv.FormatInt(max(ms, 1), 10)
}

func isOOM(msg string) bool { return strings.HasPrefix(msg, "OOM") }

// Get is GET: the value, or a miss.
func (c *Client) Get(key string) (string, bool) {
	r, ok := c.call(nil, "GET", key)
	if !ok || r.Kind == KindNil {
		return "", false
	}
	if r.Kind != KindBulk {
		// -WRONGTYPE cannot happen on ephpm's string-only store; on a
		// Redis holding a list it is reported above as an error reply.
		c.report(unexpected("GET", r))
		return "", false
	}
	return r.Str, true
}

// Set is SET key value [PX ms]; ttl <= 0 stores without expiry. False
// when the memory limit refuses the write (-OOM) or on failure.
func (c *Client) Set(key, value string, ttl time.Duration) bool {
	args := []string{"SET", key, value}
	if ttl > 0 {
		args = append(args, "PX", millis(ttl))
	}
	r, ok := c.call(isOOM, args...)
	return ok && r.Kind == KindSimple
}

// SetNX is SET key value NX [PX ms]: true when inserted. (SETNX has no
// TTL and SETNX then PEXPIRE is not atomic.)
func (c *Client) SetNX(key, value string, ttl time.Duration) bool {
	args := []string{"SET", key, value, "NX"}
	if ttl > 0 {
		args = append(args, "PX", millis(ttl))
	}
	r, ok := c.call(isOOM, args...)
	return ok && r.Kind == KindSimple // a live key: nil
}

// Del is DEL: true if the key existed.
func (c *Client) Del(key string) bool {
	n, ok := c.callInt("DEL", key)
	return ok && n > 0
}

// Exists is EXISTS.
func (c *Client) Exists(key string) bool {
	n, ok := c.callInt("EXISTS", key)
	return ok && n > 0
}

// IncrBy is INCRBY: the new value. The server keeps the key's TTL. A
// value that is not an integer gives kv.ErrNotInteger, an overflow
// kv.ErrOverflow (the value untouched either way), a refused write
// kv.ErrNoMemory; an unreachable server its *UnreachableError.
func (c *Client) IncrBy(key string, delta int64) (int64, error) {
	r, err := c.Do("INCRBY", key, strconv.FormatInt(delta, 10))
	if err != nil {
		c.report(err)
		return 0, err
	}
	switch r.Kind {
	case KindInt:
		return r.Int, nil
	case KindError:
		switch {
		case strings.Contains(r.Str, "overflow"):
			return 0, kv.ErrOverflow
		case strings.Contains(r.Str, "not an integer"):
			return 0, kv.ErrNotInteger
		case isOOM(r.Str):
			return 0, kv.ErrNoMemory
		}
		err := &ServerError{Msg: "INCRBY: " + r.Str}
		c.report(err)
		return 0, err
	}
	err = unexpected("INCRBY", r)
	c.report(err)
	return 0, err
}

// Expire is PEXPIRE: true if the key exists. ttl <= 0 is false without
// asking the server (SPEC: a zero or negative TTL leaves the key alone,
// where Redis would delete it).
func (c *Client) Expire(key string, ttl time.Duration) bool {
	if ttl <= 0 {
		return false
	}
	n, ok := c.callInt("PEXPIRE", key, millis(ttl))
	return ok && n == 1
}

// TTL is seconds left rounded up (SPEC section 1), -1 without expiry, -2
// missing. It asks PTTL and rounds itself: Redis' TTL rounds to the
// nearest second, which would read 49 for a key with 49.6 s left.
func (c *Client) TTL(key string) int64 {
	ms := c.PTTL(key)
	if ms < 0 {
		return ms
	}
	return (ms + 999) / 1000
}

// PTTL is PTTL: milliseconds left, -1 / -2 as TTL.
func (c *Client) PTTL(key string) int64 {
	n, ok := c.callInt("PTTL", key)
	if !ok {
		return -2
	}
	return n
}

// DelIfEquals is EPHPM.DELIFEQ: true if the key held exactly expected and
// was deleted.
func (c *Client) DelIfEquals(key, expected string) bool {
	n, ok := c.callInt("EPHPM.DELIFEQ", key, expected)
	return ok && n == 1
}

// DelPrefix is EPHPM.DELPREFIX: the number of keys removed.
func (c *Client) DelPrefix(prefix string) int {
	n, ok := c.callInt("EPHPM.DELPREFIX", prefix)
	if !ok {
		return 0
	}
	return int(n)
}

// Flush is FLUSHALL. (Failure is reported through OnError; FlushErr
// returns it.)
func (c *Client) Flush() { c.FlushErr() }

// FlushErr is FLUSHALL with its error.
func (c *Client) FlushErr() error {
	r, err := c.Do("FLUSHALL")
	if err == nil {
		err = r.Err()
	}
	if err != nil {
		c.report(err)
	}
	return err
}

// errWaitCanceled ends a Wait whose cancel channel closed.
var errWaitCanceled = errors.New("kvclient: wait canceled")

// Wait is EPHPM.WAIT key last timeout_ms: the key's version and value as
// soon as its version differs from last (at once when last is 0), ok=false
// after timeout, when cancel closes, or on failure (reported). It runs on
// a connection of its own, so other calls are not held up meanwhile.
func (c *Client) Wait(key string, last uint64, timeout time.Duration, cancel <-chan struct{}) (version uint64, value string, exists bool, ok bool) {
	if timeout < 0 {
		timeout = 0
	}
	ms := int64(timeout / time.Millisecond)
	if timeout%time.Millisecond != 0 {
		ms++
	}
	if last > math.MaxInt64 {
		// A negative $last_version from PHP: no version is ever that
		// large (they stay below 2^63), so, as in the server, it differs
		// from the key's version and the answer comes at once, which is
		// what last 0 asks for. EPHPM.WAIT itself takes only 0..2^63-1.
		last = 0
	}
	r, err := c.waitCall(cancel, timeout, "EPHPM.WAIT", key, strconv.FormatUint(last, 10), strconv.FormatInt(ms, 10))
	if err != nil {
		if err != errWaitCanceled {
			c.report(err)
		}
		return 0, "", false, false
	}
	switch {
	case r.Kind == KindNil:
		return 0, "", false, false
	case r.Kind == KindError:
		c.report(&ServerError{Msg: "EPHPM.WAIT: " + r.Str})
		return 0, "", false, false
	case r.Kind == KindArray && len(r.Array) == 2 && r.Array[0].Kind == KindInt && r.Array[0].Int > 0:
		v := r.Array[1]
		switch v.Kind {
		case KindBulk:
			return uint64(r.Array[0].Int), v.Str, true, true
		case KindNil:
			return uint64(r.Array[0].Int), "", false, true
		}
	}
	c.report(unexpected("EPHPM.WAIT", r))
	return 0, "", false, false
}

// waitCall runs a blocking command on a spare connection: its deadline is
// the command's own timeout plus the call timeout, and a close of cancel
// (or of the client) cuts it short by expiring the deadline now.
func (c *Client) waitCall(cancel <-chan struct{}, timeout time.Duration, args ...string) (Reply, error) {
	cn, err := c.takeSpare()
	if err != nil {
		return Reply{}, err
	}
	limit := time.Duration(math.MaxInt64)
	if timeout < limit-c.opts.Timeout {
		limit = timeout + c.opts.Timeout
	}
	cn.nc.SetDeadline(time.Now().Add(limit))
	stop := make(chan struct{})
	canceled := make(chan bool, 1)
	go func() {
		select {
		case <-cancel:
		case <-c.closedSig:
		case <-stop:
			canceled <- false
			return
		}
		cn.nc.SetDeadline(time.Now().Add(-time.Second))
		canceled <- true
	}()
	r, err := cn.roundTrip(args, 0)
	close(stop)
	if <-canceled {
		// The reply (if any) is still on its way: the connection is out
		// of step, so it is dropped.
		cn.nc.Close()
		return Reply{}, errWaitCanceled
	}
	if err != nil {
		cn.nc.Close()
		return Reply{}, &UnreachableError{Server: c.opts.String(), Err: err}
	}
	c.putSpare(cn)
	return r, nil
}

// maxSpare idle connections are kept for Wait calls.
const maxSpare = 4

func (c *Client) takeSpare() (*conn, error) {
	c.spareMu.Lock()
	if c.closed.Load() {
		c.spareMu.Unlock()
		return nil, ErrClosed
	}
	if n := len(c.spare); n > 0 {
		cn := c.spare[n-1]
		c.spare = c.spare[:n-1]
		c.spareMu.Unlock()
		// A spare may have been dropped by the server while idle: check
		// it the cheap way (a PING) before a long wait on it.
		if _, err := cn.roundTrip([]string{"PING"}, c.opts.Timeout); err == nil {
			return cn, nil
		}
		cn.nc.Close()
	} else {
		c.spareMu.Unlock()
	}
	return c.dial(false)
}

func (c *Client) putSpare(cn *conn) {
	c.spareMu.Lock()
	defer c.spareMu.Unlock()
	if c.closed.Load() || len(c.spare) >= maxSpare {
		cn.nc.Close()
		return
	}
	c.spare = append(c.spare, cn)
}
