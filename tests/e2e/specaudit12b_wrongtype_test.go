package e2e

// Spec audit (session 12, B): on the Redis backend (SPEC 9) another client
// of the same Redis can leave a list under key_prefix. SPEC 7 has the RESP
// endpoint answer as Redis 7 does, error prefixes included; session 11
// made the writes Redis refuses for the key's type answer -WRONGTYPE, but
// the reads (GET, STRLEN, GETRANGE, GETDEL, GETEX) answered as for a
// missing key. Each command here is sent to the node's endpoint on a list
// under the prefix and to redis-server itself on the same list in its own
// keyspace: the replies must be the same bytes.

import (
	"regexp"
	"testing"

	"github.com/ephpm/ephpm/internal/redistest"
)

func TestSpecAudit12bRedisBackendWrongTypeReads(t *testing.T) {
	rds := redistest.Start(t, redistest.Options{})
	for _, cache := range []string{"0", "64MB"} {
		t.Run("client_cache="+cache, func(t *testing.T) {
			rds.CLI("FLUSHALL")
			node := startRedisNodes(t, 1, redisNodeConfig{Addrs: []string{rds.Addr}, ClientCache: cache, RESP: true})[0]
			m := respListenRe.FindStringSubmatch(node.Log())
			if m == nil {
				t.Fatalf("no RESP listen line in the log:\n%s", node.Log())
			}
			ours, theirs := dialRESPPeer(t, m[1], "2"), dialRESPPeer(t, rds.Addr, "2")
			rds.CLI("RPUSH", "ephpm:L", "a")
			rds.CLI("RPUSH", "L", "a")
			cmds := [][]string{
				{"GET", "L"},
				{"STRLEN", "L"},
				{"GETRANGE", "L", "0", "-1"},
				{"GETDEL", "L"},
				{"GETEX", "L"},
				{"GETEX", "L", "EX", "100"},
				{"GET", "L"}, // twice: a cached miss must not hide it
				{"INCR", "L"},
				{"DECRBY", "L", "2"},
				{"MGET", "L", "nosuch"}, // nil for a non-string in Redis too
				{"EXISTS", "L"},
			}
			for _, cmd := range cmds {
				got, want := ours.do(t, cmd...), theirs.do(t, cmd...)
				if got.raw != want.raw {
					t.Errorf("%q on a list:\n got %q\nwant %q (redis-server)", cmd, got.raw, want.raw)
				}
			}
			if got := rds.CLI("LRANGE", "ephpm:L", "0", "-1"); got != "a" {
				t.Errorf("ephpm:L after the reads: %q", got)
			}
			if got := ours.do(t, "PING"); got.raw != "+PONG\r\n" {
				t.Errorf("PING after the errors: %q", got.raw)
			}
			info := ours.do(t, "INFO", "errorstats").bulkText()
			if !regexp.MustCompile(`errorstat_WRONGTYPE:count=9\b`).MatchString(info) {
				t.Errorf("INFO errorstats: %q, want errorstat_WRONGTYPE:count=9", info)
			}
			// A string key still reads as before.
			ours.do(t, "SET", "s", "hello")
			if got := ours.do(t, "GET", "s"); got.raw != "$5\r\nhello\r\n" {
				t.Errorf("GET of a string: %q", got.raw)
			}
			if got := ours.do(t, "STRLEN", "s"); got.raw != ":5\r\n" {
				t.Errorf("STRLEN of a string: %q", got.raw)
			}
			if got := ours.do(t, "GET", "nosuch"); got.raw != "$-1\r\n" {
				t.Errorf("GET of a missing key: %q", got.raw)
			}
		})
	}
}
