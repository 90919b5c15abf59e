package server

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/puzpuzpuz/xsync/v4"
)

// containment answers "is this path, with every symlink resolved, under
// the document root?" and remembers the answer per path.
//
// Resolving symlinks costs one lstat per path component, and a request
// asks at least once: on a hello-world page that was about a sixth of the
// server's CPU. A remembered answer is trusted only while the path still
// names the same file (device and inode, from the stat the router has
// made anyway): replacing the file or a directory on its way with a
// symlink that leads elsewhere makes the path name another file, and the
// check runs again. The same file reached another way is still the file
// that was allowed.
type containment struct {
	realRoot string
	known    *xsync.Map[string, fileVerdict]
}

type fileVerdict struct {
	dev, ino uint64
	inside   bool
	source   bool // the path, or the file it leads to, is PHP source
}

// maxRemembered bounds the memory of verdicts: a client requesting
// endless distinct existing paths cannot grow it past this.
const maxRemembered = 16384

func newContainment(realRoot string) *containment {
	return &containment{realRoot: realRoot, known: xsync.NewMap[string, fileVerdict]()}
}

// inside reports whether path, whose os.Stat is fi, lies under the root.
func (c *containment) inside(path string, fi os.FileInfo) bool {
	return c.verdict(path, fi).inside
}

// verdict is inside's answer and whether path or the file it leads to,
// with every symlink resolved, is PHP source (isPHPSource): neither
// "config.php.bak" nor a symlink "notes.txt -> config.php" may be sent
// as text. Remembered with the rest, so a static file's request pays
// for neither name check.
func (c *containment) verdict(path string, fi os.FileInfo) fileVerdict {
	dev, ino, ok := fileID(fi)
	if ok {
		if v, hit := c.known.Load(path); hit && v.dev == dev && v.ino == ino {
			return v
		}
	}
	real, err := filepath.EvalSymlinks(path)
	v := fileVerdict{dev: dev, ino: ino}
	v.inside = err == nil && (real == c.realRoot || strings.HasPrefix(real, c.realRoot+string(filepath.Separator)))
	v.source = isPHPSource(path) || (err == nil && isPHPSource(real))
	if ok && err == nil {
		if c.known.Size() >= maxRemembered {
			c.known.Clear()
		}
		c.known.Store(path, v)
	}
	return v
}

func fileID(fi os.FileInfo) (dev, ino uint64, ok bool) {
	if fi == nil {
		return 0, 0, false
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, 0, false
	}
	return uint64(st.Dev), st.Ino, true
}
