package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/ephpm/ephpm/internal/config"
	"github.com/ephpm/ephpm/internal/phpembed"
)

// The ports `ephpm dev` tries, in order, when --listen is not given: 8080
// is the usual development port, and a second project (or anything else
// already on 8080) gets the next free one instead of an error.
const (
	devHost      = "127.0.0.1"
	devFirstPort = 8080
	devLastPort  = 8179
)

// devIni is what makes PHP a development PHP: every error shown in the
// page, and OPcache checking each file's timestamp on every request, so an
// edited file is served changed at the next request. They come after the
// config's ini_overrides (whose default says display_errors=Off), so they
// win. OPcache stays on: the code runs as it will in production.
// file_update_protection (PHP's default, restated) keeps a file written
// less than 2 s ago out of the cache, so two edits within the same second
// (timestamps have 1 s resolution) are never served from a stale copy.
var devIni = [][2]string{
	{"display_errors", "On"},
	{"display_startup_errors", "On"},
	{"error_reporting", "E_ALL"},
	{"opcache.validate_timestamps", "1"},
	{"opcache.revalidate_freq", "0"},
	{"opcache.file_update_protection", "2"},
}

type devFlags struct {
	config       string
	listen       string
	documentRoot string
	worker       string
	watch        []string
	noWatch      bool
}

func newDevCmd() *cobra.Command {
	var f devFlags
	cmd := &cobra.Command{
		Use:   "dev [dir]",
		Short: "Serve a directory for development: errors shown, edits picked up, no config file needed",
		Long: `ephpm dev serves the current directory (or dir, or --document-root, or
--config's document_root) on http://127.0.0.1:8080, or the next free port up
to 8179 (--listen sets one).

It needs no config file and does not read ./ephpm.toml unless --config names
it; EPHPM_* environment variables still apply (EPHPM_SERVER__LISTEN, like a
config file's server.listen, is used as given). PHP runs with every error
displayed (display_errors, display_startup_errors, error_reporting=E_ALL) and
OPcache revalidating every file on every request, so an edited file is served
changed at once. The access log goes to stdout.

With --worker SCRIPT the PHP workers run SCRIPT in worker mode, and a watcher
restarts them (one at a time) when a .php or .env file changes under the
document root, the worker script's directory, the app's directory (the
document root's parent when it is a composer project) or a --watch directory.
Directories named .git, node_modules and vendor are not watched, nor Laravel's
storage/ and Symfony's var/ (code generated while serving).`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, notes, err := f.build(args)
			if err != nil {
				return err
			}
			return runDev(cfg, f, notes, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&f.config, "config", "c", "", "configuration file to start from (by default none, even if ./ephpm.toml exists)")
	fl.StringVar(&f.listen, "listen", "", "listen address host:port (default: 127.0.0.1:8080 or the next free port up to 8179)")
	fl.StringVar(&f.documentRoot, "document-root", "", "document root (default: the dir argument, else the current directory)")
	fl.StringVar(&f.worker, "worker", "", "run PHP in worker mode with this worker script (relative to the current directory, else to the document root)")
	fl.StringArrayVar(&f.watch, "watch", nil, "another directory whose .php/.env changes restart the workers (repeatable)")
	fl.BoolVar(&f.noWatch, "no-watch", false, "do not watch files (worker mode: restart ephpm dev to pick up changes)")
	return cmd
}

// build makes the configuration of `ephpm dev`: the defaults (or --config)
// with EPHPM_* overrides, then the document root, address, mode and PHP
// settings of development. notes are lines to print before the banner.
func (f *devFlags) build(args []string) (*config.Config, []string, error) {
	cwd, err := os.Getwd()
	if err != nil {
		return nil, nil, err
	}
	var cfg *config.Config
	var notes []string
	if f.config != "" {
		if cfg, err = config.Parse(f.config); err != nil {
			return nil, nil, err
		}
		notes = append(notes, "ephpm dev: using "+cfg.File)
	} else {
		if cfg, err = config.FromEnv(cwd); err != nil {
			return nil, nil, err
		}
		if _, err := os.Stat(filepath.Join(cwd, "ephpm.toml")); err == nil {
			notes = append(notes, "ephpm dev: ./ephpm.toml is not read (pass --config ephpm.toml to use it)")
		}
	}

	// The document root: the argument or flag, else the config file's,
	// else the current directory.
	root := ""
	switch {
	case len(args) == 1 && f.documentRoot != "":
		return nil, nil, errors.New("give the document root either as the argument or with --document-root, not both")
	case len(args) == 1:
		root = args[0]
	case f.documentRoot != "":
		root = f.documentRoot
	case f.config == "":
		root = cwd
	}
	if root != "" {
		if root, err = filepath.Abs(root); err != nil {
			return nil, nil, err
		}
		cfg.Server.DocumentRoot = root
	}
	if st, err := os.Stat(cfg.Server.DocumentRoot); err != nil || !st.IsDir() {
		return nil, nil, fmt.Errorf("document root %s is not a directory", cfg.Server.DocumentRoot)
	}

	if f.worker != "" {
		script, err := devWorkerScript(f.worker, cwd, cfg.Server.DocumentRoot)
		if err != nil {
			return nil, nil, err
		}
		cfg.PHP.Mode = "worker"
		cfg.PHP.WorkerScript = script
	}

	switch {
	case f.listen != "":
		cfg.Server.Listen = f.listen
	case cfg.Server.Listen != config.Default().Server.Listen:
		// The config file or EPHPM_SERVER__LISTEN chose an address:
		// keep it, as serve would.
	default:
		addr, err := devFreeListen(devHost, devFirstPort, devLastPort)
		if err != nil {
			return nil, nil, err
		}
		cfg.Server.Listen = addr
	}

	if cfg.PHP.Mode != "worker" && len(f.watch) > 0 {
		notes = append(notes, "ephpm dev: --watch has no effect in request mode: every request runs the files as they are on disk")
	}

	cfg.PHP.IniOverrides = append(cfg.PHP.IniOverrides, devIni...)
	if cfg.Server.Logging.Access == "" {
		cfg.Server.Logging.Access = "stdout"
	}
	if err := cfg.Validate(); err != nil {
		return nil, nil, err
	}
	return cfg, notes, nil
}

// devWorkerScript resolves --worker: a path typed on the command line is
// relative to the current directory; one that is not there is tried under
// the document root, as php.worker_script in a config file is.
func devWorkerScript(script, cwd, root string) (string, error) {
	if filepath.IsAbs(script) {
		return filepath.Clean(script), nil
	}
	for _, base := range []string{cwd, root} {
		p := filepath.Join(base, script)
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			return p, nil
		}
	}
	return "", fmt.Errorf("--worker %s: no such file in %s or in the document root %s", script, cwd, root)
}

// devFreeListen returns host:port for the first port in [first, last] that
// can be bound now. The probe listener is closed at once and the server
// binds the port again right after; in that short gap another process
// could take it, and the server then fails with "address already in use".
func devFreeListen(host string, first, last int) (string, error) {
	var lastErr error
	for p := first; p <= last; p++ {
		addr := net.JoinHostPort(host, strconv.Itoa(p))
		l, err := net.Listen("tcp", addr)
		if err != nil {
			lastErr = err
			continue
		}
		l.Close()
		return addr, nil
	}
	return "", fmt.Errorf("no free port on %s from %d to %d (last: %v); choose one with --listen", host, first, last, lastErr)
}

// runDev serves cfg as `ephpm serve` would, printing the banner once the
// server listens and, in worker mode, watching files to restart workers.
func runDev(cfg *config.Config, f devFlags, notes []string, out, errOut io.Writer) error {
	for _, n := range notes {
		fmt.Fprintln(out, n)
	}
	// The watcher's own stop: Ctrl+C reaches this channel as well as
	// serve's (Go delivers a signal to every channel registered for it).
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	var watchDone chan struct{}
	hooks := serveHooks{started: func(rt *phpembed.Runtime, addr net.Addr) {
		fmt.Fprintln(out, devBanner(cfg, addr))
		if cfg.PHP.Mode != "worker" || f.noWatch {
			return
		}
		// Walking a large tree takes a while: the server starts serving
		// meanwhile, and "watching" is printed once every watch is in place.
		watchDone = make(chan struct{})
		go func() {
			defer close(watchDone)
			dirs := devWatchDirs(cfg, f.watch)
			restart := func(ctx context.Context) error { return restartDevWorkers(ctx, rt) }
			watchDev(ctx, dirs, restart, out, errOut)
		}()
	}}
	err := serveWith(cfg, hooks)
	stop()
	if watchDone != nil {
		<-watchDone
	}
	return err
}

// devBanner is the one line that tells where the site is.
func devBanner(cfg *config.Config, addr net.Addr) string {
	mode := "request mode"
	if cfg.PHP.Mode == "worker" {
		mode = "worker mode: " + cfg.PHP.WorkerScript
	}
	return fmt.Sprintf("ephpm dev: serving %s on http://%s (PHP %s, %s; Ctrl+C stops)",
		cfg.Server.DocumentRoot, devURLHost(addr), phpembed.PHPVersion(), mode)
}

// devURLHost is the address as a browser takes it: a wildcard bind
// (--listen :8080) is reachable on loopback.
func devURLHost(addr net.Addr) string {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return addr.String()
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

// devWatchDirs are the directories whose changes restart workers: the
// document root, the worker script's directory, the app's directory (the
// parent of a document root in a composer project: app/, config/, routes/
// live there) and the --watch ones. Nested ones are dropped later.
func devWatchDirs(cfg *config.Config, extra []string) []string {
	dirs := []string{cfg.Server.DocumentRoot}
	if cfg.PHP.WorkerScript != "" {
		dirs = append(dirs, filepath.Dir(cfg.PHP.WorkerScript))
	}
	if parent := filepath.Dir(cfg.Server.DocumentRoot); isAppDir(parent) {
		dirs = append(dirs, parent)
	}
	for _, d := range extra {
		if abs, err := filepath.Abs(d); err == nil {
			dirs = append(dirs, abs)
		}
	}
	return outermostDirs(dirs)
}

// outermostDirs drops duplicates and directories inside another one of
// the list (the watch is recursive).
func outermostDirs(dirs []string) []string {
	var out []string
	for i, d := range dirs {
		inside := false
		for j, o := range dirs {
			if i == j {
				continue
			}
			rel, err := filepath.Rel(o, d)
			if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
				continue // d is not under o
			}
			if rel != "." || j < i { // under o, or a duplicate of an earlier one
				inside = true
				break
			}
		}
		if !inside {
			out = append(out, d)
		}
	}
	return out
}

// restartDevWorkers replaces the worker-mode workers one at a time, each
// after the request it is running, so the next request runs the edited
// code: a worker keeps the code it loaded at boot, which OPcache's
// revalidation does not reach.
func restartDevWorkers(ctx context.Context, rt *phpembed.Runtime) error {
	return rt.RestartWorkers(ctx, "reload", phpembed.WorkerUpdate{})
}
