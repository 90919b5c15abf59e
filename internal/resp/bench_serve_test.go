package resp

import (
	"os"
	"strconv"
	"testing"
	"time"
)

// TestBenchServe serves on $RESP_BENCH_ADDR for $RESP_BENCH_SECS seconds
// with $RESP_BENCH_LOOPS event loops, or a goroutine per connection with
// RESP_BENCH_GOROUTINES=1 (for profiling and tuning under
// redis-benchmark, e.g. scripts/resp-cpu-per-request.py); skipped
// otherwise.
func TestBenchServe(t *testing.T) {
	addr := os.Getenv("RESP_BENCH_ADDR")
	if addr == "" {
		t.Skip("RESP_BENCH_ADDR not set")
	}
	loops, _ := strconv.Atoi(os.Getenv("RESP_BENCH_LOOPS"))
	startServer(t, Config{Listen: addr, Loops: loops, Goroutines: os.Getenv("RESP_BENCH_GOROUTINES") == "1"})
	d, _ := time.ParseDuration(os.Getenv("RESP_BENCH_SECS") + "s")
	time.Sleep(d)
}
