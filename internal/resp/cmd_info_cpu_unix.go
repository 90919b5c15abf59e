//go:build unix

package resp

import (
	"runtime"
	"strconv"
	"syscall"
)

// rusageThread is getrusage's RUSAGE_THREAD (Linux only).
const rusageThread = 1

// cpuTimes are INFO cpu's lines as Redis prints them (seconds and
// microseconds): the process's CPU time (PHP's included: one process),
// its children's, and on Linux the calling thread's (Redis's
// *_main_thread is its event loop thread's; here the RESP loop thread
// answering INFO).
func cpuTimes() []string {
	lines := append(rusageLines("used_cpu_sys", "used_cpu_user", syscall.RUSAGE_SELF),
		rusageLines("used_cpu_sys_children", "used_cpu_user_children", syscall.RUSAGE_CHILDREN)...)
	if runtime.GOOS == "linux" {
		lines = append(lines, rusageLines("used_cpu_sys_main_thread", "used_cpu_user_main_thread", rusageThread)...)
	}
	return lines
}

func rusageLines(sysName, userName string, who int) []string {
	var ru syscall.Rusage
	_ = syscall.Getrusage(who, &ru) // cannot fail for these arguments; zeros if it did
	return []string{sysName + ":" + timeval(ru.Stime), userName + ":" + timeval(ru.Utime)}
}

// timeval is Redis's "%ld.%06ld".
func timeval(tv syscall.Timeval) string {
	us := strconv.FormatInt(int64(tv.Usec), 10)
	for len(us) < 6 {
		us = "0" + us
	}
	return strconv.FormatInt(int64(tv.Sec), 10) + "." + us
}
