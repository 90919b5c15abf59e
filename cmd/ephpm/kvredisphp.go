package main

import (
	"errors"
	"sync/atomic"

	"github.com/ephpm/ephpm/internal/kvredis"
)

// errFlushFailed is what a failed ephpm_kv_flush_all hands to OnError; the
// cause itself is in the log (kvredis logs every failure, rate-limited).
var errFlushFailed = errors.New("KV backend (redis): flush_all failed, Redis did not answer (see the log)")

// phpRedis is the Redis store as the ephpm_kv_* functions see it. Every
// method is the store's own (embedded, so the client-cache publishing
// phpembed looks for is found too) except Flush: phpembed decides
// ephpm_kv_flush_all's result from the failures a backend reports through
// OnError, and kvredis reports none, so a flush while Redis was down
// returned true. Only Flush reports: the store's other calls already
// return their failure values, and kvredis also fails calls on its own
// goroutines (reconnects, the RESP endpoint), off the PHP thread where
// phpembed's callback must run.
type phpRedis struct {
	*kvredis.Store
	onError atomic.Pointer[func(error)]
}

func forPHP(s *kvredis.Store) *phpRedis { return &phpRedis{Store: s} }

// OnError is called by phpembed.SetKVBackend.
func (p *phpRedis) OnError(f func(error)) { p.onError.Store(&f) }

// Flush runs on the PHP thread inside ephpm_kv_flush_all.
func (p *phpRedis) Flush() {
	if p.Store.FlushOK() {
		return
	}
	if f := p.onError.Load(); f != nil {
		(*f)(errFlushFailed)
	}
}
