package e2e

// Spec audit (session 10, B): issue 13, "an oversized request header gets
// its 431". Over HTTP/2 (TLS and h2c) a single header field longer than
// max_header_size (a 9 KB cookie with the default 8192) ends the whole
// connection with GOAWAY COMPRESSION_ERROR instead: x/net/http2's HPACK
// decoder limits one field to the header list limit, which net/http takes
// from MaxHeaderBytes (= max_header_size), and a longer field is a
// connection error. Several smaller fields over the limit do get 431, as
// HTTP/1.1 does. The fix (listeners.go, headerReadLimit) lets net/http
// read 4x the limit so that serve() answers the 431.

import (
	"strings"
	"testing"
)

func TestSpecAudit10bH2OversizedHeaderGets431(t *testing.T) {
	s := start(t, fixtureRoot(t), tlsTOML(t, ""))
	big := "X-Big: " + strings.Repeat("a", 9000)
	for _, c := range []struct {
		what string
		args []string
	}{
		{"one 9 KB header over HTTP/2", []string{"-k", "--http2", "-H", big}},
		{"one 9 KB header over HTTP/1.1", []string{"-k", "--http1.1", "-H", big}},
		{"three 3 KB headers over HTTP/2", []string{"-k", "--http2", "-H", "X-A: " + strings.Repeat("a", 3000),
			"-H", "X-B: " + strings.Repeat("b", 3000), "-H", "X-C: " + strings.Repeat("c", 3000)}},
	} {
		args := append(c.args, "-o", "/dev/null", "-w", "%{http_code}", "https://"+s.Addr+"/info.php")
		out, err := curlOut(t, args...)
		if err != nil || strings.TrimSpace(out) != "431" {
			t.Errorf("%s: status %q, err %v; want 431", c.what, out, err)
		}
	}
	// Under the limit still passes.
	out, err := curlOut(t, "-k", "--http2", "-H", "X-Ok: "+strings.Repeat("a", 6000), "-o", "/dev/null", "-w", "%{http_code}", "https://"+s.Addr+"/info.php")
	if err != nil || strings.TrimSpace(out) != "200" {
		t.Errorf("a 6 KB header over HTTP/2: status %q, err %v; want 200", out, err)
	}
}
