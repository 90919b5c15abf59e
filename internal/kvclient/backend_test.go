package kvclient

import (
	"errors"
	"fmt"
	"math"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/ephpm/ephpm/internal/kv"
)

// scenario runs SPEC section 1's operations (those made of standard
// commands) on b and writes one line per result: the client against a
// server must produce exactly what the in-process store produces.
func scenario(b kv.Backend, p string) []string {
	var out []string
	rec := func(name string, v any) { out = append(out, fmt.Sprintf("%s = %#v", name, v)) }
	get := func(k string) string {
		v, ok := b.Get(k)
		if !ok {
			return "<miss>"
		}
		return v
	}
	incr := func(k string, d int64) string {
		n, err := b.IncrBy(k, d)
		switch {
		case errors.Is(err, kv.ErrNotInteger):
			return "ErrNotInteger"
		case errors.Is(err, kv.ErrOverflow):
			return "ErrOverflow"
		case err != nil:
			return "error: " + err.Error()
		}
		return fmt.Sprint(n)
	}
	rec("get miss", get(p+"missing"))
	rec("set", b.Set(p+"a", "alpha", 0))
	rec("get", get(p+"a"))
	rec("set replaces", b.Set(p+"a", "beta", 0))
	rec("get replaced", get(p+"a"))
	rec("set empty", b.Set(p+"empty", "", 0))
	rec("get empty", get(p+"empty"))
	rec("exists empty", b.Exists(p+"empty"))
	bin := "va\x00lue\xff\r\n\x00end"
	rec("binary set", b.Set(p+"bin\x00key\r\n", bin, 0))
	rec("binary get", get(p+"bin\x00key\r\n") == bin)
	rec("binary key distinct", get(p+"bin"))
	big := strings.Repeat("0123456789abcdef", 300000/16)
	rec("big set", b.Set(p+"big", big, 0))
	rec("big get", get(p+"big") == big)

	rec("ttl missing", b.TTL(p+"missing"))
	rec("pttl missing", b.PTTL(p+"missing"))
	rec("ttl no expiry", b.TTL(p+"a"))
	rec("pttl no expiry", b.PTTL(p+"a"))
	rec("set ttl", b.Set(p+"t", "v", 100*time.Second))
	rec("ttl rounds up", b.TTL(p+"t"))
	pt := b.PTTL(p + "t")
	rec("pttl in range", pt > 99000 && pt <= 100000)
	rec("set negative ttl", b.Set(p+"tn", "v", -5*time.Second))
	rec("ttl after negative", b.TTL(p+"tn"))
	rec("set huge ttl", b.Set(p+"th", "v", time.Duration(math.MaxInt64)))
	rec("huge ttl kept", b.TTL(p+"th") > 200*365*86400)
	rec("set replaces ttl", b.Set(p+"t", "v2", 0))
	rec("ttl after replace", b.TTL(p+"t"))
	rec("expire", b.Expire(p+"a", 50*time.Second))
	rec("ttl after expire", b.TTL(p+"a"))
	rec("expire missing", b.Expire(p+"missing", 10*time.Second))
	rec("expire 0", b.Expire(p+"a", 0))
	rec("expire negative", b.Expire(p+"a", -time.Second))
	rec("ttl unchanged", b.TTL(p+"a"))
	rec("expire huge", b.Expire(p+"th", time.Duration(math.MaxInt64)))
	rec("set short", b.Set(p+"short", "v", 300*time.Millisecond))
	rec("short live", get(p+"short"))
	time.Sleep(400 * time.Millisecond)
	rec("expired get", get(p+"short"))
	rec("expired exists", b.Exists(p+"short"))
	rec("expired ttl", b.TTL(p+"short"))
	rec("setnx over expired", b.SetNX(p+"short", "again", 0))

	rec("setnx new", b.SetNX(p+"nx", "first", 60*time.Second))
	rec("setnx existing", b.SetNX(p+"nx", "second", 0))
	rec("setnx kept", get(p+"nx"))
	rec("setnx ttl", b.TTL(p+"nx"))
	rec("del", b.Del(p+"nx"))
	rec("del again", b.Del(p+"nx"))
	rec("exists after del", b.Exists(p+"nx"))

	rec("incr new", incr(p+"c", 1))
	rec("incr", incr(p+"c", 1))
	rec("incr_by", incr(p+"c", 10))
	rec("incr_by negative", incr(p+"c", -20))
	rec("counter text", get(p+"c"))
	rec("counter no expiry", b.TTL(p+"c"))
	b.Set(p+"n", "5", 100*time.Second)
	rec("incr on 5", incr(p+"n", 1))
	rec("incr keeps ttl", b.TTL(p+"n"))
	rec("get after incr", get(p+"n"))
	b.Set(p+"s", "abc", 0)
	rec("incr non-integer", incr(p+"s", 1))
	rec("non-integer untouched", get(p+"s"))
	b.Set(p+"f", "1.5", 0)
	rec("incr float", incr(p+"f", 1))
	b.Set(p+"max", fmt.Sprint(int64(math.MaxInt64)), 0)
	rec("incr overflow", incr(p+"max", 1))
	rec("overflow untouched", get(p+"max"))
	b.Set(p+"min", fmt.Sprint(int64(math.MinInt64)), 0)
	rec("decr underflow", incr(p+"min", -1))
	rec("incr_by 0", incr(p+"n", 0))
	rec("incr_by min", incr(p+"m0", math.MinInt64))

	b.Set(p+"z", "z", 0)
	b.Flush()
	rec("flush emptied", b.Exists(p+"z"))
	return out
}

// sameAsStore runs run on a fresh in-process store, then through a client
// with each of opts: every result must equal the store's, and no client
// may report an error.
func sameAsStore(t *testing.T, run func(b kv.Backend) []string, opts ...Options) {
	t.Helper()
	store, err := kv.New(kv.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	want := run(store)
	for _, o := range opts {
		t.Run(o.Network, func(t *testing.T) {
			c := New(o)
			defer c.Close()
			e := watch(c)
			got := run(c)
			if len(got) != len(want) {
				t.Fatalf("%d results, want %d", len(got), len(want))
			}
			for i := range want {
				if got[i] != want[i] {
					t.Errorf("client: %s\n store: %s", got[i], want[i])
				}
			}
			if len(e.list) != 0 {
				t.Errorf("errors reported on a healthy server: %v", e.list)
			}
		})
	}
}

// TestSameResultsAsTheStore: every result of the client against a real
// Redis (the standard commands) equals the in-process store's.
func TestSameResultsAsTheStore(t *testing.T) {
	rs := startRedis(t, "")
	sameAsStore(t, func(b kv.Backend) []string { return scenario(b, "k:") }, rs.unix(""), rs.tcp(""))
}

// TestPassword: AUTH is sent when a password is set; a wrong or missing
// one is reported, and the call returns its failure value.
func TestPassword(t *testing.T) {
	rs := startRedis(t, "s3cret pass")
	c := New(rs.tcp("s3cret pass"))
	defer c.Close()
	if !c.Set("k", "v", 0) {
		t.Fatal("set with the right password failed")
	}
	if v, ok := c.Get("k"); !ok || v != "v" {
		t.Fatalf("get = %q %v", v, ok)
	}

	wrong := New(rs.tcp("nope"))
	defer wrong.Close()
	e := watch(wrong)
	if _, ok := wrong.Get("k"); ok {
		t.Fatal("get with a wrong password answered")
	}
	if len(e.list) != 1 || !strings.Contains(e.list[0].Error(), "WRONGPASS") {
		t.Fatalf("reported %v, want one WRONGPASS error", e.list)
	}

	none := New(rs.unix(""))
	defer none.Close()
	e = watch(none)
	if none.Exists("k") {
		t.Fatal("exists without a password answered true")
	}
	if len(e.list) != 1 || !strings.Contains(e.list[0].Error(), "NOAUTH") {
		t.Fatalf("reported %v, want one NOAUTH error", e.list)
	}
}

// TestUnreachableFailsFast: with nothing listening every function returns
// its failure value at once and reports why.
func TestUnreachableFailsFast(t *testing.T) {
	port := freePort(t) // closed again: nothing listens there
	for _, o := range []Options{
		{Network: "unix", Addr: t.TempDir() + "/none.sock"},
		{Network: "tcp", Addr: fmt.Sprintf("127.0.0.1:%d", port)},
	} {
		c := New(o)
		e := watch(c)
		start := time.Now()
		_, hit := c.Get("k")
		n, ierr := c.IncrBy("k", 1)
		results := []any{hit, c.Set("k", "v", 0), c.SetNX("k", "v", time.Second), c.Del("k"), c.Exists("k"),
			n, ierr != nil, c.Expire("k", time.Second), c.TTL("k"), c.PTTL("k"), c.DelIfEquals("k", "v"), c.DelPrefix("")}
		want := []any{false, false, false, false, false, int64(0), true, false, int64(-2), int64(-2), false, 0}
		if fmt.Sprint(results) != fmt.Sprint(want) {
			t.Errorf("%s: results %v, want %v", o, results, want)
		}
		if c.FlushErr() == nil {
			t.Errorf("%s: flush reported no error", o)
		}
		if el := time.Since(start); el > 2*time.Second {
			t.Errorf("%s: 12 calls took %v", o, el)
		}
		if len(e.list) != 12 {
			t.Errorf("%s: %d errors reported, want 12: %v", o, len(e.list), e.list)
		}
		var ue *UnreachableError
		if !errors.As(e.list[0], &ue) || !strings.Contains(e.list[0].Error(), "KV server unreachable: "+o.String()) {
			t.Errorf("%s: error %v is not an UnreachableError naming the server", o, e.list[0])
		}
		c.Close()
	}
}

// TestExpireZeroSendsNothing: expire with a TTL <= 0 is false without a
// round trip (Redis would delete the key).
func TestExpireZeroSendsNothing(t *testing.T) {
	c := New(Options{Network: "unix", Addr: t.TempDir() + "/none.sock"})
	defer c.Close()
	e := watch(c)
	if c.Expire("k", 0) || c.Expire("k", -time.Second) {
		t.Fatal("expire <= 0 returned true")
	}
	if len(e.list) != 0 {
		t.Fatalf("expire <= 0 contacted the server: %v", e.list)
	}
}

// TestRedialAfterServerDropsConnection: a connection the server closed
// (CLIENT KILL, as an idle timeout or a restart does) is replaced within
// the next call, which succeeds and reports nothing.
func TestRedialAfterServerDropsConnection(t *testing.T) {
	rs := startRedis(t, "")
	c := New(rs.tcp(""))
	defer c.Close()
	e := watch(c)
	if !c.Set("k", "1", 0) {
		t.Fatal("set failed")
	}
	id, err := c.Do("CLIENT", "ID")
	if err != nil || id.Kind != KindInt {
		t.Fatalf("CLIENT ID: %+v %v", id, err)
	}
	admin := New(rs.unix(""))
	defer admin.Close()
	if r, err := admin.Do("CLIENT", "KILL", "ID", fmt.Sprint(id.Int)); err != nil || r.Int != 1 {
		t.Fatalf("CLIENT KILL: %+v %v", r, err)
	}
	if n, err := c.IncrBy("k", 1); err != nil || n != 2 {
		t.Fatalf("incr after the server dropped the connection = %d, %v; want 2", n, err)
	}
	if len(e.list) != 0 {
		t.Fatalf("errors reported: %v", e.list)
	}
}

// TestServerRestart: calls fail (reported) while the server is down and
// work again once it is back on the same socket.
func TestServerRestart(t *testing.T) {
	rs := startRedis(t, "")
	c := New(rs.unix(""))
	defer c.Close()
	e := watch(c)
	if !c.Set("k", "v", 0) {
		t.Fatal("set failed")
	}
	rs.Stop()
	deadline := time.Now().Add(10 * time.Second)
	for c.Set("k", "v", 0) {
		if time.Now().After(deadline) {
			t.Fatal("writes still succeed after the server was killed")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if len(e.list) == 0 {
		t.Fatal("failure not reported")
	}
	// The same socket path, a new server: the client finds it again.
	startRedisAt(t, rs.Socket)
	deadline = time.Now().Add(10 * time.Second)
	for !c.Set("k", "back", 0) {
		if time.Now().After(deadline) {
			t.Fatalf("no reconnect after restart: %v", e.list[len(e.list)-1])
		}
		time.Sleep(50 * time.Millisecond)
	}
	if v, ok := c.Get("k"); !ok || v != "back" {
		t.Fatalf("get after restart = %q %v", v, ok)
	}
}

// TestCallTimeout: a server that accepts but never answers costs one
// per-call timeout, reported, not a hang.
func TestCallTimeout(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			defer nc.Close() // silent: read nothing, answer nothing
		}
	}()
	c := New(Options{Network: "tcp", Addr: ln.Addr().String(), Timeout: 300 * time.Millisecond})
	defer c.Close()
	e := watch(c)
	start := time.Now()
	if _, ok := c.Get("k"); ok {
		t.Fatal("hit from a silent server")
	}
	if el := time.Since(start); el < 250*time.Millisecond || el > 10*time.Second {
		t.Fatalf("call took %v, want about the 300ms timeout", el)
	}
	var ne net.Error
	if len(e.list) != 1 || !errors.As(e.list[0], &ne) || !ne.Timeout() {
		t.Fatalf("reported %v, want one timeout", e.list)
	}
}

// TestOOMIsFalse: a write the server's memory limit refuses is false (as
// the store's noeviction), reported as nothing unusual, old value kept.
func TestOOMIsFalse(t *testing.T) {
	rs := startRedis(t, "")
	c := New(rs.unix(""))
	defer c.Close()
	e := watch(c)
	if !c.Set("keep", "old", 0) {
		t.Fatal("set failed")
	}
	if r, err := c.Do("CONFIG", "SET", "maxmemory", "1"); err != nil || r.Kind != KindSimple {
		t.Fatalf("CONFIG SET maxmemory: %+v %v", r, err)
	}
	c.Do("CONFIG", "SET", "maxmemory-policy", "noeviction")
	if c.Set("keep", strings.Repeat("x", 100000), 0) {
		t.Fatal("set over the memory limit returned true")
	}
	if c.SetNX("new", "v", 0) {
		t.Fatal("setnx over the memory limit returned true")
	}
	if v, _ := c.Get("keep"); v != "old" {
		t.Fatalf("old value = %q", v)
	}
	if len(e.list) != 0 {
		t.Fatalf("OOM reported as an error: %v", e.list)
	}
}
