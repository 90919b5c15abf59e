// Package redistest starts real redis-server processes for tests: a
// standalone server (optionally with a password, an ACL user or TLS) or a
// Redis Cluster of several primaries, each on free loopback ports, stopped
// when the test ends. Tests that need Redis use Debian's redis-server and
// redis-cli (packages redis-server, redis-tools) and skip without them.
package redistest

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ephpm/ephpm/internal/testcert"
)

// Options of a server.
type Options struct {
	Password string // requirepass (the default user's password)
	// User and UserPassword add an ACL user with every permission.
	User, UserPassword string
	// TLS serves TLS only (no plain port), with a certificate for
	// 127.0.0.1 and localhost signed by a CA of the test (Server.CAFile).
	TLS bool
	// Cluster starts the server with cluster mode enabled (StartCluster
	// joins several).
	Cluster bool
	// Extra arguments for redis-server, e.g. "--maxmemory", "1mb".
	Extra []string
}

// Server is one redis-server process.
type Server struct {
	Addr   string // 127.0.0.1:port
	Port   int
	Dir    string // its working directory
	CAFile string // with TLS: the CA certificate (PEM) to trust

	opts              Options
	certFile, keyFile string // with TLS: the server's certificate and key

	t      testing.TB
	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{}
	log    *bytes.Buffer
}

// Start starts a redis-server on a free loopback port and stops it when
// the test ends.
func Start(t testing.TB, o Options) *Server {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Skip("redis-server is not installed (Debian: apt-get install redis-server redis-tools)")
	}
	s := &Server{Dir: t.TempDir(), opts: o, t: t}
	if o.TLS {
		s.CAFile, s.certFile, s.keyFile = testcert.CASigned(t, s.Dir)
	}
	for attempt := 0; attempt < 5; attempt++ {
		s.Port = FreePort(t)
		s.Addr = "127.0.0.1:" + strconv.Itoa(s.Port)
		if err := s.start(); err == nil {
			t.Cleanup(s.Stop)
			return s
		} else {
			t.Logf("redis-server on port %d did not start (port taken?): %v", s.Port, err)
		}
	}
	t.Fatal("could not start redis-server")
	return nil
}

// args is the command line of the server.
func (s *Server) args() []string {
	o := s.opts
	a := []string{"--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", s.Dir,
		"--daemonize", "no", "--loglevel", "warning", "--protected-mode", "no"}
	if o.TLS {
		a = append(a, "--port", "0", "--tls-port", strconv.Itoa(s.Port),
			"--tls-cert-file", s.certFile, "--tls-key-file", s.keyFile,
			"--tls-ca-cert-file", s.CAFile, "--tls-auth-clients", "no")
	} else {
		a = append(a, "--port", strconv.Itoa(s.Port))
	}
	if o.Password != "" {
		a = append(a, "--requirepass", o.Password)
	}
	if o.User != "" {
		a = append(a, "--user", o.User, "on", ">"+o.UserPassword, "~*", "&*", "+@all")
	}
	if o.Cluster {
		a = append(a, "--cluster-enabled", "yes", "--cluster-config-file", filepath.Join(s.Dir, "nodes.conf"),
			"--cluster-node-timeout", "2000")
	}
	return append(a, o.Extra...)
}

// start runs the process and waits until it accepts connections.
func (s *Server) start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.log = &bytes.Buffer{}
	s.cmd = exec.Command("redis-server", s.args()...)
	s.cmd.Stdout, s.cmd.Stderr = s.log, s.log
	if err := s.cmd.Start(); err != nil {
		return err
	}
	exited := make(chan struct{})
	s.exited = exited
	go func(c *exec.Cmd) { c.Wait(); close(exited) }(s.cmd)
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return fmt.Errorf("exited: %s", s.log.String())
		default:
		}
		if c, err := net.DialTimeout("tcp", s.Addr, 200*time.Millisecond); err == nil {
			c.Close()
			// The port answering is not enough: when two tests got the
			// same free port, the server that could not bind it would
			// see the other's. Ours reports its own pid.
			if own, err := s.answersAsItself(); err == nil {
				if own {
					return nil
				}
				s.cmd.Process.Kill()
				<-exited
				return fmt.Errorf("port %d is served by another process", s.Port)
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.cmd.Process.Kill()
	<-exited
	return fmt.Errorf("not listening after 10 s: %s", s.log.String())
}

// answersAsItself reports whether the server on the port is this
// process (INFO's process_id); an error when none answered yet.
func (s *Server) answersAsItself() (bool, error) {
	out, err := s.cli("info", "server")
	if errors.Is(err, exec.ErrNotFound) {
		return true, nil // no redis-cli to ask: trust the port
	}
	if err != nil || !strings.Contains(out, "process_id:") {
		return false, fmt.Errorf("no INFO yet: %v %s", err, out)
	}
	want := "process_id:" + strconv.Itoa(s.cmd.Process.Pid)
	for _, l := range strings.Split(out, "\n") {
		if strings.TrimSpace(l) == want {
			return true, nil
		}
	}
	return false, nil
}

// Stop kills the server (SIGKILL: as a crash would) and waits for it.
// Stopping a stopped server does nothing.
func (s *Server) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return
	}
	s.cmd.Process.Kill()
	<-s.exited
	s.cmd = nil
}

// Restart starts the stopped server again on the same port (its data is
// gone: no persistence). It retries while the port is still held.
func (s *Server) Restart() {
	s.t.Helper()
	s.Stop()
	var err error
	for attempt := 0; attempt < 50; attempt++ {
		if err = s.start(); err == nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	s.t.Fatalf("redis-server did not restart on %s: %v", s.Addr, err)
}

// Pause stops the process with SIGSTOP (a hung Redis: connections stay
// open, nothing answers) until Resume.
func (s *Server) Pause() { s.signal("-STOP") }

// Resume continues a paused server.
func (s *Server) Resume() { s.signal("-CONT") }

func (s *Server) signal(sig string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		exec.Command("kill", sig, strconv.Itoa(s.cmd.Process.Pid)).Run()
	}
}

// CLI runs redis-cli against the server with args and returns its output
// (trimmed); a failure of redis-cli itself fails the test.
func (s *Server) CLI(args ...string) string {
	s.t.Helper()
	out, err := s.cli(args...)
	if err != nil {
		s.t.Fatalf("redis-cli %v: %v: %s", args, err, out)
	}
	return out
}

func (s *Server) cli(args ...string) (string, error) {
	a := []string{"-h", "127.0.0.1", "-p", strconv.Itoa(s.Port)}
	if s.opts.TLS {
		a = append(a, "--tls", "--cacert", s.CAFile)
	}
	if s.opts.Password != "" {
		a = append(a, "--no-auth-warning", "-a", s.opts.Password)
	}
	if s.opts.Cluster {
		a = append(a, "-c")
	}
	out, err := exec.Command("redis-cli", append(a, args...)...).CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

// FreePort returns a TCP port free on 127.0.0.1 at the time of the call.
func FreePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// Cluster is a Redis Cluster of primaries without replicas.
type Cluster struct {
	Nodes []*Server
	Addrs []string // host:port of every primary
}

// StartCluster starts n (>= 3) cluster-enabled servers and joins them with
// `redis-cli --cluster create`, then waits until every node reports
// cluster_state:ok.
func StartCluster(t testing.TB, n int, o Options) *Cluster {
	t.Helper()
	if _, err := exec.LookPath("redis-cli"); err != nil {
		t.Skip("redis-cli is not installed (Debian: apt-get install redis-tools)")
	}
	o.Cluster = true
	c := &Cluster{}
	for i := 0; i < n; i++ {
		s := Start(t, o)
		c.Nodes = append(c.Nodes, s)
		c.Addrs = append(c.Addrs, s.Addr)
	}
	args := append([]string{"--cluster", "create"}, c.Addrs...)
	args = append(args, "--cluster-replicas", "0", "--cluster-yes")
	if o.Password != "" {
		args = append([]string{"--no-auth-warning", "-a", o.Password}, args...)
	}
	if out, err := exec.Command("redis-cli", args...).CombinedOutput(); err != nil {
		t.Fatalf("redis-cli --cluster create: %v: %s", err, out)
	}
	deadline := time.Now().Add(30 * time.Second)
	for _, s := range c.Nodes {
		for {
			out, _ := s.cli("cluster", "info")
			if strings.Contains(out, "cluster_state:ok") {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("cluster node %s not ok after 30 s: %s", s.Addr, out)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	return c
}

// CLI runs redis-cli in cluster mode (-c: it follows redirections) against
// the first node.
func (c *Cluster) CLI(args ...string) string { return c.Nodes[0].CLI(args...) }

// Env returns os.Environ() with SSL_CERT_FILE pointing at the CA of a TLS
// server, so a Go client (or a child ephpm) using the system roots trusts it.
func (s *Server) Env() []string {
	return append(os.Environ(), "SSL_CERT_FILE="+s.CAFile)
}
