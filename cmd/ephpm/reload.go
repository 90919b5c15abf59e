package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"reflect"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/ephpm/ephpm/internal/config"
	"github.com/ephpm/ephpm/internal/phpembed"
	"github.com/ephpm/ephpm/internal/server"
)

// A reload (SIGHUP, SIGUSR2 as php-fpm users send it, or `ephpm reload`
// through the admin socket) re-reads and validates the configuration,
// resolves the document root and the worker script through their
// symlinks again, switches new requests to that release, replaces the
// workers one at a time (worker mode), waits for the requests of the
// previous release to finish, and invalidates (both modes) and resets
// (request mode) OPcache. A bad
// file changes nothing. Keys other than the two paths need a restart.

// liveKeys are the keys a reload applies; any other change is logged as
// taking effect after a restart.
var liveKeys = map[string]bool{
	"server.document_root": true,
	"php.worker_script":    true,
}

// opcacheQuiesce bounds how long a reload waits for every PHP thread to
// be free for the OPcache reset; requests queue meanwhile.
const opcacheQuiesce = 10 * time.Second

type reloader struct {
	mu   sync.Mutex     // one reload at a time
	cfg  *config.Config // the running configuration
	load func() (*config.Config, error)
	srv  *server.Server
	rt   *phpembed.Runtime
	log  *slog.Logger
}

// reloadOutcome is what a reload reports to `ephpm reload`.
type reloadOutcome struct {
	warnings []string
	summary  string
	err      error
}

func (r *reloader) warn(o *reloadOutcome, msg string, args ...any) {
	r.log.Warn(msg, args...)
	line := msg
	for i := 0; i+1 < len(args); i += 2 {
		line += fmt.Sprintf(" %v=%v", args[i], args[i+1])
	}
	o.warnings = append(o.warnings, line)
}

// drainTimeout bounds the wait for the previous release's requests: a
// request cannot outlive server.timeouts.request (PHP is stopped there).
func (r *reloader) drainTimeout() time.Duration {
	if t := r.cfg.Server.Timeouts.Request; t > 0 {
		return time.Duration(t)*time.Second + 10*time.Second
	}
	return shutdownGrace
}

func (r *reloader) reload(ctx context.Context, why string) (o reloadOutcome) {
	r.mu.Lock()
	defer r.mu.Unlock()
	t0 := time.Now()
	r.log.Info("reload", "by", why)
	next := r.cfg
	if r.load != nil {
		c, err := r.load()
		if err != nil {
			r.log.Error("reload refused: the configuration is invalid; the running one stays", "err", err)
			o.err = fmt.Errorf("reload refused, the running configuration stays: %w", err)
			return o
		}
		next = c
	}
	// What a reload can change: the two paths. The rest stays as started.
	running := *r.cfg
	running.Server.DocumentRoot = next.Server.DocumentRoot
	running.PHP.WorkerScript = next.PHP.WorkerScript
	for _, key := range changedKeys(r.cfg, next) {
		if !liveKeys[key] {
			r.warn(&o, "configuration change takes effect after a restart", "key", key)
		}
	}
	rel, err := server.ResolveRelease(&running)
	if err != nil {
		r.log.Error("reload refused; the running release stays", "err", err)
		o.err = fmt.Errorf("reload refused, the running release stays: %w", err)
		return o
	}
	old := r.srv.Release()
	// Threads clear their realpath cache before their next request, so
	// this bump comes before any request can run under rel.
	phpembed.NewRelease()
	drain := r.srv.SwitchRelease(rel)
	upd := phpembed.WorkerUpdate{WorkerScript: rel.WorkerScript, WorkerScriptName: rel.WorkerScriptName, DocumentRoot: rel.Root}
	if err := r.rt.RestartWorkers(ctx, phpembed.CauseReload, upd); err != nil {
		if errors.Is(err, phpembed.ErrClosed) || ctx.Err() != nil {
			o.err = err
			return o
		}
		// A worker script that does not boot must not take the site
		// down: back to the release that worked, workers included.
		r.log.Error("reload failed: the new release's worker script does not boot; back to the previous release", "err", err, "worker_script", rel.WorkerScript)
		r.srv.SwitchRelease(old)
		back := phpembed.WorkerUpdate{WorkerScript: old.WorkerScript, WorkerScriptName: old.WorkerScriptName, DocumentRoot: old.Root}
		if err2 := r.rt.RestartWorkers(ctx, phpembed.CauseReload, back); err2 != nil {
			r.log.Error("restoring the previous release's workers", "err", err2)
		}
		o.err = fmt.Errorf("reload failed, back to %s: %w", old.Root, err)
		return o
	}
	dctx, cancel := context.WithTimeout(ctx, r.drainTimeout())
	err = drain(dctx)
	cancel()
	if err != nil {
		r.warn(&o, "reload: the previous release's requests did not all finish", "err", err)
	}
	// Every script OPcache holds was marked stale by the first request
	// (or worker run) after NewRelease (reload.c); a reset also frees
	// the memory, and needs every PHP thread idle.
	opcache := "scripts invalidated, not reset (worker mode: the workers run code held in it)"
	if r.cfg.PHP.Mode != "worker" {
		qctx, cancel := context.WithTimeout(ctx, opcacheQuiesce)
		reset, err := r.rt.ResetOPcache(qctx)
		cancel()
		switch {
		case err != nil:
			opcache = "not reset"
			r.warn(&o, "reload: OPcache not reset", "err", err)
		case reset:
			opcache = "reset"
		default:
			opcache = "not loaded"
		}
	}
	r.cfg = &running
	took := time.Since(t0).Round(time.Millisecond)
	r.log.Info("reloaded", "document_root", rel.Root, "worker_script", rel.WorkerScript,
		"previous_document_root", old.Root, "opcache", opcache, "took", took)
	o.summary = fmt.Sprintf("reloaded: document_root %s", rel.Root)
	if rel.WorkerScript != "" {
		o.summary += ", worker_script " + rel.WorkerScript
	}
	o.summary += fmt.Sprintf(", OPcache %s, in %v", opcache, took)
	return o
}

// changedKeys lists the dotted keys whose values differ between a and b.
func changedKeys(a, b *config.Config) []string {
	var out []string
	var walk func(x, y reflect.Value, prefix string)
	walk = func(x, y reflect.Value, prefix string) {
		t := x.Type()
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("toml"), ",")
			if !f.IsExported() || name == "" || name == "-" {
				continue
			}
			if prefix != "" {
				name = prefix + "." + name
			}
			if f.Type.Kind() == reflect.Struct {
				walk(x.Field(i), y.Field(i), name)
				continue
			}
			if !reflect.DeepEqual(x.Field(i).Interface(), y.Field(i).Interface()) {
				out = append(out, name)
			}
		}
	}
	walk(reflect.ValueOf(a).Elem(), reflect.ValueOf(b).Elem(), "")
	return out
}

// reloadOnSignals runs a reload for each SIGHUP or SIGUSR2 until ctx ends.
// sig is registered by the caller before the server starts, so a signal
// that comes early is not fatal and is served once the server runs.
func (r *reloader) reloadOnSignals(ctx context.Context, sig chan os.Signal) {
	for {
		select {
		case <-ctx.Done():
			return
		case s := <-sig:
			name := "SIGHUP"
			if s == syscall.SIGUSR2 {
				name = "SIGUSR2"
			}
			r.reload(ctx, name)
		}
	}
}
