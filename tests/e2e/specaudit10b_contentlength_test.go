package e2e

// Spec audit (session 10, B): a PHP script that declares a Content-Length
// and then writes more (a stale length after the body changed) got the
// head and no body at all, then a closed connection: net/http refuses a
// write past the declared length whole. nginx in front of php-fpm cuts the
// body at the declared length and keeps the connection; so does ephpm now.
// A body shorter than declared still ends the connection (nothing else can
// tell the client), as with nginx.

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestSpecAudit10bBodyLongerThanDeclaredLength(t *testing.T) {
	root := t.TempDir()
	must(t, os.WriteFile(filepath.Join(root, "index.php"), []byte("<?php echo 'index';"), 0o644))
	// Small (identity, under compression_min_size) and large (would be
	// compressed if not for the length) bodies, plain and after a flush.
	must(t, os.WriteFile(filepath.Join(root, "long.php"), []byte(`<?php
header('Content-Length: 10');
echo str_repeat('a', (int)($_GET['n'] ?? 6000));
if (isset($_GET['flush'])) { flush(); echo str_repeat('b', 100); }
`), 0o644))
	s := start(t, root, "")
	c, err := net.DialTimeout("tcp", s.Addr, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	br := bufio.NewReader(c)
	for _, q := range []string{"n=6000", "n=500", "n=11", "n=6000&flush=1", "n=3&flush=1"} {
		c.SetDeadline(time.Now().Add(20 * time.Second))
		fmt.Fprintf(c, "GET /long.php?%s HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\n\r\n", q)
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		want := strings.Repeat("a", 10)
		if q == "n=3&flush=1" {
			want = "aaabbbbbbb"
		}
		if err != nil || string(body) != want || resp.ContentLength != 10 {
			t.Fatalf("%s: %d bytes %q (length %d), err %v; want %q", q, len(body), body, resp.ContentLength, err, want)
		}
	}
	// The same connection still serves the next request.
	fmt.Fprintf(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("next request on the connection: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	if string(body) != "index" {
		t.Errorf("next request: %q", body)
	}
}
