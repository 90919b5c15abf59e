package config

import (
	"fmt"
	"net"
	"strings"
)

// validateFront checks the HTTP front's listeners and trust settings:
// [server] h2c, [server.tls] listen and redirect_http, [server.http3],
// [server.security] and [server.limits].
func (s *ServerConfig) validateFront() *Error {
	t := &s.TLS
	if t.Listen != "" {
		if msg := checkListen(t.Listen); msg != "" {
			return keyErr("server.tls.listen", "%s", msg)
		}
		if !t.Enabled() {
			return keyErr("server.tls.listen", "is set but there is no certificate: set server.tls.cert_file and key_file, or server.tls.domains")
		}
		if (t.Listen == s.Listen || t.Listen == s.Metrics.Listen) && !strings.HasSuffix(t.Listen, ":0") {
			return keyErr("server.tls.listen", "%s is already used by server.listen or server.metrics.listen; HTTPS needs a port of its own", t.Listen)
		}
	}
	if t.RedirectHTTP && t.Listen == "" {
		return keyErr("server.tls.redirect_http", "needs server.tls.listen: without a separate HTTPS listener, server.listen itself serves HTTPS and there is no plain listener to redirect")
	}
	if s.HTTP3.Enabled && !t.Enabled() {
		return keyErr("server.http3.enabled", "HTTP/3 needs TLS: set server.tls.cert_file and key_file, or server.tls.domains")
	}
	for i, p := range s.Security.TrustedProxies {
		if _, err := ParseTrustedProxy(p); err != nil {
			return keyErr(fmt.Sprintf("server.security.trusted_proxies[%d]", i), "%s", err)
		}
	}
	if n := s.Limits.PerIPMaxConnections; n < 0 {
		return keyErr("server.limits.per_ip_max_connections", "must be 0 (no limit) or more, got %d", n)
	}
	return nil
}

// ParseTrustedProxy reads one trusted_proxies entry: a CIDR ("10.0.0.0/8",
// "fd00::/8") or a single IP, which is its own /32 or /128.
func ParseTrustedProxy(p string) (*net.IPNet, error) {
	if strings.Contains(p, "/") {
		_, n, err := net.ParseCIDR(p)
		if err != nil {
			return nil, fmt.Errorf("%s is not a CIDR (want e.g. \"10.0.0.0/8\" or \"fd00::/8\")", quoteShort(p))
		}
		return n, nil
	}
	ip := net.ParseIP(p)
	if ip == nil {
		return nil, fmt.Errorf("%s is not an IP address or CIDR (want e.g. \"127.0.0.1\" or \"10.0.0.0/8\")", quoteShort(p))
	}
	if v4 := ip.To4(); v4 != nil {
		return &net.IPNet{IP: v4, Mask: net.CIDRMask(32, 32)}, nil
	}
	return &net.IPNet{IP: ip, Mask: net.CIDRMask(128, 128)}, nil
}
