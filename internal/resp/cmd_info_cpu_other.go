//go:build !unix

package resp

// cpuTimes: no getrusage here, so INFO's cpu section is empty.
func cpuTimes() []string { return nil }
