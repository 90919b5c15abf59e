package server

import (
	"fmt"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"strings"
)

// mimeTypes fixes the types of common web files, so responses do not
// depend on whether the machine has /etc/mime.types.
var mimeTypes = map[string]string{
	".html": "text/html; charset=utf-8", ".htm": "text/html; charset=utf-8",
	".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8",
	".mjs": "text/javascript; charset=utf-8", ".json": "application/json",
	".map": "application/json", ".txt": "text/plain; charset=utf-8",
	".xml": "text/xml; charset=utf-8", ".csv": "text/csv; charset=utf-8",
	".md": "text/markdown; charset=utf-8", ".svg": "image/svg+xml",
	".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
	".gif": "image/gif", ".webp": "image/webp", ".avif": "image/avif",
	".ico": "image/x-icon", ".bmp": "image/bmp",
	".woff": "font/woff", ".woff2": "font/woff2", ".ttf": "font/ttf", ".otf": "font/otf",
	".eot": "application/vnd.ms-fontobject", ".wasm": "application/wasm",
	".pdf": "application/pdf", ".zip": "application/zip", ".gz": "application/gzip",
	".tar": "application/x-tar", ".mp3": "audio/mpeg", ".ogg": "audio/ogg",
	".wav": "audio/wav", ".mp4": "video/mp4", ".webm": "video/webm",
	".webmanifest": "application/manifest+json", ".xhtml": "application/xhtml+xml",
}

func contentType(file string) string {
	ext := strings.ToLower(filepath.Ext(file))
	if t, ok := mimeTypes[ext]; ok {
		return t
	}
	return mime.TypeByExtension(ext) // "" lets ServeContent sniff
}

// serveStatic sends a file with its MIME type, Last-Modified, an ETag
// (size and mtime, as nginx does) and Range support; http.ServeContent
// answers conditional requests (304, 412) and ranges (206, 416).
func (s *Server) serveStatic(w http.ResponseWriter, r *http.Request, rt route) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		plainError(w, http.StatusMethodNotAllowed)
		return
	}
	f, err := os.Open(rt.file)
	if err != nil {
		if os.IsPermission(err) {
			plainError(w, http.StatusForbidden)
		} else {
			plainError(w, http.StatusNotFound)
		}
		return
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		plainError(w, http.StatusNotFound)
		return
	}
	s.serveFile(w, r, f, fi, rt.file, contentType(rt.file), rt.contain)
}

// serveFile sends an open file: static files and files named by
// X-Sendfile alike. ct is its type ("" lets ServeContent sniff); contain
// is the tree its precompressed siblings must lie in. A Content-Encoding,
// ETag or Cache-Control already set (by a script, for X-Sendfile) stays.
func (s *Server) serveFile(w http.ResponseWriter, r *http.Request, f *os.File, fi os.FileInfo, file, ct string, contain *containment) {
	h := w.Header()
	if ct != "" {
		h.Set("Content-Type", ct)
	}
	// Decided before ServeContent, which answers If-None-Match against
	// the ETag of the representation actually sent.
	c := identity
	if h.Get("Content-Encoding") == "" {
		var sib *os.File
		var sibInfo os.FileInfo
		sib, sibInfo, c = s.staticCoding(w, r, file, fi, ct, contain)
		if sib != nil {
			defer sib.Close()
			f, fi = sib, sibInfo
		}
	}
	if s.cfg.Server.Static.ETag && h.Get("Etag") == "" {
		h.Set("ETag", taggedETag(fmt.Sprintf(`"%x-%x"`, fi.ModTime().Unix(), fi.Size()), c))
	}
	if cc := s.cfg.Server.Static.CacheControl; cc != "" && h.Get("Cache-Control") == "" {
		h.Set("Cache-Control", cc)
	}
	h.Set("X-Content-Type-Options", "nosniff")
	// After staticCoding, which needs w itself (a *response).
	http.ServeContent(forFileBody(w, r), r, fi.Name(), fi.ModTime(), f)
}
