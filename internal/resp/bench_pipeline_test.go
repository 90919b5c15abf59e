package resp

import (
	"runtime"
	"strings"
	"syscall"
	"testing"
	"unsafe"

	"github.com/ephpm/ephpm/internal/kv"
)

// BenchmarkPipeline16 is the server's own work for one batch of a
// `redis-benchmark -P 16` client, without the system calls: parse the 16
// requests as they arrive in one read, run them, write the replies into
// the output buffer. ns/op is per command; thread-cpu-ns/op is the same
// in CPU time of the benchmark's thread, which a busy machine disturbs
// less than wall time.
func BenchmarkPipeline16(b *testing.B) {
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"PING", []string{"PING"}},
		{"SET", []string{"SET", "key:__rand_int__", "xxx"}},
		{"GET", []string{"GET", "key:__rand_int__"}},
		{"INCR", []string{"INCR", "counter:__rand_int__"}},
		{"MSET", []string{"MSET",
			"key:__rand_int__", "xxx", "key:__rand_int__", "xxx", "key:__rand_int__", "xxx", "key:__rand_int__", "xxx", "key:__rand_int__", "xxx",
			"key:__rand_int__", "xxx", "key:__rand_int__", "xxx", "key:__rand_int__", "xxx", "key:__rand_int__", "xxx", "key:__rand_int__", "xxx"}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			store, err := kv.New(kv.Options{})
			if err != nil {
				b.Fatal(err)
			}
			defer store.Close()
			s := New(KVStore(store), Config{})
			c := s.newConnFD(-1, "", "")
			batch := []byte(strings.Repeat(encode(tc.args...), 16))
			b.ReportAllocs()
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			b.ResetTimer()
			t0 := threadCPU()
			for i := 0; i < b.N; i += 16 {
				c.p.makeRoom()
				c.p.w += copy(c.p.buf[c.p.w:], batch)
				c.beginBatch() // as the event loop runs one read's commands
				for {
					args, perr := c.p.next(c.authed)
					if perr != "" {
						b.Fatal(perr)
					}
					if args == nil {
						break
					}
					c.exec(args)
				}
				c.endBatch()
				c.w.b = c.w.b[:0]
			}
			b.ReportMetric(float64(threadCPU()-t0)/float64(b.N), "thread-cpu-ns/op")
		})
	}
}

// threadCPU is the calling thread's CPU time in nanoseconds (Linux's
// CLOCK_THREAD_CPUTIME_ID; 0 elsewhere).
func threadCPU() int64 {
	var ts syscall.Timespec
	const clockThreadCPUTime = 3
	if _, _, e := syscall.Syscall(syscall.SYS_CLOCK_GETTIME, clockThreadCPUTime, uintptr(unsafe.Pointer(&ts)), 0); e != 0 {
		return 0
	}
	return ts.Nano()
}
