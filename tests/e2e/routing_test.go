package e2e

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// rawGet sends a request line exactly as given (no client-side cleaning or
// escaping) and returns the status code and the whole response.
func rawGet(t *testing.T, addr, target string) (int, string) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	must(t, err)
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", target, addr)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("GET %s: %v", target, err)
	}
	defer resp.Body.Close()
	var sb strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := resp.Body.Read(buf)
		sb.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return resp.StatusCode, sb.String()
}

func TestRouting(t *testing.T) {
	root := fixtureRoot(t)
	s := start(t, root, "")

	t.Run("static file with MIME type", func(t *testing.T) {
		r := s.get(t, "/style.css")
		expectStatus(t, r, 200, "/style.css")
		if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/css") {
			t.Errorf("Content-Type = %q, want text/css", ct)
		}
		if !strings.Contains(r.Body, "color: #333") {
			t.Errorf("body = %q", r.Body)
		}
	})
	t.Run("php file runs", func(t *testing.T) {
		r := s.get(t, "/info.php")
		expectStatus(t, r, 200, "/info.php")
		m := decodeJSON(t, r)
		if m["sapi"] != "ephpm" {
			t.Errorf("sapi = %v", m["sapi"])
		}
	})
	t.Run("root directory serves index.php", func(t *testing.T) {
		m := decodeJSON(t, s.get(t, "/"))
		if m["script_name"] != "/index.php" || m["request_uri"] != "/" {
			t.Errorf("got %v", m)
		}
	})
	t.Run("directory serves its index.html", func(t *testing.T) {
		r := s.get(t, "/sub/")
		expectStatus(t, r, 200, "/sub/")
		if !strings.Contains(r.Body, "sub index") || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/html") {
			t.Errorf("got %q (%s)", r.Body, r.Header.Get("Content-Type"))
		}
	})
	t.Run("directory without slash redirects", func(t *testing.T) {
		r := s.get(t, "/sub?x=1")
		expectStatus(t, r, 301, "/sub")
		if loc := r.Header.Get("Location"); loc != "/sub/?x=1" {
			t.Errorf("Location = %q", loc)
		}
	})
	t.Run("directory index.php runs with its SCRIPT_NAME", func(t *testing.T) {
		r := s.get(t, "/app/")
		expectStatus(t, r, 200, "/app/")
		if !strings.Contains(r.Body, "SCRIPT_NAME=/app/index.php") {
			t.Errorf("body = %q", r.Body)
		}
	})
	t.Run("front controller keeps REQUEST_URI", func(t *testing.T) {
		m := decodeJSON(t, s.get(t, "/blog/2024/hello-world?page=2"))
		if m["front"] != true || m["request_uri"] != "/blog/2024/hello-world?page=2" || m["script_name"] != "/index.php" || m["php_self"] != "/index.php" {
			t.Errorf("got %v", m)
		}
	})
	t.Run("PATH_INFO after a script", func(t *testing.T) {
		m := decodeJSON(t, s.get(t, "/info.php/extra/path"))
		srv := m["server"].(map[string]any)
		if srv["PATH_INFO"] != "/extra/path" || srv["SCRIPT_NAME"] != "/info.php" || srv["PHP_SELF"] != "/info.php/extra/path" {
			t.Errorf("PATH_INFO=%v SCRIPT_NAME=%v PHP_SELF=%v", srv["PATH_INFO"], srv["SCRIPT_NAME"], srv["PHP_SELF"])
		}
	})
	t.Run("PHP source is never served", func(t *testing.T) {
		for _, p := range []string{"/docs/template.phtml", "/scripts/config.inc"} {
			r := s.get(t, p)
			if r.Status == 200 || strings.Contains(r.Body, "SECRET") {
				t.Errorf("%s: status %d body %q", p, r.Status, r.Body)
			}
		}
		// A .php file always runs: its source never appears.
		r := s.get(t, "/fatal.php")
		if strings.Contains(r.Body, "undefined_function_ephpm_test") {
			t.Errorf("fatal.php leaked source: %q", r.Body)
		}
	})
	t.Run("dotfiles denied", func(t *testing.T) {
		for _, p := range []string{"/.env", "/.git/config", "/.git/", "/sub/.hidden", "/.htaccess"} {
			r := s.get(t, p)
			expectStatus(t, r, 403, p)
			if strings.Contains(r.Body, "secret") {
				t.Errorf("%s leaked: %q", p, r.Body)
			}
		}
	})
	t.Run(".well-known allowed", func(t *testing.T) {
		r := s.get(t, "/.well-known/acme.txt")
		expectStatus(t, r, 200, "/.well-known/acme.txt")
		if !strings.Contains(r.Body, "acme-challenge-token") {
			t.Errorf("body %q", r.Body)
		}
	})
	t.Run("path traversal refused", func(t *testing.T) {
		probes := []string{
			"/../../../../etc/passwd",
			"/sub/../../etc/passwd",
			"/%2e%2e/%2e%2e/etc/passwd",
			"/%2E%2E/%2E%2E/etc/passwd",
			"/sub/..%2f..%2f..%2fetc/passwd",
			"/..%2f..%2fetc%2fpasswd",
			"/style.css%00.php",
			"/info.php%00",
			"/sub%5c..%5c..%5cetc%5cpasswd",
		}
		for _, p := range probes {
			code, body := rawGet(t, s.Addr, p)
			if code != 400 && code != 403 && code != 404 {
				t.Errorf("%s: status %d", p, code)
			}
			if strings.Contains(body, "root:") {
				t.Errorf("%s leaked /etc/passwd", p)
			}
		}
	})
	t.Run("dot segments inside the root are cleaned", func(t *testing.T) {
		code, body := rawGet(t, s.Addr, "/sub/../style.css")
		if code != 200 || !strings.Contains(body, "color") {
			t.Errorf("status %d body %q", code, body)
		}
	})
	t.Run("symlinks out of the root refused", func(t *testing.T) {
		for _, p := range []string{"/link-out.txt", "/dir-out/outside-secret.txt"} {
			r := s.get(t, p)
			if r.Status != 403 || strings.Contains(r.Body, "outside secret") {
				t.Errorf("%s: status %d body %q", p, r.Status, r.Body)
			}
		}
		r := s.get(t, "/link-in.css")
		expectStatus(t, r, 200, "symlink inside the root")
	})
	t.Run("POST to a static file", func(t *testing.T) {
		r := s.request(t, "POST", "/style.css", strings.NewReader("x"), nil)
		expectStatus(t, r, 405, "POST /style.css")
	})
}

func TestHiddenFilesPolicy(t *testing.T) {
	root := fixtureRoot(t)
	ignore := start(t, root, "[server.static]\nhidden_files = \"ignore\"\n")
	expectStatus(t, ignore.get(t, "/.env"), 404, "ignore: /.env")
	expectStatus(t, ignore.get(t, "/.git/config"), 404, "ignore: /.git/config")

	allow := start(t, root, "[server.static]\nhidden_files = \"allow\"\n")
	r := allow.get(t, "/.env")
	expectStatus(t, r, 200, "allow: /.env")
	if !strings.Contains(r.Body, "APP_KEY") {
		t.Errorf("allow: body %q", r.Body)
	}
}

func TestNoFrontController(t *testing.T) {
	root := t.TempDir()
	must(t, os.WriteFile(filepath.Join(root, "hello.txt"), []byte("hi"), 0o644))
	must(t, os.WriteFile(filepath.Join(root, "page.php"), []byte("<?php echo 'page';"), 0o644))
	s := start(t, root, "")
	expectStatus(t, s.get(t, "/missing"), 404, "no index.php: /missing")
	expectStatus(t, s.get(t, "/"), 404, "no index: /")
	r := s.get(t, "/page.php")
	if r.Status != 200 || r.Body != "page" {
		t.Errorf("page.php: %d %q", r.Status, r.Body)
	}
}

func TestStaticFiles(t *testing.T) {
	root := fixtureRoot(t)
	big := make([]byte, 1<<20)
	for i := range big {
		big[i] = byte(i * 7)
	}
	must(t, os.WriteFile(filepath.Join(root, "big.bin"), big, 0o644))
	s := start(t, root, "[server.static]\ncache_control = \"public, max-age=60\"\n")

	r := s.get(t, "/style.css")
	etag := r.Header.Get("ETag")
	lm := r.Header.Get("Last-Modified")
	if etag == "" || lm == "" {
		t.Fatalf("ETag %q Last-Modified %q", etag, lm)
	}
	if cc := r.Header.Get("Cache-Control"); cc != "public, max-age=60" {
		t.Errorf("Cache-Control = %q", cc)
	}

	r = s.request(t, "GET", "/style.css", nil, map[string]string{"If-None-Match": etag})
	expectStatus(t, r, 304, "If-None-Match")
	if r.Body != "" {
		t.Errorf("304 with a body: %q", r.Body)
	}
	r = s.request(t, "GET", "/style.css", nil, map[string]string{"If-Modified-Since": lm})
	expectStatus(t, r, 304, "If-Modified-Since")
	r = s.request(t, "GET", "/style.css", nil, map[string]string{"If-None-Match": `"other"`})
	expectStatus(t, r, 200, "If-None-Match other")

	r = s.request(t, "GET", "/big.bin", nil, map[string]string{"Range": "bytes=100-199"})
	expectStatus(t, r, 206, "Range")
	if r.Header.Get("Content-Range") != fmt.Sprintf("bytes 100-199/%d", len(big)) || r.Body != string(big[100:200]) {
		t.Errorf("Content-Range %q, %d bytes", r.Header.Get("Content-Range"), len(r.Body))
	}
	r = s.request(t, "GET", "/big.bin", nil, map[string]string{"Range": "bytes=5000000-"})
	expectStatus(t, r, 416, "unsatisfiable Range")

	r = s.get(t, "/big.bin")
	if r.Status != 200 || r.Body != string(big) {
		t.Errorf("big.bin: %d, %d bytes", r.Status, len(r.Body))
	}

	r = s.request(t, "HEAD", "/style.css", nil, nil)
	if r.Status != 200 || r.Body != "" || r.Header.Get("Content-Length") != "22" {
		t.Errorf("HEAD: %d %q len=%s", r.Status, r.Body, r.Header.Get("Content-Length"))
	}

	noEtag := start(t, root, "[server.static]\netag = false\n")
	if e := noEtag.get(t, "/style.css").Header.Get("ETag"); e != "" {
		t.Errorf("etag = false still sends ETag %q", e)
	}
}
