//go:build !linux

// Command thp measures transparent huge pages; it needs Linux.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "thp: Linux only (MADV_COLLAPSE)")
	os.Exit(1)
}
