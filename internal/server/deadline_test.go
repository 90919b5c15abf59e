package server

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ephpm/ephpm/internal/config"
)

// ctxPHP answers with the state of the request's context, as the embedded
// runtime sees it: a request that starts canceled is dropped there as a
// client that left. "?slow" outlives the request deadline first.
type ctxPHP struct{}

func (ctxPHP) ServePHP(w http.ResponseWriter, r *http.Request, _ Script, body io.Reader, deadline time.Time) PHPResult {
	if r.URL.RawQuery == "slow" {
		time.Sleep(time.Until(deadline) + 300*time.Millisecond)
	}
	b, _ := io.ReadAll(body)
	if r.Context().Err() != nil {
		return PHPResult{Status: 499}
	}
	io.WriteString(w, "fresh:"+string(b))
	return PHPResult{Status: 200}
}

// A request that ran past server.timeouts.request must not spoil the
// kept-alive connection: the next request on it runs normally (it once
// got an empty 200, its context canceled by the passed read deadline).
func TestKeepAliveAfterTimedOutRequest(t *testing.T) {
	for _, tc := range []struct{ name, first string }{
		{"no body", "GET /?slow HTTP/1.1\r\nHost: x\r\n\r\n"},
		{"with body", "POST /?slow HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"},
		{"chunked body", "POST /?slow HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			if err := os.WriteFile(filepath.Join(root, "index.php"), []byte("<?php"), 0o644); err != nil {
				t.Fatal(err)
			}
			cfg := &config.Config{}
			cfg.Server.DocumentRoot = root
			cfg.Server.IndexFiles = []string{"index.php"}
			cfg.Server.Request.MaxBodySize = 1 << 20
			cfg.Server.Request.MaxHeaderSize = 8192
			cfg.Server.Timeouts.Request = 1
			s, err := New(cfg, ctxPHP{}, nil)
			if err != nil {
				t.Fatal(err)
			}
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			hs := &http.Server{Handler: s}
			go hs.Serve(ln)
			t.Cleanup(func() { hs.Close() })

			c, err := net.Dial("tcp", ln.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			br := bufio.NewReader(c)
			io.WriteString(c, tc.first)
			first, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Fatalf("first response: %v", err)
			}
			io.Copy(io.Discard, first.Body)
			first.Body.Close()

			io.WriteString(c, "POST /next HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi")
			second, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Fatalf("second response on the same connection: %v", err)
			}
			got, _ := io.ReadAll(second.Body)
			second.Body.Close()
			if second.StatusCode != 200 || !strings.HasPrefix(string(got), "fresh:hi") {
				t.Fatalf("second request on the kept-alive connection: %d %q, want 200 \"fresh:hi\"", second.StatusCode, got)
			}
		})
	}
}
