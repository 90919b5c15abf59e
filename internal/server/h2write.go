package server

import (
	"io"
	"net/http"
	"os"
	"sync"
)

// Files over HTTP/2 are handed to the connection 64 KB at a time:
// every handler write is a round trip to the connection's goroutine (the
// handler waits until its data is written), and http.ServeContent's copy
// would write 32 KB at a time. alignedScheduler (h2sched.go) cuts each
// write into DATA frames that fill one TLS record each.

// h2RecordPayload is the DATA payload whose frame (9-byte header) fills
// one TLS record of 16,384 bytes of plaintext.
const h2RecordPayload = 16384 - 9

// h2ReadPieces records' worth of the file are read and written at once.
const h2ReadPieces = 4

var h2Bufs = sync.Pool{New: func() any { b := make([]byte, h2ReadPieces*h2RecordPayload); return &b }}

// h2FileWriter passes everything to the response writer and gives
// http.ServeContent a ReadFrom that writes in large pieces.
type h2FileWriter struct{ http.ResponseWriter }

// forFileBody returns the writer to send a file's body through: w itself
// unless the request came over HTTP/2. With TLS it is served with
// alignedScheduler (listeners.go configures it whenever there is TLS, and
// then h2c too); h2c alone is net/http's, which cuts 64 KB into three full
// frames and one of 16,348 bytes: no more frames than 32 KB writes make.
func forFileBody(w http.ResponseWriter, r *http.Request) http.ResponseWriter {
	if r.ProtoMajor != 2 {
		return w
	}
	return h2FileWriter{w}
}

// ReadFrom copies src to the response in writes of up to
// h2ReadPieces*h2RecordPayload bytes.
func (w h2FileWriter) ReadFrom(src io.Reader) (int64, error) {
	bp := h2Bufs.Get().(*[]byte)
	defer h2Bufs.Put(bp)
	buf := *bp
	// http.ServeContent copies a file (or one range of it) through
	// io.CopyN: its pieces are read from the page cache without the
	// scheduler's system call hand-off (rawio_linux.go).
	if lr, ok := src.(*io.LimitedReader); ok {
		if f, ok := lr.R.(*os.File); ok {
			if rr := newRawFileReader(f); rr != nil {
				src = &io.LimitedReader{R: rr, N: lr.N}
			}
		}
	}
	var total int64
	for {
		n, rerr := io.ReadFull(src, buf)
		if n > 0 {
			m, err := w.ResponseWriter.Write(buf[:n])
			total += int64(m)
			if err != nil {
				return total, err
			}
		}
		switch rerr {
		case nil:
		case io.EOF, io.ErrUnexpectedEOF:
			return total, nil
		default:
			return total, rerr
		}
	}
}

// Unwrap lets http.ResponseController reach the connection.
func (w h2FileWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
