package phpembed

/*
#include <stdlib.h>
#include "ephpm.h"
#include "cli.h"
*/
import "C"

import (
	"runtime"
	"sync"
	"time"
	"unsafe"
)

// CLIOptions configure RunCLI.
type CLIOptions struct {
	// Args are php's command line after the program name: options, the
	// script or -r code, and the script's arguments.
	Args []string
	// Executable is this binary's absolute path; PHP_BINARY names it.
	Executable string
	// UsageName names the command in the usage text ("ephpm php").
	UsageName string
	// Version is ephpm's version, shown by -v and -i.
	Version string
}

// RunCLI runs PHP as the php command-line interpreter would with opts.Args
// and returns the exit status (exit(n), 255 after a fatal error or an
// uncaught exception). Everything runs on the calling goroutine's thread.
// It can run once per process, and not in a process that called Start:
// PHP's module startup happens once.
func RunCLI(opts CLIOptions) (int, error) {
	if !started.CompareAndSwap(false, true) {
		return 0, ErrStarted
	}
	// PHP's state (ZTS: its thread context) lives on this thread, and the
	// ephpm_kv_* functions call back into Go on it.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()

	var allocs []unsafe.Pointer
	defer func() {
		for _, p := range allocs {
			C.free(p)
		}
	}()
	cstr := func(s string) *C.char {
		p := C.CString(s)
		allocs = append(allocs, unsafe.Pointer(p))
		return p
	}
	// argv as C's main gets it, NULL-terminated; PHP may write into it
	// (argv[0] of the script, -H), so it is C memory.
	argc := len(opts.Args) + 1
	cargv := (**C.char)(C.malloc(C.size_t(argc+1) * C.size_t(unsafe.Sizeof((*C.char)(nil)))))
	allocs = append(allocs, unsafe.Pointer(cargv))
	argv := unsafe.Slice(cargv, argc+1)
	argv[0] = cstr(opts.UsageName)
	for i, a := range opts.Args {
		argv[i+1] = cstr(a)
	}
	argv[argc] = nil

	ini := cliIniChoice()
	var copts C.ephpm_cli_opts
	optional := func(s string) *C.char {
		if s == "" {
			return nil
		}
		return cstr(s)
	}
	copts.executable = optional(opts.Executable)
	copts.ini_path = optional(ini.path)
	copts.ini_scan_dir = optional(ini.scanDir)
	if ini.ignore {
		copts.ini_ignore = 1
	}
	copts.usage_name = optional(opts.UsageName)
	copts.ephpm_version = optional(opts.Version)

	status := C.ephpm_cli_main(C.int(argc), cargv, &copts)
	return int(status), nil
}

// php_cli_get_shell_callbacks is how PHP's readline extension (a shared
// object, loaded by Debian's php.ini in the quick build) finds the CLI's
// interactive shell hooks for -a: dlsym(RTLD_DEFAULT, ...), so the symbol
// must be in the binary's dynamic symbol table, as in the php binary. A C
// function is not put there by the Go linker; an exported Go one is.
//
//export php_cli_get_shell_callbacks
func php_cli_get_shell_callbacks() unsafe.Pointer {
	return C.ephpm_cli_shell_callbacks()
}

// cliIni is the php.ini `ephpm php` reads when neither -c nor -n is given
// (decided per build in cli_ini_*.go).
type cliIni struct {
	path    string // php.ini file or directory; "" = PHP's own search
	scanDir string // conf.d scanned unless PHP_INI_SCAN_DIR is set; "" = compiled in
	ignore  bool   // no php.ini at all
}

// max_execution_time in CLI mode: 0 (none) unless -d or the script sets
// one. php-cli counts it in CPU time (setitimer(ITIMER_PROF)), so sleep()
// and waiting for I/O do not count; here the PHP thread's own CPU clock is
// read. PHP's timer cannot be used (a process-wide SIGPROF in a Go process,
// see sapi.c): a Go timer checks the clock and, once the limit is used up,
// sets the PHP thread's interrupt flags; PHP raises its usual fatal error.
var cliTimer struct {
	sync.Mutex
	t   *time.Timer
	gen uint64 // which limit is current; a timer that fired late sees it changed
}

// ephpm_go_cli_time_limit (re)starts the limit of the PHP thread whose
// executor globals are eg: secs of its CPU time from now; 0 removes it.
//
//export ephpm_go_cli_time_limit
func ephpm_go_cli_time_limit(eg unsafe.Pointer, tid C.uintptr_t, secs C.long) {
	cliTimer.Lock()
	defer cliTimer.Unlock()
	cliTimer.gen++
	if cliTimer.t != nil {
		cliTimer.t.Stop()
		cliTimer.t = nil
	}
	if secs <= 0 || eg == nil {
		return
	}
	gen := cliTimer.gen
	limit := time.Duration(secs) * time.Second
	start := time.Duration(C.ephpm_cli_thread_cpu_ns(tid))
	var check func()
	check = func() {
		// Under the lock: once the limit is removed (request shutdown,
		// before PHP frees eg), no timer touches eg.
		cliTimer.Lock()
		defer cliTimer.Unlock()
		if cliTimer.gen != gen {
			return
		}
		used := time.Duration(C.ephpm_cli_thread_cpu_ns(tid)) - start
		if used < limit {
			cliTimer.t = time.AfterFunc(limit-used, check)
			return
		}
		C.ephpm_interrupt(eg)
	}
	cliTimer.t = time.AfterFunc(limit, check)
}
