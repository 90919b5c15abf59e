package phpembed

// Every call from C into Go goes through cgo's crosscall2; the linker's
// --wrap routes those calls through __wrap_crosscall2 (fiberstack_linux.c),
// which moves a call made on a PHP Fiber's stack onto the thread's own
// stack, where Go expects its callbacks (else: "fatal error: morestack on
// g0", the process gone). References inside Go's own object are not
// wrapped (--wrap applies to undefined references only): only calls from
// the C objects of cgo packages are.

// #cgo LDFLAGS: -Wl,--wrap=crosscall2
import "C"
