//go:build !linux

package server

import "net"

// pendingInput is not known here: only connections net/http shut for
// writing linger.
func pendingInput(net.Conn) bool { return false }
