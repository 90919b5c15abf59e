//go:build !linux

package wire

import "net"

// ToBlocking is the identity off Linux: the connection goes through Go's
// network poller (see blocking_linux.go for why Linux does otherwise).
func ToBlocking(nc net.Conn) NetConn { return nc }
