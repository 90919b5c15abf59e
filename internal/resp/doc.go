// Package resp serves a key-value store over the Redis protocol (RESP2
// and RESP3), as SPEC section 7 describes: Redis 7's string, key,
// transaction, connection and server commands with its replies and
// error texts byte for byte (redis_diff_test.go compares them with a
// real redis-server), plus EPHPM.DELIFEQ, EPHPM.DELPREFIX and EPHPM.WAIT.
//
// Why not github.com/tidwall/redcon: it speaks RESP2 only, splits inline
// commands without Redis's quoting rules, has no limits on bulk length
// or unauthenticated frames and no idle timeout in the middle of a
// frame, and serves each connection with a goroutine on the net package.
// Measured under redis-benchmark (50 clients, with and without -P 16) on
// the 2-core box, redcon over a sync.Map and this package over the real
// store were within noise of each other; the goroutine-per-connection
// design itself (ours in conn.go, as redcon's) reached only about 0.6x
// redis-server without pipelining, which the event loops (loop_linux.go)
// bring to parity. So: our own parser (reader.go: in place, resumable,
// no allocation per command) and writer (writer.go), and epoll loops.
//
// Files: server.go (listeners, unix socket, Close), loop_linux.go (event
// loops), conn.go (a connection; the goroutine server), reader.go and
// writer.go (the protocol), commands.go (table, dispatch, MULTI queue,
// locking), cmd_*.go (the commands), commands_meta.go (generated from
// Redis's command JSON by gen/commands.py: arity, flags, docs), glob.go
// (Redis's pattern matching), stats.go (counters for metrics).
package resp
