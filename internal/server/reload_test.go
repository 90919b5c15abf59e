package server

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ephpm/ephpm/internal/config"
)

func TestResolveReleaseFollowsSymlinks(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "releases", "7")
	if err := os.MkdirAll(filepath.Join(real, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(real, "bin", "worker.php"), []byte("<?php"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join("releases", "7"), filepath.Join(dir, "current")); err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	cfg.Server.DocumentRoot = filepath.Join(dir, "current")
	cfg.PHP.Mode = "worker"
	cfg.PHP.WorkerScript = "bin/worker.php"
	rel, err := ResolveRelease(cfg)
	if err != nil {
		t.Fatal(err)
	}
	realDir, _ := filepath.EvalSymlinks(real) // t.TempDir may itself sit behind a symlink
	want := Release{Root: realDir, WorkerScript: filepath.Join(realDir, "bin", "worker.php"), WorkerScriptName: "/bin/worker.php"}
	if rel != want {
		t.Fatalf("got %+v, want %+v", rel, want)
	}

	cfg.PHP.Mode = "request"
	if rel, _ := ResolveRelease(cfg); rel.WorkerScript != "" || rel.Root != realDir {
		t.Fatalf("request mode: %+v", rel)
	}
	cfg.Server.DocumentRoot = filepath.Join(dir, "gone")
	if _, err := ResolveRelease(cfg); err == nil || !strings.Contains(err.Error(), "server.document_root") {
		t.Fatalf("missing root: %v", err)
	}
	// The default root, missing, that config validation let pass: kept as
	// named (404 until it exists); in worker mode still an error.
	cfg.MissingDefaultRoot = true
	if rel, err := ResolveRelease(cfg); err != nil || rel.Root != filepath.Join(dir, "gone") {
		t.Fatalf("missing default root: %+v %v", rel, err)
	}
	cfg.PHP.Mode = "worker"
	if _, err := ResolveRelease(cfg); err == nil {
		t.Fatal("missing default root in worker mode: no error")
	}
}

// A request admitted under the old release holds the drain; one that
// starts after the switch counts on the new release.
func TestSwitchReleaseDrainsTheOldRelease(t *testing.T) {
	s := &Server{}
	s.rel.Store(newRelease(Release{Root: "/old"}))
	inFlight := s.enter()
	drain := s.SwitchRelease(Release{Root: "/new"})
	after := s.enter()
	if after.Root != "/new" {
		t.Fatalf("a request after the switch got %s", after.Root)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	err := drain(ctx)
	cancel()
	if err == nil || !strings.Contains(err.Error(), "1 request(s)") {
		t.Fatalf("drain with a request of the old release running: %v", err)
	}
	inFlight.leave()
	ctx, cancel = context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := drain(ctx); err != nil {
		t.Fatalf("drain once it finished: %v", err)
	}
	after.leave()
	if s.Release().Root != "/new" {
		t.Fatalf("Release() = %s", s.Release().Root)
	}
}

// BenchmarkEnterLeave is what a reloadable root costs each request.
func BenchmarkEnterLeave(b *testing.B) {
	s := &Server{}
	s.rel.Store(newRelease(Release{Root: "/r"}))
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			s.enter().leave()
		}
	})
}
