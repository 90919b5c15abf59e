package server

import (
	"crypto/rand"
	"io"
	"net/http"
	"os"
	"path/filepath"
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
