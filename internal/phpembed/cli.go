package phpembed

/*
#include <stdlib.h>
#include "ephpm.h"
#include "cli.h"
*/
import "C"

import (
	"fmt"
	"os"
	"runtime"
	"slices"
	"strings"
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
	cmd := parseCLI(opts.Args)
	name := opts.UsageName
	if name == "" {
		name = "php"
	}
	switch cmd.action {
	case cliHelp:
		printCLIUsage(name)
		return 0, nil
	case cliUsageError:
		fmt.Fprintf(os.Stderr, "%s: unknown option or missing value: %s\n", name, cmd.msg)
		printCLIUsage(name)
		return 1, nil
	case cliServer:
		fmt.Fprintf(os.Stderr, "%s: the built-in web server (-S) is not available here; use `ephpm serve`\n", name)
		return 1, nil
	case cliUnsupported:
		fmt.Fprintf(os.Stderr, "%s: %s is not supported by ephpm php\n", name, cmd.msg)
		return 1, nil
	case cliParamError:
		os.Stdout.WriteString(cmd.msg)
		return 1, nil
	}

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
	optional := func(s string) *C.char {
		if s == "" {
			return nil
		}
		return cstr(s)
	}

	// Which php.ini: -c, -n (which wins when both are given), or this
	// build's choice.
	var cfg C.ephpm_cli_config
	ini := cliIniChoice()
	if cmd.noIni || cmd.iniPath != "" {
		ini.path, ini.ignore = cmd.iniPath, cmd.noIni
	}
	cfg.ini_path = optional(ini.path)
	cfg.ini_scan_dir = optional(ini.scanDir)
	if ini.ignore {
		cfg.ini_ignore = 1
	}
	cfg.executable = optional(opts.Executable)
	cfg.ini_entries = cstr(cliIniEntries(cmd.defines))
	if cmd.extendedInfo {
		cfg.extended_info = 1
	}
	cfg.ephpm_version = cstr(opts.Version)

	defer C.ephpm_cli_stop()
	if C.ephpm_cli_start(&cfg) != 0 {
		return 1, nil
	}
	for _, z := range cmd.zendExts {
		C.ephpm_cli_load_zend_extension(cstr(z))
	}

	job := C.ephpm_cli_job{script: optional(cmd.script)}
	switch cmd.action {
	case cliVersion:
		printCLIVersion(opts.Version)
		return 0, nil
	case cliModules:
		printCLIModules()
		return 0, nil
	case cliIniFiles:
		printCLIIniFiles(ini)
		return 0, nil
	case cliRunScript:
		job.kind = C.EPHPM_CLI_FILE
	case cliRunCode:
		job.kind, job.code = C.EPHPM_CLI_CODE, cstr(cmd.code)
	case cliLint:
		job.kind = C.EPHPM_CLI_LINT
	case cliLines:
		job.kind = C.EPHPM_CLI_LINES
		job.code, job.begin, job.end = optional(cmd.code), optional(cmd.begin), optional(cmd.end)
	case cliShell:
		if C.ephpm_cli_has_shell() == 0 {
			os.Stdout.WriteString("Interactive shell (-a) requires the readline extension.\n")
			return 1, nil
		}
		os.Stdout.WriteString("Interactive shell\n\n")
		job.kind = C.EPHPM_CLI_SHELL
	case cliInfo:
		job.kind = C.EPHPM_CLI_INFO
	case cliModuleInfo:
		job.kind, job.code = C.EPHPM_CLI_MODULE_INFO, cstr(cmd.code)
	}

	// $argv as php has it: the script as given (or "Standard input code"),
	// then its arguments. C memory, NULL-terminated.
	self := cmd.script
	if self == "" {
		self = "Standard input code"
	}
	argv := append([]string{self}, cmd.scriptArgs...)
	cargv := (**C.char)(C.malloc(C.size_t(len(argv)+1) * C.size_t(unsafe.Sizeof((*C.char)(nil)))))
	allocs = append(allocs, unsafe.Pointer(cargv))
	av := unsafe.Slice(cargv, len(argv)+1)
	for i, a := range argv {
		av[i] = cstr(a)
	}
	av[len(argv)] = nil
	if cmd.action != cliInfo { // -i: none, as with php
		job.argc, job.argv = C.int(len(argv)), cargv
	}

	return int(C.ephpm_cli_run(&job)), nil
}

// printCLIVersion is -v: php's lines (tools parse the first), then ours.
func printCLIVersion(ephpmVersion string) {
	build := "NTS"
	if C.ephpm_is_zts() != 0 {
		build = "ZTS"
	}
	fmt.Fprintf(os.Stdout, "PHP %s (cli) (built: %s) (%s)\nCopyright (c) The PHP Group\n%s    embedded in ephpm %s (`ephpm php`)\n",
		PHPVersion(), C.GoString(C.ephpm_cli_build_date()), build,
		C.GoString(C.ephpm_cli_zend_version()), ephpmVersion)
}

// printCLIModules is -m: PHP's modules, then the Zend extensions, each
// list sorted by name (the modules regardless of case), as php lists them.
func printCLIModules() {
	names := func(zendExts C.int) []string {
		p := C.ephpm_cli_module_names(zendExts)
		defer C.free(unsafe.Pointer(p))
		return strings.FieldsFunc(C.GoString(p), func(r rune) bool { return r == '\n' })
	}
	mods, exts := names(0), names(1)
	slices.SortStableFunc(mods, func(a, b string) int {
		return strings.Compare(strings.ToLower(a), strings.ToLower(b))
	})
	slices.Sort(exts)
	var b strings.Builder
	b.WriteString("[PHP Modules]\n")
	for _, m := range mods {
		b.WriteString(m + "\n")
	}
	b.WriteString("\n[Zend Modules]\n")
	for _, e := range exts {
		b.WriteString(e + "\n")
	}
	b.WriteString("\n")
	os.Stdout.WriteString(b.String())
}

// printCLIIniFiles is --ini. The directory searched is the one this
// binary searches (the library's compiled-in one only when it does).
func printCLIIniFiles(ini cliIni) {
	state := func(what C.int) string {
		if p := C.ephpm_cli_ini_state(what); p != nil && *p != 0 {
			return C.GoString(p)
		}
		return "(none)"
	}
	searched := state(0)
	switch {
	case ini.ignore:
		searched = "(none)"
	case ini.path != "":
		searched = ini.path
	}
	fmt.Fprintf(os.Stdout, "Configuration File (php.ini) Path: %s\nLoaded Configuration File:         %s\n"+
		"Scan for additional .ini files in: %s\nAdditional .ini files parsed:      %s\n",
		searched, state(1), state(2), state(3))
}

// printCLIUsage is -h, and what a bad option gets.
func printCLIUsage(name string) {
	fmt.Fprintf(os.Stdout, `Usage: %[1]s [--config FILE] [options] [-f] <file> [--] [args...]
       %[1]s [options] -r <code> [--] [args...]
       %[1]s [options] [-B <code>] -R <code> | -F <file> [-E <code>] [--] [args...]
       %[1]s [options] [--] [args...]     (the script comes from stdin)
       %[1]s [options] -a                 (interactive, where readline is loaded)

  --config FILE     the ephpm.toml whose [kv.resp] the ephpm_kv_* functions reach
                    (without it: a store local to this process)
  -f <file>         run <file> (the first argument that is no option does too)
  -r <code>         run <code>, written without <?php
  -B <code>         run <code> once, before the lines of stdin
  -R <code>         run <code> for each line of stdin ($argn: the line, $argi: its number)
  -F <file>         run <file> for each line of stdin
  -E <code>         run <code> once, after the lines of stdin
  -l                check the syntax only
  -c <file>|<dir>   read this php.ini (or the one in <dir>)
  -n                read no php.ini
  -d key[=value]    set an ini entry (value 1 when none is given)
  -e                extended information for debuggers and profilers
  -z <file>         load the Zend extension <file>
  -i                phpinfo()
  -m                the modules compiled in and loaded
  -v                versions
  --ini             the php.ini files read
  --ri <extension>  the settings of <extension>
  -h                this help

  args...           the script's $argv; put -- before them when the first one
                    starts with - or when the script comes from stdin

Not here: -s, -w, --rf, --rc, --re, --rz, --repeat; and -S/-t (PHP's built-in
web server: `+"`ephpm serve`"+` is the server).
`, name)
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
