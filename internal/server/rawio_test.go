package server

import (
	"bytes"
	"crypto/rand"
	"errors"
	"io"
	"net"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// tcpPair is a connected loopback pair: the server side as Accept gives
// it (a *net.TCPConn) and the client side.
func tcpPair(t *testing.T) (srv, cli net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	cli, err = net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	srv, err = ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close(); cli.Close() })
	return srv, cli
}

// TestRawConnWriterWritesAll: writes far larger than the socket buffers
// arrive whole and in order while the reader is slow, so the writer
// meets EAGAIN and waits on Go's poller in between.
func TestRawConnWriterWritesAll(t *testing.T) {
	srv, cli := tcpPair(t)
	w := newRawConnWriter(srv)
	if w == nil {
		t.Skip("no raw writes on this platform")
	}
	data := make([]byte, 8<<20)
	rand.Read(data)
	got := make(chan []byte)
	go func() {
		var b bytes.Buffer
		buf := make([]byte, 4096)
		for {
			n, err := cli.Read(buf)
			b.Write(buf[:n])
			if err != nil {
				got <- b.Bytes()
				return
			}
			if b.Len() < 1<<20 {
				time.Sleep(time.Millisecond) // slow at first: the send buffer fills
			}
		}
	}()
	for i := 0; i < len(data); i += 1 << 20 {
		n, err := w.Write(data[i : i+1<<20])
		if n != 1<<20 || err != nil {
			t.Fatalf("Write = %d, %v", n, err)
		}
	}
	if n, err := w.Write(nil); n != 0 || err != nil {
		t.Fatalf("empty Write = %d, %v", n, err)
	}
	srv.(*net.TCPConn).CloseWrite()
	if b := <-got; !bytes.Equal(b, data) {
		t.Fatalf("read %d bytes, not the %d written", len(b), len(data))
	}
}

// TestRawConnWriterErrors: a write deadline, a closed connection and a
// peer that went away give errors as net.Conn's Write would, never a hang.
func TestRawConnWriterErrors(t *testing.T) {
	srv, cli := tcpPair(t)
	w := newRawConnWriter(srv)
	if w == nil {
		t.Skip("no raw writes on this platform")
	}
	// Nobody reads: the buffers fill and the deadline passes.
	srv.SetWriteDeadline(time.Now().Add(200 * time.Millisecond))
	big := make([]byte, 64<<20)
	n, err := w.Write(big)
	var ne net.Error
	if err == nil || !errors.As(err, &ne) || !ne.Timeout() || n >= len(big) {
		t.Fatalf("Write past the deadline = %d, %v; want a timeout", n, err)
	}
	srv.SetWriteDeadline(time.Time{})

	// The peer resets: EPIPE or ECONNRESET as a *net.OpError.
	cli.(*net.TCPConn).SetLinger(0)
	cli.Close()
	deadline := time.Now().Add(5 * time.Second)
	for err == nil || errors.As(err, &ne) && ne.Timeout() {
		if time.Now().After(deadline) {
			t.Fatal("writes to a reset peer kept succeeding")
		}
		_, err = w.Write([]byte("x"))
		time.Sleep(time.Millisecond)
	}
	var oe *net.OpError
	if !errors.As(err, &oe) || oe.Op != "write" {
		t.Errorf("write to a reset peer: %v (%T), want a write *net.OpError", err, err)
	}

	srv.Close()
	if _, err := w.Write([]byte("x")); !errors.Is(err, net.ErrClosed) {
		t.Errorf("write after Close: %v, want net.ErrClosed", err)
	}
}

// TestRawFileReader: a file is read from its offset to EOF, whole, as
// os.File.Read would; through io.LimitedReader as ServeContent's ranges.
func TestRawFileReader(t *testing.T) {
	data := make([]byte, 300<<10+7)
	rand.Read(data)
	path := filepath.Join(t.TempDir(), "f.bin")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := newRawFileReader(f)
	if r == nil {
		t.Skip("no raw reads on this platform")
	}
	got, err := io.ReadAll(r)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("ReadAll = %d bytes, %v; want the file's %d", len(got), err, len(data))
	}
	if n, err := r.Read(make([]byte, 10)); n != 0 || err != io.EOF {
		t.Fatalf("Read at EOF = %d, %v", n, err)
	}
	// A range: from an offset, a limited length.
	if _, err := f.Seek(100<<10+3, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	got, err = io.ReadAll(&io.LimitedReader{R: newRawFileReader(f), N: 70000})
	if err != nil || !bytes.Equal(got, data[100<<10+3:100<<10+3+70000]) {
		t.Fatalf("range read = %d bytes, %v", len(got), err)
	}
	f.Close()
	if _, err := newRawFileReader(f).Read(make([]byte, 10)); err == nil {
		t.Error("read of a closed file: no error")
	}
}

// TestH2FileWriterRawReads: h2FileWriter's ReadFrom with ServeContent's
// reader (an io.LimitedReader over the *os.File) sends the file whole.
func TestH2FileWriterRawReads(t *testing.T) {
	const bufSize = h2ReadPieces * h2RecordPayload
	data := make([]byte, 3*bufSize+11)
	rand.Read(data)
	path := filepath.Join(t.TempDir(), "f.bin")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	f.Seek(5, io.SeekStart)
	rec := &pieceRecorder{ResponseRecorder: httptest.NewRecorder()}
	n, err := h2FileWriter{rec}.ReadFrom(&io.LimitedReader{R: f, N: int64(len(data) - 10)})
	if err != nil || n != int64(len(data)-10) || !bytes.Equal(rec.Body.Bytes(), data[5:len(data)-5]) {
		t.Fatalf("ReadFrom = %d, %v; body %d bytes", n, err, rec.Body.Len())
	}
}

// TestRawWritesOnlyWhereAsked: rawWrites gives a gatherListener's
// connections the raw writer; listenTCP's own listener keeps Go's writes.
func TestRawWritesOnlyWhereAsked(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	plain := gatherListener{Listener: &connListener{Listener: ln, ipLimit: newIPLimit(0, nil, nil)}}
	for _, tc := range []struct {
		ln   net.Listener
		want bool
	}{{plain, false}, {rawWrites(plain), true}} {
		go func() {
			if c, err := net.Dial("tcp", ln.Addr().String()); err == nil {
				defer c.Close()
				io.Copy(io.Discard, c)
			}
		}()
		c, err := tc.ln.Accept()
		if err != nil {
			t.Fatal(err)
		}
		g := c.(*gatherConn)
		if (g.raw != nil) != (tc.want && rawSupported) {
			t.Errorf("raw writer %v, want %v", g.raw != nil, tc.want && rawSupported)
		}
		if _, err := c.Write([]byte("hello")); err != nil {
			t.Errorf("Write: %v", err)
		}
		c.Close()
	}
}
