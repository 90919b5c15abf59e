package server

import (
	"bytes"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
)

// errBodyTooLarge: the body went past server.request.max_body_size.
var errBodyTooLarge = errors.New("request body too large")

// spoolInMemory is how much of a body of unknown length is kept in
// memory; the rest goes to a temporary file.
const spoolInMemory = 1 << 20

// spooledBody is a request body read in full before PHP runs.
type spooledBody struct {
	io.Reader
	file *os.File // nil when the body fit in memory
}

func (b *spooledBody) Close() error {
	if b.file == nil {
		return nil
	}
	return b.file.Close()
}

// spoolBody reads a body whose length the client did not announce
// (Transfer-Encoding: chunked) up to limit bytes, the way nginx does before
// it hands a request to php-fpm. Streamed into PHP instead, a body over
// the limit could only be cut short where PHP reads it, and the script
// would take a truncated upload for the whole one; read first, it is
// refused with 413 before any PHP runs, and PHP sees CONTENT_LENGTH as
// with any other body.
func spoolBody(src io.Reader, limit int64) (*spooledBody, int64, error) {
	var mem bytes.Buffer
	n, err := io.CopyN(&mem, src, min(limit, spoolInMemory)+1)
	if err == io.EOF {
		return &spooledBody{Reader: bytes.NewReader(mem.Bytes())}, n, nil
	}
	if err != nil {
		return nil, 0, err
	}
	if n > limit {
		return nil, 0, errBodyTooLarge
	}
	f, err := os.CreateTemp("", "ephpm-body-*")
	if err != nil {
		return nil, 0, err
	}
	b := &spooledBody{file: f}
	// Unlinked at once, the file cannot outlive the request, nor the
	// process if the server is killed mid-request.
	os.Remove(f.Name())
	if _, err := f.Write(mem.Bytes()); err != nil {
		b.Close()
		return nil, 0, err
	}
	more, err := io.CopyN(f, src, limit-n+1)
	n += more
	if err != nil && err != io.EOF {
		b.Close()
		return nil, 0, err
	}
	if n > limit {
		b.Close()
		return nil, 0, errBodyTooLarge
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		b.Close()
		return nil, 0, err
	}
	b.Reader = f
	return b, n, nil
}

// spoolErrorStatus is the answer to a body spoolBody could not read: 413
// over the limit, 408 too slow (the request timeout), 400 broken off or a
// malformed chunk.
func spoolErrorStatus(err error) int {
	var ne net.Error
	switch {
	case errors.Is(err, errBodyTooLarge):
		return http.StatusRequestEntityTooLarge
	case errors.As(err, &ne) && ne.Timeout():
		return http.StatusRequestTimeout
	default:
		return http.StatusBadRequest
	}
}
