package main

import (
	"sync"
	"time"

	"github.com/ephpm/ephpm/internal/phpembed"
	"github.com/ephpm/ephpm/internal/server"
)

// kvPingCache is how long one answer of the Redis backend's Ping stands
// for readiness: probes from a load balancer, Kubernetes and a monitor
// each second would otherwise each cost a round trip to Redis.
const kvPingCache = time.Second

// newReadiness is /_ephpm/ready: PHP up (in worker mode a worker booted)
// and the KV backend answering. The memory store always answers; Redis
// must answer PING within its command timeout.
func newReadiness(rt *phpembed.Runtime, store kvBackend) server.Readiness {
	var kvCheck func() error
	if store.redis != nil {
		kvCheck = newCachedCheck(store.redis.Ping, kvPingCache)
	}
	return func() []string {
		var reasons []string
		if err := rt.Ready(); err != nil {
			reasons = append(reasons, err.Error())
		}
		if kvCheck != nil {
			if err := kvCheck(); err != nil {
				reasons = append(reasons, "kv: redis does not answer: "+err.Error())
			}
		}
		return reasons
	}
}

// newCachedCheck runs check at most once per ttl and returns its last
// answer meanwhile. Callers that come while it runs wait for that run
// instead of starting their own, so a burst of probes is one check.
func newCachedCheck(check func() error, ttl time.Duration) func() error {
	var (
		mu   sync.Mutex
		at   time.Time
		last error
	)
	return func() error {
		mu.Lock()
		defer mu.Unlock()
		if !at.IsZero() && time.Since(at) < ttl {
			return last
		}
		last = check()
		at = time.Now()
		return last
	}
}
