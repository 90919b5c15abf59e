package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/ephpm/ephpm/internal/testcert"
)

// TestACMEErrors: each bad automatic-HTTPS setting is refused with one
// line naming the key and its line.
func TestACMEErrors(t *testing.T) {
	dir := writeRoot(t)
	for name, body := range map[string]string{"c.pem": "x", "k.pem": "x", "notpem.txt": "hello", "a-file": "x",
		"key.pem": "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEE\n-----END EC PRIVATE KEY-----\n"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	d := "[server.tls]\ndomains = [\"example.com\"]\n"
	cases := []struct{ body, want string }{
		{"[server.tls]\ndomains = [\"example.com\"]\ncert_file = \"c.pem\"\nkey_file = \"k.pem\"\n", "ephpm.toml:2: server.tls.domains: cannot be used with server.tls.cert_file / key_file: the certificate comes either from those files or from ACME, not both"},
		{"[server.tls]\ndomains = [\"example.com\", \"\"]\n", `ephpm.toml:2: server.tls.domains[1]: is empty (want a DNS name, e.g. "example.com")`},
		{"[server.tls]\ndomains = [\"example.com\", \"www.example.com\", \"Example.COM\"]\n", `ephpm.toml:2: server.tls.domains[2]: "Example.COM" is listed twice`},
		{"[server.tls]\ndomains = [\"192.0.2.1\"]\n", `ephpm.toml:2: server.tls.domains[0]: "192.0.2.1" is an IP address: ACME certificates here are for DNS names (Let's Encrypt issues IP certificates only with short-lived profiles, which ephpm does not request)`},
		{"[server.tls]\ndomains = [\"::1\"]\n", `ephpm.toml:2: server.tls.domains[0]: "::1" is an IP address: ACME certificates here are for DNS names (Let's Encrypt issues IP certificates only with short-lived profiles, which ephpm does not request)`},
		{"[server.tls]\ndomains = [\"*.example.com\"]\n", `ephpm.toml:2: server.tls.domains[0]: "*.example.com" is a wildcard: wildcard certificates need the DNS-01 challenge, which ephpm does not do; list each name`},
		{"[server.tls]\ndomains = [\"example.com.\"]\n", `ephpm.toml:2: server.tls.domains[0]: "example.com." ends with a dot: give the name without it`},
		{"[server.tls]\ndomains = [\"exa_mple.com\"]\n", `ephpm.toml:2: server.tls.domains[0]: "exa_mple.com" is not a valid DNS name ('_' is not allowed: only letters, digits, hyphens and dots)`},
		{"[server.tls]\ndomains = [\"example.com:443\"]\n", `ephpm.toml:2: server.tls.domains[0]: "example.com:443" is not a valid DNS name (':' is not allowed: only letters, digits, hyphens and dots)`},
		{"[server.tls]\ndomains = [\"-a.example.com\"]\n", `ephpm.toml:2: server.tls.domains[0]: "-a.example.com" is not a valid DNS name (labels of 1-63 letters, digits or hyphens, not starting or ending with a hyphen)`},
		{"[server.tls]\ndomains = [\"a..example.com\"]\n", `ephpm.toml:2: server.tls.domains[0]: "a..example.com" is not a valid DNS name (labels of 1-63 letters, digits or hyphens, not starting or ending with a hyphen)`},
		{"[server.tls]\ndomains = [\"" + strings.Repeat("a", 64) + ".com\"]\n", `ephpm.toml:2: server.tls.domains[0]: "` + strings.Repeat("a", 50) + `"... is not a valid DNS name (labels of 1-63 letters, digits or hyphens, not starting or ending with a hyphen)`},
		{"[server.tls]\ndomains = [\"bücher.example\"]\n", `ephpm.toml:2: server.tls.domains[0]: "bücher.example" is not an ASCII DNS name: give an internationalized name in its xn-- (punycode) form`},
		{"[server.tls]\ndomains = \"example.com\"\n", `ephpm.toml:2: server.tls.domains: wrong type: want an array of strings, got string "example.com"`},
		{d + "email = \"admin\"\n", `ephpm.toml:3: server.tls.email: "admin" is not an email address (want e.g. "admin@example.com", or "" for none)`},
		{d + "cache_dir = \"\"\n", `ephpm.toml:3: server.tls.cache_dir: must be set with server.tls.domains (the directory keeping the ACME account and certificates, e.g. "certs")`},
		{d + "cache_dir = \"a-file\"\n", `ephpm.toml:3: server.tls.cache_dir: "{dir}/a-file" is not a directory`},
		{d + "acme_ca = \"http://127.0.0.1:14000/dir\"\n", `ephpm.toml:3: server.tls.acme_ca: "http://127.0.0.1:14000/dir" is not an https URL (want an ACME directory, e.g. "https://acme-staging-v02.api.letsencrypt.org/directory", or "" for Let's Encrypt)`},
		{d + "acme_ca = \"acme.example.com/directory\"\n", `ephpm.toml:3: server.tls.acme_ca: "acme.example.com/directory" is not an https URL (want an ACME directory, e.g. "https://acme-staging-v02.api.letsencrypt.org/directory", or "" for Let's Encrypt)`},
		{d + "acme_ca_root = \"nope.pem\"\n", `ephpm.toml:3: server.tls.acme_ca_root: "{dir}/nope.pem" does not exist`},
		{d + "acme_ca_root = \"notpem.txt\"\n", `ephpm.toml:3: server.tls.acme_ca_root: "{dir}/notpem.txt" holds no PEM certificate`},
		{d + "acme_ca_root = \"key.pem\"\n", `ephpm.toml:3: server.tls.acme_ca_root: "{dir}/key.pem" holds a EC PRIVATE KEY PEM block; want only CERTIFICATE blocks`},
		{"[server.tls]\nemail = \"admin@example.com\"\n", "ephpm.toml:2: server.tls.email: is set but server.tls.domains is empty (the email is the ACME account's contact; list the names to obtain certificates for)"},
		{"[server.tls]\nacme_ca = \"https://ca.example/dir\"\n", "ephpm.toml:2: server.tls.acme_ca: is set but server.tls.domains is empty (list the names to obtain certificates for)"},
		{"[server.tls]\nacme_ca_root = \"c.pem\"\n", "ephpm.toml:2: server.tls.acme_ca_root: is set but server.tls.domains is empty (list the names to obtain certificates for)"},
	}
	expectLoadErrors(t, dir, cases)
}

// TestACMEValues: a full automatic-HTTPS setup loads, its paths relative
// to the config file; domains alone turn HTTPS on (listen and HTTP/3
// accept it as a certificate source).
func TestACMEValues(t *testing.T) {
	dir := writeRoot(t)
	testcert.CASigned(t, dir) // writes ca.crt, a CA certificate acme_ca_root accepts
	c, err := load(t, dir, "[server.tls]\ndomains = [\"example.com\", \"www.example.com\"]\nemail = \"admin@example.com\"\n"+
		"cache_dir = \"var/certs\"\nacme_ca = \"https://127.0.0.1:14000/dir\"\nacme_ca_root = \"ca.crt\"\n"+
		"listen = \"127.0.0.1:8443\"\nredirect_http = true\n[server.http3]\nenabled = true\n")
	if err != nil {
		t.Fatal(err)
	}
	tls := c.Server.TLS
	if !tls.ACME() || !tls.Enabled() || !reflect.DeepEqual(tls.Domains, []string{"example.com", "www.example.com"}) ||
		tls.Email != "admin@example.com" || tls.CacheDir != filepath.Join(dir, "var", "certs") ||
		tls.ACMECA != "https://127.0.0.1:14000/dir" || tls.ACMECARoot != filepath.Join(dir, "ca.crt") {
		t.Errorf("got %+v", tls)
	}
	if d := Default().Server.TLS; d.ACME() || d.Enabled() || d.CacheDir != "certs" {
		t.Errorf("defaults: %+v", d)
	}
	// From the environment.
	c, err = load(t, dir, "", `EPHPM_SERVER__TLS__DOMAINS=["example.org"]`, "EPHPM_SERVER__TLS__EMAIL=a@example.org")
	if err != nil || !reflect.DeepEqual(c.Server.TLS.Domains, []string{"example.org"}) || c.Server.TLS.Email != "a@example.org" ||
		c.Server.TLS.CacheDir != filepath.Join(dir, "certs") {
		t.Errorf("env: %v %+v", err, c)
	}
}
