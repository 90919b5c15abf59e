package server

import (
	"net"
	"syscall"
	"unsafe"
)

// pendingInput reports whether the socket has received bytes nobody has
// read (TIOCINQ, alias SIOCINQ, on a TCP socket). Closing such a socket
// sends a reset instead of a FIN.
func pendingInput(c net.Conn) bool {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return false
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	var n int32
	var errno syscall.Errno
	if rc.Control(func(fd uintptr) {
		_, _, errno = syscall.Syscall(syscall.SYS_IOCTL, fd, syscall.TIOCINQ, uintptr(unsafe.Pointer(&n)))
	}) != nil || errno != 0 {
		return false
	}
	return n > 0
}
