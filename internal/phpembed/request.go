package phpembed

/*
#include <stdlib.h>
#include "ephpm.h"
*/
import "C"

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"
)

// Script says which PHP file a request runs and how it was found.
type Script struct {
	Filename     string // absolute path of the .php file
	Name         string // its URL path: SCRIPT_NAME, e.g. /index.php
	PathInfo     string // what followed the script in the URL path, "" if none
	DocumentRoot string // absolute
}

// Result is what PHP did with a request.
type Result struct {
	Status        int  // the response status PHP chose
	Fatal         bool // the script ended with a fatal error (or uncaught exception)
	TimedOut      bool // max_execution_time or the request timeout fired
	StartupFailed bool
	Rejected      bool // queue full or runtime shutting down: 503 sent
}

// Request is one HTTP request handed to a PHP thread.
type Request struct {
	w        http.ResponseWriter
	r        *http.Request
	body     io.Reader
	deadline time.Time
	done     chan struct{}

	cbuf unsafe.Pointer // C memory holding the strings creq points into
	creq *C.ephpm_request
	cres *C.ephpm_result // in cbuf, for request mode's ephpm_request_run
	// cref counts who still needs cbuf: Serve, and the PHP thread while
	// its SAPI state points into it (cur_req, SG(request_info)'s
	// strings). After fastcgi_finish_request() Serve returns while the
	// script goes on, and a worker's request is handed back before its
	// state is torn down: whichever lets go last frees it (dropC).
	cref atomic.Int32

	headersSent  bool
	bodyErr      error
	timedOut     bool
	canceled     bool
	queueTimeout bool
	noWorkers    bool // every worker script fails before taking requests
	result       Result

	// fastcgi_finish_request(): the response was ended early (Serve has
	// returned early, as its result) while the script goes on. Set on the
	// PHP thread before done is closed; from then on nothing touches w or
	// r's body.
	detached bool
	early    Result
	released atomic.Bool // done is closed

	claim atomic.Int32 // request mode, while queued: claimQueued, ...
}

// release hands the request back to Serve: once, at the end of PHP's work
// or earlier through fastcgi_finish_request().
func (req *Request) release() {
	if req.released.CompareAndSwap(false, true) {
		close(req.done)
	}
}

var phpLogger atomic.Pointer[slog.Logger]

// ErrClosed is returned by Serve once Shutdown has begun.
var ErrClosed = errors.New("phpembed: runtime is shutting down")

// Serve runs script for r and writes PHP's response to w. It blocks until
// PHP is done. deadline, if not zero, is the hard end of the request: PHP is
// interrupted there as if max_execution_time had passed. body replaces
// r.Body (e.g. a size-limited reader); nil means r.Body.
func (rt *Runtime) Serve(w http.ResponseWriter, r *http.Request, script Script, body io.Reader, deadline time.Time) Result {
	if body == nil {
		body = r.Body
	}
	req := &Request{
		w:        w,
		r:        r,
		body:     body,
		deadline: deadline,
		done:     make(chan struct{}),
	}
	req.build(script, rt.opts.ServerSoftware)
	defer req.dropC()

	rt.closeMu.RLock()
	if rt.closed.Load() {
		rt.closeMu.RUnlock()
		unavailable(w, "server is shutting down")
		return Result{Rejected: true, Status: http.StatusServiceUnavailable}
	}
	rt.inflight.Add(1)
	admitted := false
	if rt.direct {
		rt.pending.Add(1)
		rt.closeMu.RUnlock()
		admitted = rt.runDirect(req) // rt.pending.Done once PHP is done
	} else if rt.workersBroken() {
		rt.closeMu.RUnlock()
		rt.inflight.Add(-1)
		unavailable(w, workersBrokenMsg)
		return Result{Rejected: true, Status: http.StatusServiceUnavailable}
	} else {
		select {
		case rt.queue <- req:
			admitted = true
		default:
		}
		rt.closeMu.RUnlock()
	}
	if !admitted {
		rt.inflight.Add(-1)
		unavailable(w, "all PHP workers are busy and the queue is full")
		return Result{Rejected: true, Status: http.StatusServiceUnavailable}
	}
	<-req.done
	if req.detached {
		return req.early
	}

	res := req.result
	res.TimedOut = req.timedOut
	switch {
	case req.canceled:
		res.Status = 499 // client closed the request; nothing to send
	case req.queueTimeout:
		unavailable(w, "request timed out waiting for a PHP worker")
		res.Status = http.StatusServiceUnavailable
		res.Rejected = true
	case req.noWorkers:
		unavailable(w, workersBrokenMsg)
		res.Status = http.StatusServiceUnavailable
		res.Rejected = true
	case !req.headersSent:
		// PHP could not even start the request; it sends headers in
		// every other case (at the latest at request shutdown).
		http.Error(w, "Internal Server Error", http.StatusInternalServerError)
		res.Status = http.StatusInternalServerError
	}
	return res
}

func unavailable(w http.ResponseWriter, msg string) {
	w.Header().Set("Retry-After", "1")
	http.Error(w, "Service Unavailable: "+msg, http.StatusServiceUnavailable)
}

// build lays the request out in one C allocation: the NUL-terminated
// strings the SAPI needs and the $_SERVER table, length-prefixed.
func (req *Request) build(s Script, software string) {
	r := req.r
	// Laid out in a reused Go buffer, then copied into C memory once:
	// growing fresh slices cost a hello world a third of its Go
	// allocations (measured: 8 -> 0 allocations and 2,008 -> 0 bytes per
	// build, BenchmarkBuildHello).
	bp := buildBufs.Get().(*[]byte)
	vars := (*bp)[:0]
	add := func(k, v string) {
		vars = binary.NativeEndian.AppendUint32(vars, uint32(len(k)))
		vars = append(vars, k...)
		vars = binary.NativeEndian.AppendUint32(vars, uint32(len(v)))
		vars = append(vars, v...)
	}
	https := r.TLS != nil
	scheme := "http"
	if https {
		scheme = "https"
	}
	serverAddr, serverPort := "", ""
	if la, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
		serverAddr, serverPort = localAddrText(la)
	}
	serverName := r.Host
	if h, _, err := net.SplitHostPort(r.Host); err == nil {
		serverName = h
	}
	serverName = strings.Trim(serverName, "[]")
	if serverName == "" {
		serverName = serverAddr
	}
	remoteAddr, remotePort, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		remoteAddr = r.RemoteAddr
	}
	requestURI := r.RequestURI
	if requestURI == "" {
		requestURI = r.URL.RequestURI()
	}

	add("DOCUMENT_ROOT", s.DocumentRoot)
	add("CONTEXT_DOCUMENT_ROOT", s.DocumentRoot)
	add("SCRIPT_FILENAME", s.Filename)
	add("SCRIPT_NAME", s.Name)
	add("PHP_SELF", s.Name+s.PathInfo)
	if s.PathInfo != "" {
		add("PATH_INFO", s.PathInfo)
		add("PATH_TRANSLATED", s.DocumentRoot+s.PathInfo)
	}
	add("REQUEST_URI", requestURI)
	add("QUERY_STRING", r.URL.RawQuery)
	add("REQUEST_METHOD", r.Method)
	add("REQUEST_SCHEME", scheme)
	add("SERVER_PROTOCOL", r.Proto)
	add("GATEWAY_INTERFACE", "CGI/1.1")
	add("SERVER_SOFTWARE", software)
	add("SERVER_NAME", serverName)
	add("SERVER_ADDR", serverAddr)
	add("SERVER_PORT", serverPort)
	add("REMOTE_ADDR", remoteAddr)
	add("REMOTE_PORT", remotePort)
	if https {
		add("HTTPS", "on")
	}
	// The header maps are read directly: net/http canonicalizes a
	// request's header names, and Header.Get would canonicalize each
	// constant again on every request.
	ct := firstValue(r.Header["Content-Type"])
	if ct != "" {
		add("CONTENT_TYPE", ct)
	}
	if r.ContentLength >= 0 && (r.ContentLength > 0 || firstValue(r.Header["Content-Length"]) != "") {
		add("CONTENT_LENGTH", strconv.FormatInt(r.ContentLength, 10))
	}
	add("HTTP_HOST", r.Host)
	for name, values := range r.Header {
		// A header name with '_' would collide with its '-' twin once
		// mapped to HTTP_*, letting a client spoof a header a proxy set
		// (nginx drops them too). Proxy is httpoxy (CVE-2016-5385).
		if strings.IndexByte(name, '_') >= 0 || strings.EqualFold(name, "Proxy") {
			continue
		}
		sep := ", "
		if name == "Cookie" {
			sep = "; "
		}
		vars = appendHeaderVar(vars, name, values, sep)
	}

	// Fixed strings, NUL-terminated, after the vars in the Go buffer
	// (offsets from strsOff); in C memory they come first.
	strsOff := len(vars)
	var offsets [8]int
	nput := 0
	put := func(v string, present bool) {
		if !present {
			offsets[nput] = -1
		} else {
			offsets[nput] = len(vars) - strsOff
			vars = append(vars, v...)
			vars = append(vars, 0)
		}
		nput++
	}
	cookie := strings.Join(r.Header["Cookie"], "; ")
	auth := firstValue(r.Header["Authorization"])
	put(r.Method, true)
	put(requestURI, true)
	put(r.URL.RawQuery, true)
	put(s.Filename, true)
	put(s.Name, true)
	put(ct, ct != "")
	put(cookie, cookie != "")
	put(auth, auth != "")
	varsOff := len(vars) - strsOff
	total := len(vars)

	// The struct first (malloc's alignment), then the result PHP fills
	// (request mode: in C memory, so that passing it to C needs no
	// check of Go pointers), then the strings and vars.
	resOff := (int(unsafe.Sizeof(C.ephpm_request{})) + 15) &^ 15
	structSize := (resOff + int(unsafe.Sizeof(C.ephpm_result{})) + 15) &^ 15
	mem := getCBuf(structSize + total)
	clear(unsafe.Slice((*byte)(mem), structSize))
	creq := (*C.ephpm_request)(mem)
	req.cres = (*C.ephpm_result)(unsafe.Add(mem, resOff))
	base := unsafe.Add(mem, structSize)
	buf := unsafe.Slice((*byte)(base), total)
	copy(buf, vars[strsOff:])
	copy(buf[varsOff:], vars[:strsOff])
	if cap(vars) <= maxPooledBuild {
		*bp = vars[:0]
		buildBufs.Put(bp)
	}
	at := func(i int) *C.char {
		if offsets[i] < 0 {
			return nil
		}
		return (*C.char)(unsafe.Add(base, offsets[i]))
	}
	creq.method = at(0)
	creq.request_uri = at(1)
	creq.query_string = at(2)
	creq.script_filename = at(3)
	creq.script_name = at(4)
	creq.content_type = at(5)
	creq.cookie = at(6)
	creq.authorization = at(7)
	creq.content_length = C.int64_t(r.ContentLength)
	creq.proto_num = C.int(r.ProtoMajor*1000 + r.ProtoMinor)
	now := time.Now()
	creq.request_time = C.double(float64(now.UnixNano()) / 1e9)
	creq.server_vars = (*C.char)(unsafe.Add(base, varsOff))
	creq.server_vars_len = C.size_t(strsOff)
	req.cbuf = mem
	req.creq = creq
	req.cref.Store(1) // the caller's (Serve's)
}

// localAddrText is SERVER_ADDR and SERVER_PORT for a connection's local
// address: net.SplitHostPort(la.String()). The address of a TCP
// connection is formatted once and remembered while the next request's
// address is equal (the same listener's): formatting and splitting it
// again allocated and cost about 1% of a hello world's server CPU.
func localAddrText(la net.Addr) (host, port string) {
	ta, ok := la.(*net.TCPAddr)
	if !ok {
		host, port, _ = net.SplitHostPort(la.String())
		return host, port
	}
	if c := lastLocalAddr.Load(); c != nil && c.port == ta.Port && c.zone == ta.Zone && c.ip.Equal(ta.IP) {
		return c.host, c.portText
	}
	host, port, _ = net.SplitHostPort(ta.String())
	lastLocalAddr.Store(&localAddrCache{ip: ta.IP, port: ta.Port, zone: ta.Zone, host: host, portText: port})
	return host, port
}

// localAddrCache is the last local address localAddrText formatted. Its
// IP is the connection's own (a net.TCPAddr is not changed once made).
type localAddrCache struct {
	ip             net.IP
	port           int
	zone           string
	host, portText string
}

var lastLocalAddr atomic.Pointer[localAddrCache]

// holdC notes that the PHP thread points into req's C memory.
func (req *Request) holdC() { req.cref.Add(1) }

// dropC lets go of req's C memory; the last holder frees it.
func (req *Request) dropC() {
	if req.cref.Add(-1) == 0 {
		putCBuf(req.cbuf)
	}
}

// The C memory of a request's layout (build) comes from a small free list
// of buffers of cBufSize bytes, which a hello world's request (about
// 1 KB) and most others fit: C.calloc and C.free were two calls into C
// per request, each a cgo crossing (entersyscall/exitsyscall) and a
// pointer check. A buffer is back on the list only when no one points
// into it any more (dropC's last holder), where it was freed before. A
// larger layout is allocated and freed as before. Each buffer starts
// with its size, before the memory handed out.
const (
	cBufSize  = 4096
	cBufKept  = 64 // at most this many idle buffers are kept
	cBufAlign = 16 // malloc's alignment, kept for the struct after the size
)

var cBufs struct {
	sync.Mutex
	free []unsafe.Pointer
}

// cBufPooling is off when glibc's MALLOC_PERTURB_ is set: a test that
// looks for reads of freed request memory (TestFinishRequestKeepsRequestData)
// relies on free() overwriting it.
var cBufPooling = os.Getenv("MALLOC_PERTURB_") == ""

// getCBuf returns C memory for n bytes, not zeroed.
func getCBuf(n int) unsafe.Pointer {
	if n <= cBufSize-cBufAlign && cBufPooling {
		cBufs.Lock()
		if k := len(cBufs.free); k > 0 {
			p := cBufs.free[k-1]
			cBufs.free = cBufs.free[:k-1]
			cBufs.Unlock()
			return p
		}
		cBufs.Unlock()
		n = cBufSize - cBufAlign
	}
	base := C.malloc(C.size_t(n + cBufAlign))
	if base == nil {
		panic("phpembed: out of C memory")
	}
	*(*int)(base) = n
	return unsafe.Add(base, cBufAlign)
}

// putCBuf gives back memory from getCBuf: kept for reuse if it is of the
// pooled size and the list has room, freed otherwise.
func putCBuf(p unsafe.Pointer) {
	base := unsafe.Add(p, -cBufAlign)
	if *(*int)(base) == cBufSize-cBufAlign && cBufPooling {
		cBufs.Lock()
		if len(cBufs.free) < cBufKept {
			cBufs.free = append(cBufs.free, p)
			cBufs.Unlock()
			return
		}
		cBufs.Unlock()
	}
	C.free(base)
}

// buildBufs are build's scratch buffers; one grown past maxPooledBuild
// (a request with huge headers) is left to the GC rather than kept.
var buildBufs = sync.Pool{New: func() any { b := make([]byte, 0, 2048); return &b }}

const maxPooledBuild = 64 << 10

// firstValue is a header's first value, "" if it has none.
func firstValue(values []string) string {
	if len(values) > 0 {
		return values[0]
	}
	return ""
}

// appendHeaderVar appends the $_SERVER entry of a request header, in the
// length-prefixed form of build's add: the name in its CGI form
// (X-Forwarded-For becomes HTTP_X_FORWARDED_FOR), the values joined with
// sep, written in place (no strings built per header).
func appendHeaderVar(vars []byte, name string, values []string, sep string) []byte {
	vars = binary.NativeEndian.AppendUint32(vars, uint32(len("HTTP_")+len(name)))
	vars = append(vars, "HTTP_"...)
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c == '-':
			c = '_'
		case 'a' <= c && c <= 'z':
			c = c - 'a' + 'A'
		}
		vars = append(vars, c)
	}
	n := 0
	for i, v := range values {
		if i > 0 {
			n += len(sep)
		}
		n += len(v)
	}
	vars = binary.NativeEndian.AppendUint32(vars, uint32(n))
	for i, v := range values {
		if i > 0 {
			vars = append(vars, sep...)
		}
		vars = append(vars, v...)
	}
	return vars
}

// ---- SAPI callbacks, on the PHP thread ----

//export ephpm_go_write
func ephpm_go_write(slot C.uintptr_t, p *C.char, n C.size_t) C.int {
	req := current(slot)
	if req == nil || req.detached {
		return 0 // after fastcgi_finish_request() output is dropped
	}
	if req.r.Context().Err() != nil {
		return 1
	}
	if !req.headersSent {
		req.writeHeader(http.StatusOK)
	}
	if _, err := req.w.Write(unsafe.Slice((*byte)(unsafe.Pointer(p)), int(n))); err != nil {
		return 1
	}
	return 0
}

//export ephpm_go_flush
func ephpm_go_flush(slot C.uintptr_t) C.int {
	req := current(slot)
	if req == nil || req.detached {
		return 0
	}
	// The controller is made here, where flush() needs it (it stays on
	// the stack), not for every request.
	if err := http.NewResponseController(req.w).Flush(); err != nil || req.r.Context().Err() != nil {
		return 1
	}
	return 0
}

//export ephpm_go_send_headers
func ephpm_go_send_headers(slot C.uintptr_t, status C.int, buf *C.char, n C.size_t, defaultCT C.int) {
	req := current(slot)
	if req == nil || req.headersSent {
		return
	}
	code := int(status)
	h := req.w.Header()
	// A copy: the header strings outlive PHP's buffer.
	parseHeaderLines(C.GoStringN(buf, C.int(n)), &code, func(name, value string) {
		if name == "Content-type" {
			// PHP's own spelling of its default header: canonicalizing
			// it (in Add) would allocate a new name on every request.
			name = "Content-Type"
		}
		h.Add(name, value)
	})
	if defaultCT != 0 {
		if d, ok := req.w.(DefaultContentTyper); ok {
			d.PHPDefaultContentType()
		}
	}
	req.writeHeader(code)
}

// ephpm_go_send_headers_write is ephpm_go_send_headers followed by
// ephpm_go_write of the output gathered so far (n may be 0): one call into
// Go for what were two (sapi.c, ephpm_output_push).
//
//export ephpm_go_send_headers_write
func ephpm_go_send_headers_write(slot C.uintptr_t, status C.int, hdrs *C.char, hn C.size_t, defaultCT C.int, p *C.char, n C.size_t) C.int {
	ephpm_go_send_headers(slot, status, hdrs, hn, defaultCT)
	if n == 0 {
		return 0
	}
	return ephpm_go_write(slot, p, n)
}

// ephpm_go_output_finish is fastcgi_finish_request()'s end of the
// response in one call into Go (sapi.c, ephpm_output_push_finish): the
// headers PHP sent if Go does not have them yet (hdrs nil: none pending),
// the output gathered so far (n may be 0), then ephpm_go_finish_request,
// whose result it returns.
//
//export ephpm_go_output_finish
func ephpm_go_output_finish(slot C.uintptr_t, status C.int, hdrs *C.char, hn C.size_t, defaultCT C.int, p *C.char, n C.size_t) C.int {
	if hdrs != nil {
		ephpm_go_send_headers(slot, status, hdrs, hn, defaultCT)
	}
	if n > 0 {
		ephpm_go_write(slot, p, n)
	}
	return ephpm_go_finish_request(slot)
}

func (req *Request) writeHeader(code int) {
	req.headersSent = true
	if code < 200 || code > 999 {
		// 1xx would leave the response open; nonsense codes would panic.
		code = http.StatusInternalServerError
	}
	req.result.Status = code
	req.w.WriteHeader(code)
}

//export ephpm_go_read_body
func ephpm_go_read_body(slot C.uintptr_t, p *C.char, n C.size_t) C.size_t {
	req := current(slot)
	if req == nil || req.body == nil || req.bodyErr != nil || req.detached {
		return 0 // after fastcgi_finish_request() the body belongs to net/http again
	}
	// PHP takes a short read for the end of the body, so fill the buffer.
	got, err := io.ReadFull(req.body, unsafe.Slice((*byte)(unsafe.Pointer(p)), int(n)))
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		req.bodyErr = err
	} else if err != nil {
		req.bodyErr = io.EOF
	}
	return C.size_t(got)
}

//export ephpm_go_log
func ephpm_go_log(slot C.uintptr_t, msg *C.char, syslogType C.int) {
	l := phpLogger.Load()
	if l == nil {
		l = slog.Default()
	}
	level := slog.LevelInfo
	switch {
	case syslogType <= 3: // LOG_EMERG .. LOG_ERR
		level = slog.LevelError
	case syslogType == 4: // LOG_WARNING
		level = slog.LevelWarn
	case syslogType >= 7: // LOG_DEBUG
		level = slog.LevelDebug
	}
	attrs := []any{"source", "php"}
	if req := current(slot); req != nil {
		attrs = append(attrs, "method", req.r.Method, "uri", req.r.RequestURI)
		// The server gave every request an X-Request-Id before PHP ran
		// (internal/server/requestid.go): PHP's own lines about the
		// request carry it as the server's lines do.
		if id := req.r.Header["X-Request-Id"]; len(id) > 0 {
			attrs = append(attrs, "request_id", id[0])
		}
	}
	l.Log(context.Background(), level, C.GoString(msg), attrs...)
}

//export ephpm_go_request_started
func ephpm_go_request_started(slot C.uintptr_t, limit C.long) {
	if w := workerFor(slot); w != nil {
		w.armLimit(int64(limit))
		w.startLimit = int64(limit)
	}
}

//export ephpm_go_set_time_limit
func ephpm_go_set_time_limit(slot C.uintptr_t, seconds C.long) {
	if w := workerFor(slot); w != nil {
		w.armLimit(int64(seconds))
	}
}
