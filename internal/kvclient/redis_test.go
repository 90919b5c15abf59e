package kvclient

import (
	"bufio"
	"fmt"
	"net"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// redisServer is a real redis-server started for one test: the standard
// commands behave there as Redis 7 documents them, which is what ephpm's
// endpoint answers too.
type redisServer struct {
	Port     int
	Socket   string
	Password string
	cmd      *exec.Cmd
}

// startRedis starts Debian's redis-server on a free loopback port and a
// unix socket, without persistence, and stops it when the test ends.
func startRedis(t *testing.T, password string) *redisServer {
	t.Helper()
	return startRedisOn(t, password, "")
}

// startRedisAt starts one on the unix socket path of an earlier one.
func startRedisAt(t *testing.T, socket string) *redisServer {
	t.Helper()
	return startRedisOn(t, "", socket)
}

func startRedisOn(t *testing.T, password, socket string) *redisServer {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Skip("redis-server is not installed (Debian: apt-get install redis-server); the client is tested against a real one")
	}
	dir := t.TempDir()
	for attempt := 0; attempt < 5; attempt++ {
		port := freePort(t)
		rs := &redisServer{Port: port, Socket: socket, Password: password}
		if socket == "" {
			rs.Socket = filepath.Join(dir, fmt.Sprintf("r%d.sock", attempt))
		}
		args := []string{"--port", fmt.Sprint(port), "--bind", "127.0.0.1", "--unixsocket", rs.Socket,
			"--save", "", "--appendonly", "no", "--dir", dir, "--daemonize", "no", "--loglevel", "warning"}
		if password != "" {
			args = append(args, "--requirepass", password)
		}
		rs.cmd = exec.Command(bin, args...)
		var log strings.Builder
		rs.cmd.Stdout, rs.cmd.Stderr = &log, &log
		if err := rs.cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan struct{})
		go func() { rs.cmd.Wait(); close(exited) }()
		if waitListening(port, exited) {
			t.Cleanup(func() {
				rs.cmd.Process.Kill()
				<-exited
			})
			return rs
		}
		rs.cmd.Process.Kill()
		<-exited
		t.Logf("redis-server on port %d did not start (port taken?): %s", port, log.String())
	}
	t.Fatal("could not start redis-server")
	return nil
}

func (rs *redisServer) Stop() { rs.cmd.Process.Kill() }

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// waitListening waits until something answers PING (or NOAUTH) on port.
func waitListening(port int, exited <-chan struct{}) bool {
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return false
		default:
		}
		c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), time.Second)
		if err == nil {
			c.SetDeadline(time.Now().Add(2 * time.Second))
			fmt.Fprint(c, "PING\r\n")
			line, _ := bufio.NewReader(c).ReadString('\n')
			c.Close()
			if strings.HasPrefix(line, "+PONG") || strings.HasPrefix(line, "-NOAUTH") {
				return true
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return false
}

func (rs *redisServer) tcp(password string) Options {
	return Options{Network: "tcp", Addr: fmt.Sprintf("127.0.0.1:%d", rs.Port), Password: password, Timeout: 5 * time.Second}
}

func (rs *redisServer) unix(password string) Options {
	return Options{Network: "unix", Addr: rs.Socket, Password: password, Timeout: 5 * time.Second}
}

// errs collects what a client reports through OnError.
type errs struct{ list []error }

func watch(c *Client) *errs {
	e := &errs{}
	c.OnError(func(err error) { e.list = append(e.list, err) })
	return e
}
