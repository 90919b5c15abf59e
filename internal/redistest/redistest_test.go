package redistest

import (
	"strings"
	"testing"
)

func TestStandaloneRestartAndTLS(t *testing.T) {
	s := Start(t, Options{Password: "pw", User: "app", UserPassword: "apppw"})
	if got := s.CLI("set", "k", "v"); got != "OK" {
		t.Fatalf("set: %q", got)
	}
	s.Restart()
	if got := s.CLI("exists", "k"); got != "0" {
		t.Fatalf("after restart (no persistence): exists = %q", got)
	}
	if got := s.CLI("acl", "whoami"); got != "default" {
		t.Fatalf("whoami %q", got)
	}

	tl := Start(t, Options{TLS: true})
	if got := tl.CLI("ping"); got != "PONG" {
		t.Fatalf("TLS ping: %q", got)
	}
}

func TestCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("cluster start takes a few seconds")
	}
	c := StartCluster(t, 3, Options{})
	for _, k := range []string{"a", "b", "c", "d", "e"} {
		c.CLI("set", k, k)
	}
	info := c.CLI("cluster", "info")
	if !strings.Contains(info, "cluster_known_nodes:3") {
		t.Fatalf("cluster info: %s", info)
	}
	if got := c.CLI("get", "e"); got != "e" {
		t.Fatalf("get e: %q", got)
	}
}
