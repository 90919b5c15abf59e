package config

import (
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
)

// validateACME checks the automatic-HTTPS keys of [server.tls]: domains,
// email, cache_dir, acme_ca and acme_ca_root. The ACME keys other than
// domains are refused without domains, so a half-written setup is not
// silently plain HTTP.
func (t *TLSConfig) validateACME() *Error {
	if !t.ACME() {
		switch {
		case t.Email != "":
			return keyErr("server.tls.email", "is set but server.tls.domains is empty (the email is the ACME account's contact; list the names to obtain certificates for)")
		case t.ACMECA != "":
			return keyErr("server.tls.acme_ca", "is set but server.tls.domains is empty (list the names to obtain certificates for)")
		case t.ACMECARoot != "":
			return keyErr("server.tls.acme_ca_root", "is set but server.tls.domains is empty (list the names to obtain certificates for)")
		}
		return nil
	}
	if t.CertFile != "" || t.KeyFile != "" {
		return keyErr("server.tls.domains", "cannot be used with server.tls.cert_file / key_file: the certificate comes either from those files or from ACME, not both")
	}
	seen := map[string]bool{}
	for i, d := range t.Domains {
		key := fmt.Sprintf("server.tls.domains[%d]", i)
		if msg := checkACMEDomain(d); msg != "" {
			return keyErr(key, "%s", msg)
		}
		lower := strings.ToLower(d)
		if seen[lower] {
			return keyErr(key, "%s is listed twice", quoteShort(d))
		}
		seen[lower] = true
	}
	if e := t.Email; e != "" {
		local, domain, ok := strings.Cut(e, "@")
		if !ok || local == "" || domain == "" || strings.ContainsAny(e, " \t\r\n<>,;") {
			return keyErr("server.tls.email", "%s is not an email address (want e.g. \"admin@example.com\", or \"\" for none)", quoteShort(e))
		}
	}
	if t.CacheDir == "" {
		return keyErr("server.tls.cache_dir", "must be set with server.tls.domains (the directory keeping the ACME account and certificates, e.g. \"certs\")")
	}
	if fi, err := os.Stat(t.CacheDir); err == nil && !fi.IsDir() {
		return keyErr("server.tls.cache_dir", "%q is not a directory", t.CacheDir)
	}
	if ca := t.ACMECA; ca != "" {
		u, err := url.Parse(ca)
		if err != nil || u.Scheme != "https" || u.Host == "" {
			return keyErr("server.tls.acme_ca", "%s is not an https URL (want an ACME directory, e.g. \"https://acme-staging-v02.api.letsencrypt.org/directory\", or \"\" for Let's Encrypt)", quoteShort(ca))
		}
	}
	if r := t.ACMECARoot; r != "" {
		if e := checkPath("server.tls.acme_ca_root", r, false); e != nil {
			return e
		}
		if _, err := ReadCertPool(r); err != nil {
			return keyErr("server.tls.acme_ca_root", "%s", err)
		}
	}
	return nil
}

// checkACMEDomain returns what is wrong with a name to obtain a
// certificate for, "" if nothing: an ASCII DNS name (letters, digits,
// hyphens; labels of 1-63 characters; 253 at most), no trailing dot.
func checkACMEDomain(d string) string {
	q := quoteShort(d)
	switch {
	case d == "":
		return "is empty (want a DNS name, e.g. \"example.com\")"
	case net.ParseIP(strings.Trim(d, "[]")) != nil:
		return q + " is an IP address: ACME certificates here are for DNS names (Let's Encrypt issues IP certificates only with short-lived profiles, which ephpm does not request)"
	case strings.HasPrefix(d, "*."):
		return q + " is a wildcard: wildcard certificates need the DNS-01 challenge, which ephpm does not do; list each name"
	case strings.HasSuffix(d, "."):
		return q + " ends with a dot: give the name without it"
	case len(d) > 253:
		return q + " is longer than 253 characters"
	}
	for _, label := range strings.Split(d, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return q + " is not a valid DNS name (labels of 1-63 letters, digits or hyphens, not starting or ending with a hyphen)"
		}
		for _, c := range []byte(label) {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
				if c >= 0x80 {
					return q + " is not an ASCII DNS name: give an internationalized name in its xn-- (punycode) form"
				}
				return fmt.Sprintf("%s is not a valid DNS name (%q is not allowed: only letters, digits, hyphens and dots)", q, c)
			}
		}
	}
	return ""
}

// ReadCertPool reads the PEM certificates of path into a pool: every
// block must be a certificate and there must be at least one.
func ReadCertPool(path string) (*x509.CertPool, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	n := 0
	for rest := data; ; {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			return nil, fmt.Errorf("%q holds a %s PEM block; want only CERTIFICATE blocks", path, b.Type)
		}
		cert, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%q: certificate %d: %v", path, n+1, err)
		}
		pool.AddCert(cert)
		n++
	}
	if n == 0 {
		return nil, fmt.Errorf("%q holds no PEM certificate", path)
	}
	return pool, nil
}
