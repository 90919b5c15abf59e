package threadpolicy

import "syscall"

func gettid() int { return syscall.Gettid() }
