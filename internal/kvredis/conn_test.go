package kvredis

import (
	"crypto/tls"
	"crypto/x509"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ephpm/ephpm/internal/redistest"
)

// checkWorks checks that s can write and read back (through the client
// cache when on) and that Redis holds the key under KeyPrefix.
func checkWorks(t *testing.T, s *Store) {
	t.Helper()
	waitReady(t, s)
	if !s.Set("k", "v", 0) {
		t.Fatalf("Set failed: %+v", s.Stats().Errors)
	}
	wantGet(t, s, "k", "v", true)
	wantGet(t, s, "k", "v", true)
	if n, err := s.IncrBy("n", 2); n != 2 || err != nil {
		t.Fatalf("IncrBy = %d, %v", n, err)
	}
	if !s.DelIfEquals("k", "v") {
		t.Fatal("DelIfEquals failed")
	}
}

// TestPassword: the default user's password (requirepass); a wrong one
// fails every call.
func TestPassword(t *testing.T) {
	t.Parallel()
	r := redistest.Start(t, redistest.Options{Password: "s3cret"})
	s := mustNew(t, Options{Addresses: []string{r.Addr}, Password: "s3cret", KeyPrefix: "t:", ClientCache: 1 << 20, CommandTimeout: testTimeout})
	checkWorks(t, s)
	wantDirect(t, s) // the pooled connections authenticate too
	if got := r.CLI("get", "t:n"); got != "2" {
		t.Fatalf("redis t:n = %q", got)
	}
	bad := mustNew(t, Options{Addresses: []string{r.Addr}, Password: "wrong", CommandTimeout: 500 * time.Millisecond})
	if bad.Set("k", "v", 0) {
		t.Fatal("Set with a wrong password succeeded")
	}
	if _, ok := bad.Get("k"); ok {
		t.Fatal("Get with a wrong password hit")
	}
}

// TestACLUser: Username + Password (AUTH user pass).
func TestACLUser(t *testing.T) {
	t.Parallel()
	r := redistest.Start(t, redistest.Options{User: "app", UserPassword: "pw"})
	// The default user is off for a client that says it is "app".
	s := mustNew(t, Options{Addresses: []string{r.Addr}, Username: "app", Password: "pw", KeyPrefix: "t:", ClientCache: 1 << 20, CommandTimeout: testTimeout})
	checkWorks(t, s)
	wantDirect(t, s)
	who := s.rc()
	if who == nil {
		t.Fatal("not connected")
	}
	ctx, cancel := s.ctx()
	defer cancel()
	if name, err := who.Do(ctx, who.B().AclWhoami().Build()).ToString(); err != nil || name != "app" {
		t.Fatalf("ACL WHOAMI = %q, %v", name, err)
	}
	bad := mustNew(t, Options{Addresses: []string{r.Addr}, Username: "app", Password: "nope", CommandTimeout: 500 * time.Millisecond})
	if bad.Set("k", "v", 0) {
		t.Fatal("Set with a wrong ACL password succeeded")
	}
}

// TestSelectDB: DB selects the database; keys of DB 0 are not touched by
// Flush.
func TestSelectDB(t *testing.T) {
	t.Parallel()
	r := redistest.Start(t, redistest.Options{})
	r.CLI("set", "t:zero", "db0")
	s := mustNew(t, Options{Addresses: []string{r.Addr}, DB: 3, KeyPrefix: "t:", ClientCache: 1 << 20, CommandTimeout: testTimeout})
	checkWorks(t, s)
	wantDirect(t, s) // the pooled connections SELECT 3 (checked below)
	if got := r.CLI("-n", "3", "get", "t:n"); got != "2" {
		t.Fatalf("db 3 t:n = %q", got)
	}
	if got := r.CLI("get", "t:n"); got != "" {
		t.Fatalf("db 0 has t:n = %q", got)
	}
	wantGet(t, s, "zero", "", false)
	s.Flush()
	if got := r.CLI("get", "t:zero"); got != "db0" {
		t.Fatalf("Flush of db 3 touched db 0: %q", got)
	}
	if got := r.CLI("-n", "3", "dbsize"); got != "0" {
		t.Fatalf("db 3 after Flush: dbsize %s", got)
	}
}

// TestTLS: TLS verified against the test CA, given as TLSConfig or, with
// TLS = true, through the system roots (SSL_CERT_FILE). A client that
// does not trust the CA fails.
func TestTLS(t *testing.T) {
	r := redistest.Start(t, redistest.Options{TLS: true})
	pem, err := os.ReadFile(r.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		t.Fatal("bad CA file")
	}
	t.Run("TLSConfig", func(t *testing.T) {
		s := mustNew(t, Options{Addresses: []string{r.Addr}, TLSConfig: &tls.Config{RootCAs: pool}, KeyPrefix: "t1:", ClientCache: 1 << 20, CommandTimeout: testTimeout})
		checkWorks(t, s)
		wantNoDirect(t, s) // TLS: rueidis only
	})
	t.Run("SSL_CERT_FILE", func(t *testing.T) {
		// The system roots are loaded once per process: only this
		// subtest may see them, and only when SSL_CERT_FILE is set
		// before the first use; otherwise check the failure only.
		t.Setenv("SSL_CERT_FILE", r.CAFile)
		s := mustNew(t, Options{Addresses: []string{r.Addr}, TLS: true, KeyPrefix: "t2:", CommandTimeout: testTimeout})
		if err := readyWithin(s, 3*time.Second); err != nil {
			t.Skipf("system roots already loaded without the test CA: %v", err)
		}
		checkWorks(t, s)
	})
	t.Run("untrusted", func(t *testing.T) {
		s := mustNew(t, Options{Addresses: []string{r.Addr}, TLSConfig: &tls.Config{RootCAs: x509.NewCertPool()}, CommandTimeout: 500 * time.Millisecond})
		if s.Set("k", "v", 0) {
			t.Fatal("Set over TLS with an untrusted certificate succeeded")
		}
	})
	t.Run("plain", func(t *testing.T) {
		s := mustNew(t, Options{Addresses: []string{r.Addr}, CommandTimeout: 500 * time.Millisecond})
		if s.Set("k", "v", 0) {
			t.Fatal("a plain-text client talked to a TLS-only server")
		}
	})
}

// TestNewWhileRedisDown: New returns at once (within about the command
// timeout), calls fail fast with their failure values and are counted,
// and everything works once Redis is up.
func TestNewWhileRedisDown(t *testing.T) {
	t.Parallel()
	r := redistest.Start(t, redistest.Options{})
	r.Stop()
	start := time.Now()
	s := mustNew(t, Options{Addresses: []string{r.Addr}, KeyPrefix: "t:", ClientCache: 1 << 20, CommandTimeout: 500 * time.Millisecond})
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("New with Redis down took %v", d)
	}
	checkFailureValues(t, s, 500*time.Millisecond)
	r.Restart()
	eventually(t, "calls work once Redis is up", func() bool { return s.Set("k", "v", 0) })
	checkWorks(t, s)
}

// checkFailureValues: with Redis unreachable every call returns its
// failure value within timeout (plus slack for a busy machine) and is
// counted.
func checkFailureValues(t *testing.T, s *Store, timeout time.Duration) (slowest time.Duration) {
	t.Helper()
	before := s.Stats()
	limit := timeout + 2*time.Second
	defer func() { t.Logf("slowest call with Redis unreachable: %v (timeout %v)", slowest, timeout) }()
	check := func(name string, fn func() bool) {
		t.Helper()
		start := time.Now()
		ok := fn()
		d := time.Since(start)
		slowest = max(slowest, d)
		if d > limit {
			t.Errorf("%s took %v with Redis unreachable (timeout %v)", name, d, timeout)
		}
		if !ok {
			t.Errorf("%s did not return its failure value", name)
		}
	}
	check("Get", func() bool { _, ok := s.Get("nope"); return !ok })
	check("Set", func() bool { return !s.Set("k", "v", 0) })
	check("SetNX", func() bool { return !s.SetNX("k2", "v", 0) })
	check("Del", func() bool { return !s.Del("k") })
	check("Exists", func() bool { return !s.Exists("k") })
	check("IncrBy", func() bool { _, err := s.IncrBy("c", 1); return err != nil })
	check("Expire", func() bool { return !s.Expire("k", time.Second) })
	check("TTL", func() bool { return s.TTL("k") == -2 })
	check("PTTL", func() bool { return s.PTTL("k") == -2 })
	check("DelIfEquals", func() bool { return !s.DelIfEquals("k", "v") })
	check("DelPrefix", func() bool { return s.DelPrefix("") == 0 })
	check("Flush", func() bool { s.Flush(); return true })
	check("Ping", func() bool { return s.Ping() != nil })
	after := s.Stats()
	var nb, na int64
	for _, k := range ErrorKinds {
		nb += before.Errors[k]
		na += after.Errors[k]
	}
	if na-nb < 12 {
		t.Errorf("failures counted: %d, want >= 12 (%v)", na-nb, after.Errors)
	}
	return slowest
}

// TestNoClientTrackingFallsBack: a Redis that refuses CLIENT TRACKING
// (here an ACL user without the CLIENT command; also Redis < 6 or a
// proxy) is used without the client cache, with a log line, instead of
// not at all.
func TestNoClientTrackingFallsBack(t *testing.T) {
	t.Parallel()
	r := redistest.Start(t, redistest.Options{})
	r.CLI("acl", "setuser", "nocl", "on", ">pw", "~*", "&*", "+@all", "-client")
	var logBuf syncBuffer
	s := mustNew(t, Options{Addresses: []string{r.Addr}, Username: "nocl", Password: "pw", KeyPrefix: "t:", ClientCache: 1 << 20,
		CommandTimeout: testTimeout, Logger: slog.New(slog.NewTextHandler(&logBuf, nil))})
	checkWorks(t, s)
	if s.tracking.Load() {
		t.Fatal("the client cache is still on")
	}
	if !strings.Contains(logBuf.String(), "client_cache is off") {
		t.Fatalf("no log line about the client cache:\n%s", logBuf.String())
	}
	r.CLI("set", "t:k", "cli") // read at once: nothing is cached
	wantGet(t, s, "k", "cli", true)
	if st := s.Stats(); st.CacheHits != 0 {
		t.Fatalf("%d cache hits without a client cache", st.CacheHits)
	}
}
