// Package threadpolicy sets the Linux scheduling policy of every thread of
// this process: the server's, PHP's and the Go runtime's alike.
//
// The server runs its threads as SCHED_BATCH by default (README, "PHP
// threads"). A thread that wakes up then waits for the running thread's
// time slice to end instead of preempting it. Under load a PHP thread was
// preempted over and over by Go threads woken for a moment's work (a
// connection's goroutine, the scheduler's spinning thread, sysmon), each
// switch costing a few microseconds of both threads' time and the PHP
// thread's caches. Measured on 2 CPUs under wrk -t2 -c32 (bench/lreq/ab.sh,
// interleaved, batch vs normal): context switches per request 2.5 -> 0.6
// on Laravel in worker mode (1.28x the requests), 4.05 -> 1.95 on a 20 KB
// page (1.18x), 0.5 -> 0.4 on a hello world (1.09x, shorter p99); the p99
// of long requests in request mode grows by about a tenth (README,
// Performance, "Thread policy").
//
// Threads inherit the policy of the thread that creates them, so once every
// existing thread has it, every later one (Go's new Ms, PHP's threads,
// programs PHP starts) has it too.
package threadpolicy

import "fmt"

// Policy is a scheduling policy for the server's threads.
type Policy int

const (
	// Normal is the kernel's default policy (SCHED_OTHER).
	Normal Policy = iota
	// Batch is SCHED_BATCH: the same fair share of the CPUs, without
	// preempting the running thread on wake-up.
	Batch
)

// Names are the config values, in Policy order.
var Names = []string{"normal", "batch"}

func (p Policy) String() string {
	if p >= 0 && int(p) < len(Names) {
		return Names[p]
	}
	return fmt.Sprintf("Policy(%d)", int(p))
}

// Parse reads a config value: "normal" or "batch".
func Parse(s string) (Policy, error) {
	for i, n := range Names {
		if s == n {
			return Policy(i), nil
		}
	}
	return Normal, fmt.Errorf("%q is not one of normal, batch", s)
}
