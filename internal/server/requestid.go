package server

import (
	"crypto/rand"
	"encoding/hex"
	"net"
	"net/http"
	"sync/atomic"
)

// requestIDHeader carries a request's id: kept from a trusted proxy,
// otherwise generated here. It is on the request PHP sees
// ($_SERVER['HTTP_X_REQUEST_ID']), on the response, in the access log and
// on the log lines about the request (attribute request_id).
const requestIDHeader = "X-Request-Id"

// maxRequestIDLen bounds an id taken from a proxy: it is copied into every
// log line of the request.
const maxRequestIDLen = 128

// Generated ids are 32 hex digits: 16 random ones drawn once per process,
// then a counter. Unique without a random read per request (the counter
// is one atomic add), and shaped like a W3C trace id, which log tools
// already know.
var (
	idPrefix  [16]byte
	idCounter atomic.Uint64
)

func init() {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("request ids: " + err.Error()) // crypto/rand does not fail on supported systems
	}
	hex.Encode(idPrefix[:], b[:])
}

// newRequestID returns an id no other request of any ephpm process has
// (barring a 1 in 2^64 prefix collision between two processes).
func newRequestID() string {
	var b [32]byte
	copy(b[:16], idPrefix[:])
	n := idCounter.Add(1)
	const digits = "0123456789abcdef"
	for i := 31; i >= 16; i-- {
		b[i] = digits[n&0xf]
		n >>= 4
	}
	return string(b[:])
}

// assignRequestID gives r its id and returns it as the header value (a
// one-element slice, shared with the response's header: nothing edits a
// header value in place): the one a trusted proxy (the peer itself, before
// any forwarding headers are applied) sent, if it is a sane token, else a
// new one. An id from anyone else is replaced: a client must not be able
// to make its requests' log lines pass for another's.
func (s *Server) assignRequestID(r *http.Request) []string {
	if v := r.Header[requestIDHeader]; len(v) == 1 && s.proxies != nil && validRequestID(v[0]) {
		if peer := net.ParseIP(peerHost(r.RemoteAddr)); peer != nil && s.proxies.trusts(peer) {
			return v
		}
	}
	id := []string{newRequestID()}
	if r.Header == nil {
		r.Header = http.Header{}
	}
	r.Header[requestIDHeader] = id
	return id
}

// validRequestID accepts 1 to maxRequestIDLen printable ASCII characters
// without spaces: one token in any log format.
func validRequestID(s string) bool {
	if s == "" || len(s) > maxRequestIDLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}

// requestIDOf is r's id, for log lines about r ("" before ServeHTTP set
// it).
func requestIDOf(r *http.Request) string {
	if v := r.Header[requestIDHeader]; len(v) > 0 {
		return v[0]
	}
	return ""
}
