package server

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// X-Sendfile / X-Accel-Redirect: a PHP response carrying one of these
// headers with an absolute file path (and a 2xx status) is replaced by that
// file, sent by the server as it sends static files (Range, ETag,
// conditional requests, compression), so the application checks access
// and the server moves the bytes. Only files under [server.sendfile] roots
// are sent; the header never reaches the client. With no roots the headers
// are not looked at: the response passes through as the script made it.
//
// Refused, with a log line, and never the file: a relative path, a path
// with a ".." segment or a NUL, a path outside every root (also through a
// symlink that resolves outside its root), a hidden segment below the
// root (as server.static.hidden_files says for static files: deny 403,
// ignore 404, allow sends it), and a name that is not a regular file (404).

// sendfileRoot is one allowed directory.
type sendfileRoot struct {
	dir     string // absolute, clean, as configured
	contain *containment
}

// newSendfileRoots resolves the configured roots' symlinks once, so that a
// file is checked against where its root really is.
func newSendfileRoots(dirs []string) ([]sendfileRoot, error) {
	var roots []sendfileRoot
	for i, d := range dirs {
		abs, err := filepath.Abs(d)
		if err != nil {
			return nil, fmt.Errorf("server.sendfile.roots[%d]: %w", i, err)
		}
		real, err := filepath.EvalSymlinks(abs)
		if err != nil {
			return nil, fmt.Errorf("server.sendfile.roots[%d]: %w", i, err)
		}
		roots = append(roots, sendfileRoot{dir: abs, contain: newContainment(real)})
	}
	return roots, nil
}

// runPHP runs the script; with sendfile roots configured its response is
// watched for X-Sendfile and, if it names a file, replaced by it.
func (s *Server) runPHP(w *response, r *http.Request, sc Script, body io.Reader, deadline time.Time) PHPResult {
	if len(s.sendfile) == 0 {
		w.untagConditional(r)
		return s.php.ServePHP(w, r, sc, body, deadline)
	}
	// The file's ETag is compared with the client's own If-None-Match, not
	// with the untagged one PHP sees.
	// Symfony's BinaryFileResponse (Laravel's download() and file()), once
	// trusted, sends X-Sendfile when the request says the server takes
	// it, as nginx is configured to say; the client's own claim is replaced.
	r.Header.Set("X-Sendfile-Type", "X-Sendfile")
	inm, hadINM := r.Header["If-None-Match"]
	inm = append([]string(nil), inm...)
	w.untagConditional(r)
	sf := &sendfileWriter{w: w}
	res := s.php.ServePHP(sf, r, sc, body, deadline)
	if sf.path != "" {
		if hadINM {
			r.Header["If-None-Match"] = inm
		}
		s.serveSendfile(w, r, sf)
	}
	return res
}

// sendfileWriter stands between PHP and the response: when PHP's final
// status comes with X-Sendfile or X-Accel-Redirect, it keeps the status
// from going out and drops the body that follows.
type sendfileWriter struct {
	w         *response
	path      string // the file named; "" = the response passes through
	wrote     bool   // PHP's final status was written (or taken)
	defaultCT bool   // the Content-Type is PHP's default, not the script's
}

func (sf *sendfileWriter) Header() http.Header { return sf.w.Header() }

func (sf *sendfileWriter) WriteHeader(code int) {
	if code < 200 {
		sf.w.WriteHeader(code) // 103 Early Hints go out
		return
	}
	if sf.wrote {
		return
	}
	sf.wrote = true
	h := sf.w.Header()
	p := h.Get("X-Sendfile")
	if p == "" {
		p = h.Get("X-Accel-Redirect")
	}
	h.Del("X-Sendfile")
	h.Del("X-Accel-Redirect")
	if p != "" && code < 300 {
		sf.path = p
		return
	}
	sf.w.WriteHeader(code)
}

func (sf *sendfileWriter) Write(p []byte) (int, error) {
	if !sf.wrote {
		sf.WriteHeader(http.StatusOK)
	}
	if sf.path != "" {
		return len(p), nil // the script's body is replaced by the file
	}
	return sf.w.Write(p)
}

// FlushError is PHP's flush(); nothing is sent while the file is pending.
func (sf *sendfileWriter) FlushError() error {
	if sf.path != "" {
		return nil
	}
	if !sf.wrote {
		sf.WriteHeader(http.StatusOK)
		if sf.path != "" {
			return nil
		}
	}
	return sf.w.FlushError()
}

// Unwrap lets http.ResponseController reach the connection's deadlines.
func (sf *sendfileWriter) Unwrap() http.ResponseWriter { return sf.w }

// PHPDefaultContentType is called by phpembed when the Content-Type is
// PHP's default_mimetype: the file's own type is used instead.
func (sf *sendfileWriter) PHPDefaultContentType() { sf.defaultCT = true }

// serveSendfile sends the file PHP named, or refuses it.
func (s *Server) serveSendfile(w *response, r *http.Request, sf *sendfileWriter) {
	file, checked, root, status, why := s.checkSendfile(sf.path)
	if status != 0 {
		s.log.Warn("X-Sendfile refused", "path", sf.path, "status", status, "reason", why, "uri", r.RequestURI, "request_id", requestIDOf(r))
		clear(w.Header())
		plainError(w, status)
		return
	}
	f, err := os.Open(file)
	if err != nil {
		s.log.Warn("X-Sendfile refused", "path", sf.path, "reason", err.Error(), "uri", r.RequestURI, "request_id", requestIDOf(r))
		clear(w.Header())
		if os.IsPermission(err) {
			plainError(w, http.StatusForbidden)
		} else {
			plainError(w, http.StatusNotFound)
		}
		return
	}
	defer f.Close()
	// Stat the open file: the one sent must be the one checked, not one
	// put in its place (a symlink leading out) since.
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() || !os.SameFile(fi, checked) {
		s.log.Warn("X-Sendfile refused", "path", sf.path, "reason", "the file changed while it was checked", "uri", r.RequestURI, "request_id", requestIDOf(r))
		clear(w.Header())
		plainError(w, http.StatusNotFound)
		return
	}
	h := w.Header()
	// These framed the script's body, which is gone.
	for _, k := range []string{"Content-Length", "Content-Range", "Transfer-Encoding", "Accept-Ranges"} {
		h.Del(k)
	}
	ct := h.Get("Content-Type")
	if sf.defaultCT || ct == "" {
		ct = contentType(file)
		h.Del("Content-Type")
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		// Ranges and validators are for GET; a POST that returns a file
		// gets all of it.
		for _, k := range []string{"Range", "If-Range", "If-None-Match", "If-Modified-Since", "If-Match", "If-Unmodified-Since"} {
			r.Header.Del(k)
		}
	}
	s.serveFile(w, r, f, fi, file, ct, root.contain)
}

// checkSendfile finds the root a path lies under and checks it as the
// router checks a static file. status is 0 when the file may be sent.
func (s *Server) checkSendfile(p string) (file string, fi os.FileInfo, root sendfileRoot, status int, why string) {
	if !filepath.IsAbs(p) || strings.IndexByte(p, 0) >= 0 {
		return "", nil, root, http.StatusForbidden, "not an absolute path"
	}
	for _, seg := range strings.Split(p, "/") {
		if seg == ".." {
			return "", nil, root, http.StatusForbidden, `".." in the path`
		}
	}
	file = filepath.Clean(p)
	found := false
	var rel string
	for _, rt := range s.sendfile {
		if r, err := filepath.Rel(rt.dir, file); err == nil && r != ".." && !strings.HasPrefix(r, "../") {
			root, rel, found = rt, r, true
			break
		}
	}
	if !found {
		return "", nil, root, http.StatusForbidden, "outside [server.sendfile] roots"
	}
	for _, seg := range strings.Split(rel, "/") {
		if seg == "" || seg == "." || seg[0] != '.' {
			continue
		}
		switch s.cfg.Server.Static.HiddenFiles {
		case "allow":
		case "ignore":
			return "", nil, root, http.StatusNotFound, "hidden file (server.static.hidden_files = ignore)"
		default:
			return "", nil, root, http.StatusForbidden, "hidden file (server.static.hidden_files = deny)"
		}
	}
	fi, err := os.Stat(file)
	if err != nil {
		if os.IsPermission(err) {
			return "", nil, root, http.StatusForbidden, err.Error()
		}
		return "", nil, root, http.StatusNotFound, "no such file"
	}
	if !fi.Mode().IsRegular() {
		return "", nil, root, http.StatusNotFound, "not a regular file"
	}
	if !root.contain.inside(file, fi) {
		return "", nil, root, http.StatusForbidden, "resolves outside its root (symlink)"
	}
	return file, fi, root, 0, ""
}
