package kvclient

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ephpm/ephpm/internal/config"
)

func TestParseURL(t *testing.T) {
	ok := []struct {
		url  string
		want Options
	}{
		{"unix:///run/ephpm/kv.sock", Options{Network: "unix", Addr: "/run/ephpm/kv.sock"}},
		{"unix:///run/kv.sock?password=x%26y", Options{Network: "unix", Addr: "/run/kv.sock", Password: "x&y"}},
		{"tcp://127.0.0.1:6380", Options{Network: "tcp", Addr: "127.0.0.1:6380"}},
		{"tcp://127.0.0.1:6380?password=s3cret", Options{Network: "tcp", Addr: "127.0.0.1:6380", Password: "s3cret"}},
		{"redis://:pw@localhost:6380", Options{Network: "tcp", Addr: "localhost:6380", Password: "pw"}},
		{"redis://user:pw@localhost:6380/0", Options{Network: "tcp", Addr: "localhost:6380", Username: "user", Password: "pw"}},
		{"redis://pw@10.0.0.1", Options{Network: "tcp", Addr: "10.0.0.1:6379", Password: "pw"}},
		{"tcp://[::1]:6380", Options{Network: "tcp", Addr: "[::1]:6380"}},
	}
	for _, c := range ok {
		got, err := ParseURL(c.url, time.Second)
		c.want.Timeout = time.Second
		if err != nil || got != c.want {
			t.Errorf("ParseURL(%q) = %+v, %v; want %+v", c.url, got, err, c.want)
		}
	}
	bad := map[string]string{
		"unix://run/kv.sock":   "three slashes",
		"unix://":              "no socket path",
		"tcp://127.0.0.1":      "no port",
		"tcp://":               "no host:port",
		"redis://h:1/2":        "one database",
		"rediss://h:1":         "TLS",
		"http://h:1":           "scheme must be",
		"127.0.0.1:6380":       "scheme must be",
		"tcp://%zz":            "KV URL",
		"/run/ephpm/kv.sock":   "scheme must be",
		"memcached://h:11211/": "scheme must be",
	}
	for url, want := range bad {
		if _, err := ParseURL(url, 0); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseURL(%q) error = %v, want one saying %q", url, err, want)
		}
	}
}

func TestFromConfig(t *testing.T) {
	both := config.RESPConfig{Socket: "/run/kv.sock", Listen: "127.0.0.1:6380", Password: "pw"}
	if o, _ := FromConfig(both, time.Second); o.Network != "unix" || o.Addr != "/run/kv.sock" || o.Password != "pw" {
		t.Errorf("socket not preferred: %+v", o)
	}
	for listen, want := range map[string]string{
		"127.0.0.1:6380": "127.0.0.1:6380",
		":6380":          "127.0.0.1:6380",
		"0.0.0.0:6380":   "127.0.0.1:6380",
		"[::]:6380":      "[::1]:6380",
		"10.1.2.3:6380":  "10.1.2.3:6380",
	} {
		o, err := FromConfig(config.RESPConfig{Listen: listen}, time.Second)
		if err != nil || o.Network != "tcp" || o.Addr != want {
			t.Errorf("listen %q: %+v %v, want tcp %s", listen, o, err, want)
		}
	}
	if _, err := FromConfig(config.RESPConfig{}, time.Second); err == nil || !strings.Contains(err.Error(), "neither socket nor listen") {
		t.Errorf("empty [kv.resp]: %v", err)
	}
}

// TestDialChecks: Dial and DialURL fail when nothing answers, and succeed
// against a real server.
func TestDialChecks(t *testing.T) {
	if _, err := DialURL("unix://"+t.TempDir()+"/none.sock", time.Second); err == nil {
		t.Fatal("DialURL to a missing socket succeeded")
	}
	rs := startRedis(t, "pw")
	c, err := Dial(config.RESPConfig{Socket: rs.Socket, Password: "pw"}, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	if _, err := DialURL("unix://"+rs.Socket+"?password=bad", time.Second); err == nil || !strings.Contains(err.Error(), "refused the password") {
		t.Fatalf("wrong password: %v", err)
	}
	c, err = DialURL("redis://:pw@127.0.0.1:"+strconv.Itoa(rs.Port), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
}
