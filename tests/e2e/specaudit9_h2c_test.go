package e2e

import (
	"bufio"
	"net"
	"strings"
	"testing"
	"time"
)

// TestSpecAudit9H2CUpgrade: issue 13 asks for `h2c = false # cleartext
// HTTP/2 (prior knowledge and Upgrade) on the plain listener`. Only prior
// knowledge was served: `curl --http2 http://...` (which offers Upgrade:
// h2c) stayed on HTTP/1.1. Now the offer is taken: 101, then the request
// is answered over HTTP/2 (PHP sees HTTP/2.0) and the connection carries
// further HTTP/2 requests. A request with a body, a malformed offer and
// h2c off stay on HTTP/1.1.
func TestSpecAudit9H2CUpgrade(t *testing.T) {
	s := start(t, fixtureRoot(t), "[server]\nh2c = true\n")

	// Two URLs on one curl: the second reuses the upgraded connection.
	out, err := curlOut(t, "--http2", "-w", "\n%{http_version}\n", s.URL+"/info.php", s.URL+"/info.php")
	if err != nil {
		t.Fatalf("curl --http2: %v\n%s", err, out)
	}
	parts := strings.Split(out, "\n2\n") // each body, then its HTTP version
	if len(parts) != 3 || parts[2] != "" {
		t.Fatalf("curl --http2 on the plain listener with h2c = true did not get HTTP/2 for both requests:\n%.3000s", out)
	}
	for i, body := range parts[:2] {
		srv := phpServer(t, body)
		if srv["SERVER_PROTOCOL"] != "HTTP/2.0" || srv["HTTPS"] != nil || srv["HTTP_UPGRADE"] != nil || srv["HTTP_HTTP2_SETTINGS"] != nil {
			t.Errorf("request %d over the upgraded connection: SERVER_PROTOCOL %v HTTPS %v HTTP_UPGRADE %v HTTP_HTTP2_SETTINGS %v",
				i+1, srv["SERVER_PROTOCOL"], srv["HTTPS"], srv["HTTP_UPGRADE"], srv["HTTP_HTTP2_SETTINGS"])
		}
	}
	// The 101 itself, on the wire.
	if line := upgradeStatusLine(t, s.Addr, "AAMAAABkAAQAoAAAAAIAAAAA"); line != "HTTP/1.1 101 Switching Protocols" {
		t.Errorf("Upgrade: h2c answered %q, want 101", line)
	}
	// A malformed HTTP2-Settings is not an offer: HTTP/1.1 answers.
	if line := upgradeStatusLine(t, s.Addr, "!!not-base64!!"); line != "HTTP/1.1 200 OK" {
		t.Errorf("Upgrade: h2c with a malformed HTTP2-Settings answered %q, want HTTP/1.1 200", line)
	}
	// A POST is answered over HTTP/1.1, its body reaching PHP.
	out, err = curlOut(t, "--http2", "--data-binary", "hello body", "-w", "\n%{http_version}", s.URL+"/info.php")
	if err != nil || !strings.HasSuffix(out, "\n1.1") || !strings.Contains(out, `"input": "hello body"`) {
		t.Errorf("curl --http2 POST: %v\n%.2000s", err, out)
	}
	// Prior knowledge still works.
	if out, err := curlOut(t, "--http2-prior-knowledge", "-w", "\n%{http_version}", s.URL+"/info.php"); err != nil || !strings.HasSuffix(out, "\n2") {
		t.Errorf("curl --http2-prior-knowledge: %v\n%.300s", err, out)
	}

	off := start(t, fixtureRoot(t), "")
	if line := upgradeStatusLine(t, off.Addr, "AAMAAABkAAQAoAAAAAIAAAAA"); line != "HTTP/1.1 200 OK" {
		t.Errorf("h2c off: Upgrade: h2c answered %q, want HTTP/1.1 200", line)
	}
}

// upgradeStatusLine sends a GET offering h2c with the given settings and
// returns the first status line.
func upgradeStatusLine(t *testing.T, addr, settings string) string {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	must(t, err)
	defer c.Close()
	must(t, c.SetDeadline(time.Now().Add(30*time.Second)))
	_, err = c.Write([]byte("GET /info.php HTTP/1.1\r\nHost: localhost\r\nConnection: Upgrade, HTTP2-Settings\r\n" +
		"Upgrade: h2c\r\nHTTP2-Settings: " + settings + "\r\n\r\n"))
	must(t, err)
	line, err := bufio.NewReader(c).ReadString('\n')
	must(t, err)
	return strings.TrimSpace(line)
}
