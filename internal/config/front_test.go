package config

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// TestFrontErrors: each bad value of the HTTP front's keys is refused with
// one line naming the key and its line.
func TestFrontErrors(t *testing.T) {
	dir := writeRoot(t)
	cert, key := filepath.Join(dir, "c.pem"), filepath.Join(dir, "k.pem")
	for _, f := range []string{cert, key} {
		if err := os.WriteFile(f, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	tls := "[server.tls]\ncert_file = \"c.pem\"\nkey_file = \"k.pem\"\n"
	cases := []struct{ body, want string }{
		{"[server]\nh2c = 1\n", "ephpm.toml:2: server.h2c: wrong type: want true or false, got integer 1"},
		{"[server.tls]\nlisten = \"127.0.0.1:8443\"\n", "ephpm.toml:2: server.tls.listen: is set but there is no certificate: set server.tls.cert_file and key_file, or server.tls.domains"},
		{tls + "listen = \"8443\"\n", `ephpm.toml:4: server.tls.listen: "8443" is not a valid listen address (want host:port, e.g. 127.0.0.1:8080)`},
		{tls + "listen = \"127.0.0.1:8080\"\n", "ephpm.toml:4: server.tls.listen: 127.0.0.1:8080 is already used by server.listen or server.metrics.listen; HTTPS needs a port of its own"},
		{tls + "redirect_http = true\n", "ephpm.toml:4: server.tls.redirect_http: needs server.tls.listen: without a separate HTTPS listener, server.listen itself serves HTTPS and there is no plain listener to redirect"},
		{"[server.http3]\nenabled = true\n", "ephpm.toml:2: server.http3.enabled: HTTP/3 needs TLS: set server.tls.cert_file and key_file, or server.tls.domains"},
		{"[server.security]\ntrusted_proxies = [\"10.0.0.0/8\", \"10.0.0.0/33\"]\n", `ephpm.toml:2: server.security.trusted_proxies[1]: "10.0.0.0/33" is not a CIDR (want e.g. "10.0.0.0/8" or "fd00::/8")`},
		{"[server.security]\n\ntrusted_proxies = [\"proxy.local\"]\n", `ephpm.toml:3: server.security.trusted_proxies[0]: "proxy.local" is not an IP address or CIDR (want e.g. "127.0.0.1" or "10.0.0.0/8")`},
		{"[server.security]\ntrusted_proxies = \"10.0.0.1\"\n", `ephpm.toml:2: server.security.trusted_proxies: wrong type: want an array of strings, got string "10.0.0.1"`},
		{"[server.limits]\nper_ip_max_connections = -1\n", "ephpm.toml:2: server.limits.per_ip_max_connections: must be 0 (no limit) or more, got -1"},
		{"[server.limits]\nper_ip_max_connection = 1\n", "ephpm.toml:2: unknown key server.limits.per_ip_max_connection (did you mean server.limits.per_ip_max_connections?)"},
	}
	expectLoadErrors(t, dir, cases)
}

func TestFrontValues(t *testing.T) {
	dir := writeRoot(t)
	for _, f := range []string{"c.pem", "k.pem"} {
		if err := os.WriteFile(filepath.Join(dir, f), []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	c, err := load(t, dir, "[server]\nh2c = true\n[server.tls]\ncert_file = \"c.pem\"\nkey_file = \"k.pem\"\n"+
		"listen = \"127.0.0.1:8443\"\nredirect_http = true\n[server.http3]\nenabled = true\n"+
		"[server.security]\ntrusted_proxies = [\"127.0.0.1\", \"10.0.0.0/8\", \"::1\", \"fd00::/8\"]\n"+
		"[server.limits]\nper_ip_max_connections = 50\n")
	if err != nil {
		t.Fatal(err)
	}
	s := c.Server
	if !s.H2C || s.TLS.Listen != "127.0.0.1:8443" || !s.TLS.RedirectHTTP || !s.HTTP3.Enabled ||
		!reflect.DeepEqual(s.Security.TrustedProxies, []string{"127.0.0.1", "10.0.0.0/8", "::1", "fd00::/8"}) ||
		s.Limits.PerIPMaxConnections != 50 {
		t.Errorf("got %+v", s)
	}
	d := Default().Server
	if d.H2C || d.TLS.Listen != "" || d.TLS.RedirectHTTP || d.HTTP3.Enabled || len(d.Security.TrustedProxies) != 0 || d.Limits.PerIPMaxConnections != 0 {
		t.Errorf("defaults: %+v", d)
	}
	// From the environment.
	c, err = load(t, dir, "", `EPHPM_SERVER__SECURITY__TRUSTED_PROXIES=["192.168.0.0/16"]`, "EPHPM_SERVER__H2C=true")
	if err != nil || !c.Server.H2C || !reflect.DeepEqual(c.Server.Security.TrustedProxies, []string{"192.168.0.0/16"}) {
		t.Errorf("env: %v %+v", err, c)
	}
}

func TestParseTrustedProxy(t *testing.T) {
	for in, want := range map[string]string{
		"127.0.0.1": "127.0.0.1/32", "10.1.2.3/8": "10.0.0.0/8", "::1": "::1/128", "fd00::/8": "fd00::/8",
		"::ffff:10.0.0.1": "10.0.0.1/32",
	} {
		n, err := ParseTrustedProxy(in)
		if err != nil || n.String() != want {
			t.Errorf("%s: %v %v, want %s", in, n, err, want)
		}
	}
}
