package server

import (
	"bytes"
	"encoding/binary"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/klauspost/compress/zstd"
)

// zstdBlocks parses one zstd frame (RFC 8878 3.1.1) and returns the
// content size of each of its blocks, and the bytes after the frame.
func zstdBlocks(t *testing.T, b []byte) (sizes []int, rest []byte) {
	t.Helper()
	if len(b) < 6 || binary.LittleEndian.Uint32(b) != 0xFD2FB528 {
		t.Fatalf("not a zstd frame: % x", b[:min(len(b), 8)])
	}
	fhd := b[4]
	fcsFlag, single, checksum, dictFlag := fhd>>6, fhd>>5&1 == 1, fhd>>2&1 == 1, fhd&3
	p := 5
	if !single {
		p++ // Window_Descriptor
	}
	p += []int{0, 1, 2, 4}[dictFlag]
	fcs := []int{0, 2, 4, 8}[fcsFlag]
	if fcsFlag == 0 && single {
		fcs = 1
	}
	p += fcs
	for {
		if p+3 > len(b) {
			t.Fatalf("frame cut short at %d of %d bytes", p, len(b))
		}
		h := uint32(b[p]) | uint32(b[p+1])<<8 | uint32(b[p+2])<<16
		p += 3
		last, typ, size := h&1 == 1, h>>1&3, int(h>>3)
		switch typ {
		case 0, 2: // raw, compressed: size bytes follow
			p += size
		case 1: // RLE: one byte, repeated size times
			p++
		default:
			t.Fatalf("reserved block type at %d", p-3)
		}
		sizes = append(sizes, size)
		if last {
			break
		}
	}
	if checksum {
		p += 4
	}
	if p > len(b) {
		t.Fatalf("frame longer (%d) than the body (%d)", p, len(b))
	}
	return sizes, b[p:]
}

// TestZstdPageOneBlock: a 100 KB page PHP writes at once goes out as one
// zstd block holding all of it (and the empty last block Close adds),
// not two: klauspost's level 1 cuts blocks at 64 KB unless the window is
// set before the level (compress.go newEncoders), and each block pays for
// its own entropy tables. The body decodes to the page.
func TestZstdPageOneBlock(t *testing.T) {
	page := benchPage100K()
	opts := newResponseOptions(true, 0, 1024, nil)
	r := httptest.NewRequest(http.MethodGet, "/page100k.php", nil)
	r.Header.Set("Accept-Encoding", "zstd")
	rec := httptest.NewRecorder()
	w := newResponse(&recorder{ResponseWriter: rec}, r, opts)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	w.Write(page)
	w.finish()
	body := rec.Body.Bytes()
	if rec.Header().Get("Content-Encoding") != "zstd" {
		t.Fatalf("Content-Encoding %q", rec.Header().Get("Content-Encoding"))
	}
	sizes, rest := zstdBlocks(t, body)
	if len(rest) != 0 {
		t.Errorf("%d bytes after the frame", len(rest))
	}
	var data []int
	for _, s := range sizes {
		if s > 0 {
			data = append(data, s)
		}
	}
	if len(data) != 1 {
		t.Errorf("blocks with data: %v (all blocks %v), want one", data, sizes)
	}
	zr, err := zstd.NewReader(bytes.NewReader(body), zstd.WithDecoderConcurrency(1))
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	var got bytes.Buffer
	if _, err := got.ReadFrom(zr); err != nil || !bytes.Equal(got.Bytes(), page) {
		t.Errorf("decoded: %d bytes, %v; want the %d-byte page", got.Len(), err, len(page))
	}
}
