package server

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"strconv"
	"strings"

	"github.com/ephpm/ephpm/internal/config"
)

// trustedProxies are the peers ([server.security] trusted_proxies) whose
// forwarding headers are believed. From any other peer the headers are
// left alone: PHP sees them as HTTP_X_FORWARDED_FOR etc. and nothing else.
type trustedProxies struct {
	nets []*net.IPNet
}

func newTrustedProxies(list []string) (*trustedProxies, error) {
	if len(list) == 0 {
		return nil, nil
	}
	t := &trustedProxies{}
	for _, p := range list {
		n, err := config.ParseTrustedProxy(p)
		if err != nil {
			return nil, err
		}
		t.nets = append(t.nets, n)
	}
	return t, nil
}

func (t *trustedProxies) trusts(ip net.IP) bool {
	for _, n := range t.nets {
		if n.Contains(ip) {
			return true
		}
	}
	return false
}

// hop is what one forwarding step says: the address the proxy received
// the request from, and the scheme, host and port it received it on.
type hop struct {
	addr  string // IP or IP:port as given; "" if absent
	proto string
	host  string
	port  string
}

// apply returns r as the proxies in front describe it when the peer is
// trusted, r itself otherwise:
//
//   - REMOTE_ADDR (r.RemoteAddr) is the right-most address in Forwarded
//     (RFC 7239 for=), or else X-Forwarded-For, that is not a trusted
//     proxy: the hops right of it were added by proxies we trust, the
//     ones left of it by the client and can be anything;
//   - the scheme, host and port are those the hop that received the
//     request from that client states (proto=/host= of its Forwarded
//     element, X-Forwarded-Proto/-Host/-Port): "https" sets HTTPS and
//     REQUEST_SCHEME, the host sets HTTP_HOST and SERVER_NAME, the port
//     SERVER_PORT (443 or 80 by the scheme when only that is given).
//
// Forwarded, the standard, wins when both kinds are sent.
func (t *trustedProxies) apply(r *http.Request) *http.Request {
	if t == nil {
		return r
	}
	peer := net.ParseIP(peerHost(r.RemoteAddr))
	if peer == nil || !t.trusts(peer) {
		return r
	}
	hops := forwardedHops(r.Header)
	if hops == nil {
		hops = xForwardedHops(r.Header)
	}
	if len(hops) == 0 {
		return r
	}
	// Walk from the nearest hop outwards while the addresses are our own
	// proxies. An entry that is no IP ("unknown", an obfuscated name)
	// ends the walk: nothing left of it can be told apart from a lie.
	client, at := "", len(hops)-1
	for i := len(hops) - 1; i >= 0; i-- {
		ip, withPort := parseHopAddr(hops[i].addr)
		if ip == nil {
			break
		}
		client, at = withPort, i
		if !t.trusts(ip) {
			break
		}
	}
	h := hops[at]
	r2 := r.Clone(r.Context())
	if client != "" {
		r2.RemoteAddr = client
	}
	port := ""
	switch strings.ToLower(h.proto) {
	case "https":
		if r2.TLS == nil {
			// PHP's HTTPS and REQUEST_SCHEME follow r.TLS; the proxy
			// holds the real TLS state.
			r2.TLS = &tls.ConnectionState{}
		}
		port = "443"
	case "http":
		r2.TLS = nil
		port = "80"
	}
	if validHost(h.host) {
		r2.Host = h.host
		if _, p, err := net.SplitHostPort(h.host); err == nil {
			port = p
		}
	}
	if validPort(h.port) {
		port = h.port
	}
	if validPort(port) {
		r2 = r2.WithContext(withServerPort(r2.Context(), port))
	}
	return r2
}

// withServerPort makes SERVER_PORT (taken from the local address) port,
// keeping SERVER_ADDR.
func withServerPort(ctx context.Context, port string) context.Context {
	ip := ""
	if la, ok := ctx.Value(http.LocalAddrContextKey).(net.Addr); ok {
		ip = peerHost(la.String())
	}
	n, _ := strconv.Atoi(port)
	return context.WithValue(ctx, http.LocalAddrContextKey, &net.TCPAddr{IP: net.ParseIP(ip), Port: n})
}

// forwardedHops reads RFC 7239 Forwarded headers, nil if there are none.
func forwardedHops(h http.Header) []hop {
	values := h.Values("Forwarded")
	if len(values) == 0 {
		return nil
	}
	var hops []hop
	for _, elem := range splitList(strings.Join(values, ",")) {
		var hp hop
		for _, pair := range splitQuoted(elem, ';') {
			k, v, ok := strings.Cut(pair, "=")
			if !ok {
				continue
			}
			v = strings.TrimSpace(v)
			if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
				v = strings.ReplaceAll(v[1:len(v)-1], `\`, "")
			}
			switch strings.ToLower(strings.TrimSpace(k)) {
			case "for":
				hp.addr = v
			case "proto":
				hp.proto = v
			case "host":
				hp.host = v
			}
		}
		hops = append(hops, hp)
	}
	return hops
}

// xForwardedHops reads X-Forwarded-For with X-Forwarded-Proto, -Host and
// -Port. Those three describe the hops as X-Forwarded-For does when they
// have as many entries; otherwise their right-most entry (set by the
// nearest proxy) applies to every hop.
func xForwardedHops(h http.Header) []hop {
	addrs := headerList(h, "X-Forwarded-For")
	if len(addrs) == 0 {
		// Only the scheme or host forwarded: one hop, the peer itself.
		addrs = []string{""}
	}
	protos := headerList(h, "X-Forwarded-Proto")
	hosts := headerList(h, "X-Forwarded-Host")
	ports := headerList(h, "X-Forwarded-Port")
	pick := func(list []string, i int) string {
		switch {
		case len(list) == len(addrs):
			return list[i]
		case len(list) > 0:
			return list[len(list)-1]
		}
		return ""
	}
	hops := make([]hop, len(addrs))
	for i, a := range addrs {
		hops[i] = hop{addr: a, proto: pick(protos, i), host: pick(hosts, i), port: pick(ports, i)}
	}
	return hops
}

func headerList(h http.Header, name string) []string {
	values := h.Values(name)
	if len(values) == 0 {
		return nil
	}
	return splitList(strings.Join(values, ","))
}

// splitList splits a comma-separated header value, keeping quoted
// strings whole and trimming each entry.
func splitList(s string) []string {
	return splitQuoted(s, ',')
}

func splitQuoted(s string, sep byte) []string {
	var out []string
	start, quoted := 0, false
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			if quoted {
				i++
			}
		case '"':
			quoted = !quoted
		case sep:
			if !quoted {
				out = append(out, strings.TrimSpace(s[start:i]))
				start = i + 1
			}
		}
	}
	return append(out, strings.TrimSpace(s[start:]))
}

// parseHopAddr reads a for= or X-Forwarded-For entry: an IP, [IPv6],
// IP:port or [IPv6]:port. It returns the IP and the entry as
// RemoteAddr is written (host:port, or the bare IP without a port).
func parseHopAddr(s string) (net.IP, string) {
	if ip := net.ParseIP(s); ip != nil {
		return ip, ip.String()
	}
	if host, port, err := net.SplitHostPort(s); err == nil {
		if ip := net.ParseIP(host); ip != nil {
			if validPort(port) {
				return ip, net.JoinHostPort(ip.String(), port)
			}
			return ip, ip.String()
		}
	}
	if len(s) > 2 && s[0] == '[' && s[len(s)-1] == ']' {
		if ip := net.ParseIP(s[1 : len(s)-1]); ip != nil {
			return ip, ip.String()
		}
	}
	return nil, ""
}

func peerHost(addr string) string {
	if host, _, err := net.SplitHostPort(addr); err == nil {
		return host
	}
	return addr
}

func validPort(p string) bool {
	n, err := strconv.Atoi(p)
	return err == nil && n > 0 && n < 65536 && len(p) <= 5
}

// validHost accepts a host name or IP with an optional port, as a Host
// header may carry: nothing that would confuse a URL built from it.
func validHost(h string) bool {
	if h == "" || len(h) > 255 {
		return false
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte(".-_:[]", c) >= 0) {
			return false
		}
	}
	return true
}
