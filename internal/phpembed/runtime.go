// Package phpembed runs PHP inside the ephpm process: our own SAPI over
// libphp's embed library (the C half lives in sapi.c, worker.c and
// kvfuncs.c), N PHP execution slots behind one bounded queue, the mapping
// between net/http and a PHP request, and the PHP functions that call into
// Go.
//
// With a non-thread-safe libphp (Debian's libphp8.2-embed) exactly one PHP
// request runs at a time; with a thread-safe (ZTS) build, N at once, each on
// an OS thread with its own PHP context.
//
// Request mode runs PHP in one cgo call on a goroutine started for the
// request, holding one of N worker tokens; the serving goroutine parks
// until the response is done, which lets fastcgi_finish_request() end the
// response while the script goes on. The new goroutine runs on the thread
// the parked one leaves: no hand-off to a waiting locked thread, which in
// Go costs two scheduler wake-ups per request (a third of the time of a
// small request, measured). Starting the goroutine and waking the parked
// one made no difference beyond noise in the server's CPU per hello-world
// request (A/B of the same tree, 9 wrk runs each on a loaded 2-CPU
// machine: medians 138 vs 141 us inline). Worker mode
// needs a PHP request that outlives HTTP requests, so each worker is a
// goroutine locked to its thread, fed from one bounded queue.
//
// With ZTS, a thread gets its PHP context the first time it runs a request
// and keeps it; Go reuses a small set of threads (15 after 200 concurrent
// clients, measured), so the contexts stay few.
package phpembed

/*
#include <stdlib.h>
#include "ephpm.h"
*/
import "C"

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"
)

// Options configure the PHP runtime. It can be started once per process.
type Options struct {
	// Workers is the number of PHP threads; 0 means one per CPU. A
	// non-thread-safe libphp always gets 1.
	Workers int
	// QueueSize bounds the requests waiting for a PHP thread; when it is
	// full, Serve answers 503 with Retry-After.
	QueueSize int
	// IniFile replaces the php.ini PHP would load ("" = PHP's own search).
	IniFile string
	// Ini are settings applied after php.ini, in order (later wins).
	Ini [][2]string
	// Logger receives PHP's log messages; nil = slog.Default().
	Logger *slog.Logger
	// ServerSoftware is $_SERVER['SERVER_SOFTWARE'].
	ServerSoftware string

	// WorkerScript, if set, turns on worker mode: each PHP thread runs
	// this script once and it takes requests with ephpm_handle_request()
	// or \Ephpm\Worker\take_request().
	WorkerScript string
	// WorkerScriptName is its URL path (SCRIPT_NAME while it boots).
	WorkerScriptName string
	// DocumentRoot is $_SERVER['DOCUMENT_ROOT'] while a worker boots.
	DocumentRoot string
	// WorkerMaxRequests recycles a worker after that many requests (0 = never).
	WorkerMaxRequests int

	// Worker hygiene (recycle.go). WorkerMaxRequestsJitter spreads
	// WorkerMaxRequests so workers do not recycle together: each run of
	// the worker script draws its limit from [max - jitter, max]; -1 =
	// max/10, 0 = none. WorkerMaxMemory recycles a worker after a request
	// that left its PHP heap above that many bytes (0 = off). WorkerTTL
	// recycles a run that has served requests once it is that old,
	// WorkerIdleTTL one that has served requests and then waited that long
	// for the next (0 = off).
	WorkerMaxRequestsJitter int
	WorkerMaxMemory         int64
	WorkerTTL               time.Duration
	WorkerIdleTTL           time.Duration
}

// Runtime is the started PHP runtime.
type Runtime struct {
	opts    Options
	log     *slog.Logger
	queue   chan *Request
	workers []*worker

	// Request mode: free worker tokens, the requests waiting for one
	// (taken by token holders, see runOnToken) and how many wait.
	direct  bool
	idle    chan *worker
	dq      chan *Request
	holders chan holderJob // token holders parked between jobs (holder.go)
	waiting atomic.Int64
	// When a request last found the queue deep, in ns since startedAt
	// (noteDeepQueue).
	lastDeep atomic.Int64
	// Someone takes every token (ResetOPcache): holders give theirs back
	// after their request instead of taking the next from the queue.
	exclusive atomic.Int32
	pending   sync.WaitGroup // requests admitted in request mode, until PHP is done with them

	mainDone  chan struct{} // closed when the startup thread has shut PHP down
	stopMain  chan struct{}
	stopOnce  sync.Once
	wg        sync.WaitGroup
	closed    atomic.Bool
	closeMu   sync.RWMutex // guards sends on queue against its close
	inflight  atomic.Int64
	startedAt time.Time
	// noSpin: a PHP thread that finds no request waiting parks at once
	// instead of polling the queue for a moment (workerSpin, holderSpin):
	// set when GOMAXPROCS from the environment is no more than the PHP
	// threads (spinsWith).
	noSpin bool

	// Worker mode: how many workers' last run of the worker script ended
	// before it took a request. When that is all of them, the script is
	// broken and requests get a 503 at once instead of waiting out the
	// request timeout.
	failedBoots atomic.Int32
	// Worker mode: some worker has asked for its first request (readiness).
	workerUp atomic.Bool

	// Worker restarts, their causes and the script they run (recycle.go).
	hyg hygiene
}

var (
	startOnce sync.Once
	started   atomic.Bool
	// slots maps a worker slot (1-based) to its worker, for callbacks.
	slots []*worker
)

// ZTS reports whether the linked libphp is thread-safe.
func ZTS() bool { return C.ephpm_is_zts() == 1 }

// PHPVersion is the version of the linked libphp.
func PHPVersion() string { return C.GoString(C.ephpm_php_version()) }

// ErrStarted is returned by a second Start in one process: PHP's module
// startup can run only once.
var ErrStarted = errors.New("phpembed: the PHP runtime was already started in this process")

// Start starts PHP (module startup once) and its worker threads.
func Start(opts Options) (*Runtime, error) {
	if !started.CompareAndSwap(false, true) {
		return nil, ErrStarted
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.QueueSize <= 0 {
		opts.QueueSize = 256
	}
	n := opts.Workers
	if n <= 0 {
		n = runtime.NumCPU()
	}
	if !ZTS() {
		n = 1
	}
	// A PHP thread inside its cgo call keeps its P (Go's CPU token) until
	// the scheduler takes it back, and a goroutine coming back from PHP
	// may find no P free and wait in the global queue: with GOMAXPROCS =
	// CPUs, PHP requests crowd out the Go code that reads and writes the
	// connections. One P more per PHP thread keeps every CPU available to
	// Go while PHP runs (measured, 2 CPUs, 2 PHP threads: p99 of a hello
	// world 15 -> 7 ms in request mode, 25 -> 7 ms in worker mode, with
	// more requests/s), and spare ones on top shorten the tail again
	// (procsHigh). Capped at twice the CPUs (plus the spares): many PHP
	// threads (for I/O-bound apps) would otherwise give Go many idle Ps to
	// spin on. That is the level short requests need (a hello world, both
	// modes, README "GOMAXPROCS"); with long PHP requests on busy CPUs the
	// extra Ps cost more than they give, and a tuner moves to CPUs + 1
	// while they last (gomaxprocs.go). An explicit GOMAXPROCS in the
	// environment wins and turns the tuner off.
	var tuner *procsTuner
	explicitProcs := os.Getenv("GOMAXPROCS") != ""
	if !explicitProcs {
		cpus := runtime.GOMAXPROCS(0)
		workerMode := opts.WorkerScript != ""
		runtime.GOMAXPROCS(procsHigh(cpus, n, workerMode))
		tuner = newProcsTuner(cpus, n, workerMode)
	} else if procs, cpus := runtime.GOMAXPROCS(0), runtime.NumCPU(); explicitProcsTooFew(procs, cpus, n) {
		opts.Logger.Warn("GOMAXPROCS from the environment leaves the connections too few Go Ps: a PHP thread inside PHP keeps one, so requests wait for PHP threads' turns (a hello world on 2 CPUs, measured: 0.4-0.9x the requests, a p99 5-11x longer); unset it to let ephpm choose",
			"gomaxprocs", procs, "cpus", cpus, "php_threads", n, "ephpm_would_use", procsHigh(cpus, n, opts.WorkerScript != ""))
	}
	rt := &Runtime{
		opts:      opts,
		log:       opts.Logger,
		queue:     make(chan *Request, opts.QueueSize),
		mainDone:  make(chan struct{}),
		stopMain:  make(chan struct{}),
		startedAt: time.Now(),
		noSpin:    !spinsWith(explicitProcs, runtime.GOMAXPROCS(0), n),
	}
	phpLogger.Store(opts.Logger)
	for i := 0; i < n; i++ {
		w := &worker{rt: rt, slot: uintptr(i + 1), ctl: make(chan struct{}, 1), startLimit: -1}
		rt.workers = append(rt.workers, w)
	}
	slots = rt.workers
	if opts.WorkerScript == "" {
		rt.direct = true
		rt.idle = make(chan *worker, n)
		rt.holders = make(chan holderJob)
		// Twice the queue: requests whose clients left stay in it until
		// a token holder skips them.
		rt.dq = make(chan *Request, 2*opts.QueueSize)
		rt.lastDeep.Store(-int64(queueRecent)) // no deep queue yet
		for _, w := range rt.workers {
			rt.idle <- w
		}
	}

	ini := buildIni(opts.Ini)
	ready := make(chan error, 1)
	go rt.mainThread(ini, opts.IniFile, ready)
	if err := <-ready; err != nil {
		return nil, err
	}
	if tuner != nil {
		go rt.tuneProcs(tuner, procsPeriod)
	}
	return rt, nil
}

// buildIni renders the settings as php.ini lines. max_input_time stays -1:
// any other value makes PHP arm its process-wide SIGPROF timer, which a Go
// process cannot host (see sapi.c); max_execution_time is enforced from Go.
func buildIni(settings [][2]string) string {
	var b strings.Builder
	for _, kv := range settings {
		b.WriteString(kv[0])
		b.WriteByte('=')
		b.WriteString(kv[1])
		b.WriteByte('\n')
	}
	b.WriteString("max_input_time=-1\n")
	return b.String()
}

// mainThread performs PHP's module startup on a locked OS thread and, at
// shutdown, the module shutdown on that same thread. With a non-thread-safe
// libphp this thread is also the only worker.
func (rt *Runtime) mainThread(ini, iniFile string, ready chan<- error) {
	runtime.LockOSThread()
	// Never unlocked: the thread carries PHP state and is left to exit
	// with the goroutine.
	cini := C.CString(ini)
	defer C.free(unsafe.Pointer(cini))
	cpath := C.CString(iniFile)
	defer C.free(unsafe.Pointer(cpath))
	if C.ephpm_startup(cini, cpath) != 0 {
		ready <- fmt.Errorf("phpembed: PHP module startup failed (see the log above for PHP's message)")
		return
	}
	switch {
	case rt.direct:
		// PHP runs on the serving goroutines; this thread only owns
		// module startup and shutdown.
		ready <- nil
		<-rt.stopMain
		rt.pending.Wait()
	case ZTS():
		for _, w := range rt.workers {
			rt.wg.Add(1)
			go w.loop(false)
		}
		ready <- nil
		<-rt.stopMain
		rt.wg.Wait()
	default:
		rt.wg.Add(1)
		ready <- nil
		rt.workers[0].loop(true)
	}
	C.ephpm_shutdown()
	close(rt.mainDone)
}

// Workers is the number of PHP threads.
func (rt *Runtime) Workers() int { return len(rt.workers) }

// Stats is a snapshot of the runtime, for the metrics endpoint.
type Stats struct {
	Threads     int   // PHP threads
	Busy        int64 // requests PHP is running now
	Queued      int64 // requests waiting for a PHP thread
	WorkerBoots int64 // worker mode: worker script starts, first ones included
}

// Stats returns a snapshot; the numbers are read one after another, not
// at one instant.
func (rt *Runtime) Stats() Stats {
	st := Stats{Threads: len(rt.workers), WorkerBoots: rt.Boots()}
	if rt.direct {
		st.Queued = rt.waiting.Load()
	} else {
		st.Queued = int64(len(rt.queue))
	}
	st.Busy = min(max(rt.inflight.Load()-st.Queued, 0), int64(st.Threads))
	return st
}

// Shutdown stops accepting requests, lets queued and running requests
// finish, then shuts PHP down. It returns when PHP is down or the timeout
// passes (running scripts are then interrupted as if they timed out).
func (rt *Runtime) Shutdown(timeout time.Duration) error {
	rt.EndWaits()
	rt.stopOnce.Do(func() {
		rt.closeMu.Lock()
		rt.closed.Store(true)
		close(rt.queue)
		rt.closeMu.Unlock()
		close(rt.stopMain)
	})
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	select {
	case <-rt.mainDone:
		return nil
	case <-deadline.C:
	}
	for _, w := range rt.workers {
		w.interruptCurrent()
	}
	select {
	case <-rt.mainDone:
		return errors.New("phpembed: shutdown timed out; running scripts were interrupted")
	case <-time.After(5 * time.Second):
		return errors.New("phpembed: shutdown timed out; PHP threads still busy")
	}
}

// InFlight is the number of requests queued or running.
func (rt *Runtime) InFlight() int64 { return rt.inflight.Load() }
