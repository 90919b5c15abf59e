package server

import (
	"io"
	"net/http"
	"sync"
)

// Files over HTTP/2 with TLS are written in pieces that each become one
// DATA frame filling one TLS record exactly.
//
// Go's HTTP/2 server cuts a handler's write into DATA frames of at most
// the peer's SETTINGS_MAX_FRAME_SIZE (16,384 bytes unless the client says
// more, and clients rarely do), and crypto/tls cuts each write into
// records of at most 16,384 bytes of plaintext. A frame is 9 bytes of
// header plus its payload, so a full 16,384-byte frame went out as a
// 16,384-byte record and a 9-byte one: two AES-GCM seals and two write
// syscalls per 16 KB, and the client one more record to open (measured
// with strace on a 1 MB file: 64 writes of 16,406 bytes and 64 of 31).
// A write of 16,375 bytes is one frame whose header and payload fill one
// record, so a 1 MB file costs half the records and write syscalls.

// h2RecordPayload is the DATA payload whose frame (9-byte header)
// fills one TLS record of 16,384 bytes of plaintext.
const h2RecordPayload = 16384 - 9

// h2ReadPieces pieces are read from the file at once, so reads stay few.
const h2ReadPieces = 4

var h2Bufs = sync.Pool{New: func() any { b := make([]byte, h2ReadPieces*h2RecordPayload); return &b }}

// h2TLSWriter passes everything to the response writer and gives
// http.ServeContent a ReadFrom that writes in record-sized pieces.
type h2TLSWriter struct{ http.ResponseWriter }

// forFileBody returns the writer to send a file's body through: w itself
// unless the request came over HTTP/2 with TLS.
func forFileBody(w http.ResponseWriter, r *http.Request) http.ResponseWriter {
	if r.ProtoMajor != 2 || r.TLS == nil {
		return w
	}
	return h2TLSWriter{w}
}

// ReadFrom copies src to the response in writes of h2RecordPayload bytes.
func (w h2TLSWriter) ReadFrom(src io.Reader) (int64, error) {
	bp := h2Bufs.Get().(*[]byte)
	defer h2Bufs.Put(bp)
	buf := *bp
	var total int64
	for {
		n, rerr := io.ReadFull(src, buf)
		for off := 0; off < n; {
			end := min(off+h2RecordPayload, n)
			m, err := w.ResponseWriter.Write(buf[off:end])
			total += int64(m)
			if err != nil {
				return total, err
			}
			off = end
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
func (w h2TLSWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
