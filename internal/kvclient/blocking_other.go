//go:build !linux

package kvclient

import "net"

// toBlocking is the identity off Linux: the connection goes through Go's
// network poller (see blocking_linux.go for why Linux does otherwise).
func toBlocking(nc net.Conn) netConn { return nc }
