package server

import (
	"path/filepath"
	"strings"
	"testing"
)

// splitSegs is resolve's cleaning as it was written before it kept the
// segments on the stack: strings.Split, dropping "" and ".", popping on
// "..". The reference the fast paths are checked against.
func splitSegs(p string) ([]string, bool) {
	var segs []string
	for _, seg := range strings.Split(p, "/") {
		switch seg {
		case "", ".":
		case "..":
			if len(segs) == 0 {
				return nil, false
			}
			segs = segs[:len(segs)-1]
		default:
			segs = append(segs, seg)
		}
	}
	return segs, true
}

// TestURLPrefixMatchesJoin: the URL paths cut out of a clean request path
// are the ones joining its segments gives, for clean and unclean paths.
func TestURLPrefixMatchesJoin(t *testing.T) {
	paths := []string{
		"/", "//", "/a", "/a/", "/a//", "//a", "/./a", "/a/.", "/a/./", "/a/../b", "/a/b/c.php/x/y",
		"/index.php", "/index.php/", "/a/b/", "/a/b/../", "/a/.../b", "/.well-known/x", "/a/./b/..",
		"/" + strings.Repeat("s/", 20) + "f.php", "/x/..", "/x/../", "/é/ü.php",
	}
	for _, p := range paths {
		segs, ok := splitSegs(p)
		if !ok {
			continue
		}
		clean := isCleanPath(p, segs, strings.HasSuffix(p, "/"))
		wantClean := p == "/"+strings.Join(segs, "/") || (len(segs) > 0 && p == "/"+strings.Join(segs, "/")+"/")
		if clean != wantClean {
			t.Errorf("isCleanPath(%q) = %v, want %v", p, clean, wantClean)
		}
		for k := 0; k <= len(segs); k++ {
			if got, want := urlPrefix(p, segs[:k], clean), "/"+strings.Join(segs[:k], "/"); got != want {
				t.Errorf("urlPrefix(%q, %d) = %q, want %q", p, k, got, want)
			}
		}
	}
}

// TestChildPathMatchesJoin: childPath is filepath.Join for the names
// resolve walks with, whatever the directory looks like.
func TestChildPathMatchesJoin(t *testing.T) {
	for _, dir := range []string{"/", "/srv/www", "/srv/www/", "/srv//www", "/srv/./www", "/srv/x/../www", "relative/dir", ""} {
		for _, name := range []string{"index.php", "a", "...", ".hidden", "x.php"} {
			clean := dir != "" && filepath.Clean(dir) == dir
			if got, want := childPath(dir, name, clean), filepath.Join(dir, name); got != want {
				t.Errorf("childPath(%q, %q) = %q, want %q", dir, name, got, want)
			}
		}
	}
}
