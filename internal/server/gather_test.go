package server

import (
	"bufio"
	"compress/gzip"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/klauspost/compress/zstd"
)

// countConn counts the writes that reach a connection.
type countConn struct {
	net.Conn
	writes *atomic.Int64
}

func (c countConn) Write(p []byte) (int, error) {
	c.writes.Add(1)
	return c.Conn.Write(p)
}

type countListener struct {
	net.Listener
	writes atomic.Int64
}

func (l *countListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return countConn{c, &l.writes}, nil
}

// gatherServer serves body as text/html through the response writer
// (compressed as negotiated), over gathering connections whose writes it
// counts.
func gatherServer(t *testing.T, body string) (addr string, writes *atomic.Int64) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cl := &countListener{Listener: ln}
	opts := newResponseOptions(true, 0, 1024, nil)
	srv := &http.Server{
		ConnContext: withGatherConn,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			resp := newResponse(&recorder{ResponseWriter: w}, r, opts)
			defer resp.finish()
			resp.Header().Set("Content-Type", "text/html")
			for i := 0; i < len(body); i += 16 << 10 { // as PHP hands it over
				io.WriteString(resp, body[i:min(i+16<<10, len(body))])
			}
		}),
	}
	go srv.Serve(gatherListener{Listener: cl})
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String(), &cl.writes
}

// readResponse sends a GET with Accept-Encoding on c and reads the
// response, body decoded.
func readResponse(t *testing.T, c net.Conn, br *bufio.Reader, coding string) (*http.Response, string) {
	t.Helper()
	fmt.Fprintf(c, "GET / HTTP/1.1\r\nHost: x\r\nAccept-Encoding: %s\r\n\r\n", coding)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var r io.Reader = resp.Body
	switch coding {
	case "gzip":
		zr, err := gzip.NewReader(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		r = zr
	case "zstd":
		zr, err := zstd.NewReader(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		defer zr.Close()
		r = zr
	}
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

// TestCompressedResponseOneConnWrite: over HTTP/1.1 the head and a
// compressed body that fits zbuf reach the socket in one write (net/http's
// 4 KB buffer alone makes it two), for bodies larger and smaller than that
// buffer, twice on one keep-alive connection; a body that outgrows zbuf
// still streams, and an uncompressed one is not held back.
func TestCompressedResponseOneConnWrite(t *testing.T) {
	for _, tc := range []struct {
		name, coding string
		size         int
		oneWrite     bool
	}{
		{"100 KB gzip", "gzip", 100 << 10, true},
		{"100 KB zstd", "zstd", 100 << 10, true},
		{"32 KB gzip (the end stays in net/http's buffer)", "gzip", 32 << 10, true},
		{"2 MB gzip (outgrows zbuf)", "gzip", 2 << 20, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			page := pageText(tc.size)
			addr, writes := gatherServer(t, page)
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			br := bufio.NewReader(c)
			for i := 0; i < 2; i++ {
				before := writes.Load()
				resp, body := readResponse(t, c, br, tc.coding)
				n := writes.Load() - before
				t.Logf("%d writes, Content-Length %d", n, resp.ContentLength)
				if resp.Header.Get("Content-Encoding") != tc.coding || body != page {
					t.Fatalf("Content-Encoding %q, body %d bytes (want %d)", resp.Header.Get("Content-Encoding"), len(body), len(page))
				}
				if tc.oneWrite {
					if n != 1 || resp.ContentLength <= 4<<10 {
						t.Errorf("request %d: %d writes for %d compressed bytes, want 1 (and more than net/http's 4 KB buffer)", i, n, resp.ContentLength)
					}
				} else if n < 2 || resp.ContentLength != -1 {
					t.Errorf("request %d: %d writes, Content-Length %d: want a chunked stream", i, n, resp.ContentLength)
				}
			}
		})
	}
	t.Run("identity", func(t *testing.T) {
		page := pageText(100 << 10)
		addr, _ := gatherServer(t, page)
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		resp, body := readResponse(t, c, bufio.NewReader(c), "identity")
		if resp.Header.Get("Content-Encoding") != "" || body != page {
			t.Fatalf("Content-Encoding %q, %d bytes", resp.Header.Get("Content-Encoding"), len(body))
		}
	})
}

// TestGatherOnlyHTTP1: the connection is reachable only from HTTP/1.x
// requests over a gathering connection.
func TestGatherOnlyHTTP1(t *testing.T) {
	g := &gatherConn{}
	r, _ := http.NewRequest("GET", "/", strings.NewReader(""))
	if gatherOf(r) != nil {
		t.Fatal("gatherConn without ConnContext")
	}
	r = r.WithContext(withGatherConn(r.Context(), g))
	if gatherOf(r) != g {
		t.Fatal("HTTP/1.1 request does not reach its gatherConn")
	}
	r.ProtoMajor = 2
	if gatherOf(r) != nil {
		t.Fatal("HTTP/2 request reaches the connection")
	}
}
