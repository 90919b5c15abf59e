package server

import (
	"net/http"
	"os"
	"strconv"
)

// staticCoding decides how a static file's 200 goes out, before
// http.ServeContent answers conditionals against the ETag it is given:
//   - a precompressed sibling (file.css.zst, .br, .gz) the client accepts,
//     not older than the file and inside the document root, is sent as it
//     is: its file and info are returned, to be served instead;
//   - otherwise a compressible file of at least compression_min_size is
//     compressed on the fly with the client's preferred coding;
//   - Range requests and everything else go out as they are.
//
// HEAD is decided as GET, so that it gets GET's headers.
//
// Vary: Accept-Encoding is set whenever the answer depends on it. The
// decision is left on w for response.plan; w that is not a *response
// (tests calling serveStatic directly) gets identity.
func (s *Server) staticCoding(w http.ResponseWriter, r *http.Request, file string, fi os.FileInfo, ct string, contain *containment) (*os.File, os.FileInfo, coding) {
	resp, ok := w.(*response)
	if !ok || !resp.opts.compress || (r.Method != http.MethodGet && r.Method != http.MethodHead) {
		return nil, nil, identity
	}
	resp.static = true
	if ct == "" {
		// ServeContent will sniff a type; a file whose kind we cannot
		// name is sent as it is, and its ETag stays the file's.
		return nil, nil, identity
	}
	q := acceptedCodings(r.Header.Values("Accept-Encoding"))
	compressible := compressibleType(ct)
	if r.Header.Get("Range") == "" {
		for _, c := range ranked(q) {
			if sib, sibInfo := s.openSibling(file+c.ext(), fi, contain); sib != nil {
				addVary(w.Header())
				w.Header().Set("Content-Encoding", c.token())
				// ServeContent leaves the length out when a
				// Content-Encoding is set; this one is known.
				w.Header().Set("Content-Length", strconv.FormatInt(sibInfo.Size(), 10))
				resp.staticEnc = identity // already encoded
				return sib, sibInfo, c
			}
		}
	}
	if !compressible {
		return nil, nil, identity
	}
	addVary(w.Header())
	if r.Header.Get("Range") != "" || fi.Size() < int64(resp.opts.minSize) {
		return nil, nil, identity
	}
	resp.staticEnc = resp.want
	return nil, nil, resp.want
}

// openSibling opens a precompressed copy of a file if it is a regular
// file inside contain's tree (the document root, or the X-Sendfile root;
// symlinks resolved, as for the file itself) and not older than the original; a stale copy would serve old
// content.
func (s *Server) openSibling(name string, orig os.FileInfo, contain *containment) (*os.File, os.FileInfo) {
	fi, err := os.Stat(name)
	if err != nil || !fi.Mode().IsRegular() || fi.ModTime().Before(orig.ModTime()) || !contain.inside(name, fi) {
		return nil, nil
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, nil
	}
	// Stat the open file: the one served must be the one checked.
	ofi, err := f.Stat()
	if err != nil || !os.SameFile(fi, ofi) {
		f.Close()
		return nil, nil
	}
	return f, ofi
}
