package server

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ephpm/ephpm/internal/config"
)

// helloPHP answers as the hello-world script does: headers, then "hello".
type helloPHP struct{}

func (helloPHP) ServePHP(w http.ResponseWriter, _ *http.Request, _ Script, _ io.Reader, _ time.Time) PHPResult {
	w.Header().Set("Content-Type", "text/html; charset=UTF-8")
	w.WriteHeader(http.StatusOK)
	io.WriteString(w, "hello")
	return PHPResult{Status: http.StatusOK}
}

// newHelloServer serves a document root holding a hello-world index.php
// with the default config.
func newHelloServer(b *testing.B) *Server {
	b.Helper()
	root := b.TempDir()
	if err := os.WriteFile(filepath.Join(root, "index.php"), []byte("<?php echo 'hello';"), 0o644); err != nil {
		b.Fatal(err)
	}
	cfg := config.Default()
	cfg.Server.DocumentRoot = root
	s, err := New(cfg, helloPHP{}, nil)
	if err != nil {
		b.Fatal(err)
	}
	return s
}

// BenchmarkHelloHandler is the server's own share of a PHP hello world
// with the default config: request id, router file checks, response
// writer, stats, access log (off), with PHP replaced by a function. For
// the per-request budget in the README (go test -bench Hello -benchmem).
func BenchmarkHelloHandler(b *testing.B) {
	s := newHelloServer(b)
	r := httptest.NewRequest(http.MethodGet, "/index.php", nil)
	r.RemoteAddr = "127.0.0.1:40000"
	r.Header.Set("User-Agent", "wrk")
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		if w.Code != http.StatusOK {
			b.Fatalf("status %d", w.Code)
		}
	}
}

// BenchmarkResolveHello is the router alone: which file /index.php runs.
func BenchmarkResolveHello(b *testing.B) {
	s := newHelloServer(b)
	r := httptest.NewRequest(http.MethodGet, "/index.php", nil)
	rel := s.enter()
	defer rel.leave()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if rt := s.resolve(r, rel); rt.kind != routePHP {
			b.Fatalf("route %v", rt.kind)
		}
	}
}
