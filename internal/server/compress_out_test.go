package server

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// countingWriter records what reaches the connection: the status with the
// header as it was when the status went out, and each write.
type countingWriter struct {
	h      http.Header
	sent   http.Header // a copy taken at WriteHeader
	status int
	writes []int
}

func (c *countingWriter) Header() http.Header { return c.h }
func (c *countingWriter) WriteHeader(code int) {
	c.status, c.sent = code, c.h.Clone()
}
func (c *countingWriter) Write(p []byte) (int, error) {
	if c.status == 0 {
		c.WriteHeader(200)
	}
	c.writes = append(c.writes, len(p))
	return len(p), nil
}

// pageText is markup that compresses about as much as a real page (8-10x),
// n bytes of it.
func pageText(n int) string {
	var b strings.Builder
	for i := 0; b.Len() < n; i++ {
		fmt.Fprintf(&b, "<tr id=\"row-%d\"><td>%d</td><td><a href=\"/p/%d\">item %d</a></td><td>%d.%02d</td></tr>\n",
			i, i, i*7919%100000, i*31%977, 5+i*37%495, i*53%100)
	}
	return b.String()[:n]
}

// TestCompressedBodyOneWrite: a compressed body that fits the buffer
// reaches the connection in one write, after a status whose header
// carries its Content-Length; PHP's output arrives in pieces.
func TestCompressedBodyOneWrite(t *testing.T) {
	opts := newResponseOptions(true, 0, 1024, nil)
	page := pageText(100 << 10)
	for _, enc := range []string{"zstd", "br", "gzip"} {
		req := httptest.NewRequest("GET", "/", nil)
		req.Header.Set("Accept-Encoding", enc)
		cw := &countingWriter{h: http.Header{}}
		w := newResponse(&recorder{ResponseWriter: cw}, req, opts)
		w.Header().Set("Content-Type", "text/html")
		for i := 0; i < len(page); i += 4096 {
			io.WriteString(w, page[i:min(i+4096, len(page))])
		}
		if len(cw.writes) != 0 || cw.status != 0 {
			t.Fatalf("%s: status %d and %d writes before the end", enc, cw.status, len(cw.writes))
		}
		w.finish()
		if cw.status != 200 || len(cw.writes) != 1 {
			t.Fatalf("%s: status %d, writes %v", enc, cw.status, cw.writes)
		}
		if got, want := cw.sent.Get("Content-Length"), fmt.Sprint(cw.writes[0]); got != want {
			t.Errorf("%s: Content-Length %q, body %s bytes", enc, got, want)
		}
		if cw.sent.Get("Content-Encoding") != enc || cw.sent.Get("Vary") != "Accept-Encoding" {
			t.Errorf("%s: header %v", enc, cw.sent)
		}
	}
}

// TestCompressedBodyLarge: a body whose compressed form outgrows the buffer
// goes out as it is produced, without a length (chunked), and decodes to
// what was written; a small one gets its Content-Length on the wire.
func TestCompressedBodyLarge(t *testing.T) {
	raw := make([]byte, 600<<10)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range raw {
		raw[i] = byte(rng.Uint32())
	}
	noisy := base64.StdEncoding.EncodeToString(raw) // compresses to about 3/4: far beyond zbufSize
	small := pageText(20 << 10)
	ts, _ := compressServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		body := small
		if r.URL.Path == "/large" {
			body = noisy
		}
		for i := 0; i < len(body); i += 8192 {
			io.WriteString(w, body[i:min(i+8192, len(body))])
		}
	}, nil, nil)
	for _, enc := range []string{"zstd", "br", "gzip"} {
		resp, body := get(t, "GET", ts.URL+"/large", "Accept-Encoding", enc)
		if resp.Header.Get("Content-Encoding") != enc || resp.ContentLength != -1 || len(body) <= zbufSize {
			t.Errorf("%s large: encoding %q, Content-Length %d, %d bytes", enc, resp.Header.Get("Content-Encoding"), resp.ContentLength, len(body))
		}
		if got := decode(t, enc, body); string(got) != noisy {
			t.Errorf("%s large: %d bytes decoded, want %d", enc, len(got), len(noisy))
		}
		resp, body = get(t, "GET", ts.URL+"/small", "Accept-Encoding", enc)
		if resp.Header.Get("Content-Encoding") != enc || resp.ContentLength != int64(len(body)) {
			t.Errorf("%s small: encoding %q, Content-Length %d, %d bytes", enc, resp.Header.Get("Content-Encoding"), resp.ContentLength, len(body))
		}
		if got := decode(t, enc, body); string(got) != small {
			t.Errorf("%s small: %d bytes decoded, want %d", enc, len(got), len(small))
		}
	}
}

// TestCompressedOnArrival: once encodeNowAt bytes of a body went into the
// encoder, Write returns with them compressed (into zbuf: nothing is sent
// before the end), so PHP's thread does the work while the bytes are in
// its cache; less than that waits. A file copied by ReadFrom is not cut
// into flushed pieces: its body is what the encoder makes of the plain
// copy. Every body decodes to what was written.
func TestCompressedOnArrival(t *testing.T) {
	opts := newResponseOptions(true, 0, 1024, nil)
	page := pageText(100 << 10)
	half := encodeNowAt / 2
	for _, c := range []coding{codingZstd, codingBr, codingGzip} {
		enc := c.token()
		req := httptest.NewRequest("GET", "/", nil)
		req.Header.Set("Accept-Encoding", enc)
		cw := &countingWriter{h: http.Header{}}
		w := newResponse(&recorder{ResponseWriter: cw}, req, opts)
		w.Header().Set("Content-Type", "text/html")
		io.WriteString(w, page[:half])
		before := len(*w.zbuf)
		io.WriteString(w, page[half:encodeNowAt])
		after := len(*w.zbuf)
		// 16 KB of this markup compresses to 1-3 KB; a coding's frame
		// header alone is a few bytes.
		if before > 64 || after < 500 {
			t.Errorf("%s: %d compressed bytes after %d bytes written, %d after %d", enc, before, half, after, encodeNowAt)
		}
		io.WriteString(w, page[encodeNowAt:])
		if len(cw.writes) != 0 {
			t.Fatalf("%s: %d writes before the end", enc, len(cw.writes))
		}
		w.finish()
		if len(cw.writes) != 1 {
			t.Fatalf("%s: writes %v", enc, cw.writes)
		}

		// The same page through ReadFrom, as serveStatic copies a file.
		cf := &capture{h: http.Header{}}
		w = newResponse(&recorder{ResponseWriter: cf}, req, opts)
		w.Header().Set("Content-Type", "text/html")
		if _, err := w.ReadFrom(strings.NewReader(page)); err != nil {
			t.Fatal(err)
		}
		w.finish()
		if got := decode(t, enc, cf.body.Bytes()); string(got) != page {
			t.Fatalf("%s ReadFrom: %d bytes decoded, want %d", enc, len(got), len(page))
		}
		var plain bytes.Buffer
		e := opts.encoders.get(c, &plain)
		for i := 0; i < len(page); i += 32 << 10 {
			e.Write([]byte(page[i:min(i+32<<10, len(page))]))
		}
		e.Close()
		opts.encoders.put(c, e)
		if cf.body.Len() != plain.Len() {
			t.Errorf("%s ReadFrom: %d bytes, the encoder alone makes %d", enc, cf.body.Len(), plain.Len())
		}
	}
}

// capture is a ResponseWriter keeping the body.
type capture struct {
	h    http.Header
	body bytes.Buffer
}

func (c *capture) Header() http.Header         { return c.h }
func (c *capture) WriteHeader(int)             {}
func (c *capture) Write(p []byte) (int, error) { return c.body.Write(p) }
