package metrics

import (
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"time"
)

// goCollector reports the go_* families of Prometheus' Go client's default
// Go collector (client_golang 1.25): the same names, types and HELP texts,
// read from runtime.ReadMemStats, debug.ReadGCStats and the runtime's
// settings at each scrape.
type goCollector struct{}

type memStat struct {
	name, typ, help string
	value           func(*runtime.MemStats) uint64
}

var memStats = []memStat{
	{"go_memstats_alloc_bytes", "gauge", "Number of bytes allocated in heap and currently in use. Equals to /memory/classes/heap/objects:bytes.", func(m *runtime.MemStats) uint64 { return m.Alloc }},
	{"go_memstats_alloc_bytes_total", "counter", "Total number of bytes allocated in heap until now, even if released already. Equals to /gc/heap/allocs:bytes.", func(m *runtime.MemStats) uint64 { return m.TotalAlloc }},
	{"go_memstats_buck_hash_sys_bytes", "gauge", "Number of bytes used by the profiling bucket hash table. Equals to /memory/classes/profiling/buckets:bytes.", func(m *runtime.MemStats) uint64 { return m.BuckHashSys }},
	{"go_memstats_frees_total", "counter", "Total number of heap objects frees. Equals to /gc/heap/frees:objects + /gc/heap/tiny/allocs:objects.", func(m *runtime.MemStats) uint64 { return m.Frees }},
	{"go_memstats_gc_sys_bytes", "gauge", "Number of bytes used for garbage collection system metadata. Equals to /memory/classes/metadata/other:bytes.", func(m *runtime.MemStats) uint64 { return m.GCSys }},
	{"go_memstats_heap_alloc_bytes", "gauge", "Number of heap bytes allocated and currently in use, same as go_memstats_alloc_bytes. Equals to /memory/classes/heap/objects:bytes.", func(m *runtime.MemStats) uint64 { return m.HeapAlloc }},
	{"go_memstats_heap_idle_bytes", "gauge", "Number of heap bytes waiting to be used. Equals to /memory/classes/heap/released:bytes + /memory/classes/heap/free:bytes.", func(m *runtime.MemStats) uint64 { return m.HeapIdle }},
	{"go_memstats_heap_inuse_bytes", "gauge", "Number of heap bytes that are in use. Equals to /memory/classes/heap/objects:bytes + /memory/classes/heap/unused:bytes", func(m *runtime.MemStats) uint64 { return m.HeapInuse }},
	{"go_memstats_heap_objects", "gauge", "Number of currently allocated objects. Equals to /gc/heap/objects:objects.", func(m *runtime.MemStats) uint64 { return m.HeapObjects }},
	{"go_memstats_heap_released_bytes", "gauge", "Number of heap bytes released to OS. Equals to /memory/classes/heap/released:bytes.", func(m *runtime.MemStats) uint64 { return m.HeapReleased }},
	{"go_memstats_heap_sys_bytes", "gauge", "Number of heap bytes obtained from system. Equals to /memory/classes/heap/objects:bytes + /memory/classes/heap/unused:bytes + /memory/classes/heap/released:bytes + /memory/classes/heap/free:bytes.", func(m *runtime.MemStats) uint64 { return m.HeapSys }},
	{"go_memstats_mallocs_total", "counter", "Total number of heap objects allocated, both live and gc-ed. Semantically a counter version for go_memstats_heap_objects gauge. Equals to /gc/heap/allocs:objects + /gc/heap/tiny/allocs:objects.", func(m *runtime.MemStats) uint64 { return m.Mallocs }},
	{"go_memstats_mcache_inuse_bytes", "gauge", "Number of bytes in use by mcache structures. Equals to /memory/classes/metadata/mcache/inuse:bytes.", func(m *runtime.MemStats) uint64 { return m.MCacheInuse }},
	{"go_memstats_mcache_sys_bytes", "gauge", "Number of bytes used for mcache structures obtained from system. Equals to /memory/classes/metadata/mcache/inuse:bytes + /memory/classes/metadata/mcache/free:bytes.", func(m *runtime.MemStats) uint64 { return m.MCacheSys }},
	{"go_memstats_mspan_inuse_bytes", "gauge", "Number of bytes in use by mspan structures. Equals to /memory/classes/metadata/mspan/inuse:bytes.", func(m *runtime.MemStats) uint64 { return m.MSpanInuse }},
	{"go_memstats_mspan_sys_bytes", "gauge", "Number of bytes used for mspan structures obtained from system. Equals to /memory/classes/metadata/mspan/inuse:bytes + /memory/classes/metadata/mspan/free:bytes.", func(m *runtime.MemStats) uint64 { return m.MSpanSys }},
	{"go_memstats_next_gc_bytes", "gauge", "Number of heap bytes when next garbage collection will take place. Equals to /gc/heap/goal:bytes.", func(m *runtime.MemStats) uint64 { return m.NextGC }},
	{"go_memstats_other_sys_bytes", "gauge", "Number of bytes used for other system allocations. Equals to /memory/classes/other:bytes.", func(m *runtime.MemStats) uint64 { return m.OtherSys }},
	{"go_memstats_stack_inuse_bytes", "gauge", "Number of bytes obtained from system for stack allocator in non-CGO environments. Equals to /memory/classes/heap/stacks:bytes.", func(m *runtime.MemStats) uint64 { return m.StackInuse }},
	{"go_memstats_stack_sys_bytes", "gauge", "Number of bytes obtained from system for stack allocator. Equals to /memory/classes/heap/stacks:bytes + /memory/classes/os-stacks:bytes.", func(m *runtime.MemStats) uint64 { return m.StackSys }},
	{"go_memstats_sys_bytes", "gauge", "Number of bytes obtained from system. Equals to /memory/classes/total:byte.", func(m *runtime.MemStats) uint64 { return m.Sys }},
}

const helpGcDurationSeconds = "A summary of the wall-time pause (stop-the-world) duration in garbage collection cycles."
const helpGcGogcPercent = "Heap size target percentage configured by the user, otherwise 100. This value is set by the GOGC environment variable, and the runtime/debug.SetGCPercent function. Sourced from /gc/gogc:percent."
const helpGcGomemlimitBytes = "Go runtime memory limit configured by the user, otherwise math.MaxInt64. This value is set by the GOMEMLIMIT environment variable, and the runtime/debug.SetMemoryLimit function. Sourced from /gc/gomemlimit:bytes."
const helpGoroutines = "Number of goroutines that currently exist."
const helpInfo = "Information about the Go environment."
const helpMemstatsLastGcTimeSeconds = "Number of seconds since 1970 of last garbage collection."
const helpSchedGomaxprocsThreads = "The current runtime.GOMAXPROCS setting, or the number of operating system threads that can execute user-level Go code simultaneously. Sourced from /sched/gomaxprocs:threads."
const helpThreads = "Number of OS threads created."

// Names implements Collector.
func (goCollector) Names() []string {
	names := []string{"go_gc_duration_seconds", "go_gc_gogc_percent", "go_gc_gomemlimit_bytes", "go_goroutines",
		"go_info", "go_memstats_last_gc_time_seconds", "go_sched_gomaxprocs_threads", "go_threads"}
	for _, m := range memStats {
		names = append(names, m.name)
	}
	return names
}

// Collect implements Collector.
func (goCollector) Collect(out []*Family) []*Family {
	gauge := func(name, help string, v float64, labels ...Label) *Family {
		return single(name, "gauge", help, v, labels...)
	}
	threads, _ := runtime.ThreadCreateProfile(nil)
	out = append(out,
		gauge("go_goroutines", helpGoroutines, float64(runtime.NumGoroutine())),
		gauge("go_threads", helpThreads, float64(threads)))

	// The pause quantiles 0, 0.25, 0.5, 0.75 and 1, as the Go client
	// asks debug.ReadGCStats for them.
	var gc debug.GCStats
	gc.PauseQuantiles = make([]time.Duration, 5)
	debug.ReadGCStats(&gc)
	sum := Metric{Count: uint64(gc.NumGC), Sum: gc.PauseTotal.Seconds()}
	for i, p := range gc.PauseQuantiles {
		sum.Quantiles = append(sum.Quantiles, Quantile{Q: float64(i) / 4, Value: p.Seconds()})
	}
	out = append(out,
		&Family{Name: "go_gc_duration_seconds", Help: helpGcDurationSeconds, Type: "summary", Metrics: []Metric{sum}},
		gauge("go_memstats_last_gc_time_seconds", helpMemstatsLastGcTimeSeconds, float64(gc.LastGC.UnixNano())/1e9),
		gauge("go_info", helpInfo, 1, Label{"version", runtime.Version()}))

	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	for _, m := range memStats {
		out = append(out, single(m.name, m.typ, m.help, float64(m.value(&ms))))
	}
	return append(out,
		gauge("go_gc_gogc_percent", helpGcGogcPercent, float64(gogc())),
		gauge("go_gc_gomemlimit_bytes", helpGcGomemlimitBytes, float64(debug.SetMemoryLimit(-1))),
		gauge("go_sched_gomaxprocs_threads", helpSchedGomaxprocsThreads, float64(runtime.GOMAXPROCS(0))))
}

// gogc is the GC percentage as the runtime reads it from GOGC at start
// ("off" or negative: -1, unset or not a number: 100; as readGOGC). ephpm never changes it later
// (no debug.SetGCPercent), and the runtime/metrics package that could
// read it back costs every start of the binary its init (a 15 KB table).
func gogc() int {
	s := os.Getenv("GOGC")
	if s == "off" {
		return -1
	}
	n, err := strconv.ParseInt(s, 10, 32)
	switch {
	case err != nil:
		return 100
	case n < 0:
		return -1
	}
	return int(n)
}
