//go:build !linux

package resp

// Without epoll every connection is served by a goroutine (conn.go).

type loop struct{}

func (s *Server) startLoops() error                { return errNoLoops }
func (s *Server) closeListenerFDs()                {}
func (s *Server) wakeLoops()                       {}
func (c *conn) block(func(<-chan struct{}) func()) {}
