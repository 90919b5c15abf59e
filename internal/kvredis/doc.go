// Package kvredis is the store of the ephpm_kv_* functions on Redis or
// Valkey (SPEC section 9, [kv] backend = "redis"): many ephpm nodes share
// one store. It implements kv.Backend (the PHP functions, `ephpm php`,
// `ephpm kv`) and resp.Store (the RESP endpoint), over
// github.com/redis/rueidis, standalone or Redis Cluster.
//
// Every key lives under Options.KeyPrefix, so a shared Redis keeps other
// applications' keys apart and flush_all removes only ours (never
// FLUSHDB). Counters, setnx and compare-and-delete are decided by Redis
// (single commands or a Lua script). Reads may be answered from the node's
// client-side cache, which Redis invalidates (RESP3 CLIENT TRACKING) when
// any client writes the key, and which is dropped whenever a connection
// to Redis is lost.
//
// A hot read is answered by the near cache (near.go) in front of rueidis's
// client cache, without a context or an allocation; both are filled only
// from answers Redis tracks for this node and emptied by its
// invalidations. A node reads its own writes at once: every command to a
// Redis node goes over one connection, and a write is pipelined with a
// fence whose reply comes after the write's invalidation (cached.go).
// In the server, the near cache's hot keys are also published for PHP's
// C code (near_pub.go: a mirror in a kv.Store whose published table C
// reads), so a hit on them needs no call into Go; every removal from the
// near cache removes the mirror first.
//
// On a standalone Redis without TLS, round trips that need no cache (set,
// incr_by, ...) go over a pool of blocking connections instead, written
// and read on the calling PHP thread as phpredis does (direct.go); their
// keys are read from Redis, bypassing the caches, until a fence on the
// tracking connection sent after the write has come back (dirty.go; a
// fence is sent when such a key is read, or every 50 ms, not after every
// write). A PHP thread on that path yields to the scheduler every 5 ms
// (yield.go) so that Go's sysmon does not keep taking its P.
//
// When Redis cannot be reached, or does not answer within
// Options.CommandTimeout, a call returns its failure value (miss, false,
// -2, 0), counts the error for /metrics and logs it, at most once per
// logInterval.
package kvredis
