//go:build !linux

package server

import (
	"net"
	"os"
)

// Raw system calls are Linux-only (rawio_linux.go); elsewhere the
// connection's and the file's own methods are used.

const rawSupported = false

type rawConnWriter struct{ net.Conn }

func newRawConnWriter(net.Conn) *rawConnWriter { return nil }

type rawFileReader struct{ *os.File }

func newRawFileReader(*os.File) *rawFileReader { return nil }
