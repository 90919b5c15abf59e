// Command ephpm is a PHP application server: HTTP, embedded PHP and a
// built-in key-value store in one process.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/ephpm/ephpm/internal/config"
	"github.com/ephpm/ephpm/internal/phpembed"
	"github.com/ephpm/ephpm/internal/server"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// shutdownGrace bounds how long in-flight requests may run after SIGINT or
// SIGTERM before connections are closed.
const shutdownGrace = 30 * time.Second

func main() {
	// `ephpm php ...` goes to PHP without building the command tree
	// (cobra would hand php's arguments over untouched anyway:
	// DisableFlagParsing): it is every start of PHP_BINARY, where start-up
	// time counts. Not through a link named php, where "php" is a script.
	if len(os.Args) > 1 && os.Args[1] == "php" && !isPHPProgramName(filepath.Base(os.Args[0])) {
		os.Exit(runPHP(os.Args[2:]))
	}
	root := newRootCmd()
	// PHP_BINARY of `ephpm php` is this binary: started by a script with
	// php's arguments, it is PHP's command line (php.go).
	if args, ok := phpInvocation(os.Args, root); ok {
		os.Exit(runPHP(args))
	}
	if err := root.Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "ephpm:", err)
		os.Exit(1)
	}
}

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "ephpm",
		Short:         "A PHP application server with embedded PHP and a built-in KV store",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(newServeCmd(), newDevCmd(), newVersionCmd(), newConfigCmd(), newPHPCmd(), newKVCmd())
	root.AddCommand(newReloadCmd()) // reload_cmd.go
	return root
}

type configFlags struct {
	path         string
	listen       string
	documentRoot string
}

func (f *configFlags) register(cmd *cobra.Command, overrides bool) {
	cmd.Flags().StringVarP(&f.path, "config", "c", "ephpm.toml", "configuration file")
	if overrides {
		cmd.Flags().StringVar(&f.listen, "listen", "", "listen address host:port (overrides server.listen)")
		cmd.Flags().StringVar(&f.documentRoot, "document-root", "", "document root (overrides server.document_root)")
	}
}

// load reads the config file, applies --listen/--document-root and then
// validates. Without --config and without ./ephpm.toml the defaults (plus
// EPHPM_* variables and flags) are used, so
// `ephpm serve --document-root public` works with no file at all.
func (f *configFlags) load(cmd *cobra.Command) (*config.Config, error) {
	var cfg *config.Config
	var err error
	if _, statErr := os.Stat(f.path); errors.Is(statErr, os.ErrNotExist) && !cmd.Flags().Changed("config") {
		cfg, err = config.FromEnv(".")
	} else {
		cfg, err = config.Parse(f.path)
	}
	if err != nil {
		return nil, err
	}
	if f.listen != "" {
		cfg.Server.Listen = f.listen
	}
	if f.documentRoot != "" {
		abs, err := filepath.Abs(f.documentRoot)
		if err != nil {
			return nil, err
		}
		cfg.Server.DocumentRoot = abs
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return cfg, nil
}

func newServeCmd() *cobra.Command {
	var flags configFlags
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the PHP application in the document root",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := flags.load(cmd)
			if err != nil {
				return err
			}
			// A reload reads the file and applies the flags again.
			load := func() (*config.Config, error) { return flags.load(cmd) }
			return serveWith(cfg, serveHooks{load: load})
		},
	}
	flags.register(cmd, true)
	return cmd
}

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the versions of ephpm, Go and the embedded PHP",
		Args:  cobra.NoArgs,
		Run: func(cmd *cobra.Command, _ []string) {
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "ephpm %s\n", version)
			fmt.Fprintf(out, "go %s %s/%s\n", runtime.Version(), runtime.GOOS, runtime.GOARCH)
			fmt.Fprintf(out, "php %s (%s)\n", phpembed.PHPVersion(), threadSafety())
		},
	}
}

func threadSafety() string {
	if phpembed.ZTS() {
		return "ZTS, thread-safe"
	}
	return "NTS, non-thread-safe: one PHP thread"
}

func newConfigCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "config", Short: "Work with the configuration file"}
	var flags configFlags
	check := &cobra.Command{
		Use:   "check",
		Short: "Validate the configuration and print it with every default filled in",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := flags.load(cmd)
			if err != nil {
				return err
			}
			for _, w := range cfg.Warnings {
				fmt.Fprintf(cmd.ErrOrStderr(), "ephpm: warning: %s\n", w)
			}
			fmt.Fprint(cmd.OutOrStdout(), cfg.TOML())
			return nil
		},
	}
	flags.register(check, true)
	cmd.AddCommand(check)
	return cmd
}

// serveHooks lets other commands (ephpm dev) reuse serve's startup and
// shutdown while adding their own behaviour around it.
type serveHooks struct {
	// started, if set, is called once the server listens, with the PHP
	// runtime and the bound address of server.listen.
	started func(rt *phpembed.Runtime, addr net.Addr)
	// load, if set, reads the configuration again for a reload (serve:
	// the file with the command-line flags); nil: a reload keeps the
	// configuration and only resolves the document root and the worker
	// script through their symlinks again.
	load func() (*config.Config, error)
}

// serve runs the server until SIGINT, SIGTERM or SIGQUIT.
func serve(cfg *config.Config) error { return serveWith(cfg, serveHooks{}) }

func serveWith(cfg *config.Config, hooks serveHooks) error {
	logger := server.NewLoggerFor(cfg.Server.Logging, os.Stderr)
	for _, w := range cfg.Warnings {
		logger.Warn(w)
	}
	// Catch SIGINT/SIGTERM before anything listens: a signal that comes
	// right after the "listening" line must still stop the server
	// cleanly (the RESP socket file removed), not kill it. SIGQUIT is a
	// graceful stop too, as in nginx and php-fpm (not Go's stack dump).
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGQUIT)
	defer stop()
	// SIGHUP and SIGUSR2 reload (reload.go); caught from here on, so one
	// sent during startup is served once the server runs instead of
	// killing it.
	reloadSig := make(chan os.Signal, 1)
	signal.Notify(reloadSig, syscall.SIGHUP, syscall.SIGUSR2)
	defer signal.Stop(reloadSig)
	// The release served: document root and worker script with their
	// symlinks resolved, so a `current -> releases/N` swap is picked up
	// by a reload and never half-way through a request.
	rel, err := server.ResolveRelease(cfg)
	if err != nil {
		return err
	}

	store, err := openKVBackend(cfg, logger)
	if err != nil {
		return err
	}
	defer store.Close()
	store.install()

	opts := phpembed.Options{
		Workers:        cfg.PHP.Workers,
		QueueSize:      cfg.PHP.QueueSize,
		IniFile:        cfg.PHP.IniFile,
		Ini:            phpIni(cfg),
		Logger:         logger,
		ServerSoftware: "ephpm/" + version,
		DocumentRoot:   rel.Root,
	}
	if cfg.PHP.Mode == "worker" {
		opts.WorkerScript, opts.WorkerScriptName = rel.WorkerScript, rel.WorkerScriptName
		opts.WorkerMaxRequests = cfg.PHP.WorkerMaxRequests
		opts.WorkerMaxRequestsJitter = cfg.PHP.WorkerMaxRequestsJitter
		opts.WorkerMaxMemory = int64(cfg.PHP.WorkerMaxMemory)
		opts.WorkerTTL = cfg.PHP.WorkerTTL.D()
		opts.WorkerIdleTTL = cfg.PHP.WorkerIdleTTL.D()
		if cfg.PHP.WorkerCount > 0 {
			opts.Workers = cfg.PHP.WorkerCount
		}
	}
	threadPolicy := applyThreadPolicy(cfg, logger)
	rt, err := phpembed.Start(opts)
	if err != nil {
		return err
	}

	respSrv, err := startRESP(cfg, store, logger)
	if err != nil {
		rt.Shutdown(time.Second)
		return err
	}
	if respSrv != nil {
		// For the error returns below; on SIGINT/SIGTERM it is closed at
		// the signal (AfterFunc below). Close is safe to call twice:
		// clients finish their command, an EPHPM.WAIT ends with null at
		// once, the socket file is removed.
		defer respSrv.Close(5 * time.Second)
	}

	srv, err := server.New(cfg, phpAdapter{rt}, logger)
	if err != nil {
		return err
	}
	// The release the workers booted, even if the symlink moved since.
	srv.SwitchRelease(rel)
	defer reopenAccessLogOnSIGUSR1(srv, logger)() // logreopen.go
	ready := newReadiness(rt, store)
	srv.SetReadiness(ready)
	startACME, stopACME, err := setupACME(cfg, srv, logger)
	if err != nil {
		rt.Shutdown(time.Second)
		return err
	}
	defer stopACME()
	addr, err := srv.Listen()
	if err != nil {
		rt.Shutdown(time.Second)
		return err
	}
	if err := startACME(ctx); err != nil {
		rt.Shutdown(time.Second)
		return err
	}
	if cfg.Server.Metrics.Listen != "" {
		reg := newMetrics(srv, rt, store, respSrv, int64(cfg.KV.MemoryLimit), time.Now())
		stopMetrics, err := serveMetrics(cfg.Server.Metrics.Listen, server.HealthHandler(ready, reg), logger)
		if err != nil {
			rt.Shutdown(time.Second)
			return fmt.Errorf("server.metrics.listen: %w", err)
		}
		defer stopMetrics()
	}
	// Reloads before the "listening" line: whoever waits for it may
	// send `ephpm reload` at once.
	rl := &reloader{cfg: cfg, load: hooks.load, srv: srv, rt: rt, log: logger}
	go rl.reloadOnSignals(ctx, reloadSig)
	stopAdmin, err := startAdminSocket(ctx, cfg, rl, logger)
	if err != nil {
		logger.Warn("no admin socket: `ephpm reload` cannot reach this server (SIGHUP and SIGUSR2 still reload it)", "err", err)
	} else {
		defer stopAdmin()
	}
	logger.Info("ephpm listening",
		"addr", addr.String(),
		"document_root", cfg.Server.DocumentRoot,
		"php", phpembed.PHPVersion(),
		"php_threads", rt.Workers(),
		"thread_safe", phpembed.ZTS(),
		"mode", cfg.PHP.Mode,
		"kv", store.name(),
		"gomaxprocs", runtime.GOMAXPROCS(0),
		"thread_policy", threadPolicy)
	if hooks.started != nil {
		hooks.started(rt, addr)
	}

	// A request parked in ephpm_kv_wait would hold the drain below up to
	// its timeout: every wait ends (false) as soon as the signal arrives.
	context.AfterFunc(ctx, rt.EndWaits)
	if respSrv != nil {
		// RESP clients get no more service once the signal came: their
		// commands finish, an EPHPM.WAIT ends with null at once.
		context.AfterFunc(ctx, func() { respSrv.Close(5 * time.Second) })
	}
	// One grace period for the whole stop: what the HTTP drain used is
	// not given to PHP again (a worker script stuck in its boot held the
	// drain 30 s and then PHP's shutdown 30 s + 5 s more).
	var stopAt atomic.Int64
	context.AfterFunc(ctx, func() { stopAt.Store(time.Now().UnixNano()) })
	serveErr := srv.Serve(ctx, shutdownGrace)
	phpGrace := shutdownGrace
	if t := stopAt.Load(); t != 0 {
		phpGrace = max(shutdownGrace-time.Since(time.Unix(0, t)), 0)
	}
	if err := rt.Shutdown(phpGrace); err != nil {
		logger.Warn("PHP shutdown", "err", err)
	}
	logger.Info("ephpm stopped")
	if serveErr != nil && !errors.Is(serveErr, http.ErrServerClosed) {
		return serveErr
	}
	return nil
}

// phpIni turns [php] and the request limits into php.ini settings, in the
// order PHP applies them: ours first, the user's ini_overrides last.
func phpIni(cfg *config.Config) [][2]string {
	body := strconv.FormatInt(cfg.Server.Request.MaxBodySize, 10)
	ini := [][2]string{
		// Stream output as the script writes it, so flush() reaches the
		// client (Debian's php.ini buffers 4 KB). ini_overrides can undo.
		{"output_buffering", "0"},
		{"memory_limit", cfg.PHP.MemoryLimit},
		{"max_execution_time", strconv.Itoa(cfg.PHP.MaxExecutionTime)},
		// PHP's own body limits follow server.request.max_body_size, so a
		// body the server accepts is not silently dropped by PHP.
		{"post_max_size", body},
		{"upload_max_filesize", body},
	}
	for _, kv := range cfg.PHP.IniOverrides {
		ini = append(ini, [2]string{kv[0], kv[1]})
	}
	return ini
}

// phpAdapter lets the pure-Go server call the embedded runtime.
type phpAdapter struct{ rt *phpembed.Runtime }

func (a phpAdapter) ServePHP(w http.ResponseWriter, r *http.Request, s server.Script, body io.Reader, deadline time.Time) server.PHPResult {
	res := a.rt.Serve(w, r, phpembed.Script{
		Filename:     s.Filename,
		Name:         s.Name,
		PathInfo:     s.PathInfo,
		DocumentRoot: s.DocumentRoot,
	}, body, deadline)
	return server.PHPResult{Status: res.Status, Fatal: res.Fatal, TimedOut: res.TimedOut}
}
