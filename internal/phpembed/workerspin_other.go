//go:build !linux

package phpembed

// spinYield: a plain poll elsewhere (see workerspin_linux.go).
func spinYield() {}
