package server

import (
	"crypto/rand"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ephpm/ephpm/internal/config"
)

// BenchmarkH2Static1MB: a 1 MB static file over HTTP/2 and TLS, one
// connection, client in the same process (for profiles of the h2 path:
// go test -bench H2Static -cpuprofile cpu.out).
func BenchmarkH2Static1MB(b *testing.B) {
	root := ""
	s := startFront(b, func(c *config.Config) {
		withTLS(b)(c)
		c.Server.Response.Compression = false
		root = c.Server.DocumentRoot
	})
	buf := make([]byte, 1<<20)
	rand.Read(buf)
	os.WriteFile(filepath.Join(root, "big.bin"), buf, 0o644)
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: insecureTLS(), ForceAttemptHTTP2: true}}
	url := "https://" + s.HTTPSAddr().String() + "/big.bin"
	b.SetBytes(1 << 20)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		resp, err := c.Get(url)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
}

// benchPage100K builds a page like bench/apps/front/page100k.php's: a
// product table whose rows vary by index, padded to exactly 100 KB.
func benchPage100K() []byte {
	words := []string{"alpine", "basalt", "cobalt", "dune", "ember", "fjord", "granite", "harbor",
		"indigo", "juniper", "kelp", "lagoon", "meadow", "nectar", "obsidian", "prairie"}
	out := []byte("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Catalogue</title>" +
		"<link rel=\"stylesheet\" href=\"/assets/app.css\"></head>\n<body><main class=\"container\">\n" +
		"<table class=\"table table-striped\"><thead><tr><th>#</th><th>Name</th><th>SKU</th>" +
		"<th>Price</th><th>Stock</th><th>Description</th></tr></thead><tbody>\n")
	for i := 1; len(out) < 102400-200; i++ {
		a, b, c := words[(i*7)%16], words[(i*11+3)%16], words[(i*13+5)%16]
		cls := "even"
		if i%2 == 1 {
			cls = "odd"
		}
		out = fmt.Appendf(out, "<tr id=\"row-%d\" class=\"%s\"><td>%d</td><td><a href=\"/products/%s-%s-%d\">%s %s</a></td>"+
			"<td><code>%s-%05d</code></td><td class=\"num\">%d.%02d</td><td>%d</td>"+
			"<td>The %s %s, finished in %s, ships in %d days.</td></tr>\n",
			i, cls, i, a, b, i, strings.ToUpper(a[:1])+a[1:], b,
			strings.ToUpper(c[:3]), (i*7919)%100000, 5+(i*37)%495, (i*53)%100,
			(i*101)%1000, a, b, c, 1+i%14)
	}
	out = append(out, "</tbody></table></main>\n<footer><p>&copy; Example shop</p></footer></body></html>\n"...)
	for len(out) < 102400 {
		out = append(out, ' ')
	}
	return out
}

// pageSink is a ResponseWriter that counts the body and drops it.
type pageSink struct {
	h http.Header
	n int
}

func (d *pageSink) Header() http.Header         { return d.h }
func (d *pageSink) WriteHeader(int)             {}
func (d *pageSink) Write(p []byte) (int, error) { d.n += len(p); return len(p), nil }

// BenchmarkCompressedPage: the server's side of a compressed 100 KB PHP
// page without PHP and without the network: the head, one 100 KB write
// (as the SAPI hands a page echoed at once), finish. CPU and allocations
// of the encoders and the response machinery per response
// (go test -bench CompressedPage -benchmem ./internal/server/ -run XXX).
func BenchmarkCompressedPage(b *testing.B) {
	page := benchPage100K()
	for _, c := range []string{"gzip", "zstd"} {
		b.Run(c, func(b *testing.B) {
			opts := newResponseOptions(true, 0, 1024, nil)
			r := httptest.NewRequest(http.MethodGet, "/page100k.php", nil)
			r.Header.Set("Accept-Encoding", c)
			d := &pageSink{}
			b.SetBytes(int64(len(page)))
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				d.h, d.n = http.Header{}, 0
				w := newResponse(&recorder{ResponseWriter: d}, r, opts)
				w.Header().Set("Content-Type", "text/html; charset=utf-8")
				w.WriteHeader(http.StatusOK)
				w.Write(page)
				w.finish()
			}
			b.ReportMetric(float64(d.n), "bytes/op")
		})
	}
}
