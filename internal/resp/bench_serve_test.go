package resp

import (
	"os"
	"testing"
	"time"
)

// TestBenchServe serves on $RESP_BENCH_ADDR for $RESP_BENCH_SECS seconds
// (for profiling under redis-benchmark); skipped otherwise.
func TestBenchServe(t *testing.T) {
	addr := os.Getenv("RESP_BENCH_ADDR")
	if addr == "" {
		t.Skip("RESP_BENCH_ADDR not set")
	}
	startServer(t, Config{Listen: addr})
	d, _ := time.ParseDuration(os.Getenv("RESP_BENCH_SECS") + "s")
	time.Sleep(d)
}
