package e2e

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// threadPolicies reads the scheduling policy (field 41 of
// /proc/PID/task/TID/stat) of every thread of process pid: policy -> count.
func threadPolicies(t *testing.T, pid int) map[int]int {
	t.Helper()
	stats, err := filepath.Glob("/proc/" + strconv.Itoa(pid) + "/task/*/stat")
	if err != nil || len(stats) == 0 {
		t.Fatalf("no threads of %d: %v", pid, err)
	}
	out := map[int]int{}
	for _, f := range stats {
		b, err := os.ReadFile(f)
		if err != nil {
			continue // the thread ended
		}
		// After the command name in parentheses come fields 3, 4, ...
		rest := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
		p, err := strconv.Atoi(rest[41-3])
		if err != nil {
			t.Fatalf("%s: policy field %q", f, rest[41-3])
		}
		out[p]++
	}
	return out
}

// server.thread_policy (internal/threadpolicy): by default every thread of
// the server runs as SCHED_BATCH (3), the PHP threads and the threads Go
// starts under load included; "normal" leaves them SCHED_OTHER (0).
func TestThreadPolicyBatchByDefault(t *testing.T) {
	if _, err := os.Stat("/proc/self/task"); err != nil {
		t.Skip("no /proc: not Linux")
	}
	const schedOther, schedBatch = 0, 3
	for _, c := range []struct {
		name string
		env  []string
		want int
	}{
		{"default", nil, schedBatch},
		{"normal", []string{"EPHPM_SERVER__THREAD_POLICY=normal"}, schedOther},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := start(t, fixtureRoot(t), "[php]\nworkers = 2\n", c.env...)
			if !strings.Contains(s.Log(), "thread_policy="+map[int]string{schedBatch: "batch", schedOther: "normal"}[c.want]) {
				t.Errorf("the listening line does not name the policy:\n%s", s.Log())
			}
			// Load makes Go start more threads than it had at startup.
			loadUntil(t, s, 8, "/threads.php?op=cpu&n=20000", 2*time.Second, func() bool { return false })
			pols := threadPolicies(t, s.cmd.Process.Pid)
			total := 0
			for _, k := range pols {
				total += k
			}
			if pols[c.want] != total {
				t.Fatalf("thread policies of the server: %v (policy: count), want all %d threads %d", pols, total, c.want)
			}
			if total < 4 {
				t.Errorf("only %d threads seen; the check says little", total)
			}
		})
	}
}
