package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/fsnotify/fsnotify"
)

const (
	// devDebounce is the quiet time after the last change before workers
	// restart: an editor's save (write, rename, chmod) or a `git checkout`
	// is a burst of events that should cost one restart, not many.
	devDebounce = 80 * time.Millisecond
	// devMaxDelay bounds the wait while changes keep coming (a build
	// writing files for seconds): workers restart at least this often.
	devMaxDelay = time.Second
)

// devSkipDirs are directory names never watched: version control, and the
// dependency trees, which are large (an inotify watch per directory: a
// Laravel vendor/ alone is thousands) and change only through composer or
// npm, after which `ephpm dev` is restarted by hand.
var devSkipDirs = map[string]bool{
	".git": true, ".hg": true, ".svn": true,
	"node_modules": true,
	"vendor":       true,
}

// devGeneratedDirs, directly inside an app's directory (isAppDir), are where frameworks write PHP while serving (Laravel's
// compiled views in storage/framework/views, Symfony's var/cache):
// watching them would restart workers after the first request of every
// new view.
var devGeneratedDirs = map[string]bool{"storage": true, "var": true}

// devRelevant tells whether a change to the file at path may change what
// a booted worker serves: PHP code, and .env, which frameworks read once
// at boot.
func devRelevant(path string) bool {
	name := filepath.Base(path)
	if strings.HasPrefix(name, ".#") { // an Emacs lock file, "index.php" in its name
		return false
	}
	if name == ".env" || strings.HasPrefix(name, ".env.") {
		return true
	}
	switch filepath.Ext(name) {
	case ".php", ".phtml", ".inc":
		return true
	}
	return false
}

// devWatcher holds the watches of the directory trees under roots.
type devWatcher struct {
	ctx    context.Context // ends a walk of a large tree early at Ctrl+C
	fw     *fsnotify.Watcher
	roots  []string
	errOut io.Writer

	limitWarned bool // the inotify limit warning was printed
	addFailures int  // other failures to watch a directory
}

// skipDir tells whether the directory at path (not a root) is left out.
func (d *devWatcher) skipDir(path string) bool {
	name := filepath.Base(path)
	if devSkipDirs[name] {
		return true
	}
	return devGeneratedDirs[name] && isAppDir(filepath.Dir(path))
}

// isAppDir tells whether dir is a composer project's root: composer.json,
// or an installed vendor/autoload.php (an app copied without it).
func isAppDir(dir string) bool {
	for _, f := range []string{"composer.json", filepath.Join("vendor", "autoload.php")} {
		if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
			return true
		}
	}
	return false
}

// addTree watches dir and every directory under it (but skipped ones),
// and returns how many it watches and a relevant file found in the tree
// ("" if none): a directory that appears with PHP files in it (git
// checkout, an unpacked archive) is a change too.
func (d *devWatcher) addTree(dir string, isRoot bool) (watched int, found string) {
	filepath.WalkDir(dir, func(path string, e fs.DirEntry, err error) error {
		if d.ctx.Err() != nil {
			return fs.SkipAll
		}
		if err != nil {
			// A directory removed while walking, or one we may not read:
			// skip it, the rest is still watched.
			if e != nil && e.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if !e.IsDir() {
			if found == "" && devRelevant(path) {
				found = path
			}
			return nil
		}
		if (path != dir || !isRoot) && d.skipDir(path) {
			return fs.SkipDir
		}
		if err := d.fw.Add(path); err != nil {
			d.warnAdd(path, err)
			return fs.SkipDir
		}
		watched++
		return nil
	})
	return watched, found
}

// warnAdd reports a directory that cannot be watched: the per-user inotify
// limit once (with what to do), other failures for the first few.
func (d *devWatcher) warnAdd(path string, err error) {
	if errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EMFILE) {
		if !d.limitWarned {
			d.limitWarned = true
			fmt.Fprintf(d.errOut, "ephpm dev: warning: cannot watch %s: %v: the inotify limit is reached, so changes there and in further directories do not restart workers; raise it (sysctl fs.inotify.max_user_watches=524288) or restart ephpm dev after a change\n", path, err)
		}
		return
	}
	d.addFailures++
	if d.addFailures <= 3 {
		fmt.Fprintf(d.errOut, "ephpm dev: warning: cannot watch %s: %v\n", path, err)
	}
}

// watchDev watches dirs recursively until ctx ends and calls restart after
// each burst of changes to relevant files, printing one line per restart
// naming what changed. Every failure to watch is a warning: the server
// keeps serving.
func watchDev(ctx context.Context, dirs []string, restart func(context.Context) error, out, errOut io.Writer) {
	fw, err := fsnotify.NewWatcher()
	if err != nil {
		fmt.Fprintf(errOut, "ephpm dev: warning: no file watching (%v): restart ephpm dev after a change\n", err)
		return
	}
	defer fw.Close()
	roots := make([]string, 0, len(dirs))
	for _, dir := range dirs {
		// Events name paths under what was watched: resolve a symlinked
		// root so the names match the walk's.
		if r, err := filepath.EvalSymlinks(dir); err == nil {
			dir = r
		}
		roots = append(roots, dir)
	}
	d := &devWatcher{ctx: ctx, fw: fw, roots: roots, errOut: errOut}
	watched := 0
	for _, root := range roots {
		n, _ := d.addTree(root, true)
		watched += n
	}
	dirWord := "directories"
	if watched == 1 {
		dirWord = "directory"
	}
	fmt.Fprintf(out, "ephpm dev: watching %s (%d %s; not .git, node_modules, vendor) for .php and .env changes\n",
		strings.Join(roots, ", "), watched, dirWord)

	r := &devRestarter{restart: restart, out: out, errOut: errOut, roots: roots, kick: make(chan struct{}, 1)}
	go r.run(ctx)

	var (
		pending []string
		first   time.Time // of the first pending change
		timer   = time.NewTimer(time.Hour)
		fire    <-chan time.Time
	)
	timer.Stop()
	note := func(path string) {
		if len(pending) == 0 {
			first = time.Now()
		}
		pending = append(pending, path)
		wait := min(devDebounce, max(0, devMaxDelay-time.Since(first)))
		timer.Reset(wait)
		fire = timer.C
	}
	for {
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-fw.Events:
			if !ok {
				return
			}
			if ev.Has(fsnotify.Create) {
				if st, err := os.Lstat(ev.Name); err == nil && st.IsDir() {
					if !d.skipDir(ev.Name) {
						if _, found := d.addTree(ev.Name, false); found != "" {
							note(found)
						}
					}
					continue
				}
			}
			if devRelevant(ev.Name) {
				note(ev.Name)
			}
		case err, ok := <-fw.Errors:
			if !ok {
				return
			}
			if errors.Is(err, fsnotify.ErrEventOverflow) {
				// Changes were lost: restart to be sure.
				fmt.Fprintln(errOut, "ephpm dev: warning: too many file changes at once, some were not seen; restarting PHP workers anyway")
				note("(many files)")
				continue
			}
			fmt.Fprintf(errOut, "ephpm dev: warning: file watching: %v\n", err)
		case <-fire:
			fire = nil
			r.add(pending)
			pending = nil
		}
	}
}

// devRestarter restarts workers for the changes handed to it, one restart
// at a time: changes that come while a restart runs (it waits for each
// worker's current request) are served by one more restart after it.
type devRestarter struct {
	restart     func(context.Context) error
	out, errOut io.Writer
	roots       []string
	kick        chan struct{}

	mu      sync.Mutex
	changed []string
}

func (r *devRestarter) add(files []string) {
	r.mu.Lock()
	r.changed = append(r.changed, files...)
	r.mu.Unlock()
	select {
	case r.kick <- struct{}{}:
	default: // a restart is already due; it takes these files too
	}
}

func (r *devRestarter) run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-r.kick:
		}
		r.mu.Lock()
		files := r.changed
		r.changed = nil
		r.mu.Unlock()
		what := r.describe(files)
		start := time.Now()
		err := r.restart(ctx)
		if ctx.Err() != nil {
			return // stopping: the server is shutting the workers down
		}
		if err != nil {
			fmt.Fprintf(r.errOut, "ephpm dev: %s changed; restarting PHP workers failed: %v\n", what, err)
			continue
		}
		fmt.Fprintf(r.out, "ephpm dev: %s changed; PHP workers restarted in %v\n", what, time.Since(start).Round(time.Millisecond))
	}
}

// describe names the changed files, relative to the watched directory
// they are in: "index.php", "app/User.php (+3 more)".
func (r *devRestarter) describe(files []string) string {
	seen := map[string]bool{}
	var uniq []string
	for _, f := range files {
		if !seen[f] {
			seen[f] = true
			uniq = append(uniq, f)
		}
	}
	if len(uniq) == 0 {
		return "a file"
	}
	name := uniq[0]
	for _, root := range r.roots {
		if rel, err := filepath.Rel(root, name); err == nil && !strings.HasPrefix(rel, "..") {
			name = rel
			break
		}
	}
	if len(uniq) > 1 {
		name += fmt.Sprintf(" (+%d more)", len(uniq)-1)
	}
	return name
}
