package phpembed

import "syscall"

// spinYield gives the worker's CPU to another runnable thread, if the
// kernel has one, between two polls of the queue (see nextFromQueue). A raw
// system call: it does not block, so Go need not hand the P to another
// thread around it.
func spinYield() { syscall.RawSyscall(syscall.SYS_SCHED_YIELD, 0, 0, 0) }
