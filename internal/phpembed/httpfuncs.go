package phpembed

/*
#include "ephpm.h"
*/
import "C"

import (
	"net/http"
	"strconv"
	"strings"
)

// DefaultContentTyper is implemented by a ResponseWriter that wants to
// know when the Content-Type of PHP's response is PHP's default
// (default_mimetype) rather than one the script set: the server's
// X-Sendfile writer then types the file from its name.
type DefaultContentTyper interface {
	PHPDefaultContentType()
}

// parseHeaderLines calls add for each "Name: value" of PHP's header
// buffer ("Name: value\0" repeated). A CGI "Status: 404 Not Found" line
// changes *status instead, as php-fpm honours it.
func parseHeaderLines(raw string, status *int, add func(name, value string)) {
	for len(raw) > 0 {
		line := raw
		if i := strings.IndexByte(raw, 0); i >= 0 {
			line, raw = raw[:i], raw[i+1:]
		} else {
			raw = ""
		}
		name, value, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		name = strings.TrimSpace(name)
		value = strings.TrimSpace(value)
		if name == "" {
			continue
		}
		if strings.EqualFold(name, "Status") {
			if c, err := strconv.Atoi(strings.Fields(value + " x")[0]); err == nil && status != nil {
				*status = c
			}
			continue
		}
		add(name, value)
	}
}

// ephpm_go_send_interim sends PHP's headers set so far as an interim (1xx)
// response: headers_send(103) for Early Hints. The header map holds only
// them while the interim response is written, and is put back after, so
// the final response carries what it would have carried anyway. It
// returns 1 if the response was sent.
//
//export ephpm_go_send_interim
func ephpm_go_send_interim(slot C.uintptr_t, status C.int, buf *C.char, n C.size_t) C.int {
	req := current(slot)
	code := int(status)
	if req == nil || req.headersSent || req.detached || code < 100 || code > 199 || code == http.StatusSwitchingProtocols {
		return 0
	}
	// RFC 9110 15.2: a server must not send a 1xx response to an HTTP/1.0
	// client, which would take it for the final response.
	if !req.r.ProtoAtLeast(1, 1) || req.r.Context().Err() != nil {
		return 0
	}
	h := req.w.Header()
	saved := h.Clone()
	clear(h)
	parseHeaderLines(C.GoStringN(buf, C.int(n)), nil, func(name, value string) { h.Add(name, value) })
	req.w.WriteHeader(code)
	clear(h)
	for k, v := range saved {
		h[k] = v
	}
	return 1
}

// ephpm_go_finish_request ends the HTTP response of fastcgi_finish_request():
// the headers and the output so far were handed over by the C side just
// before. Serve returns, so net/http completes the response (with a
// Content-Length or the last chunk, the connection ready for the next
// request) while the script goes on; whatever the script does with the
// response after this is dropped. It returns 1 if the response was ended
// now, 0 if there is none or it was ended before.
//
//export ephpm_go_finish_request
func ephpm_go_finish_request(slot C.uintptr_t) C.int {
	req := current(slot)
	if req == nil || req.detached {
		return 0
	}
	if !req.headersSent {
		req.writeHeader(http.StatusOK)
	}
	w := workerFor(slot)
	early := req.result
	w.mu.Lock()
	early.TimedOut = req.timedOut
	w.mu.Unlock()
	req.early = early
	req.detached = true
	req.release()
	return 1
}
