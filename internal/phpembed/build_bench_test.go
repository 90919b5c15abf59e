package phpembed

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkBuildHello lays out $_SERVER and the SAPI strings of a
// wrk-like hello-world request (the per-request budget in the README:
// go test -run X -bench BuildHello -benchmem ./internal/phpembed/), and
// lets go of its C memory as Serve does.
func BenchmarkBuildHello(b *testing.B) {
	r := httptest.NewRequest(http.MethodGet, "http://127.0.0.1:8080/index.php", nil)
	r.RemoteAddr = "127.0.0.1:40000"
	r.Header.Set("User-Agent", "wrk")
	r.Header.Set("X-Request-Id", "9567c19eb06eaf6c0000000000001937")
	s := Script{Filename: "/srv/www/index.php", Name: "/index.php", DocumentRoot: "/srv/www"}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		req := &Request{r: r}
		req.build(s, "ephpm/dev")
		req.dropC()
	}
}
