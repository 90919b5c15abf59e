package e2e

import (
	"bytes"
	"compress/gzip"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSpecAudit9IdentityQValue: issue 13, compression "negotiated from
// Accept-Encoding (q-values, identity, *)". A client that rates identity
// above every coding it names ("identity, gzip;q=0.5") prefers the body as
// it is (RFC 9110 12.5.3); it got gzip. Where identity is not named, or
// rated no higher, the server still compresses as before.
func TestSpecAudit9IdentityQValue(t *testing.T) {
	root := t.TempDir()
	must(t, os.WriteFile(filepath.Join(root, "app.css"), []byte(strings.Repeat("body { color: red; }\n", 300)), 0o644))
	must(t, os.WriteFile(filepath.Join(root, "page.php"), []byte(`<?php echo str_repeat("hello world ", 500);`), 0o644))
	must(t, os.WriteFile(filepath.Join(root, "pre.css"), []byte(strings.Repeat("p { margin: 0; }\n", 300)), 0o644))
	must(t, os.WriteFile(filepath.Join(root, "pre.css.gz"), gzipped(t, strings.Repeat("p { margin: 0; }\n", 300)), 0o644))
	s := start(t, root, "")
	for _, c := range []struct{ ae, want string }{
		{"identity, gzip;q=0.5", ""},
		{"gzip;q=0.5, identity;q=1", ""},
		{"br;q=0.3, identity;q=0.9", ""},
		{"*;q=0.5, identity", ""},
		{"gzip, identity;q=0.5", "gzip"},
		{"gzip, identity", "gzip"}, // equal q: the server picks
		{"gzip, deflate", "gzip"},  // identity implied, not named
		{"identity;q=0, br", "br"},
	} {
		for _, path := range []string{"/app.css", "/page.php", "/pre.css"} {
			req, err := http.NewRequest(http.MethodGet, s.URL+path, nil)
			must(t, err)
			req.Header.Set("Accept-Encoding", c.ae)
			resp, err := (&http.Transport{DisableCompression: true}).RoundTrip(req)
			must(t, err)
			resp.Body.Close()
			want := c.want // (pre.css with br: compressed on the fly, the sibling is gzip only)
			if got := resp.Header.Get("Content-Encoding"); got != want {
				t.Errorf("GET %s with Accept-Encoding %q: Content-Encoding %q, want %q", path, c.ae, got, want)
			}
		}
	}
}

func gzipped(t *testing.T, s string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	_, err := zw.Write([]byte(s))
	must(t, err)
	must(t, zw.Close())
	return b.Bytes()
}
