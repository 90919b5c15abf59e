package acme

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/ephpm/ephpm/internal/config"
)

func TestNewErrors(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "a-file")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	cases := []struct {
		t    config.TLSConfig
		want string
	}{
		{config.TLSConfig{CacheDir: dir}, "server.tls.domains is empty"},
		{config.TLSConfig{Domains: []string{"example.com"}, CacheDir: filepath.Join(file, "certs")}, "server.tls.cache_dir: mkdir " + file + ": not a directory"},
		{config.TLSConfig{Domains: []string{"example.com"}, CacheDir: dir, ACMECARoot: file}, "server.tls.acme_ca_root: \"" + file + "\" holds no PEM certificate"},
	}
	for _, c := range cases {
		if _, err := New(c.t, log); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v, want %q", c.t, err, c.want)
		}
	}
}

// TestNoCertificateYet: before a certificate exists the TLS config
// offers acme-tls/1 (TLS-ALPN-01) and a handshake fails cleanly; the
// cache directory is created private.
func TestNoCertificateYet(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "certs")
	m, err := New(config.TLSConfig{Domains: []string{"example.com"}, CacheDir: dir}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer m.Stop()
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("cache_dir: %v %v", fi, err)
	}
	conf := m.TLSConfig()
	if !slices.Contains(conf.NextProtos, "acme-tls/1") || conf.GetCertificate == nil {
		t.Errorf("TLS config: %+v", conf)
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", conf)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		if c, err := ln.Accept(); err == nil {
			c.(*tls.Conn).Handshake()
			c.Close()
		}
	}()
	c, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", ln.Addr().String(), &tls.Config{ServerName: "example.com", InsecureSkipVerify: true})
	if err == nil {
		c.Close()
		t.Fatal("a handshake succeeded without a certificate")
	}
}

// TestZapToSlog: certmagic's zap entries reach slog with their level,
// message and fields, tagged component=acme; below the level they are
// dropped.
func TestZapToSlog(t *testing.T) {
	var buf bytes.Buffer
	zl := zapLogger(slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo})))
	zl.Debug("hidden")
	zl.Named("obtain").With(zap.String("identifier", "example.com")).Error("could not get certificate",
		zap.Error(errors.New("connection refused")), zap.Duration("retrying_in", time.Minute), zap.Int("attempt", 2),
		zap.Strings("names", []string{"a", "b"}))
	zl.Warn("careful")
	zl.Error("job failed", zap.Error(fmt.Errorf("example.com: obtaining certificate: %w", context.Canceled))) // shutdown: debug
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("got %d lines:\n%s", len(lines), buf.String())
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"level": "ERROR", "msg": "could not get certificate", "component": "acme", "logger": "obtain",
		"identifier": "example.com", "error": "connection refused", "attempt": float64(2)}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v (%s)", k, got[k], v, lines[0])
		}
	}
	if got["retrying_in"] == nil || got["names"] == nil {
		t.Errorf("fields missing: %s", lines[0])
	}
	if !strings.Contains(lines[1], `"level":"WARN"`) {
		t.Errorf("warn line: %s", lines[1])
	}
}
