package e2e

// Spec audit (session 11, B): SPEC 7 has the RESP endpoint answer "byte for
// byte" with Redis's error prefixes, -WRONGTYPE among them. On the memory
// store every key is a string, but on the Redis backend (SPEC 9) another
// client of the same Redis can leave a list under key_prefix. A write there
// that Redis refuses for its type (SET ... GET, APPEND, SETRANGE, GETSET,
// INCRBYFLOAT) was answered "-ERR the store refused the write: WRONGTYPE
// ...", which clients that check the prefix do not recognise; now it is
// Redis's own "-WRONGTYPE Operation against a key holding the wrong kind of
// value", the reply redis-server gives for the same command.
//
// Not changed (reported): a read of such a key over the endpoint (GET,
// STRLEN, GETRANGE...) answers as for a missing key where Redis says
// WRONGTYPE, and TYPE says "none": the endpoint's store interface has no
// error for reads; PHP's ephpm_kv_get gives its failure value (null) either
// way, as SPEC 9 says.

import (
	"regexp"
	"testing"

	"github.com/ephpm/ephpm/internal/redistest"
)

func TestSpecAudit11bRedisBackendWrongTypeError(t *testing.T) {
	rds := redistest.Start(t, redistest.Options{})
	node := startRedisNodes(t, 1, redisNodeConfig{Addrs: []string{rds.Addr}, ClientCache: "0", RESP: true})[0]
	m := respListenRe.FindStringSubmatch(node.Log())
	if m == nil {
		t.Fatalf("no RESP listen line in the log:\n%s", node.Log())
	}
	ours, theirs := dialRESPPeer(t, m[1], "2"), dialRESPPeer(t, rds.Addr, "2")
	// The list under the node's prefix, and the same list in Redis's own
	// keyspace for the reference replies.
	rds.CLI("RPUSH", "ephpm:L", "a")
	rds.CLI("RPUSH", "L", "a")
	for _, cmd := range [][]string{
		{"SET", "L", "x", "GET"},
		{"SET", "L", "x", "XX", "GET"},
		{"APPEND", "L", "x"},
		{"SETRANGE", "L", "0", "x"},
		{"GETSET", "L", "v"},
		{"INCRBYFLOAT", "L", "1"},
	} {
		got, want := ours.do(t, cmd...), theirs.do(t, cmd...)
		if got.raw != want.raw {
			t.Errorf("%q on a list:\n got %q\nwant %q (redis-server)", cmd, got.raw, want.raw)
		}
	}
	// The list is untouched, and the connection still serves.
	if got := rds.CLI("LRANGE", "ephpm:L", "0", "-1"); got != "a" {
		t.Errorf("ephpm:L after the refused writes: %q", got)
	}
	if got := ours.do(t, "PING"); got.raw != "+PONG\r\n" {
		t.Errorf("PING after the errors: %q", got.raw)
	}
	// INFO errorstats counts the replies under their own prefix.
	info := ours.do(t, "INFO", "errorstats").bulkText()
	if !regexp.MustCompile(`errorstat_WRONGTYPE:count=6\b`).MatchString(info) {
		t.Errorf("INFO errorstats: %q, want errorstat_WRONGTYPE:count=6", info)
	}
}
