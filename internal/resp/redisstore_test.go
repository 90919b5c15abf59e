package resp

import (
	"log/slog"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ephpm/ephpm/internal/kvredis"
	"github.com/ephpm/ephpm/internal/redistest"
)

// startRedisBacked runs a Server over resp.RedisStore of a kvredis store
// (key prefix "app:", client cache on) on a real redis-server, which it
// returns too.
func startRedisBacked(t *testing.T, redisArgs ...string) (*Server, *redistest.Server) {
	t.Helper()
	rs := redistest.Start(t, redistest.Options{Extra: redisArgs})
	return serveRedis(t, rs.Addr), rs
}

// serveRedis runs a Server over resp.RedisStore of a kvredis store (key
// prefix "app:", client cache on) on the Redis at addrs.
func serveRedis(t *testing.T, addrs ...string) *Server {
	t.Helper()
	store, err := kvredis.New(kvredis.Options{
		Addresses:      addrs,
		KeyPrefix:      "app:",
		ClientCache:    8 << 20,
		CommandTimeout: 5 * time.Second,
		Logger:         slog.New(slog.NewTextHandler(tlogWriter{t}, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := store.Ping(); err != nil {
		t.Fatalf("kvredis store does not reach %s: %v", addrs, err)
	}
	s := New(RedisStore(store), Config{Listen: "127.0.0.1:0", Goroutines: true, MaxClients: 100})
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		s.Close(5 * time.Second)
		store.Close()
	})
	return s
}

// TestRedisStoreRepliesMatchRedis runs the command sequences of
// TestRepliesMatchRedis against the endpoint over the Redis backend and
// against a plain redis-server: the replies must be the same, byte for
// byte. A key outside the prefix, on the backing Redis, must survive every
// FLUSHALL of the endpoint.
//
// The second run hides PEXPIRETIME from the backing Redis, as Redis 6
// lacks it: the store then works from PTTL. The third has a Redis Cluster
// of three primaries behind the endpoint.
func TestRedisStoreRepliesMatchRedis(t *testing.T) {
	redisAddr := startRedis(t)
	t.Run("redis7", func(t *testing.T) {
		s, backing := startRedisBacked(t)
		repliesMatch(t, redisAddr, s, backing.CLI)
	})
	t.Run("noPEXPIRETIME", func(t *testing.T) {
		s, backing := startRedisBacked(t, "--rename-command", "PEXPIRETIME", "")
		repliesMatch(t, redisAddr, s, backing.CLI)
	})
	t.Run("cluster", func(t *testing.T) {
		c := redistest.StartCluster(t, 3, redistest.Options{})
		repliesMatch(t, redisAddr, serveRedis(t, c.Addrs...), c.CLI)
	})
}

func repliesMatch(t *testing.T, redisAddr string, s *Server, backing func(...string) string) {
	backing("SET", "other:key", "kept")
	compareReplies(t, s, redisAddr)
	if got := backing("GET", "other:key"); got != "kept" {
		t.Errorf("key outside the prefix after the endpoint's FLUSHALLs: %q, want kept", got)
	}
}

// TestRedisStoreWithRedisCLI drives the endpoint with redis-cli and checks
// where everything lands in the backing Redis: under the prefix, with the
// TTLs asked, and that FLUSHDB and EPHPM.DELPREFIX stay inside it.
// The second run hides PEXPIRETIME, as Redis 6 lacks it.
func TestRedisStoreWithRedisCLI(t *testing.T) {
	if _, err := exec.LookPath("redis-cli"); err != nil {
		t.Skip("redis-cli is not installed")
	}
	t.Run("redis7", func(t *testing.T) { withRedisCLI(t) })
	t.Run("noPEXPIRETIME", func(t *testing.T) { withRedisCLI(t, "--rename-command", "PEXPIRETIME", "") })
}

func withRedisCLI(t *testing.T, redisArgs ...string) {
	s, backing := startRedisBacked(t, redisArgs...)
	port := s.Addr().String()[strings.LastIndexByte(s.Addr().String(), ':')+1:]
	cli := func(args ...string) string {
		t.Helper()
		out, err := exec.Command("redis-cli", append([]string{"-h", "127.0.0.1", "-p", port}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("redis-cli %q: %v: %s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	expect := func(want string, args ...string) {
		t.Helper()
		if got := cli(args...); got != want {
			t.Errorf("%q: got %q, want %q", args, got, want)
		}
	}
	redis := func(want string, args ...string) {
		t.Helper()
		if got := backing.CLI(args...); got != want {
			t.Errorf("on Redis %q: got %q, want %q", args, got, want)
		}
	}
	backing.CLI("SET", "outside", "mine")

	setAt := time.Now()
	expect("OK", "SET", "s", "v1", "EX", "100")
	redis("v1", "GET", "app:s")
	ttlLeft(t, "TTL on Redis after SET EX 100", backing.CLI("TTL", "app:s"), 100, time.Second, setAt)
	expect("", "SET", "s", "v2", "NX")
	expect("OK", "SET", "s", "v2", "XX", "KEEPTTL")
	ttlLeft(t, "TTL on Redis after KEEPTTL (lost?)", backing.CLI("TTL", "app:s"), 100, time.Second, setAt)
	expect("v2", "SET", "s", "v3", "GET")
	redis("-1", "TTL", "app:s")
	expect("v3", "GETSET", "s", "v4")
	setAt = time.Now()
	expect("v4", "GETEX", "s", "PX", "50000")
	ttlLeft(t, "PTTL on Redis after GETEX PX 50000", backing.CLI("PTTL", "app:s"), 50000, time.Millisecond, setAt)
	expect("v4", "GETDEL", "s")
	redis("0", "EXISTS", "app:s")

	expect("10.5", "INCRBYFLOAT", "f", "10.5")
	expect("11", "INCRBYFLOAT", "f", "0.5")
	redis("11", "GET", "app:f")
	expect("5", "APPEND", "a", "Hello")
	expect("11", "APPEND", "a", " World")
	expect("11", "SETRANGE", "a", "6", "Redis")
	redis("Hello Redis", "GET", "app:a")

	expect("OK", "MSET", "m1", "x", "m2", "y")
	expect("x\ny", "MGET", "m1", "m2", "m3")
	redis("y", "GET", "app:m2")
	setAt = time.Now()
	expect("1", "EXPIRE", "m1", "100")
	expect("OK", "RENAME", "m1", "r1")
	redis("0", "EXISTS", "app:m1")
	redis("x", "GET", "app:r1")
	ttlLeft(t, "TTL after RENAME", cli("TTL", "r1"), 100, time.Second, setAt)
	expect("-2", "TTL", "nokey")

	// A key written straight to Redis under the prefix is the endpoint's.
	backing.CLI("SET", "app:direct", "from-redis")
	expect("from-redis", "GET", "direct")

	keys := strings.Fields(cli("KEYS", "*"))
	sort.Strings(keys)
	if want := "a direct f m2 r1"; strings.Join(keys, " ") != want {
		t.Errorf("KEYS *: %q, want %q (nothing outside the prefix)", keys, want)
	}
	expect("5", "DBSIZE")
	if got := scanAll(t, s, "2"); strings.Join(got, " ") != "a direct f m2 r1" {
		t.Errorf("SCAN walk with COUNT 2: %q, want the 5 keys", got)
	}
	if info := cli("INFO", "keyspace"); !strings.Contains(info, "db0:keys=5,expires=1,") {
		t.Errorf("INFO keyspace: %q", info)
	}
	if k := cli("RANDOMKEY"); !strings.Contains(" a direct f m2 r1 ", " "+k+" ") {
		t.Errorf("RANDOMKEY: %q", k)
	}

	expect("0", "EPHPM.DELIFEQ", "direct", "other")
	expect("1", "EPHPM.DELIFEQ", "direct", "from-redis")
	redis("0", "EXISTS", "app:direct")
	expect("OK", "MSET", "p:1", "a", "p:2", "b", "q:1", "c")
	expect("2", "EPHPM.DELPREFIX", "p:")
	redis("c", "GET", "app:q:1")

	expect("OK", "FLUSHDB")
	expect("0", "DBSIZE")
	redis("", "KEYS", "app:*")
	redis("mine", "GET", "outside")
}

// TestRedisStoreTransactionAndWait: MULTI/EXEC queues and runs in order
// over the Redis backend, and EPHPM.WAIT on the endpoint wakes when the
// key is written straight to Redis.
func TestRedisStoreTransactionAndWait(t *testing.T) {
	s, backing := startRedisBacked(t)
	c := dialAddr(t, "tcp", s.Addr().String())
	c.expect("+OK\r\n", "MULTI")
	c.expect("+QUEUED\r\n", "SET", "t", "1")
	c.expect("+QUEUED\r\n", "INCR", "t")
	c.expect("+QUEUED\r\n", "GET", "t")
	c.expect("*3\r\n+OK\r\n:2\r\n$1\r\n2\r\n", "EXEC")

	first := c.do("EPHPM.WAIT", "w", "0", "0")
	if !strings.HasPrefix(first, "*2\r\n:1\r\n") { // absent: version 1
		t.Fatalf("EPHPM.WAIT w 0 0 on a missing key: %q", first)
	}
	start := time.Now()
	go func() {
		time.Sleep(100 * time.Millisecond)
		backing.CLI("SET", "app:w", "hello")
	}()
	got := c.do("EPHPM.WAIT", "w", "1", "20000")
	if !strings.HasSuffix(got, "$5\r\nhello\r\n") {
		t.Fatalf("EPHPM.WAIT after a write on Redis: %q", got)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("EPHPM.WAIT took %v", d)
	}
}

// scanAll walks SCAN with count to its end and returns the keys, sorted.
func scanAll(t *testing.T, s *Server, count string) []string {
	t.Helper()
	c := dialAddr(t, "tcp", s.Addr().String())
	var keys []string
	cursor := "0"
	for i := 0; ; i++ {
		if i > 100 {
			t.Fatal("SCAN does not end")
		}
		lines := strings.Split(c.do("SCAN", cursor, "COUNT", count), "\r\n")
		// *2, $n, cursor, *m, then $len/key pairs.
		cursor = lines[2]
		for j := 5; j < len(lines); j += 2 {
			keys = append(keys, lines[j])
		}
		if cursor == "0" {
			break
		}
	}
	sort.Strings(keys)
	return keys
}

// TestRedisStoreRedisRestart: with the backing Redis killed the endpoint
// keeps answering (failure values, errors), and serves again once Redis
// is back.
func TestRedisStoreRedisRestart(t *testing.T) {
	s, backing := startRedisBacked(t)
	c := dialAddr(t, "tcp", s.Addr().String())
	c.expect("+OK\r\n", "SET", "k", "v")
	backing.Stop()
	c.expect("$-1\r\n", "GET", "k")
	if r := c.do("SET", "k", "v2", "GET"); !strings.HasPrefix(r, "-ERR the store") {
		t.Errorf("SET GET with Redis down: %q, want the store's error (not OOM)", r)
	}
	if r := c.do("SET", "k", "v2"); !strings.HasPrefix(r, "-ERR the store's backend does not answer") {
		t.Errorf("SET with Redis down: %q, want an error saying the backend does not answer (not OOM)", r)
	}
	if r := c.do("INCR", "n"); !strings.HasPrefix(r, "-ERR the store") {
		t.Errorf("INCR with Redis down: %q, want the store's error", r)
	}
	c.expect("+PONG\r\n", "PING")
	backing.Restart()
	deadline := time.Now().Add(15 * time.Second)
	for c.do("SET", "k", "v3") != "+OK\r\n" {
		if time.Now().After(deadline) {
			t.Fatal("the endpoint does not write after Redis restarted")
		}
		time.Sleep(100 * time.Millisecond)
	}
	c.expect("$2\r\nv3\r\n", "GET", "k")
	c.expect("*1\r\n$1\r\nk\r\n", "KEYS", "*")
}

// tlogWriter sends the store's log to the test's log.
type tlogWriter struct{ t *testing.T }

func (w tlogWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// ttlLeft checks a TTL reply read some time after the TTL was set (at or
// after since): at most set, and no lower than the wall time elapsed since
// allows (plus one unit for Redis's rounding). Each step here starts a
// redis-cli process, so on a loaded machine seconds pass between the set
// and the read; a lost TTL (-1), a missing key (-2) or a wrong TTL still
// fails. unit is what the reply counts: time.Second for TTL,
// time.Millisecond for PTTL.
func ttlLeft(t *testing.T, what, reply string, set int64, unit time.Duration, since time.Time) {
	t.Helper()
	got, err := strconv.ParseInt(reply, 10, 64)
	elapsed := int64(time.Since(since) / unit)
	if err != nil || got > set || got < set-elapsed-1 {
		t.Errorf("%s: %q, want %d minus the %d elapsed (at most 1 less)", what, reply, set, elapsed)
	}
}
