package phpembed

import (
	"bytes"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// GOMAXPROCS follows the load: ephpm starts with one P (Go's CPU token)
// more per PHP thread than CPUs, and spares (procsHigh, Start), because a
// PHP thread inside its cgo call keeps its P, and with short PHP requests
// (a hello world: Go's share of a request is about half) the goroutines
// that read and write the connections would otherwise wait for one. With
// long PHP requests on busy CPUs the same extra Ps cost: Go's work is a
// few percent of a request there, the spare Ps sit idle between requests,
// and each request's end wakes a spinning thread for one of them, which on
// a full machine preempts a PHP thread (10.4 context switches per Laravel
// request at CPUs + PHP threads against 6.7 at CPUs + 1). Measured on this
// 2-CPU machine, 2 PHP threads, interleaved rounds (README, Performance,
// "GOMAXPROCS"):
//
//   - Laravel, request mode (3.7 ms of PHP): CPUs + 1 serves 1.04x the
//     requests for 0.96x the CPU per request, same p99; worker mode
//     (about 0.3 ms): 1.10x.
//   - a CPU-bound loop of 0.4-2 ms: 1.02-1.08x.
//   - hello world (about 30 us): 0.95x in request mode and 0.92x in worker
//     mode, with a longer tail; a 0.1-0.2 ms loop: 0.90-0.97x.
//   - CPUs alone (no spare P) gave long requests a little more again but a
//     p99 10x longer (the connections' goroutines wait for sysmon to take a
//     P back): never used.
//
// So a tuner looks at the PHP threads once a second and moves between
// the two levels: to CPUs + 1 when PHP requests are long (mean time on a
// PHP thread >= procsLongRequest) and the CPUs are busy (procsBusyCPU of
// them, by this process or by the machine as a whole: the woken threads
// preempt PHP either way), back to procsHigh when requests get
// short, or when the CPUs idle under a light load for a few seconds. A
// period without requests keeps the level: the load that comes next is
// most likely the one seen last. The gaps between the thresholds keep it
// from flapping. An explicit GOMAXPROCS in the environment turns it off.

const (
	procsPeriod      = time.Second
	procsLongRequest = 250 * time.Microsecond // mean PHP time per request that counts as long
	procsShortAgain  = 125 * time.Microsecond // ... and below which requests are short again
	procsBusyCPU     = 0.75                   // share of the CPUs in use (this process's or the machine's): busy
	procsIdleCPU     = 0.5                    // ... and below which they idle again
	// Periods in a row with the CPUs idling under a light load before
	// going back to high: the period in which a load ends is light too,
	// and the next load is most likely the same.
	procsLightPeriods = 3
)

// procsTuner chooses GOMAXPROCS between high (procsHigh: CPUs + PHP
// threads + 2 in request mode, + 1 in worker mode; short requests or idle
// CPUs) and low (CPUs + 1, long requests on busy CPUs).
type procsTuner struct {
	high, low int
	cpus      int // the CPUs Go found at start (cgroup limits included)
	// lightPeriods counts the periods in a row that had requests and
	// CPUs below procsIdleCPU (decide).
	lightPeriods int
}

// procsSample is what the PHP threads and the CPUs did over one period.
type procsSample struct {
	requests int64         // PHP requests finished
	php      time.Duration // their time on a PHP thread, summed
	cpu      time.Duration // CPU time of this process
	elapsed  time.Duration
	// The share of the machine's CPUs that were busy (anything but
	// idle and iowait, /proc/stat); 0 if unknown.
	machineBusy float64
}

// mean is the mean PHP time per request (0 without requests).
func (s procsSample) mean() time.Duration {
	if s.requests == 0 {
		return 0
	}
	return s.php / time.Duration(s.requests)
}

// decide returns the level for the next period, given the current one
// and what the last period saw.
func (t *procsTuner) decide(cur int, s procsSample) int {
	if s.elapsed <= 0 {
		return cur
	}
	if s.requests == 0 {
		// Nothing finished: no load to judge (the last one is the best
		// guess for the next), or requests longer than the period.
		return cur
	}
	busy := max(float64(s.cpu)/float64(s.elapsed)/float64(t.cpus), s.machineBusy)
	mean := s.mean()
	light := busy < procsIdleCPU
	if light {
		t.lightPeriods++
	} else {
		t.lightPeriods = 0
	}
	switch {
	case cur != t.low && mean >= procsLongRequest && busy >= procsBusyCPU:
		return t.low
	case cur != t.high && (mean < procsShortAgain || t.lightPeriods >= procsLightPeriods):
		return t.high
	}
	return cur
}

// procsHigh is GOMAXPROCS for short requests: a P per PHP thread (at most
// one per CPU) beside one per CPU, and spare ones: one in worker mode, two
// in request mode. The spares came with the SCHED_BATCH threads
// (internal/threadpolicy), where a goroutine that finds every P taken waits
// for a thread's slice to end: measured on 2 CPUs, 2 PHP threads, threads
// batch, interleaved rounds (README, Performance, "Thread policy"):
//
//   - GOMAXPROCS 5 against 4: a hello world's p99 4.72 -> 4.36 ms in
//     request mode (lower in 7 of 8 rounds) and 2.69 -> 2.42 ms in worker
//     mode, 1.05x the requests in both;
//   - 6 against 5: in request mode p99 3.83 -> 3.21 ms and 6.12 -> 5.20 ms
//     (two batches, lower in 7 and 6 of 8 rounds; 0.99x and 1.12x the
//     requests), in worker mode the same p99 for 0.95x the requests, so
//     worker mode keeps one spare.
func procsHigh(cpus, n int, workerMode bool) int {
	spare := 2
	if workerMode {
		spare = 1
	}
	return cpus + min(n, cpus) + spare
}

// explicitProcsTooFew: a GOMAXPROCS set in the environment gives Go fewer
// Ps than one per CPU and one per PHP thread (on at most as many CPUs), the
// level below which PHP threads inside PHP hold Ps the connections'
// goroutines then wait for (README, "GOMAXPROCS"). ephpm uses it anyway,
// and says so at startup.
func explicitProcsTooFew(procs, cpus, phpThreads int) bool {
	return procs < cpus+min(phpThreads, cpus)
}

// spinsWith says whether PHP threads poll the queue for a moment before
// they park (workerSpin, holderSpin) at procs Ps: not when GOMAXPROCS from
// the environment is no more than the PHP threads. A thread's poll holds
// its P (a raw system call between polls), and with every P held by a PHP
// thread, polling or in PHP, the goroutines that read the connections and
// make the next requests wait for one. Measured on 2 CPUs, 2 PHP threads,
// GOMAXPROCS=2, hello world, interleaved rounds: worker mode 1.34x the
// requests at 0.73x the CPU per request, p99 33.5 -> 15.6 ms; request mode
// the same requests, p99 30.6 -> 22.0 ms. One P more (3) and the poll pays
// again (request mode p99 4.8 against 8.3 ms without it). ephpm's own levels
// are never changed by this: it keeps a P per CPU beside the PHP threads'.
func spinsWith(explicitProcs bool, procs, phpThreads int) bool {
	return !explicitProcs || procs > phpThreads
}

// newProcsTuner returns the tuner for n PHP threads on cpus CPUs, or nil
// when the two levels are the same.
func newProcsTuner(cpus, n int, workerMode bool) *procsTuner {
	t := &procsTuner{high: procsHigh(cpus, n, workerMode), low: cpus + 1, cpus: cpus}
	if t.low >= t.high {
		return nil
	}
	return t
}

// phpTotals sums, over the PHP threads, the requests finished and their
// time on the thread.
func (rt *Runtime) phpTotals() (requests int64, php time.Duration) {
	for _, w := range rt.workers {
		requests += w.served.Load()
		php += time.Duration(w.phpTime.Load())
	}
	return requests, php
}

// processCPU is the CPU time this process has used (user + system).
func processCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// machineCPU reads the machine's CPU time from /proc/stat's first line:
// busy (everything but idle and iowait; steal counts as busy) and total,
// in clock ticks. ok is false where there is no /proc/stat.
func machineCPU() (busy, total uint64, ok bool) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0, false
	}
	line, _, _ := bytes.Cut(b, []byte("\n"))
	f := strings.Fields(string(line))
	if len(f) < 6 || f[0] != "cpu" {
		return 0, 0, false
	}
	for i, v := range f[1:] {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return 0, 0, false
		}
		total += n
		if i != 3 && i != 4 { // idle, iowait
			busy += n
		}
	}
	return busy, total, true
}

// tuneProcs runs t until the runtime shuts down, starting at t.high (the
// level Start set).
func (rt *Runtime) tuneProcs(t *procsTuner, every time.Duration) {
	tick := time.NewTicker(every)
	defer tick.Stop()
	cur := t.high
	reqs, php := rt.phpTotals()
	cpu, at := processCPU(), time.Now()
	mBusy, mTotal, mOK := machineCPU()
	for {
		select {
		case <-tick.C:
		case <-rt.stopMain:
			return
		}
		reqs2, php2 := rt.phpTotals()
		cpu2, at2 := processCPU(), time.Now()
		s := procsSample{requests: reqs2 - reqs, php: php2 - php, cpu: cpu2 - cpu, elapsed: at2.Sub(at)}
		reqs, php, cpu, at = reqs2, php2, cpu2, at2
		if b, tot, ok := machineCPU(); ok {
			if mOK && tot > mTotal {
				s.machineBusy = float64(b-mBusy) / float64(tot-mTotal)
			}
			mBusy, mTotal, mOK = b, tot, true
		}
		if n := t.decide(cur, s); n != cur {
			runtime.GOMAXPROCS(n)
			rt.log.Debug("GOMAXPROCS follows the load", "from", cur, "to", n,
				"mean_php_request", s.mean().Round(time.Microsecond), "requests", s.requests,
				"process_cpu", (float64(s.cpu) / float64(s.elapsed)), "machine_busy", s.machineBusy)
			cur = n
		}
	}
}
