package server

import (
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
)

// response is the writer every handler writes to. It adds the configured
// headers and compresses the body when the client, the status, the type
// and the size allow it. The decision is taken when the status is
// written, or, for a body of unknown length, once compression_min_size
// bytes have been buffered (or the handler flushes, or ends).
type response struct {
	http.ResponseWriter // the recorder, which writes to the connection

	rec  *recorder
	req  *http.Request
	opts *responseOptions
	want coding // the client's preferred coding; identity when compression is off

	state  responseState
	status int    // held while buffering, and while headPending
	buf    []byte // body held while buffering
	enc    encoder
	coding coding

	// The encoder's output, gathered here (compressedOut) so that it
	// reaches the connection in one write when it fits, with a
	// Content-Length, instead of in the encoder's 250-byte pieces, each
	// a chunk of its own on the wire. headPending: the status has not
	// gone out yet (it leaves with the first bytes sent).
	zbuf        *[]byte
	headPending bool
	// unflushed counts the bytes written into enc since it last produced
	// output (see encode); copying is set while ReadFrom copies a file.
	unflushed int
	copying   bool

	// Set by serveStatic for its 200: the coding it chose (identity
	// included), which overrides the size rules.
	static    bool
	staticEnc coding
	// The coding whose ETag suffix was taken off If-None-Match before PHP
	// saw it; a 304 from PHP gets it back.
	untagged coding

	// The route ran PHP: the duration histogram's handler label (stats.go).
	php bool
}

type responseState int

const (
	stateNew      responseState = iota // nothing written yet
	statePlain                         // status sent; the body goes out as it is
	stateBuffer                        // status held; the body is buffered until it is judged
	stateCompress                      // status sent (or held: headPending); the body goes through enc
)

// responseOptions is the [server.response] config in the form the
// writer needs it.
type responseOptions struct {
	compress bool
	minSize  int
	encoders *encoders
	headers  []configuredHeader
}

type configuredHeader struct {
	name   string // canonical
	values []string
}

func newResponseOptions(compress bool, level, minSize int, headers [][2]string) *responseOptions {
	o := &responseOptions{compress: compress, minSize: minSize}
	if compress {
		o.encoders = newEncoders(level)
	}
	idx := map[string]int{}
	for _, kv := range headers {
		name := http.CanonicalHeaderKey(kv[0])
		i, ok := idx[name]
		if !ok {
			i = len(o.headers)
			idx[name] = i
			o.headers = append(o.headers, configuredHeader{name: name})
		}
		o.headers[i].values = append(o.headers[i].values, kv[1])
	}
	return o
}

func newResponse(rec *recorder, r *http.Request, opts *responseOptions) *response {
	w := &response{ResponseWriter: rec, rec: rec, req: r, opts: opts}
	// HEAD negotiates too: its response carries GET's headers (startCompress).
	if opts.compress {
		if ae := r.Header["Accept-Encoding"]; len(ae) > 0 {
			w.want = negotiate(acceptedCodings(ae))
		}
	}
	return w
}

// Unwrap lets http.ResponseController reach the connection's deadlines.
func (w *response) Unwrap() http.ResponseWriter { return w.rec }

func (w *response) WriteHeader(code int) {
	if code >= 100 && code < 200 {
		// Interim responses (103 Early Hints) go out at once, untouched.
		w.rec.WriteHeader(code)
		return
	}
	switch w.state {
	case stateNew:
	case statePlain:
		w.rec.WriteHeader(code) // superfluous: net/http logs it
		return
	default:
		return
	}
	h := w.Header()
	w.addConfiguredHeaders(h)
	c, buffer := w.plan(code, h)
	switch {
	case c != identity && buffer:
		w.state, w.status, w.coding = stateBuffer, code, c
	case c != identity:
		w.startCompress(code, c)
	default:
		w.state = statePlain
		w.rec.WriteHeader(code)
	}
}

// addConfiguredHeaders sets each [server.response] header the response
// does not set itself: the application's own value wins.
func (w *response) addConfiguredHeaders(h http.Header) {
	for _, ch := range w.opts.headers {
		if len(h[ch.name]) == 0 {
			h[ch.name] = append([]string(nil), ch.values...)
		}
	}
}

// plan decides how a response with this status and these headers goes
// out: the coding (identity = as it is) and whether the body must be
// buffered first to learn whether it reaches the minimum size.
func (w *response) plan(code int, h http.Header) (c coding, buffer bool) {
	if !w.opts.compress {
		return identity, false
	}
	if code == http.StatusNoContent || code == http.StatusNotModified {
		if code == http.StatusNotModified && w.untagged != identity {
			// PHP answered the untagged If-None-Match: its 304 stands
			// for the compressed representation the client holds.
			if et := headerFirst(h, "Etag"); et != "" {
				h.Set("Etag", taggedETag(et, w.untagged))
			}
			addVary(h)
		}
		return identity, false
	}
	if headerFirst(h, "Content-Encoding") != "" {
		return identity, false // the script (or zlib.output_compression) encoded it
	}
	if w.static && code == http.StatusOK {
		return w.staticEnc, false // serveStatic decided, and set Vary
	}
	if !compressibleType(headerFirst(h, "Content-Type")) || noTransform(h) {
		return identity, false
	}
	addVary(h)
	if code == http.StatusPartialContent || headerFirst(h, "Content-Range") != "" || w.want == identity {
		return identity, false
	}
	if cl := headerFirst(h, "Content-Length"); cl != "" {
		n, err := strconv.ParseInt(cl, 10, 64)
		if err != nil || n < int64(w.opts.minSize) {
			return identity, false
		}
		return w.want, false
	}
	if w.req.Method == http.MethodHead {
		// PHP writes no body for HEAD, so there is none to judge by size:
		// say what GET of a body of unknown length usually gets, as nginx
		// does for such a body.
		return w.want, false
	}
	return w.want, w.opts.minSize > 0
}

// headerFirst is h.Get(key) for a key in canonical form, as every constant
// this package looks up is: the keys in h are canonical too (net/http
// canonicalizes a request's header names, and a response's are set with
// Set and Add), so the map is read directly. h.Get canonicalizes its key
// again on every call, and a PHP response's plan made about six of them
// (with the request's, a fifth of a percent of a hello world's CPU).
func headerFirst(h http.Header, key string) string {
	if v := h[key]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// noTransform: Cache-Control no-transform forbids intermediaries to
// change the body; the server honours the application's wish as well.
func noTransform(h http.Header) bool {
	for _, v := range h["Cache-Control"] {
		if strings.Contains(strings.ToLower(v), "no-transform") {
			return true
		}
	}
	return false
}

// addVary adds Accept-Encoding to Vary unless it is there already.
func addVary(h http.Header) {
	for _, v := range h["Vary"] {
		for _, tok := range strings.Split(v, ",") {
			tok = strings.TrimSpace(tok)
			if tok == "*" || strings.EqualFold(tok, "Accept-Encoding") {
				return
			}
		}
	}
	h.Add("Vary", "Accept-Encoding")
}

// startCompress sends the status of a response compressed with c. It
// returns false, having sent the status of an uncompressed response
// instead, when no encoder is free (encoders.get), and for HEAD.
func (w *response) startCompress(code int, c coding) bool {
	h := w.Header()
	if w.req.Method == http.MethodHead {
		// GET's headers (RFC 9110 9.3.2; nginx does the same, and `curl -I
		// -H 'Accept-Encoding: gzip'` is how users check compression),
		// without the length, which only compressing the body would tell.
		// The body, if the handler writes one, net/http discards.
		h.Del("Content-Length")
		h.Set("Content-Encoding", c.token())
		if et := h.Get("Etag"); et != "" {
			h.Set("Etag", taggedETag(et, c))
		}
		w.state = statePlain
		w.rec.WriteHeader(code)
		return false
	}
	enc := w.opts.encoders.get(c, (*compressedOut)(w))
	if enc == nil {
		// A static file's ETag was tagged for c before its body was
		// chosen: the identity body keeps the file's own tag.
		if et := h.Get("Etag"); et != "" {
			if un, ok := untagIfNoneMatch(et, c); ok {
				h.Set("Etag", un)
			}
		}
		w.state = statePlain
		w.rec.WriteHeader(code)
		return false
	}
	h.Del("Content-Length")
	h.Set("Content-Encoding", c.token())
	if et := h.Get("Etag"); et != "" {
		h.Set("Etag", taggedETag(et, c))
	}
	// The status waits for the first compressed bytes to send: a body
	// that ends before the buffer fills gets its Content-Length.
	w.status, w.headPending = code, true
	w.zbuf = zbufs.Get().(*[]byte)
	w.state, w.coding, w.enc = stateCompress, c, enc
	return true
}

// zbufSize bounds the compressed bytes held before they are sent: a
// 100-250 KB HTML page fits (gzip and zstd shrink markup 7-10x).
const zbufSize = 32 << 10

var zbufs = sync.Pool{New: func() any { b := make([]byte, 0, zbufSize); return &b }}

// compressedOut is the encoder's destination: the response seen as a
// writer of compressed bytes, which it gathers in zbuf.
type compressedOut response

func (o *compressedOut) Write(p []byte) (int, error) {
	w := (*response)(o)
	b := *w.zbuf
	if len(b)+len(p) > cap(b) {
		if err := w.sendCompressed(); err != nil {
			return 0, err
		}
		if len(p) >= cap(b) {
			return w.rec.Write(p)
		}
		b = *w.zbuf
	}
	*w.zbuf = append(b, p...)
	return len(p), nil
}

// sendCompressed sends the status if it is still held, then the
// compressed bytes gathered so far.
func (w *response) sendCompressed() error {
	if w.headPending {
		w.headPending = false
		w.rec.WriteHeader(w.status)
	}
	b := *w.zbuf
	if len(b) == 0 {
		return nil
	}
	*w.zbuf = b[:0]
	_, err := w.rec.Write(b)
	return err
}

func (w *response) Write(p []byte) (int, error) {
	if w.state == stateNew {
		w.WriteHeader(http.StatusOK)
	}
	switch w.state {
	case stateBuffer:
		if len(w.buf)+len(p) < w.opts.minSize {
			w.buf = append(w.buf, p...)
			return len(p), nil
		}
		if err := w.release(true); err != nil {
			return 0, err
		}
		if w.state != stateCompress { // no encoder was free
			return w.rec.Write(p)
		}
		return w.encode(p)
	case stateCompress:
		return w.encode(p)
	}
	return w.rec.Write(p)
}

// encodeNowAt: once this many bytes went into the encoder since it last
// produced output, it compresses them at once (a flush into zbuf: nothing
// is sent yet), rather than holding them until Close. The bytes are then
// compressed by the thread that just wrote them, while they are in its
// CPU's caches: PHP's output arrives on the PHP thread, while Close runs
// when the handler returns, on whatever thread picks up its goroutine
// (usually the other CPU). Without this, klauspost's gzip compressed 64 KB
// of a 100 KB page in Write and the rest in Close, and zstd (128 KB blocks)
// all of it in Close. Thread CPU time of the compression per 100 KB bench
// page inside the server, 4 interleaved rounds on the 2-core VM at load
// 7-12: gzip level 1 314 -> 222 us, zstd level 1 397 -> 287 us. It costs
// at most a few bytes: 15,060 -> 15,065 (gzip 1) and 11,864 -> 11,867
// (zstd 1) for the page written at once; written in the SAPI's 16 KB
// pieces, 15,099 and 11,856. 16 KB is the SAPI's piece (sapi.c
// OUT_BUF_SIZE): every full piece PHP hands over is compressed on arrival.
// Files copied by ReadFrom (static, over HTTP/2 too) are left as they
// were: their blocks stay as large as the encoder makes them.
const encodeNowAt = 16 << 10

// encode writes p into the encoder, and has it compress what it holds
// once encodeNowAt bytes are waiting.
func (w *response) encode(p []byte) (int, error) {
	n, err := w.enc.Write(p)
	if err != nil || w.copying || w.static {
		return n, err
	}
	if w.unflushed += n; w.unflushed >= encodeNowAt {
		w.unflushed = 0
		err = w.enc.Flush()
	}
	return n, err
}

// release ends buffering: the status goes out, compressed or not, then
// the buffered body.
func (w *response) release(compress bool) error {
	buf := w.buf
	w.buf = nil
	if compress {
		if !w.startCompress(w.status, w.coding) {
			// No encoder free: the body goes out as it is.
			if len(buf) > 0 {
				_, err := w.rec.Write(buf)
				return err
			}
			return nil
		}
		if len(buf) > 0 {
			_, err := w.encode(buf)
			return err
		}
		return nil
	}
	w.state = statePlain
	if w.Header().Get("Content-Length") == "" {
		// The whole body is known: say how long it is.
		w.Header().Set("Content-Length", strconv.Itoa(len(buf)))
	}
	w.rec.WriteHeader(w.status)
	if len(buf) > 0 {
		_, err := w.rec.Write(buf)
		return err
	}
	return nil
}

// FlushError sends what was written so far at once (PHP's flush()). A
// response still being judged is compressed: whatever streams (server-sent
// events, progress output) is rarely small in the end.
func (w *response) FlushError() error {
	if w.state == stateNew {
		w.WriteHeader(http.StatusOK)
	}
	switch w.state {
	case stateBuffer:
		if err := w.release(true); err != nil {
			return err
		}
	}
	if w.state == stateCompress {
		w.unflushed = 0
		if err := w.enc.Flush(); err != nil {
			return err
		}
		if err := w.sendCompressed(); err != nil {
			return err
		}
	}
	return http.NewResponseController(w.rec).Flush()
}

func (w *response) Flush() { _ = w.FlushError() }

// copyBufs are ReadFrom's buffers when the body is compressed.
var copyBufs = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

// ReadFrom keeps sendfile for bodies that go out as they are.
func (w *response) ReadFrom(src io.Reader) (int64, error) {
	if w.state == stateNew {
		w.WriteHeader(http.StatusOK)
	}
	if w.state == statePlain {
		return w.rec.ReadFrom(src)
	}
	bp := copyBufs.Get().(*[]byte)
	defer copyBufs.Put(bp)
	w.copying = true
	defer func() { w.copying = false }()
	return io.CopyBuffer(writerOnly{w}, src, *bp)
}

// writerOnly hides ReadFrom so io.CopyBuffer does not call it again.
type writerOnly struct{ io.Writer }

// finish completes the response after the handler returned: a body still
// buffered goes out, the compressed stream gets its end, and the encoder
// goes back to its pool.
func (w *response) finish() {
	switch w.state {
	case stateNew:
		// Nothing written: net/http sends an empty 200 with the header
		// map, which gets the configured headers. No status is written
		// here, so a request whose client left stays without one.
		w.addConfiguredHeaders(w.Header())
	case stateBuffer:
		_ = w.release(false)
	case stateCompress:
		_ = w.enc.Close()
		w.opts.encoders.put(w.coding, w.enc)
		w.enc = nil
		if w.headPending {
			// Nothing sent yet: the whole compressed body is in zbuf.
			w.Header().Set("Content-Length", strconv.Itoa(len(*w.zbuf)))
			w.sendWhole()
		} else {
			_ = w.sendCompressed()
		}
		*w.zbuf = (*w.zbuf)[:0]
		zbufs.Put(w.zbuf)
		w.zbuf = nil
		w.state = statePlain
	}
}

// sendWhole sends the head and the complete compressed body held in zbuf,
// in one write to the connection when it can be gathered (gather.go):
// net/http's buffer would split them into two. The flush empties that
// buffer while the connection still holds, so a body too short for
// net/http to pass straight through joins the head as well.
func (w *response) sendWhole() {
	g := gatherOf(w.req)
	if g == nil {
		_ = w.sendCompressed()
		return
	}
	g.hold()
	if w.sendCompressed() == nil {
		if f, ok := w.rec.ResponseWriter.(interface{ FlushError() error }); ok {
			_ = f.FlushError()
		}
	}
	_ = g.release()
}

// untagConditional takes the negotiated coding's ETag suffix off
// If-None-Match before PHP sees the request, so an application comparing
// it with its own ETag can answer 304 for the compressed copy the client
// holds; plan puts the suffix back on that 304.
func (w *response) untagConditional(r *http.Request) {
	if w.want == identity {
		return
	}
	if v := r.Header.Get("If-None-Match"); v != "" {
		if out, ok := untagIfNoneMatch(v, w.want); ok {
			r.Header.Set("If-None-Match", out)
			w.untagged = w.want
		}
	}
}
