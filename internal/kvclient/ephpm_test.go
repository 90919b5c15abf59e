package kvclient

import (
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ephpm/ephpm/internal/kv"
	"github.com/ephpm/ephpm/internal/resp"
)

// ephpmServer is ephpm's own RESP endpoint (internal/resp) over a fresh
// store, on a unix socket and a loopback port: the server `ephpm serve`
// runs for [kv.resp], with our EPHPM.* commands.
type ephpmServer struct {
	Store  *kv.Store
	Srv    *resp.Server
	Socket string
	TCP    string
}

func startEphpm(t *testing.T, password string) *ephpmServer {
	t.Helper()
	store, err := kv.New(kv.Options{})
	if err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(t.TempDir(), "kv.sock")
	srv := resp.New(resp.KVStore(store), resp.Config{
		Listen: "127.0.0.1:0", Socket: sock, Password: password,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		srv.Close(time.Second)
		store.Close()
	})
	return &ephpmServer{Store: store, Srv: srv, Socket: sock, TCP: srv.Addr().String()}
}

func (e *ephpmServer) unix(password string) Options {
	return Options{Network: "unix", Addr: e.Socket, Password: password, Timeout: 5 * time.Second}
}

func (e *ephpmServer) tcp(password string) Options {
	return Options{Network: "tcp", Addr: e.TCP, Password: password, Timeout: 5 * time.Second}
}

// ours runs the functions only ephpm's server has commands for.
func ours(b kv.Backend, p string) []string {
	var out []string
	rec := func(name string, v any) { out = append(out, fmt.Sprintf("%s = %#v", name, v)) }
	for _, k := range []string{"pre:1", "pre:2", "pre:3", "other"} {
		b.Set(p+k, "x", 0)
	}
	rec("del_prefix", b.DelPrefix(p+"pre:"))
	rec("del_prefix removed", b.Exists(p+"pre:2"))
	rec("del_prefix left others", b.Exists(p+"other"))
	rec("del_prefix none", b.DelPrefix(p+"nothing:"))
	b.Set(p+"lock", "owner-1", 0)
	rec("del_if_equals wrong owner", b.DelIfEquals(p+"lock", "owner-2"))
	rec("lock kept", b.Exists(p+"lock"))
	rec("del_if_equals owner", b.DelIfEquals(p+"lock", "owner-1"))
	rec("lock released", b.Exists(p+"lock"))
	rec("del_if_equals missing", b.DelIfEquals(p+"lock", "owner-1"))
	b.Set(p+"bin", "a\x00b", 0)
	rec("del_if_equals binary", b.DelIfEquals(p+"bin", "a\x00b"))
	b.Set(p+"n", "7", 0)
	b.IncrBy(p+"n", 1)
	rec("del_if_equals counter", b.DelIfEquals(p+"n", "8"))
	rec("del_prefix all", b.DelPrefix("") > 0)
	return out
}

// TestEphpmServerSameResults: against ephpm's endpoint every function,
// ours included, gives what the in-process store gives.
func TestEphpmServerSameResults(t *testing.T) {
	e := startEphpm(t, "pw")
	sameAsStore(t, func(b kv.Backend) []string {
		return append(scenario(b, "k:"), ours(b, "k:")...)
	}, e.unix("pw"), e.tcp("pw"))
}

// TestWait: EPHPM.WAIT through the client, woken by a write of another
// client, by a delete, by expiry; false at the timeout; never holding up
// the client's other calls.
func TestWait(t *testing.T) {
	e := startEphpm(t, "")
	c := New(e.unix(""))
	defer c.Close()
	errs := watch(c)
	other := New(e.tcp(""))
	defer other.Close()

	v0, val, exists, ok := c.Wait("w", 0, time.Second, nil)
	if !ok || v0 == 0 || exists || val != "" {
		t.Fatalf("wait with last 0 on a missing key = %d %q %v %v; want a version at once, absent", v0, val, exists, ok)
	}
	start := time.Now()
	if _, _, _, ok := c.Wait("w", v0, 300*time.Millisecond, nil); ok {
		t.Fatal("wait on an unchanged key returned a change")
	}
	if el := time.Since(start); el < 250*time.Millisecond {
		t.Fatalf("timeout after %v, want 300ms", el)
	}

	type result struct {
		v      uint64
		val    string
		exists bool
		ok     bool
	}
	waitAsync := func(last uint64, timeout time.Duration) chan result {
		ch := make(chan result, 1)
		go func() {
			v, val, ex, ok := c.Wait("w", last, timeout, nil)
			ch <- result{v, val, ex, ok}
		}()
		return ch
	}

	// Woken by another client's write; meanwhile c's own calls go on.
	ch := waitAsync(v0, 30*time.Second)
	time.Sleep(100 * time.Millisecond)
	if !c.Set("unrelated", "x", 0) || !c.Exists("unrelated") {
		t.Fatal("a call on the waiting client was held up or failed")
	}
	other.Set("w", "hello", 0)
	r := <-ch
	if !r.ok || r.v == v0 || r.val != "hello" || !r.exists {
		t.Fatalf("after a write: %+v", r)
	}

	// Woken by a delete: absent.
	ch = waitAsync(r.v, 30*time.Second)
	time.Sleep(50 * time.Millisecond)
	other.Del("w")
	r2 := <-ch
	if !r2.ok || r2.v == r.v || r2.exists {
		t.Fatalf("after a delete: %+v", r2)
	}

	// Woken by expiry.
	other.Set("w", "short", 200*time.Millisecond)
	v3, _, _, _ := c.Wait("w", r2.v, time.Second, nil)
	ch = waitAsync(v3, 30*time.Second)
	r4 := <-ch
	if !r4.ok || r4.exists {
		t.Fatalf("after expiry: %+v", r4)
	}
	if len(errs.list) != 0 {
		t.Fatalf("errors reported: %v", errs.list)
	}
}

// TestWaitCancel: closing cancel ends a wait early with ok=false, reports
// nothing, and the client stays usable.
func TestWaitCancel(t *testing.T) {
	e := startEphpm(t, "")
	c := New(e.unix(""))
	defer c.Close()
	errs := watch(c)
	v, _, _, _ := c.Wait("k", 0, time.Second, nil)
	cancel := make(chan struct{})
	time.AfterFunc(200*time.Millisecond, func() { close(cancel) })
	start := time.Now()
	if _, _, _, ok := c.Wait("k", v, 30*time.Second, cancel); ok {
		t.Fatal("canceled wait returned a change")
	}
	if el := time.Since(start); el > 10*time.Second {
		t.Fatalf("cancel took %v", el)
	}
	if !c.Set("k", "v", 0) {
		t.Fatal("client unusable after a canceled wait")
	}
	if _, val, _, ok := c.Wait("k", v, time.Second, nil); !ok || val != "v" {
		t.Fatalf("wait after cancel = %q %v", val, ok)
	}
	if len(errs.list) != 0 {
		t.Fatalf("errors reported: %v", errs.list)
	}
}

// TestWaitServerShutdown: a wait ends (false) when the server shuts down.
func TestWaitServerShutdown(t *testing.T) {
	e := startEphpm(t, "")
	c := New(e.unix(""))
	defer c.Close()
	v, _, _, _ := c.Wait("k", 0, time.Second, nil)
	done := make(chan bool, 1)
	go func() {
		_, _, _, ok := c.Wait("k", v, 60*time.Second, nil)
		done <- ok
	}()
	time.Sleep(200 * time.Millisecond)
	go e.Srv.Close(5 * time.Second)
	select {
	case ok := <-done:
		if ok {
			t.Fatal("wait returned a change at shutdown")
		}
	case <-time.After(20 * time.Second):
		t.Fatal("wait did not end at server shutdown")
	}
}

// TestConcurrentIncrements: one client shared by goroutines (the server
// runs PHP threads on one backend) counts exactly.
func TestConcurrentIncrements(t *testing.T) {
	e := startEphpm(t, "")
	c := New(e.tcp(""))
	defer c.Close()
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 100; i++ {
				if _, err := c.IncrBy("n", 1); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if v, _ := e.Store.Get("n"); v != "800" {
		t.Fatalf("counter = %s, want 800", v)
	}
}

// TestWrongPasswordEphpm: ephpm's server refuses like Redis.
func TestWrongPasswordEphpm(t *testing.T) {
	e := startEphpm(t, "pw")
	c := New(e.tcp("bad"))
	defer c.Close()
	errs := watch(c)
	if c.Set("k", "v", 0) {
		t.Fatal("set with a wrong password succeeded")
	}
	if len(errs.list) != 1 || !strings.Contains(errs.list[0].Error(), "WRONGPASS") {
		t.Fatalf("reported %v", errs.list)
	}
}
