package threadpolicy

import (
	"errors"
	"os"
	"strconv"
	"syscall"
	"unsafe"
)

// Linux's policy numbers (include/uapi/linux/sched.h).
const (
	schedOther = 0
	schedBatch = 3
)

func (p Policy) kernel() int {
	if p == Batch {
		return schedBatch
	}
	return schedOther
}

// schedParam is struct sched_param: the static priority, 0 for both
// policies.
type schedParam struct{ priority int32 }

// Apply gives every thread of this process that has the other of the two
// policies policy p, and returns how many threads it changed. Threads with
// any other policy (real-time, idle, deadline: set on purpose by whoever
// started the server) are left as they are. It lists the threads again
// until a pass changes none: a thread created while a pass runs may have
// copied its creator's policy before the creator was changed, and be
// missing from the list that pass read. Threads keep their nice value (the
// kernel keeps it across these two policies).
func Apply(p Policy) (changed int, err error) {
	want, from := p.kernel(), Batch.kernel()
	if p == Batch {
		from = Normal.kernel()
	}
	for pass := 0; pass < 10; pass++ {
		tids, err := threads()
		if err != nil {
			return changed, err
		}
		n := 0
		for _, tid := range tids {
			cur, err := policyOf(tid)
			if err != nil {
				continue // the thread ended
			}
			if cur != from {
				continue // already p, or a policy not ours to change
			}
			if err := setPolicy(tid, want); err != nil {
				if errors.Is(err, syscall.ESRCH) {
					continue
				}
				return changed, err
			}
			n++
		}
		changed += n
		if n == 0 {
			return changed, nil
		}
	}
	return changed, errors.New("threads kept appearing without the policy")
}

// threads lists this process's thread ids.
func threads() ([]int, error) {
	ents, err := os.ReadDir("/proc/self/task")
	if err != nil {
		return nil, err
	}
	tids := make([]int, 0, len(ents))
	for _, e := range ents {
		if tid, err := strconv.Atoi(e.Name()); err == nil {
			tids = append(tids, tid)
		}
	}
	return tids, nil
}

func policyOf(tid int) (int, error) {
	r, _, errno := syscall.RawSyscall(syscall.SYS_SCHED_GETSCHEDULER, uintptr(tid), 0, 0)
	if errno != 0 {
		return 0, errno
	}
	// SCHED_RESET_ON_FORK is or'ed into the result when set.
	return int(r) &^ 0x40000000, nil
}

func setPolicy(tid, policy int) error {
	param := schedParam{}
	_, _, errno := syscall.RawSyscall(syscall.SYS_SCHED_SETSCHEDULER, uintptr(tid), uintptr(policy), uintptr(unsafe.Pointer(&param)))
	if errno != 0 {
		return errno
	}
	return nil
}
