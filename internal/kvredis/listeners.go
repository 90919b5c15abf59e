package kvredis

import (
	"sync"
	"sync/atomic"

	"github.com/redis/rueidis"
)

// invalidationListeners fans out Redis's invalidation messages (from
// rueidis's reading goroutines) to the parts of the store that keep state
// about keys: the near cache and Wait. The list is copy-on-write so the
// hot path (one message) takes no lock.
type invalidationListeners struct {
	mu   sync.Mutex
	list atomic.Pointer[[]func(keys []string, all bool)]
}

// addInvalidationListener registers fn, called with the Redis keys
// (KeyPrefix included) that Redis says changed, or with all=true when a
// connection's tracking was reset (reconnect, FLUSHALL, client cache
// dropped): everything known about any key is then suspect. fn runs on a
// rueidis reading goroutine and must be quick and not call Redis. Safe to
// call at any time, concurrently.
func (s *Store) addInvalidationListener(fn func(keys []string, all bool)) {
	l := &s.listeners
	l.mu.Lock()
	defer l.mu.Unlock()
	var next []func([]string, bool)
	if p := l.list.Load(); p != nil {
		next = append(next, (*p)...)
	}
	next = append(next, fn)
	l.list.Store(&next)
}

// onInvalidations is called by rueidis with the keys Redis says changed,
// or nil when a connection's tracking was reset (reconnect, FLUSHALL):
// everything cached is then suspect.
func (s *Store) onInvalidations(msgs []rueidis.RedisMessage) {
	p := s.listeners.list.Load()
	if p == nil {
		return
	}
	var keys []string
	all := msgs == nil
	if !all {
		keys = make([]string, 0, len(msgs))
		for _, m := range msgs {
			if k, err := m.ToString(); err == nil {
				keys = append(keys, k)
			}
		}
	}
	for _, fn := range *p {
		fn(keys, all)
	}
}
