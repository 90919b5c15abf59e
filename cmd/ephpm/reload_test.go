package main

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/ephpm/ephpm/internal/config"
)

func TestChangedKeys(t *testing.T) {
	a, b := config.Default(), config.Default()
	if got := changedKeys(a, b); len(got) != 0 {
		t.Fatalf("equal configs: %v", got)
	}
	b.Server.Listen = "127.0.0.1:9"
	b.Server.DocumentRoot = "/srv/other"
	b.Server.Response.Headers = [][2]string{{"X-A", "1"}}
	b.PHP.WorkerTTL = config.Duration(5)
	b.KV.Redis.Addresses = []string{"r:1"}
	b.File = "/elsewhere.toml" // not a key
	want := []string{"server.listen", "server.document_root", "server.response.headers", "php.worker_ttl", "kv.redis.addresses"}
	if got := changedKeys(a, b); !reflect.DeepEqual(got, want) {
		t.Fatalf("changed keys %v, want %v", got, want)
	}
}

func TestAdminSocketPath(t *testing.T) {
	t.Setenv("XDG_RUNTIME_DIR", "/run/user/1234")
	cfg := func(file, root, sock string) *config.Config {
		c := config.Default()
		c.File, c.Server.DocumentRoot, c.Server.AdminSocket = file, root, sock
		return c
	}
	p1 := adminSocketPath(cfg("/etc/ephpm/a.toml", "/srv/a", ""))
	if !strings.HasPrefix(p1, "/run/user/1234/ephpm/admin-") || !strings.HasSuffix(p1, ".sock") || len(p1) > 107 {
		t.Fatalf("automatic path %q", p1)
	}
	// The file decides, not the document root; without a file, the root.
	if p := adminSocketPath(cfg("/etc/ephpm/a.toml", "/srv/b", "")); p != p1 {
		t.Errorf("same file, other root: %q != %q", p, p1)
	}
	if p := adminSocketPath(cfg("/etc/ephpm/b.toml", "/srv/a", "")); p == p1 {
		t.Errorf("another file got the same socket %q", p)
	}
	r1, r2 := adminSocketPath(cfg("", "/srv/a", "")), adminSocketPath(cfg("", "/srv/b", ""))
	if r1 == r2 || r1 == p1 {
		t.Errorf("no file: roots /srv/a and /srv/b got %q and %q (file: %q)", r1, r2, p1)
	}
	if p := adminSocketPath(cfg("/etc/ephpm/a.toml", "/srv/a", "/run/ephpm.sock")); p != "/run/ephpm.sock" {
		t.Errorf("configured path: %q", p)
	}
	if p := adminSocketPath(cfg("/etc/ephpm/a.toml", "/srv/a", "off")); p != "" {
		t.Errorf("off: %q", p)
	}
	t.Setenv("XDG_RUNTIME_DIR", "")
	if d := filepath.Dir(adminSocketPath(cfg("/etc/ephpm/a.toml", "/srv/a", ""))); !strings.Contains(d, "ephpm-") {
		t.Errorf("without XDG_RUNTIME_DIR: %q", d)
	}
}
