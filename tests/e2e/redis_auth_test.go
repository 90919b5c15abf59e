package e2e

// A node reaching Redis as a managed Redis asks (SPEC section 9): an ACL
// user with a password over TLS, the server's certificate checked against
// the CA the node trusts (SSL_CERT_FILE, as on a host with its own CA).
// Wrong credentials or an untrusted certificate leave the node serving
// pages, its KV calls failing with their failure values and a log line
// saying why.

import (
	"strings"
	"testing"
	"time"

	"github.com/ephpm/ephpm/internal/redistest"
)

func TestRedisNodeAuthTLS(t *testing.T) {
	rds := redistest.Start(t, redistest.Options{User: "app", UserPassword: "app-secret", Password: "default-secret", TLS: true})
	cfg := redisNodeConfig{
		Addrs: []string{rds.Addr}, KeyPrefix: "secure:", ClientCache: "16MB", CommandTimeout: "1s",
		Username: "app", Password: "app-secret", TLS: true, Env: []string{"SSL_CERT_FILE=" + rds.CAFile},
	}
	nodes := startRedisNodes(t, 2, cfg)
	expectKV(t, nodes[0], true, "set", "key", "k", "value", "over TLS")
	expectKV(t, nodes[1], "over TLS", "get", "key", "k")
	expectKV(t, nodes[1], 1, "incr", "key", "n")
	if got := rds.CLI("GET", "secure:k"); got != "over TLS" {
		t.Errorf("redis-cli GET secure:k = %q", got)
	}

	// Refused: a wrong password, and a certificate the node does not
	// trust. The node starts and serves; the KV answers failure values.
	wrongPassword, untrusted := cfg, cfg
	wrongPassword.Password = "nope"
	untrusted.Env = nil
	for _, tc := range []struct {
		name string
		cfg  redisNodeConfig
		why  string // what the log line must say
	}{
		{"wrong_password", wrongPassword, "WRONGPASS"},
		{"untrusted_ca", untrusted, "certificate"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := startRedisNodes(t, 1, tc.cfg)[0]
			expectKV(t, n, nil, "get", "key", "k")
			expectKV(t, n, false, "set", "key", "k", "value", "x")
			expectStatus(t, n.get(t, "/index.php"), 200, "a page without the KV")
			poll(t, 5*time.Second, "a log line saying why Redis refused", func() (bool, string) {
				return strings.Contains(n.Log(), "kv redis") && strings.Contains(n.Log(), tc.why), n.Log()
			})
		})
	}
	if got := rds.CLI("GET", "secure:k"); got != "over TLS" {
		t.Errorf("a refused node changed secure:k to %q", got)
	}
}
