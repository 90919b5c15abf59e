package main

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/ephpm/ephpm/internal/config"
)

// The admin socket: a unix socket, mode 0600, through which `ephpm
// reload` asks the running server to reload and waits for the outcome.
// Only the user running the server (and root) can connect.
//
// Protocol, one connection per command: the client sends "reload\n"; the
// server answers zero or more "warning: <text>\n" lines and then one
// "ok: <summary>\n" or "error: <text>\n" line, and closes.

// adminSocketPath is where the server with cfg listens for admin
// commands, "" when server.admin_socket = "off". The automatic path is
// derived from the absolute config file path (or, without a file, the
// document root), so `ephpm reload --config F` finds the server started
// with `ephpm serve --config F` and servers of different configs never
// share one.
func adminSocketPath(cfg *config.Config) string {
	switch a := cfg.Server.AdminSocket; a {
	case "off":
		return ""
	case "":
	default:
		return a
	}
	key := "config:" + cfg.File
	if cfg.File == "" {
		key = "root:" + cfg.Server.DocumentRoot
	}
	sum := sha256.Sum256([]byte(key))
	return filepath.Join(adminSocketDir(), "admin-"+hex.EncodeToString(sum[:8])+".sock")
}

// adminSocketDir is the directory of automatic admin sockets: private to
// the user ($XDG_RUNTIME_DIR is, by definition; under the shared temp dir
// a directory of the user's own, mode 0700).
func adminSocketDir() string {
	if d := os.Getenv("XDG_RUNTIME_DIR"); d != "" && filepath.IsAbs(d) {
		return filepath.Join(d, "ephpm")
	}
	return filepath.Join(os.TempDir(), fmt.Sprintf("ephpm-%d", os.Getuid()))
}

// ensurePrivateDir creates dir (mode 0700) or checks that the existing
// one is a directory of ours that others cannot enter: in a shared temp
// dir, another user could have made it first to catch our socket.
func ensurePrivateDir(dir string) error {
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	fi, err := os.Lstat(dir)
	if err != nil {
		return err
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	switch {
	case !fi.IsDir():
		return fmt.Errorf("%s is not a directory", dir)
	case ok && int(st.Uid) != os.Getuid():
		return fmt.Errorf("%s belongs to another user (uid %d)", dir, st.Uid)
	case fi.Mode().Perm()&0o077 != 0:
		return fmt.Errorf("%s is open to other users (mode %04o); make it 0700 or remove it", dir, fi.Mode().Perm())
	}
	return nil
}

// startAdminSocket listens on the admin socket and serves reloads. A
// socket file left by a server that died is replaced; one a live server
// answers on is left alone (this server then has no admin socket; signals
// still reload it). stop closes the socket and removes the file.
func startAdminSocket(ctx context.Context, cfg *config.Config, r *reloader, log *slog.Logger) (stop func(), err error) {
	path := adminSocketPath(cfg)
	if path == "" {
		return func() {}, nil
	}
	if cfg.Server.AdminSocket == "" {
		if err := ensurePrivateDir(filepath.Dir(path)); err != nil {
			return nil, fmt.Errorf("admin socket directory: %w", err)
		}
	}
	if fi, err := os.Lstat(path); err == nil {
		if fi.Mode()&fs.ModeSocket == 0 {
			return nil, fmt.Errorf("%s exists and is not a socket; not replacing it", path)
		}
		if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
			c.Close()
			return nil, fmt.Errorf("%s is in use by another running ephpm (same configuration?)", path)
		}
		os.Remove(path) // stale: nothing listens on it
	}
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, err
	}
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		return nil, err
	}
	log.Debug("admin socket listening", "path", path)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return // closed
			}
			go serveAdminConn(ctx, c, r, log)
		}
	}()
	return func() { ln.Close() }, nil // Close unlinks the file
}

func serveAdminConn(ctx context.Context, c net.Conn, r *reloader, log *slog.Logger) {
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return
	}
	c.SetReadDeadline(time.Time{})
	switch cmd := strings.TrimSpace(line); cmd {
	case "reload":
		o := r.reload(ctx, "ephpm reload")
		for _, w := range o.warnings {
			fmt.Fprintf(c, "warning: %s\n", oneLine(w))
		}
		if o.err != nil {
			fmt.Fprintf(c, "error: %s\n", oneLine(o.err.Error()))
			return
		}
		fmt.Fprintf(c, "ok: %s\n", oneLine(o.summary))
	default:
		log.Warn("admin socket: unknown command", "command", oneLine(cmd))
		fmt.Fprintf(c, "error: unknown command %q (this server knows: reload)\n", cmd)
	}
}

func oneLine(s string) string { return strings.ReplaceAll(s, "\n", " ") }
