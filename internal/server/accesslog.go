package server

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"
)

// recorder remembers the status and size of a response for the access log.
// It keeps sendfile (ReadFrom) and exposes the writer beneath for
// http.ResponseController (Flush, deadlines).
type recorder struct {
	http.ResponseWriter
	status   int
	bytes    int64
	phpFatal bool
}

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 && code >= 200 { // an interim 1xx is not the response's status
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(p []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	n, err := r.ResponseWriter.Write(p)
	r.bytes += int64(n)
	return n, err
}

func (r *recorder) ReadFrom(src io.Reader) (int64, error) {
	if r.status == 0 {
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

// accessLog writes one line per request in the combined log format, plus
// the duration in seconds.
type accessLog struct {
	mu  sync.Mutex
	w   *bufio.Writer
	f   *os.File
	own bool
}

func openAccessLog(dest string) (*accessLog, error) {
	switch dest {
	case "":
		return nil, nil
	case "stdout":
		return &accessLog{w: bufio.NewWriter(os.Stdout), f: os.Stdout}, nil
	case "stderr":
		return &accessLog{w: bufio.NewWriter(os.Stderr), f: os.Stderr}, nil
	}
	f, err := os.OpenFile(dest, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	return &accessLog{w: bufio.NewWriter(f), f: f, own: true}, nil
}

func (a *accessLog) Log(r *http.Request, rec *recorder, start time.Time) {
	if a == nil {
		return
	}
	status := rec.status
	if status == 0 {
		status = http.StatusOK
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	line := fmt.Sprintf("%s - - [%s] %q %d %d %q %q %.6f\n",
		host, start.Format("02/Jan/2006:15:04:05 -0700"),
		r.Method+" "+r.RequestURI+" "+r.Proto, status, rec.bytes,
		orDash(r.Referer()), orDash(r.UserAgent()), time.Since(start).Seconds())
	a.mu.Lock()
	a.w.WriteString(line)
	// Flush per line: a log that lags behind traffic misleads whoever
	// tails it; the write is one syscall.
	a.w.Flush()
	a.mu.Unlock()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return strings.ReplaceAll(s, "\n", " ")
}

func (a *accessLog) Close() {
	if a == nil {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.w.Flush()
	if a.own {
		a.f.Close()
	}
}
