package resp

import (
	"regexp"
	"strconv"
	"testing"
)

// keyspaceCounts reads keyspace_hits and keyspace_misses from INFO stats.
func keyspaceCounts(t *testing.T, c *client) (hits, misses int64) {
	t.Helper()
	info := c.do("INFO", "stats")
	get := func(name string) int64 {
		m := regexp.MustCompile(`(?m)^` + name + `:(\d+)\r?$`).FindStringSubmatch(info)
		if m == nil {
			t.Fatalf("no %s in INFO stats: %q", name, info)
		}
		n, _ := strconv.ParseInt(m[1], 10, 64)
		return n
	}
	return get("keyspace_hits"), get("keyspace_misses")
}

// TestKeyspaceHitsMatchRedis: each read command moves INFO's
// keyspace_hits / keyspace_misses as Redis 7 moves them, on a key that
// exists and on one that does not (each command alone, counted by the
// change it makes on both servers). Not compared: RENAME, whose read of
// the source is counted by the store (Redis does not count it).
func TestKeyspaceHitsMatchRedis(t *testing.T) {
	s, _ := startServer(t, Config{})
	ours := dialAddr(t, "tcp", s.Addr().String())
	theirs := dialAddr(t, "tcp", startRedis(t))
	for _, c := range []*client{ours, theirs} {
		c.do("FLUSHALL")
		c.do("SET", "k", "12")
		c.do("SET", "v", "x", "EX", "1000")
	}
	for _, cmd := range [][]string{
		{"GET", "k"}, {"GET", "no"}, {"MGET", "k", "no", "v"}, {"STRLEN", "k"}, {"STRLEN", "no"},
		{"GETRANGE", "k", "0", "1"}, {"GETRANGE", "no", "0", "1"}, {"GETEX", "v"}, {"GETEX", "no"},
		{"EXISTS", "k"}, {"EXISTS", "no"}, {"EXISTS", "k", "no", "k"},
		{"TTL", "k"}, {"TTL", "no"}, {"PTTL", "v"}, {"PTTL", "no"},
		{"EXPIRETIME", "v"}, {"EXPIRETIME", "no"}, {"PEXPIRETIME", "v"}, {"PEXPIRETIME", "no"},
		{"TYPE", "k"}, {"TYPE", "no"},
		{"INCR", "k"}, {"INCR", "n"}, {"APPEND", "k", "1"}, {"SETNX", "k", "1"}, {"SET", "k", "3", "GET"},
		{"GETSET", "k", "4"}, {"GETSET", "n2", "4"}, {"SET", "n3", "1", "GET"}, {"SET", "n3", "2", "NX", "GET"},
		{"GETEX", "v", "EX", "100"}, {"GETEX", "no", "EX", "100"}, {"GETEX", "v", "PERSIST"},
		{"GETDEL", "no"}, {"GETDEL", "n2"}, {"EXPIRE", "v", "2000"}, {"PERSIST", "v"}, {"DEL", "no"},
		{"GETEX", "v", "EX", "abc"}, {"MSETNX", "k", "1"}, {"SETRANGE", "k", "0", "x"}, {"INCRBYFLOAT", "k", "1"},
	} {
		oh, om := keyspaceCounts(t, ours)
		th, tm := keyspaceCounts(t, theirs)
		ours.do(cmd...)
		theirs.do(cmd...)
		oh2, om2 := keyspaceCounts(t, ours)
		th2, tm2 := keyspaceCounts(t, theirs)
		if oh2-oh != th2-th || om2-om != tm2-tm {
			t.Errorf("%q: hits +%d misses +%d, redis-server +%d +%d", cmd, oh2-oh, om2-om, th2-th, tm2-tm)
		}
	}
}
