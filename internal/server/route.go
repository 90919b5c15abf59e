package server

import (
	"github.com/ephpm/ephpm/internal/config"

	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
)

type routeKind int

const (
	routeStatic routeKind = iota
	routePHP
	routeRedirect
	routeError
)

// route is what a request path resolves to under the document root.
type route struct {
	kind     routeKind
	file     string       // absolute path of the file to serve or run
	info     os.FileInfo  // of file, for static files
	name     string       // URL path of the script (SCRIPT_NAME)
	pathInfo string       // URL path after the script (PATH_INFO)
	location string       // for redirects
	status   int          // for errors and redirects
	contain  *containment // the release's root check, for static files
}

func errorRoute(status int) route { return route{kind: routeError, status: status} }

// phpSourceExt are extensions that hold PHP source. Only .php runs; the
// others are refused rather than sent as text (.pht: a PHP handler
// extension of older Apache setups; .phpt: PHP's and PHPUnit's test files).
var phpSourceExt = map[string]bool{
	".php": true, ".phtml": true, ".phar": true, ".phps": true, ".inc": true,
	".php3": true, ".php4": true, ".php5": true, ".php7": true, ".php8": true,
	".pht": true, ".phpt": true,
}

// sourceCopySuffix are what editors, deploy tools and people append to a
// file they keep a copy of ("config.php~", "config.php.bak") and what
// precompression appends ("app.php.gz"): such a copy of PHP source is
// PHP source too, and is refused like it.
var sourceCopySuffix = map[string]bool{
	".bak": true, ".orig": true, ".old": true, ".save": true, ".swp": true, ".swo": true,
	".tmp": true, ".dist": true, ".gz": true, ".br": true, ".zst": true,
}

// isPHPSource reports whether the file name holds PHP source: a PHP
// extension (phpSourceExt, .php included), or such a name with copy
// suffixes after it ("a.php~", "a.php.bak", "a.inc.orig~").
func isPHPSource(name string) bool {
	name = strings.ToLower(filepath.Base(name))
	for {
		name = strings.TrimRight(name, "~")
		ext := filepath.Ext(name)
		if phpSourceExt[ext] {
			return true
		}
		if !sourceCopySuffix[ext] {
			return false
		}
		name = strings.TrimSuffix(name, ext)
	}
}

// resolve maps a request to a file, following SPEC section 4:
//  1. the path is cleaned under the document root; anything that would
//     escape it (.., %2e%2e, %2f, NUL, symlinks out) is refused;
//  2. hidden segments follow hidden_files (/.well-known/ always allowed);
//  3. an existing .php file runs in PHP (also with a PATH_INFO tail), any
//     other existing file is served statically;
//  4. a directory serves its first index file;
//  5. anything else runs the root index.php as front controller.
//
// Everything is looked up under rel, the release the request was admitted
// under.
func (s *Server) resolve(r *http.Request, rel *release) route {
	raw := r.URL.EscapedPath()
	if strings.Contains(raw, "%00") || strings.IndexByte(r.URL.Path, 0) >= 0 {
		return errorRoute(http.StatusBadRequest)
	}
	// An encoded slash or backslash inside a segment would be read as a
	// separator by the file system: refuse rather than guess.
	lower := strings.ToLower(raw)
	if strings.Contains(lower, "%2f") || strings.Contains(lower, "%5c") {
		return errorRoute(http.StatusBadRequest)
	}
	p := r.URL.Path
	if !strings.HasPrefix(p, "/") {
		return errorRoute(http.StatusBadRequest)
	}
	trailingSlash := strings.HasSuffix(p, "/")

	// Clean segment by segment; ".." above the root is an escape attempt.
	// The segments of a short path live on the stack (segBuf), and the
	// URL paths below are cut out of p when p is already clean: a request
	// for /index.php then allocates no path strings but the file's.
	var segBuf [8]string
	segs := segBuf[:0]
	for i := 0; i <= len(p); {
		var seg string
		if j := strings.IndexByte(p[i:], '/'); j >= 0 {
			seg, i = p[i:i+j], i+j+1
		} else {
			seg, i = p[i:], len(p)+1
		}
		switch seg {
		case "", ".":
			continue
		case "..":
			if len(segs) == 0 {
				return errorRoute(http.StatusBadRequest)
			}
			segs = segs[:len(segs)-1]
		default:
			if strings.IndexByte(seg, '\\') >= 0 {
				return errorRoute(http.StatusBadRequest)
			}
			segs = append(segs, seg)
		}
	}
	clean := isCleanPath(p, segs, trailingSlash)

	for i, seg := range segs {
		if seg[0] != '.' || (i == 0 && seg == ".well-known") {
			continue
		}
		switch s.cfg.Server.Static.HiddenFiles {
		case "allow":
		case "ignore":
			return errorRoute(http.StatusNotFound)
		default:
			return errorRoute(http.StatusForbidden)
		}
	}

	// Walk down from the root. The first regular file ends the walk: a
	// .php file with segments after it runs with them as PATH_INFO.
	cur := rel.Root
	curClean := cur != "" && filepath.Clean(cur) == cur
	var curInfo os.FileInfo // of cur; nil for the root itself
	for i, seg := range segs {
		next := childPath(cur, seg, curClean)
		fi, err := os.Stat(next)
		if err != nil {
			return s.frontController(rel)
		}
		if fi.Mode().IsRegular() {
			if i == len(segs)-1 {
				urlPath := urlPrefix(p, segs, clean)
				if trailingSlash {
					// /file.css/ names no file; PHP apps own such URLs.
					if strings.HasSuffix(seg, ".php") {
						return s.phpRoute(rel, next, fi, urlPath, "/")
					}
					return s.frontController(rel)
				}
				return s.fileRoute(rel, next, fi, urlPath)
			}
			if strings.HasSuffix(seg, ".php") {
				rest := "/" + strings.Join(segs[i+1:], "/")
				if trailingSlash {
					rest += "/"
				}
				return s.phpRoute(rel, next, fi, urlPrefix(p, segs[:i+1], clean), rest)
			}
			return s.frontController(rel)
		}
		if !fi.IsDir() {
			return errorRoute(http.StatusNotFound)
		}
		cur, curInfo, curClean = next, fi, true
	}

	// The path names a directory (possibly the root).
	dirURL := "/" + strings.Join(segs, "/")
	if len(segs) > 0 {
		dirURL += "/"
	}
	if !trailingSlash && len(segs) > 0 {
		// Escaped: a directory named "a b", "h#x" or "q?y" must come back
		// as the same path, not as a fragment or a query.
		loc := (&url.URL{Path: dirURL}).EscapedPath()
		if r.URL.RawQuery != "" {
			loc += "?" + r.URL.RawQuery
		}
		return route{kind: routeRedirect, status: http.StatusMovedPermanently, location: loc}
	}
	if curInfo != nil && !rel.contain.inside(cur, curInfo) {
		return errorRoute(http.StatusForbidden)
	}
	for _, index := range s.cfg.Server.IndexFiles {
		file := filepath.Join(cur, index)
		fi, err := os.Stat(file)
		if err != nil || !fi.Mode().IsRegular() {
			continue
		}
		return s.fileRoute(rel, file, fi, dirURL+index)
	}
	return s.frontController(rel)
}

// isCleanPath reports whether the URL path p is exactly "/" followed by
// segs joined with "/" (and a final "/" if trailingSlash): no empty, "."
// or ".." segment. Every such segment would make p longer than that.
func isCleanPath(p string, segs []string, trailingSlash bool) bool {
	n := len(segs)
	for _, seg := range segs {
		n += len(seg)
	}
	if len(segs) == 0 || trailingSlash {
		n++
	}
	return n == len(p)
}

// urlPrefix is "/" + strings.Join(segs, "/") for segs, a prefix of the
// segments of p: cut out of p when p is clean (isCleanPath), built
// otherwise.
func urlPrefix(p string, segs []string, clean bool) string {
	if !clean || len(segs) == 0 {
		return "/" + strings.Join(segs, "/")
	}
	n := len(segs)
	for _, seg := range segs {
		n += len(seg)
	}
	return p[:n]
}

// childPath is filepath.Join(dir, name) for a name that is one plain path
// element (resolve's segments: not empty, ".", ".." and without
// separators). When dir is clean that is dir + "/" + name, without
// Join's cleaning pass.
func childPath(dir, name string, dirClean bool) string {
	switch {
	case !dirClean:
		return filepath.Join(dir, name)
	case dir == "/":
		return "/" + name
	}
	return dir + "/" + name
}

func (s *Server) fileRoute(rel *release, file string, fi os.FileInfo, urlPath string) route {
	v := rel.contain.verdict(file, fi)
	if !v.inside {
		return errorRoute(http.StatusForbidden)
	}
	ext := strings.ToLower(filepath.Ext(file))
	if ext == ".php" {
		return route{kind: routePHP, file: file, name: urlPath}
	}
	if v.source {
		return errorRoute(http.StatusForbidden)
	}
	return route{kind: routeStatic, file: file, info: fi, name: urlPath, contain: rel.contain}
}

func (s *Server) phpRoute(rel *release, file string, fi os.FileInfo, name, pathInfo string) route {
	if !rel.contain.inside(file, fi) {
		return errorRoute(http.StatusForbidden)
	}
	return route{kind: routePHP, file: file, name: name, pathInfo: pathInfo}
}

func (s *Server) frontController(rel *release) route {
	if s.cfg.PHP.Mode == "worker" {
		// The worker script is the application: it answers every URL
		// that names no file.
		return route{kind: routePHP, file: rel.WorkerScript, name: rel.WorkerScriptName}
	}
	file := filepath.Join(rel.Root, "index.php")
	fi, err := os.Stat(file)
	if err != nil || !fi.Mode().IsRegular() || !rel.contain.inside(file, fi) {
		return errorRoute(http.StatusNotFound)
	}
	return route{kind: routePHP, file: file, name: "/index.php"}
}

// WorkerScript resolves php.worker_script: a relative path is under the
// document root. It returns the absolute path and its URL path, symlinks
// not resolved (ResolveRelease resolves them).
func WorkerScript(cfg *config.Config) (file, name string) {
	file = cfg.PHP.WorkerScript
	root := cfg.Server.DocumentRoot
	if !filepath.IsAbs(file) {
		file = filepath.Join(root, file)
	}
	name = "/" + filepath.Base(file)
	if rel, err := filepath.Rel(root, file); err == nil && !strings.HasPrefix(rel, "..") {
		name = "/" + filepath.ToSlash(rel)
	}
	return file, name
}
