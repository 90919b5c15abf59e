package e2e

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

type farRead struct {
	Gets   []*string `json:"gets"`
	Exists bool      `json:"exists"`
	TTL    int64     `json:"ttl"`
	PTTL   int64     `json:"pttl"`
}

// TestKVFarExpiry: deadlines past the year 2262 (the store's nanosecond
// range; Redis keeps any int64 of ms) are exact between PHP and the RESP
// endpoint both ways: redis-cli's EXAT / PXAT read by PHP (its gets, from
// the published copy in C too, its ttl and pttl), PHP's TTLs of centuries
// (9999999999 s, PHP_INT_MAX) read by redis-cli's TTL / EXPIRETIME /
// PEXPIRETIME, and a deadline in the past still expiring.
func TestKVFarExpiry(t *testing.T) {
	needRedisCLI(t)
	root := t.TempDir()
	copyDir(t, filepath.Join(repoRoot, "testdata", "kvfar", "public"), root)
	s := start(t, root, "[server]\nlisten = \"127.0.0.1:0\"\n[kv.resp]\nlisten = \"127.0.0.1:0\"\n")
	m := respListenRe.FindStringSubmatch(s.Log())
	if m == nil {
		t.Fatalf("no RESP listen line in the log:\n%s", s.Log())
	}
	r := &respServer{server: s, TCP: m[1]}
	read := func(key string) farRead {
		t.Helper()
		b := r.get(t, "/far.php?key="+key).Body
		var fr farRead
		if err := json.Unmarshal([]byte(b), &fr); err != nil {
			t.Fatalf("%s: %v", b, err)
		}
		return fr
	}
	wantLive := func(key, val string, fr farRead) {
		t.Helper()
		for i, g := range fr.Gets {
			if g == nil || *g != val {
				t.Errorf("%s: PHP get #%d = %v, want %q", key, i, g, val)
			}
		}
		if !fr.Exists {
			t.Errorf("%s: PHP exists false", key)
		}
	}
	near := func(what string, got, want, tol int64) {
		t.Helper()
		if got > want+tol || got < want-tol {
			t.Errorf("%s = %d, want %d (within %d)", what, got, want, tol)
		}
	}
	cliInt := func(args ...string) int64 {
		t.Helper()
		out := r.cli(t, args...)
		n, err := strconv.ParseInt(out, 10, 64)
		if err != nil {
			t.Fatalf("redis-cli %q: %q", args, out)
		}
		return n
	}
	// redis-cli -> PHP.
	if out := r.cli(t, "SET", "a", "va", "EXAT", "9999999999"); out != "OK" {
		t.Fatal(out)
	}
	fr := read("a")
	wantLive("a", "va", fr)
	nowS := time.Now().Unix()
	near("PHP ttl of EXAT 9999999999", fr.TTL, 9999999999-nowS, 5)
	near("PHP pttl of EXAT 9999999999", fr.PTTL/1000, 9999999999-nowS, 5)
	if got := cliInt("EXPIRETIME", "a"); got != 9999999999 {
		t.Errorf("EXPIRETIME a = %d", got)
	}
	r.cli(t, "SET", "b", "vb", "PXAT", "9223372036854775807")
	fr = read("b")
	wantLive("b", "vb", fr)
	near("PHP pttl of PXAT int64 max", fr.PTTL, 9223372036854775807-time.Now().UnixMilli(), 5000)
	if got := r.cli(t, "PEXPIRETIME", "b"); got != "9223372036854775807" {
		t.Errorf("PEXPIRETIME b = %s", got)
	}
	// PHP -> redis-cli.
	for _, op := range []string{"set", "setnx"} {
		key := "php_" + op
		if b := r.get(t, fmt.Sprintf("/far.php?op=%s&key=%s&value=x&ttl=9999999999", op, key)).Body; b != "true" {
			t.Fatalf("PHP %s: %s", op, b)
		}
		nowS = time.Now().Unix()
		near("redis-cli TTL of PHP's "+op+" for 9999999999 s", cliInt("TTL", key), 9999999999, 5)
		near("redis-cli EXPIRETIME of PHP's "+op, cliInt("EXPIRETIME", key), nowS+9999999999, 5)
		wantLive(key, "x", read(key))
	}
	r.get(t, "/far.php?op=set&key=max&value=m&ttl=9223372036854775807")
	if got := r.cli(t, "PEXPIRETIME", "max"); got != "9223372036854775807" {
		t.Errorf("PEXPIRETIME of PHP's set for PHP_INT_MAX s = %s", got)
	}
	wantLive("max", "m", read("max"))
	r.cli(t, "SET", "e", "ve")
	if b := r.get(t, "/far.php?op=expire&key=e&ttl=9999999999").Body; b != "true" {
		t.Fatalf("PHP expire: %s", b)
	}
	near("redis-cli TTL after PHP's expire for 9999999999 s", cliInt("TTL", "e"), 9999999999, 5)
	// Moving a far deadline into the past expires the key for PHP too,
	// published copy included.
	r.cli(t, "PEXPIREAT", "a", "1")
	fr = read("a")
	for i, g := range fr.Gets {
		if g != nil {
			t.Errorf("PHP get #%d of a key expired by PEXPIREAT 1: %q", i, *g)
		}
	}
	if fr.Exists || fr.TTL != -2 {
		t.Errorf("expired key: exists %v ttl %d", fr.Exists, fr.TTL)
	}
	// A far key moved to a near deadline expires on time.
	r.cli(t, "PEXPIRE", "b", "300")
	time.Sleep(400 * time.Millisecond)
	if fr = read("b"); fr.Exists || fr.Gets[0] != nil {
		t.Errorf("b after its 300 ms: exists %v get %v", fr.Exists, fr.Gets[0])
	}
}
