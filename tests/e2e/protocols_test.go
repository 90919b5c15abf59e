package e2e

import (
	"bufio"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/quic-go/quic-go/http3"
)

// The HTTP front's protocols and trust settings, with real clients: curl
// (--http2, --http2-prior-knowledge, a 2 MB header), quic-go's HTTP/3
// client (Debian's curl has no HTTP/3), raw sockets.

// curlOut runs curl and returns its stdout; -w output included.
func curlOut(t *testing.T, args ...string) (string, error) {
	t.Helper()
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("curl not installed")
	}
	out, err := exec.Command("curl", append([]string{"-sS", "--max-time", "60"}, args...)...).CombinedOutput()
	return string(out), err
}

// phpServer decodes info.php's JSON and returns its $_SERVER.
func phpServer(t *testing.T, body string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		t.Fatalf("not info.php's JSON: %v\n%s", err, body)
	}
	return m["server"].(map[string]any)
}

// logAddr waits for "KEY=ADDR" in the server log (the HTTPS and HTTP/3
// listeners log their addresses before "ephpm listening").
func logAddr(t *testing.T, s *server, key string) string {
	t.Helper()
	re := regexp.MustCompile(key + `=(\S+)`)
	if m := re.FindStringSubmatch(s.Log()); m != nil {
		return m[1]
	}
	t.Fatalf("no %s in the server log:\n%s", key, s.Log())
	return ""
}

func tlsTOML(t *testing.T, extra string) string {
	certFile, keyFile := selfSigned(t, t.TempDir())
	return fmt.Sprintf("[server.tls]\ncert_file = %q\nkey_file = %q\n%s", certFile, keyFile, extra)
}

// TestHTTP2CurlTLS: curl --http2 over TLS negotiates h2 by ALPN and PHP
// sees SERVER_PROTOCOL HTTP/2.0 and HTTPS on.
func TestHTTP2CurlTLS(t *testing.T) {
	s := start(t, fixtureRoot(t), tlsTOML(t, ""))
	out, err := curlOut(t, "-k", "--http2", "-w", "\n%{http_version}", "https://"+s.Addr+"/info.php")
	if err != nil {
		t.Fatalf("curl --http2: %v\n%s", err, out)
	}
	i := strings.LastIndexByte(out, '\n')
	body, version := out[:max(i, 0)], out[i+1:]
	if version != "2" {
		t.Fatalf("curl --http2 used HTTP version %q", version)
	}
	srv := phpServer(t, body)
	if srv["SERVER_PROTOCOL"] != "HTTP/2.0" || srv["HTTPS"] != "on" || srv["REQUEST_SCHEME"] != "https" {
		t.Errorf("PHP over h2: SERVER_PROTOCOL %v HTTPS %v REQUEST_SCHEME %v", srv["SERVER_PROTOCOL"], srv["HTTPS"], srv["REQUEST_SCHEME"])
	}
	// HTTP/1.1 is still offered.
	out, err = curlOut(t, "-k", "--http1.1", "https://"+s.Addr+"/info.php")
	if err != nil || phpServer(t, out)["SERVER_PROTOCOL"] != "HTTP/1.1" {
		t.Errorf("curl --http1.1 over TLS: %v %.200s", err, out)
	}
}

// TestH2CCurl: with server.h2c, curl --http2-prior-knowledge speaks
// HTTP/2 in clear text and PHP sees HTTP/2.0 (and no HTTPS); without it
// the same curl fails and HTTP/1.1 is unaffected.
func TestH2CCurl(t *testing.T) {
	s := start(t, fixtureRoot(t), "[server]\nh2c = true\n")
	out, err := curlOut(t, "--http2-prior-knowledge", s.URL+"/info.php")
	if err != nil {
		t.Fatalf("curl --http2-prior-knowledge: %v\n%s", err, out)
	}
	srv := phpServer(t, out)
	if srv["SERVER_PROTOCOL"] != "HTTP/2.0" || srv["HTTPS"] != nil || srv["REQUEST_SCHEME"] != "http" {
		t.Errorf("PHP over h2c: SERVER_PROTOCOL %v HTTPS %v REQUEST_SCHEME %v", srv["SERVER_PROTOCOL"], srv["HTTPS"], srv["REQUEST_SCHEME"])
	}
	out, err = curlOut(t, s.URL+"/info.php")
	if err != nil || phpServer(t, out)["SERVER_PROTOCOL"] != "HTTP/1.1" {
		t.Errorf("HTTP/1.1 with h2c on: %v %.200s", err, out)
	}
	// A POST body over h2c reaches PHP.
	out, err = curlOut(t, "--http2-prior-knowledge", "--data-binary", "hello h2c", s.URL+"/info.php")
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	must(t, json.Unmarshal([]byte(out), &m))
	if m["input"] != "hello h2c" {
		t.Errorf("POST body over h2c: %v", m["input"])
	}

	off := start(t, fixtureRoot(t), "")
	if out, err := curlOut(t, "--http2-prior-knowledge", off.URL+"/info.php"); err == nil {
		t.Errorf("h2c off: curl --http2-prior-knowledge succeeded: %.200s", out)
	}
}

// TestHTTP3 (quic-go's client): HTTP/3 on the HTTPS port over UDP,
// announced by Alt-Svc on HTTPS responses; PHP sees HTTP/3.0.
func TestHTTP3(t *testing.T) {
	s := start(t, fixtureRoot(t), tlsTOML(t, "[server.http3]\nenabled = true\n"))
	h3addr := logAddr(t, s, "http3_addr")
	_, port, _ := net.SplitHostPort(s.Addr)
	if _, p3, _ := net.SplitHostPort(h3addr); p3 != port {
		t.Fatalf("HTTP/3 on %s, HTTPS on %s", h3addr, s.Addr)
	}
	out, err := curlOut(t, "-k", "--http2", "-D", "-", "-o", "/dev/null", "https://"+s.Addr+"/info.php")
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf(`alt-svc: h3=":%s"; ma=86400`, port); !strings.Contains(strings.ToLower(out), want) {
		t.Errorf("HTTPS response headers lack %q:\n%s", want, out)
	}
	tr := &http3.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}
	defer tr.Close()
	c := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	resp, err := c.Post("https://"+s.Addr+"/info.php?q=1", "text/plain", strings.NewReader("over quic"))
	must(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.ProtoMajor != 3 || resp.StatusCode != 200 {
		t.Fatalf("HTTP/3: %s %d %.300s", resp.Proto, resp.StatusCode, body)
	}
	var m map[string]any
	must(t, json.Unmarshal(body, &m))
	srv := m["server"].(map[string]any)
	if srv["SERVER_PROTOCOL"] != "HTTP/3.0" || srv["HTTPS"] != "on" || m["input"] != "over quic" || srv["QUERY_STRING"] != "q=1" {
		t.Errorf("PHP over HTTP/3: SERVER_PROTOCOL %v HTTPS %v input %v query %v", srv["SERVER_PROTOCOL"], srv["HTTPS"], m["input"], srv["QUERY_STRING"])
	}
	// A static file too.
	resp, err = c.Get("https://" + s.Addr + "/style.css")
	must(t, err)
	css, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	want, _ := os.ReadFile(filepath.Join(s.Root, "style.css"))
	if resp.StatusCode != 200 || string(css) != string(want) {
		t.Errorf("static over HTTP/3: %d %q", resp.StatusCode, css)
	}
}

// TestHTTPSListenerAndRedirect: [server.tls] listen serves HTTPS beside a
// plain server.listen; redirect_http turns the plain one into redirects,
// except ACME HTTP-01 challenge paths.
func TestHTTPSListenerAndRedirect(t *testing.T) {
	root := fixtureRoot(t)
	must(t, os.MkdirAll(filepath.Join(root, ".well-known", "acme-challenge"), 0o755))
	must(t, os.WriteFile(filepath.Join(root, ".well-known", "acme-challenge", "tok123"), []byte("tok123.key"), 0o644))
	s := start(t, root, tlsTOML(t, "listen = \"127.0.0.1:0\"\nredirect_http = true\n"))
	httpsAddr := logAddr(t, s, "https_addr")
	_, httpsPort, _ := net.SplitHostPort(httpsAddr)
	out, err := curlOut(t, "-o", "/dev/null", "-w", "%{http_code} %{redirect_url}", s.URL+"/info.php?a=1")
	if want := "308 https://127.0.0.1:" + httpsPort + "/info.php?a=1"; err != nil || out != want {
		t.Errorf("plain request: %q %v, want %q", out, err, want)
	}
	out, err = curlOut(t, s.URL+"/.well-known/acme-challenge/tok123")
	if err != nil || out != "tok123.key" {
		t.Errorf("ACME challenge on the plain listener: %q %v", out, err)
	}
	// Following the redirect lands on HTTPS, h2.
	out, err = curlOut(t, "-k", "-L", "--http2", s.URL+"/info.php")
	if err != nil {
		t.Fatal(err)
	}
	if srv := phpServer(t, out); srv["HTTPS"] != "on" || srv["SERVER_PORT"] != httpsPort || srv["SERVER_PROTOCOL"] != "HTTP/2.0" {
		t.Errorf("after the redirect: HTTPS %v SERVER_PORT %v SERVER_PROTOCOL %v", srv["HTTPS"], srv["SERVER_PORT"], srv["SERVER_PROTOCOL"])
	}
}

// TestTrustedProxiesE2E: spoofed forwarding headers from a peer that is
// not trusted are only HTTP_* values; from a trusted peer (loopback here)
// they set REMOTE_ADDR, HTTPS, the host and port. The access log follows
// REMOTE_ADDR.
func TestTrustedProxiesE2E(t *testing.T) {
	spoof := []string{
		"-H", "X-Forwarded-For: 6.6.6.6, 198.51.100.7",
		"-H", "X-Forwarded-Proto: https",
		"-H", "X-Forwarded-Host: shop.example.test",
		"-H", "X-Forwarded-Port: 8443",
	}
	for _, trusted := range []bool{false, true} {
		logFile := filepath.Join(t.TempDir(), "access.log")
		cfg := fmt.Sprintf("[server.logging]\naccess = %q\n", logFile)
		if trusted {
			cfg += "[server.security]\ntrusted_proxies = [\"10.0.0.0/8\", \"127.0.0.1\"]\n"
		} else {
			cfg += "[server.security]\ntrusted_proxies = [\"10.0.0.0/8\"]\n"
		}
		s := start(t, fixtureRoot(t), cfg)
		out, err := curlOut(t, append(spoof, s.URL+"/info.php")...)
		if err != nil {
			t.Fatal(err)
		}
		srv := phpServer(t, out)
		if srv["HTTP_X_FORWARDED_FOR"] != "6.6.6.6, 198.51.100.7" || srv["HTTP_X_FORWARDED_PROTO"] != "https" {
			t.Errorf("trusted=%v: the headers themselves: %v %v", trusted, srv["HTTP_X_FORWARDED_FOR"], srv["HTTP_X_FORWARDED_PROTO"])
		}
		_, port, _ := net.SplitHostPort(s.Addr)
		want := map[string]any{"REMOTE_ADDR": "127.0.0.1", "HTTPS": nil, "REQUEST_SCHEME": "http", "SERVER_NAME": "127.0.0.1", "SERVER_PORT": port}
		wantLog := "127.0.0.1 - - "
		if trusted {
			want = map[string]any{"REMOTE_ADDR": "198.51.100.7", "HTTPS": "on", "REQUEST_SCHEME": "https", "SERVER_NAME": "shop.example.test", "SERVER_PORT": "8443", "HTTP_HOST": "shop.example.test"}
			wantLog = "198.51.100.7 - - "
		}
		for k, v := range want {
			if srv[k] != v {
				t.Errorf("trusted=%v: %s = %v, want %v", trusted, k, srv[k], v)
			}
		}
		s.Stop()
		log, _ := os.ReadFile(logFile)
		if !strings.HasPrefix(string(log), wantLog) {
			t.Errorf("trusted=%v: access log %q, want it to start with %q", trusted, log, wantLog)
		}
	}
}

// TestPerIPMaxConnections: beyond the limit a connection from the same IP
// is closed without an answer and without reaching PHP (no access log
// line); the held ones keep working and a closed one frees its slot.
func TestPerIPMaxConnections(t *testing.T) {
	logFile := filepath.Join(t.TempDir(), "access.log")
	s := start(t, fixtureRoot(t), fmt.Sprintf("[server.logging]\naccess = %q\n[server.limits]\nper_ip_max_connections = 2\n", logFile),
		"EPHPM_SERVER__METRICS__LISTEN=127.0.0.1:0")
	m := metricsAddrRe.FindStringSubmatch(s.Log())
	if m == nil {
		t.Fatalf("no metrics address in the log:\n%s", s.Log())
	}
	metricsURL := "http://" + m[1] + "/metrics"
	dial := func() net.Conn {
		c, err := net.Dial("tcp", s.Addr)
		must(t, err)
		c.SetDeadline(time.Now().Add(30 * time.Second))
		return c
	}
	get := func(c net.Conn, path string) (int, error) {
		if _, err := fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", path); err != nil {
			return 0, err
		}
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			return 0, err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode, nil
	}
	c1, c2 := dial(), dial()
	defer c1.Close()
	defer c2.Close()
	for i, c := range []net.Conn{c1, c2} {
		if code, err := get(c, fmt.Sprintf("/info.php?held=%d", i)); err != nil || code != 200 {
			t.Fatalf("connection %d within the limit: %d %v", i, code, err)
		}
	}
	c3 := dial()
	if code, err := get(c3, "/info.php?refused=1"); err == nil {
		t.Errorf("third connection answered %d", code)
	}
	c3.Close()
	if got := scrape(t, metricsURL)["ephpm_http_connections_refused_total"]; got != 1 {
		t.Errorf("ephpm_http_connections_refused_total = %v, want 1", got)
	}
	// The server sees c2's end when it reads EOF: until then a new
	// connection may still be refused, hence the retries.
	c2.Close()
	var ok bool
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		c4 := dial()
		code, err := get(c4, "/info.php?after=1")
		c4.Close()
		if err == nil && code == 200 {
			ok = true
			break
		}
	}
	if !ok {
		t.Error("no connection accepted after one of the two was closed")
	}
	s.Stop()
	log, _ := os.ReadFile(logFile)
	if strings.Contains(string(log), "refused=1") || !strings.Contains(string(log), "after=1") {
		t.Errorf("access log:\n%s", log)
	}
	if !s.LogHas("per_ip_max_connections reached") {
		t.Errorf("no warning in the server log:\n%s", s.Log())
	}
}

// TestHugeHeaderGets431: a client sending a 2 MB (or 16 MB) header gets
// the 431 although it is still sending when the server answers (without
// the lingering close its write fails on a reset), over HTTP/1.1 and TLS;
// the server stays healthy. curl refuses to send a request head over 1 MB
// itself, so it sends 1000000 bytes; a raw socket sends the rest, writing
// everything before reading as curl does.
func TestHugeHeaderGets431(t *testing.T) {
	s := start(t, fixtureRoot(t), "")
	hf := filepath.Join(t.TempDir(), "headers")
	must(t, os.WriteFile(hf, []byte("X-Big: "+strings.Repeat("a", 1000000)+"\n"), 0o644))
	out, err := curlOut(t, "-o", "/dev/null", "-w", "%{http_code}", "-H", "@"+hf, s.URL+"/info.php")
	if err != nil || out != "431" {
		t.Errorf("curl with a 1 MB header: %q %v", out, err)
	}
	// 2 MB as a client on a real network sends it: in pieces, for longer
	// than net/http waits before closing (500ms); 16 MB at once, more than
	// the loopback's buffers take.
	for _, c := range []struct {
		size  int
		paced bool
	}{{2 << 20, true}, {16 << 20, false}} {
		conn, err := net.Dial("tcp", s.Addr)
		must(t, err)
		conn.SetDeadline(time.Now().Add(60 * time.Second))
		req := "GET /info.php HTTP/1.1\r\nHost: x\r\nX-Big: " + strings.Repeat("b", c.size) + "\r\n\r\n"
		chunk := len(req)
		if c.paced {
			chunk = 32 << 10
		}
		for len(req) > 0 && err == nil {
			n := min(chunk, len(req))
			_, err = io.WriteString(conn, req[:n])
			req = req[n:]
			if c.paced {
				time.Sleep(10 * time.Millisecond)
			}
		}
		if err != nil {
			t.Errorf("sending a %d MB header: %v", c.size>>20, err)
		} else if resp, err := http.ReadResponse(bufio.NewReader(conn), nil); err != nil || resp.StatusCode != 431 {
			t.Errorf("%d MB header: %v %v", c.size>>20, resp, err)
		}
		conn.Close()
	}

	ts := start(t, fixtureRoot(t), tlsTOML(t, ""))
	out, err = curlOut(t, "-k", "--http1.1", "-o", "/dev/null", "-w", "%{http_code}", "-H", "@"+hf, "https://"+ts.Addr+"/info.php")
	if err != nil || out != "431" {
		t.Errorf("curl over TLS with a 1 MB header: %q %v", out, err)
	}
	out, err = curlOut(t, "-o", "/dev/null", "-w", "%{http_code}", s.URL+"/info.php")
	if err != nil || out != "200" {
		t.Errorf("after the big headers: %q %v", out, err)
	}
}
