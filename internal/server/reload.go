package server

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/ephpm/ephpm/internal/config"
)

// Release is where requests are served from: the document root and the
// worker script with every symlink resolved, like nginx's $realpath_root.
// A deploy that swaps a `current -> releases/N` symlink is picked up by a
// reload, which resolves again; until then the server keeps serving the
// release it resolved, and each request runs entirely in one release.
type Release struct {
	Root             string // document root, symlinks resolved
	WorkerScript     string // worker mode: the worker script, symlinks resolved ("" in request mode)
	WorkerScriptName string // its URL path (SCRIPT_NAME)
}

// ResolveRelease resolves cfg's document root and (worker mode) worker
// script through their symlinks.
func ResolveRelease(cfg *config.Config) (Release, error) {
	abs, err := filepath.Abs(cfg.Server.DocumentRoot)
	if err != nil {
		return Release{}, fmt.Errorf("server.document_root: %w", err)
	}
	root, err := filepath.EvalSymlinks(abs)
	if errors.Is(err, fs.ErrNotExist) && cfg.MissingDefaultRoot && cfg.PHP.Mode != "worker" {
		// The default ./public missing, which config validation let pass
		// with a warning: served as it is named, every request a 404 until
		// it exists; a symlink created there later is resolved by the next
		// reload. Any other missing root is an error (a reload keeps the
		// release it has).
		root, err = abs, nil
	}
	if err != nil {
		return Release{}, fmt.Errorf("server.document_root: %w", err)
	}
	rel := Release{Root: root}
	if cfg.PHP.Mode != "worker" {
		return rel, nil
	}
	// A relative worker script is under the document root: resolve it
	// under the resolved root, so both come from the same release even
	// if the symlink is swapped between the two lookups.
	file := cfg.PHP.WorkerScript
	if !filepath.IsAbs(file) {
		file = filepath.Join(root, file)
	}
	real, err := filepath.EvalSymlinks(file)
	if err != nil {
		return Release{}, fmt.Errorf("php.worker_script: %w", err)
	}
	rel.WorkerScript = real
	rel.WorkerScriptName = "/" + filepath.Base(real)
	if r, err := filepath.Rel(root, real); err == nil && !strings.HasPrefix(r, "..") {
		rel.WorkerScriptName = "/" + filepath.ToSlash(r)
	}
	return rel, nil
}

// release is one Release as the server serves it: the containment check
// for its root and the requests running under it.
type release struct {
	Release
	contain *containment
	active  atomic.Int64 // requests admitted under this release and not done
}

func newRelease(r Release) *release {
	return &release{Release: r, contain: newContainment(r.Root)}
}

// enter admits a request under the current release and returns it; the
// caller calls leave when the response is done. Two atomic loads and an
// add: no lock on the request path. The second load closes the race with
// SwitchRelease: a request that counted itself on a release already
// replaced counts itself on the new one instead, so once the old count
// reads zero no request can still start under it.
func (s *Server) enter() *release {
	for {
		r := s.rel.Load()
		r.active.Add(1)
		if s.rel.Load() == r {
			return r
		}
		r.active.Add(-1)
	}
}

func (r *release) leave() { r.active.Add(-1) }

// Release is the release new requests are served from.
func (s *Server) Release() Release { return s.rel.Load().Release }

// SwitchRelease makes new requests use rel. The returned drain waits until
// the requests admitted under the previous release are done (or ctx ends);
// it reports how many were still running then.
func (s *Server) SwitchRelease(rel Release) (drain func(ctx context.Context) error) {
	old := s.rel.Swap(newRelease(rel))
	return func(ctx context.Context) error {
		// Polled: a channel signalled by the last request out would cost
		// every request more than an atomic add.
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			n := old.active.Load()
			if n == 0 {
				return nil
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("%d request(s) of the previous release still running: %w", n, ctx.Err())
			case <-tick.C:
			}
		}
	}
}
