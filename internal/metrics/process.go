package metrics

import (
	"bytes"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// processCollector reports the process_* families of Prometheus' Go
// client's process collector (client_golang 1.25, Linux): the same names,
// types and HELP texts, read from /proc/self at each scrape. What cannot be
// read is left out of the page, as that collector leaves it out.
type processCollector struct{}

const helpCpuSecondsTotal = "Total user and system CPU time spent in seconds."
const helpMaxFds = "Maximum number of open file descriptors."
const helpNetworkReceiveBytesTotal = "Number of bytes received by the process over the network."
const helpNetworkTransmitBytesTotal = "Number of bytes sent by the process over the network."
const helpOpenFds = "Number of open file descriptors."
const helpResidentMemoryBytes = "Resident memory size in bytes."
const helpStartTimeSeconds = "Start time of the process since unix epoch in seconds."
const helpVirtualMemoryBytes = "Virtual memory size in bytes."
const helpVirtualMemoryMaxBytes = "Maximum amount of virtual memory available in bytes."

// userHZ is the unit of /proc's CPU times (USER_HZ, 100 on every Linux
// architecture Go supports; procfs assumes the same).
const userHZ = 100

// Names implements Collector.
func (processCollector) Names() []string {
	return []string{"process_cpu_seconds_total", "process_max_fds", "process_network_receive_bytes_total", "process_network_transmit_bytes_total", "process_open_fds", "process_resident_memory_bytes", "process_start_time_seconds", "process_virtual_memory_bytes", "process_virtual_memory_max_bytes"}
}

// Collect implements Collector.
func (processCollector) Collect(out []*Family) []*Family {
	if st, ok := readStat(); ok {
		out = append(out,
			single("process_cpu_seconds_total", "counter", helpCpuSecondsTotal, float64(st.utime+st.stime)/userHZ),
			single("process_virtual_memory_bytes", "gauge", helpVirtualMemoryBytes, float64(st.vsize)),
			single("process_resident_memory_bytes", "gauge", helpResidentMemoryBytes, float64(st.rss*uint64(os.Getpagesize()))))
		if btime, ok := bootTime(); ok {
			out = append(out, single("process_start_time_seconds", "gauge", helpStartTimeSeconds, float64(btime)+float64(st.starttime)/userHZ))
		}
	}
	if ents, err := os.ReadDir("/proc/self/fd"); err == nil {
		// The directory's own descriptor, open while it is read, is
		// counted, as the Go client's collector (procfs) counts it.
		out = append(out, single("process_open_fds", "gauge", helpOpenFds, float64(len(ents))))
	}
	var lim syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim) == nil {
		out = append(out, single("process_max_fds", "gauge", helpMaxFds, float64(lim.Cur)))
	}
	if syscall.Getrlimit(syscall.RLIMIT_AS, &lim) == nil {
		out = append(out, single("process_virtual_memory_max_bytes", "gauge", helpVirtualMemoryMaxBytes, float64(lim.Cur)))
	}
	if in, outB, ok := ipOctets(); ok {
		out = append(out,
			single("process_network_receive_bytes_total", "counter", helpNetworkReceiveBytesTotal, in),
			single("process_network_transmit_bytes_total", "counter", helpNetworkTransmitBytesTotal, outB))
	}
	return out
}

type procStat struct {
	utime, stime, starttime, vsize, rss uint64
}

// readStat parses /proc/self/stat (proc(5)): the fields after the command
// name, which is in parentheses and may hold spaces.
func readStat() (procStat, bool) {
	b, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		return procStat{}, false
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return procStat{}, false
	}
	f := strings.Fields(string(b[i+1:]))
	// f[0] is field 3 (state): field n is f[n-3].
	if len(f) < 22 {
		return procStat{}, false
	}
	num := func(n int) uint64 {
		v, _ := strconv.ParseUint(f[n-3], 10, 64)
		return v
	}
	return procStat{utime: num(14), stime: num(15), starttime: num(22), vsize: num(23), rss: num(24)}, true
}

// bootTime is btime of /proc/stat: the boot time in seconds since the
// epoch, which a process's start time (in ticks since boot) is added to.
func bootTime() (uint64, bool) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, false
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, "btime "); ok {
			n, err := strconv.ParseUint(strings.TrimSpace(v), 10, 64)
			return n, err == nil
		}
	}
	return 0, false
}

// ipOctets are InOctets and OutOctets of the IpExt lines of
// /proc/self/net/netstat (a header line of names, then one of values), as
// the Go client's process collector reports them.
func ipOctets() (in, out float64, ok bool) {
	b, err := os.ReadFile("/proc/self/net/netstat")
	if err != nil {
		return 0, 0, false
	}
	var names []string
	for line := range strings.Lines(string(b)) {
		rest, isExt := strings.CutPrefix(line, "IpExt:")
		if !isExt {
			continue
		}
		if names == nil {
			names = strings.Fields(rest)
			continue
		}
		for i, v := range strings.Fields(rest) {
			if i >= len(names) {
				break
			}
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				continue
			}
			switch names[i] {
			case "InOctets":
				in = f
			case "OutOctets":
				out = f
			}
		}
		return in, out, true
	}
	return 0, 0, false
}
