package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

func TestDevRelevant(t *testing.T) {
	for path, want := range map[string]bool{
		"/a/index.php":       true,
		"/a/view.phtml":      true,
		"/a/lib.inc":         true,
		"/a/.env":            true,
		"/a/.env.local":      true,
		"/a/style.css":       false,
		"/a/index.php~":      false, // editor backup
		"/a/.index.php.swp":  false, // vim swap
		"/a/.#index.php":     false, // Emacs lock
		"/a/environment.txt": false,
		"/a/4913":            false, // vim's probe file
	} {
		if got := devRelevant(path); got != want {
			t.Errorf("devRelevant(%q) = %v, want %v", path, got, want)
		}
	}
}

func TestOutermostDirs(t *testing.T) {
	got := outermostDirs([]string{"/app/public", "/app/public", "/app", "/other", "/app-two", "/app/public/sub"})
	want := []string{"/app", "/other", "/app-two"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("outermostDirs = %v, want %v", got, want)
	}
}

// The inotify limit is one warning that says what to do, however many
// directories fail; other failures are named, the first few.
func TestDevWatchLimitWarning(t *testing.T) {
	var buf strings.Builder
	d := &devWatcher{errOut: &buf}
	for i := 0; i < 5; i++ {
		d.warnAdd(fmt.Sprintf("/app/dir%d", i), &os.PathError{Op: "inotify_add_watch", Path: "/app", Err: syscall.ENOSPC})
	}
	if n := strings.Count(buf.String(), "\n"); n != 1 || !strings.Contains(buf.String(), "max_user_watches") || !strings.Contains(buf.String(), "warning") {
		t.Errorf("%d lines for 5 ENOSPC, want one warning naming max_user_watches:\n%s", n, buf.String())
	}
	buf.Reset()
	for i := 0; i < 5; i++ {
		d.warnAdd(fmt.Sprintf("/app/dir%d", i), syscall.EACCES)
	}
	if n := strings.Count(buf.String(), "\n"); n != 3 {
		t.Errorf("%d lines for 5 EACCES, want the first 3:\n%s", n, buf.String())
	}
}

type syncBuf struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// A burst of changes (a checkout writing many files) costs one restart,
// naming the first file and how many more; a restart that fails is
// reported and the next change restarts again.
func TestDevWatchDebouncesABurst(t *testing.T) {
	dir := t.TempDir()
	var restarts atomic.Int32
	var fail atomic.Bool
	restart := func(context.Context) error {
		restarts.Add(1)
		if fail.Load() {
			return fmt.Errorf("boot failed")
		}
		return nil
	}
	var out, errOut syncBuf
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		watchDev(ctx, []string{dir}, restart, &out, &errOut)
	}()
	defer func() { cancel(); <-done }()
	waitFor(t, func() bool { return strings.Contains(out.String(), "watching") }, "the watching line")

	for i := 0; i < 20; i++ {
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("f%02d.php", i)), []byte("<?php"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, func() bool { return restarts.Load() >= 1 }, "a restart")
	time.Sleep(500 * time.Millisecond) // a second restart would come within the debounce
	// 20 writes in a few ms are one burst; a machine so busy that the
	// writes straddle the 80 ms quiet time may make it two.
	if n := restarts.Load(); n > 2 {
		t.Errorf("%d restarts for one burst of 20 files, want 1", n)
	}
	if !strings.Contains(out.String(), "ephpm dev: f00.php (+") || !strings.Contains(out.String(), "changed; PHP workers restarted in ") {
		t.Errorf("restart line does not name the files:\n%s", out.String())
	}

	fail.Store(true)
	before := restarts.Load()
	os.WriteFile(filepath.Join(dir, "f00.php"), []byte("<?php broken"), 0o644)
	waitFor(t, func() bool {
		return strings.Contains(errOut.String(), "f00.php changed; restarting PHP workers failed: boot failed")
	}, "the failure line")
	fail.Store(false)
	os.WriteFile(filepath.Join(dir, "f00.php"), []byte("<?php fixed"), 0o644)
	waitFor(t, func() bool { return restarts.Load() >= before+2 }, "a restart after the fix")
}

func waitFor(t *testing.T, cond func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("no %s in 10 s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
