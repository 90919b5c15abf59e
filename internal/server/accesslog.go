package server

import (
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/ephpm/ephpm/internal/config"
)

// recorder remembers the status and size of a response for the access log.
// It keeps sendfile (ReadFrom) and exposes the writer beneath for
// http.ResponseController (Flush, deadlines).
type recorder struct {
	http.ResponseWriter
	status   int
	bytes    int64
	phpFatal bool
	// id is the request's X-Request-Id, put on the response as its head
	// goes out: then it replaces whatever the handler set under that name
	// (PHP's header() adds, it would make two), so the id a user quotes
	// is the one in the logs. One value; nil when the request has none.
	id []string
	// clen is the Content-Length the response declared when its head went
	// out (hasClen): a body longer than that is cut there (Write).
	clen    int64
	hasClen bool
}

// noteLength remembers the declared Content-Length as the head goes out.
func (r *recorder) noteLength() {
	if v := r.ResponseWriter.Header()["Content-Length"]; len(v) == 1 {
		if n, err := strconv.ParseInt(v[0], 10, 64); err == nil && n >= 0 {
			r.clen, r.hasClen = n, true
		}
	}
}

// stampID sets the response's X-Request-Id; called before the head is
// written.
func (r *recorder) stampID() {
	if r.id != nil {
		r.ResponseWriter.Header()[requestIDHeader] = r.id
	}
}

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.stampID()      // also on an interim 1xx: it goes out with the final head too
		if code >= 200 { // an interim 1xx is not the response's status
			r.status = code
			r.noteLength()
		}
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(p []byte) (int, error) {
	if r.status == 0 {
		r.stampID()
		r.status = http.StatusOK
		r.noteLength()
	}
	if r.hasClen && r.bytes+int64(len(p)) > r.clen {
		// A script that declared a Content-Length and writes more: net/http
		// would refuse the whole write (ErrContentLength) and every later
		// one, so the client got the head and no body, then a closed
		// connection. As nginx does with an upstream's excess, the body is
		// cut at the declared length and the rest dropped; the response is
		// complete and the connection stays usable.
		keep := r.clen - r.bytes
		if keep > 0 {
			n, err := r.ResponseWriter.Write(p[:keep])
			r.bytes += int64(n)
			if err != nil {
				return n, err
			}
		}
		return len(p), nil
	}
	n, err := r.ResponseWriter.Write(p)
	r.bytes += int64(n)
	return n, err
}

func (r *recorder) ReadFrom(src io.Reader) (int64, error) {
	if r.status == 0 {
		r.stampID()
		r.status = http.StatusOK
	}
	if rf, ok := r.ResponseWriter.(io.ReaderFrom); ok {
		n, err := rf.ReadFrom(src)
		r.bytes += n
		return n, err
	}
	n, err := io.Copy(struct{ io.Writer }{r.ResponseWriter}, src)
	r.bytes += n
	return n, err
}

func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// accessLog writes one line per request: in "text" format the combined
// log format plus the duration in seconds and the request id, in "json"
// format one object per line (keys in jsonLine).
type accessLog struct {
	mu   sync.Mutex
	f    *os.File
	path string // the file, reopened by reopen; "" for stdout/stderr
	json bool
	buf  []byte // the line being built, under mu
}

const accessLogFlags = os.O_CREATE | os.O_WRONLY | os.O_APPEND

func openAccessLog(c config.LoggingConfig) (*accessLog, error) {
	a := &accessLog{json: c.Format == "json"}
	switch c.Access {
	case "":
		return nil, nil
	case "stdout":
		a.f = os.Stdout
	case "stderr":
		a.f = os.Stderr
	default:
		f, err := os.OpenFile(c.Access, accessLogFlags, 0o644)
		if err != nil {
			return nil, err
		}
		a.f, a.path = f, c.Access
	}
	return a, nil
}

func (a *accessLog) Log(r *http.Request, rec *recorder, start time.Time) {
	if a == nil {
		return
	}
	e := accessEntry{r: r, rec: rec, start: start, dur: time.Since(start)}
	a.mu.Lock()
	if a.json {
		a.buf = e.appendJSON(a.buf[:0])
	} else {
		a.buf = e.appendText(a.buf[:0])
	}
	// One write per line, unbuffered: a log that lags behind traffic
	// misleads whoever tails it. Errors (disk full) are not the client's
	// problem and cannot be logged per line without flooding.
	if a.f != nil {
		a.f.Write(a.buf)
	}
	a.mu.Unlock()
}

// accessEntry is what one access-log line says.
type accessEntry struct {
	r     *http.Request
	rec   *recorder
	start time.Time
	dur   time.Duration
}

func (e *accessEntry) status() int {
	if e.rec.status == 0 {
		return http.StatusOK
	}
	return e.rec.status
}

func (e *accessEntry) id() string {
	if len(e.rec.id) == 0 {
		return ""
	}
	return e.rec.id[0]
}

func (e *accessEntry) host() string {
	host, _, err := net.SplitHostPort(e.r.RemoteAddr)
	if err != nil {
		return e.r.RemoteAddr
	}
	return host
}

// appendText writes the combined log format plus the duration in seconds
// and, last, the request id:
//
//	127.0.0.1 - - [01/Dec/2026:14:20:43 +0000] "GET / HTTP/1.1" 200 12 "-" "curl/8.5" 0.000412 "<id>"
func (e *accessEntry) appendText(b []byte) []byte {
	b = append(b, e.host()...)
	b = append(b, " - - ["...)
	b = e.start.AppendFormat(b, "02/Jan/2006:15:04:05 -0700")
	b = append(b, "] "...)
	b = strconv.AppendQuote(b, e.r.Method+" "+e.r.RequestURI+" "+e.r.Proto)
	b = append(b, ' ')
	b = strconv.AppendInt(b, int64(e.status()), 10)
	b = append(b, ' ')
	b = strconv.AppendInt(b, e.rec.bytes, 10)
	b = append(b, ' ')
	b = strconv.AppendQuote(b, orDash(e.r.Referer()))
	b = append(b, ' ')
	b = strconv.AppendQuote(b, orDash(e.r.UserAgent()))
	b = append(b, ' ')
	b = strconv.AppendFloat(b, e.dur.Seconds(), 'f', 6, 64)
	b = append(b, ' ')
	b = strconv.AppendQuote(b, orDash(e.id()))
	return append(b, '\n')
}

// appendJSON writes one JSON object:
//
//	time        when the request began, RFC 3339 with milliseconds
//	msg         "access", to tell these lines from the server log's
//	remote_addr the client's address (after trusted proxies), no port
//	method, uri, proto   the request line (uri as sent, with the query)
//	status      the response status
//	bytes       response body bytes sent
//	duration    seconds, as a number
//	referer, user_agent  "" when absent
//	request_id  the X-Request-Id
func (e *accessEntry) appendJSON(b []byte) []byte {
	b = append(b, `{"time":"`...)
	b = e.start.AppendFormat(b, jsonTimeLayout)
	b = append(b, `","msg":"access","remote_addr":`...)
	b = appendJSONString(b, e.host())
	b = append(b, `,"method":`...)
	b = appendJSONString(b, e.r.Method)
	b = append(b, `,"uri":`...)
	b = appendJSONString(b, e.r.RequestURI)
	b = append(b, `,"proto":`...)
	b = appendJSONString(b, e.r.Proto)
	b = append(b, `,"status":`...)
	b = strconv.AppendInt(b, int64(e.status()), 10)
	b = append(b, `,"bytes":`...)
	b = strconv.AppendInt(b, e.rec.bytes, 10)
	b = append(b, `,"duration":`...)
	b = strconv.AppendFloat(b, e.dur.Seconds(), 'f', 6, 64)
	b = append(b, `,"referer":`...)
	b = appendJSONString(b, e.r.Referer())
	b = append(b, `,"user_agent":`...)
	b = appendJSONString(b, e.r.UserAgent())
	b = append(b, `,"request_id":`...)
	b = appendJSONString(b, e.id())
	return append(b, "}\n"...)
}

// appendJSONString appends s as a JSON string. Everything in it came from
// the client: control characters are escaped and bytes that are not
// UTF-8 become U+FFFD, so every line parses.
func appendJSONString(b []byte, s string) []byte {
	const hexDigits = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c == '\t':
				b = append(b, '\\', 't')
			case c < 0x20 || c == 0x7f:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, `\ufffd`...)
		} else {
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return strings.ReplaceAll(s, "\n", " ")
}

// reopen opens the log file again at its path and swaps it in: after
// logrotate moved the file away, lines go to a new file under the old
// name. On error the old file stays in use. stdout/stderr: nothing to do.
func (a *accessLog) reopen() error {
	if a == nil || a.path == "" {
		return nil
	}
	f, err := os.OpenFile(a.path, accessLogFlags, 0o644)
	if err != nil {
		return err
	}
	a.mu.Lock()
	old := a.f
	if old == nil { // closed: the server has stopped
		a.mu.Unlock()
		return f.Close()
	}
	a.f = f
	a.mu.Unlock()
	return old.Close()
}

func (a *accessLog) Close() {
	if a == nil {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.path != "" && a.f != nil {
		a.f.Close()
	}
	a.f = nil
}

// ReopenAccessLog reopens server.logging.access when it is a file (for
// logrotate: it moves the file, then signals). On error the current file
// stays in use. A no-op for stdout, stderr or no access log.
func (s *Server) ReopenAccessLog() error {
	return s.access.reopen()
}

// AccessLogPath is the access log's file, "" when it is off or goes to
// stdout or stderr.
func (s *Server) AccessLogPath() string {
	if s.access == nil {
		return ""
	}
	return s.access.path
}
