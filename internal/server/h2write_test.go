package server

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"crypto/tls"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/ephpm/ephpm/internal/config"
)

// pieceRecorder keeps the size of every Write.
type pieceRecorder struct {
	*httptest.ResponseRecorder
	sizes []int
}

func (p *pieceRecorder) Write(b []byte) (int, error) {
	p.sizes = append(p.sizes, len(b))
	return p.ResponseRecorder.Write(b)
}

// TestH2FileWriterPieces: every write but the last is a full buffer, and
// the bytes arrive as read, at the edges of reads too.
func TestH2FileWriterPieces(t *testing.T) {
	const bufSize = h2ReadPieces * h2RecordPayload
	for _, size := range []int{0, 1, bufSize - 1, bufSize, bufSize + 1, 1<<20 + 3} {
		src := make([]byte, size)
		rand.Read(src)
		rec := &pieceRecorder{ResponseRecorder: httptest.NewRecorder()}
		n, err := h2FileWriter{rec}.ReadFrom(bytes.NewReader(src))
		if err != nil || n != int64(size) {
			t.Fatalf("size %d: ReadFrom = %d, %v", size, n, err)
		}
		if !bytes.Equal(rec.Body.Bytes(), src) {
			t.Fatalf("size %d: body differs", size)
		}
		for i, s := range rec.sizes {
			if s == 0 || s > bufSize || (i < len(rec.sizes)-1 && s != bufSize) {
				t.Fatalf("size %d: writes %v", size, rec.sizes)
			}
		}
		if want := (size + bufSize - 1) / bufSize; len(rec.sizes) != want {
			t.Errorf("size %d: %d writes, want %d", size, len(rec.sizes), want)
		}
	}
}

// errReader fails after its data.
type errReader struct{ data []byte }

func (e *errReader) Read(p []byte) (int, error) {
	if len(e.data) == 0 {
		return 0, io.ErrClosedPipe
	}
	n := copy(p, e.data)
	e.data = e.data[n:]
	return n, nil
}

// TestH2FileWriterReadError: a failing read ends the copy with its error
// after what was read went out.
func TestH2FileWriterReadError(t *testing.T) {
	rec := &pieceRecorder{ResponseRecorder: httptest.NewRecorder()}
	n, err := h2FileWriter{rec}.ReadFrom(&errReader{data: make([]byte, 100)})
	if err != io.ErrClosedPipe || n != 100 {
		t.Errorf("ReadFrom = %d, %v", n, err)
	}
}

// recordCounter reads TLS records off the wire (their 5-byte headers are
// in the clear) and keeps the length of each.
type recordCounter struct {
	net.Conn
	mu      sync.Mutex
	hdr     []byte
	skip    int
	lengths []int
}

func (c *recordCounter) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.mu.Lock()
	defer c.mu.Unlock()
	for b := p[:n]; len(b) > 0; {
		if c.skip > 0 {
			k := min(c.skip, len(b))
			c.skip -= k
			b = b[k:]
			continue
		}
		k := min(5-len(c.hdr), len(b))
		c.hdr = append(c.hdr, b[:k]...)
		b = b[k:]
		if len(c.hdr) == 5 {
			c.skip = int(c.hdr[3])<<8 | int(c.hdr[4])
			c.lengths = append(c.lengths, c.skip)
			c.hdr = c.hdr[:0]
		}
	}
	return n, err
}

func (c *recordCounter) records() []int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]int(nil), c.lengths...)
}

// h2Client speaks HTTP/2 over TLS and counts the records it receives.
func h2Client(t *testing.T) (*http.Client, *recordCounter) {
	rc := new(recordCounter)
	tr := &http.Transport{
		ForceAttemptHTTP2:  true,
		DisableCompression: true,
		DialTLSContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			raw, err := (&net.Dialer{}).DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			rc.Conn = raw
			tc := tls.Client(rc, &tls.Config{InsecureSkipVerify: true, NextProtos: []string{"h2"}})
			if err := tc.HandshakeContext(ctx); err != nil {
				raw.Close()
				return nil, err
			}
			return tc, nil
		},
	}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}, rc
}

func h2Get(t *testing.T, c *http.Client, url string, hdr ...string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: body: %v", url, err)
	}
	if resp.ProtoMajor != 2 {
		t.Fatalf("GET %s: %s, want HTTP/2", url, resp.Proto)
	}
	return resp, b
}

// TestLargeStaticFileOverHTTP2TLS: a large file over HTTP/2 with TLS
// arrives byte-exact whole, in one range and in several, 304 answers its
// ETag, a compressible one is compressed, and the body travels in full
// TLS records: no record with a 9-byte remainder of a frame per 16 KB.
func TestLargeStaticFileOverHTTP2TLS(t *testing.T) {
	root := t.TempDir()
	data := make([]byte, 1<<20+123)
	rand.Read(data)
	os.WriteFile(filepath.Join(root, "big.bin"), data, 0o644)
	js := bytes.Repeat([]byte("function f(a, b) { return a + b; } // some script\n"), 8000)
	os.WriteFile(filepath.Join(root, "big.js"), js, 0o644)
	s := startFront(t, func(c *config.Config) {
		withTLS(t)(c)
		c.Server.DocumentRoot = root
	})
	base := "https://" + s.HTTPSAddr().String()
	c, rc := h2Client(t)

	resp, body := h2Get(t, c, base+"/big.bin")
	if resp.StatusCode != 200 || !bytes.Equal(body, data) {
		t.Fatalf("whole file: %d, %d bytes, equal %v", resp.StatusCode, len(body), bytes.Equal(body, data))
	}
	tiny := 0
	for _, n := range rc.records() {
		if n < 64 { // a 9-byte frame remainder is 26 bytes sealed (TLS 1.3)
			tiny++
		}
	}
	// Before: one such record per 16 KB frame, 64 for this file. Now only
	// the connection's SETTINGS frames and the like.
	if tiny > 10 {
		t.Errorf("%d records under 64 bytes while receiving 1 MB (records: %v)", tiny, rc.records())
	}

	etag := resp.Header.Get("ETag")
	if etag == "" || resp.Header.Get("Content-Type") != "application/octet-stream" {
		t.Errorf("headers: %v", resp.Header)
	}
	resp, _ = h2Get(t, c, base+"/big.bin", "If-None-Match", etag)
	if resp.StatusCode != http.StatusNotModified {
		t.Errorf("If-None-Match: %d", resp.StatusCode)
	}

	resp, body = h2Get(t, c, base+"/big.bin", "Range", "bytes=100000-700000")
	if resp.StatusCode != http.StatusPartialContent || !bytes.Equal(body, data[100000:700001]) ||
		resp.Header.Get("Content-Range") != fmt.Sprintf("bytes 100000-700000/%d", len(data)) {
		t.Errorf("range: %d %q, %d bytes", resp.StatusCode, resp.Header.Get("Content-Range"), len(body))
	}
	resp, body = h2Get(t, c, base+"/big.bin", "Range", "bytes=-5")
	if resp.StatusCode != http.StatusPartialContent || !bytes.Equal(body, data[len(data)-5:]) {
		t.Errorf("suffix range: %d, %d bytes", resp.StatusCode, len(body))
	}

	resp, body = h2Get(t, c, base+"/big.bin", "Range", "bytes=0-99,500000-540000")
	_, params, err := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if resp.StatusCode != http.StatusPartialContent || err != nil {
		t.Fatalf("multirange: %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	mr := multipart.NewReader(bytes.NewReader(body), params["boundary"])
	for _, want := range [][]byte{data[0:100], data[500000:540001]} {
		p, err := mr.NextPart()
		if err != nil {
			t.Fatalf("multirange part: %v", err)
		}
		got, _ := io.ReadAll(p)
		if !bytes.Equal(got, want) {
			t.Errorf("multirange part %q: %d bytes, want %d", p.Header.Get("Content-Range"), len(got), len(want))
		}
	}

	resp, body = h2Get(t, c, base+"/big.js", "Accept-Encoding", "gzip")
	if resp.Header.Get("Content-Encoding") != "gzip" || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/javascript") {
		t.Fatalf("big.js: %v", resp.Header)
	}
	zr, err := gzip.NewReader(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	plain, err := io.ReadAll(zr)
	if err != nil || !bytes.Equal(plain, js) {
		t.Errorf("big.js gunzipped: %d bytes, %v", len(plain), err)
	}
}

// TestHTTP2StreamsShareTheConnection: over one connection with small
// flow control windows (the server waits for WINDOW_UPDATEs), parallel
// downloads and ranges of a large file arrive byte-exact, a download the
// client abandons halfway (RST_STREAM) leaves the connection serving, and
// a small request is answered while large ones are in flight.
func TestHTTP2StreamsShareTheConnection(t *testing.T) {
	root := t.TempDir()
	data := make([]byte, 3<<20+17)
	rand.Read(data)
	os.WriteFile(filepath.Join(root, "big.bin"), data, 0o644)
	os.WriteFile(filepath.Join(root, "small.txt"), []byte("small"), 0o644)
	s := startFront(t, func(c *config.Config) {
		withTLS(t)(c)
		c.Server.DocumentRoot = root
	})
	base := "https://" + s.HTTPSAddr().String()
	tr := &http.Transport{
		ForceAttemptHTTP2: true,
		TLSClientConfig:   insecureTLS(),
		MaxConnsPerHost:   1,
		HTTP2: &http.HTTP2Config{
			MaxReceiveBufferPerStream:     64 << 10,
			MaxReceiveBufferPerConnection: 64 << 10,
		},
	}
	t.Cleanup(tr.CloseIdleConnections)
	c := &http.Client{Transport: tr}

	// Abandoned halfway: the stream is reset, the connection stays.
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", base+"/big.bin", nil)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.ReadFull(resp.Body, make([]byte, 1<<20))
	cancel()
	resp.Body.Close()

	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for i := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequest("GET", base+"/big.bin", nil)
			want := data
			if i%2 == 1 {
				lo, hi := 1000*i, len(data)-7*i
				req.Header.Set("Range", fmt.Sprintf("bytes=%d-%d", lo, hi))
				want = data[lo : hi+1]
			}
			resp, err := c.Do(req)
			if err != nil {
				errs <- err
				return
			}
			defer resp.Body.Close()
			got, err := io.ReadAll(resp.Body)
			if err != nil || resp.ProtoMajor != 2 || !bytes.Equal(got, want) {
				errs <- fmt.Errorf("download %d: %s %d, %d bytes of %d, %v", i, resp.Proto, resp.StatusCode, len(got), len(want), err)
			}
		}()
	}
	// While those are in flight.
	resp, body := getBody(t, c, base+"/small.txt")
	if resp.ProtoMajor != 2 || body != "small" {
		t.Errorf("small: %s %q", resp.Proto, body)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestLargeStaticFileOverH2C: cleartext HTTP/2 sends large files
// byte-exact too, with and without TLS on another listener (with it, x/net's
// server answers h2c as well), and h2c stays refused when it is off.
func TestLargeStaticFileOverH2C(t *testing.T) {
	root := t.TempDir()
	data := make([]byte, 1<<20+5)
	rand.Read(data)
	os.WriteFile(filepath.Join(root, "big.bin"), data, 0o644)
	for _, tc := range []struct {
		name     string
		tls, h2c bool
	}{{"h2c", false, true}, {"h2c and TLS", true, true}, {"TLS, h2c off", true, false}} {
		t.Run(tc.name, func(t *testing.T) {
			s := startFront(t, func(c *config.Config) {
				if tc.tls {
					withTLS(t)(c)
					c.Server.TLS.Listen = "127.0.0.1:0"
				}
				c.Server.H2C = tc.h2c
				c.Server.DocumentRoot = root
			})
			c := h2cClient()
			url := "http://" + s.Addr().String() + "/big.bin"
			if !tc.h2c {
				if resp, err := c.Get(url); err == nil {
					resp.Body.Close()
					t.Errorf("h2c off: prior-knowledge HTTP/2 got %s %d", resp.Proto, resp.StatusCode)
				}
				return
			}
			resp, body := h2Get(t, c, url)
			if resp.StatusCode != 200 || !bytes.Equal(body, data) {
				t.Errorf("whole: %d, %d bytes", resp.StatusCode, len(body))
			}
			resp, body = h2Get(t, c, url, "Range", "bytes=65000-200000")
			if resp.StatusCode != http.StatusPartialContent || !bytes.Equal(body, data[65000:200001]) {
				t.Errorf("range: %d, %d bytes", resp.StatusCode, len(body))
			}
		})
	}
}
