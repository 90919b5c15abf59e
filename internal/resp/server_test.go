package resp

import (
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// modes runs a test against the event loops and the goroutine server.
func modes(t *testing.T, fn func(t *testing.T, cfg Config)) {
	t.Run("loops", func(t *testing.T) { fn(t, Config{Loops: 2}) }) // two: commands of different loops interleave
	t.Run("goroutines", func(t *testing.T) { fn(t, Config{Goroutines: true}) })
}

// closed reports whether the server closed c (reads EOF).
func (c *client) closed() bool {
	c.nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err := c.r.ReadByte()
	return err == io.EOF || (err != nil && !isTimeout(err))
}

func isTimeout(err error) bool {
	ne, ok := err.(net.Error)
	return ok && ne.Timeout()
}

func TestProtocolErrorClosesOnlyThatClient(t *testing.T) {
	modes(t, func(t *testing.T, cfg Config) {
		cfg.MaxBulkLen = 1024
		s, _ := startServer(t, cfg)
		healthy := dial(t, s)
		healthy.expect("+OK\r\n", "SET", "k", "v")
		for _, bad := range []struct{ in, reply string }{
			{"*1\r\n:x\r\n", "-ERR Protocol error: expected ':', got ':'\r\n"},
			{"*1\r\n$2048\r\n", "-ERR Protocol error: invalid bulk length\r\n"},
			{"*a\r\n", "-ERR Protocol error: invalid multibulk length\r\n"},
			{"GET \"k\r\n", "-ERR Protocol error: unbalanced quotes in request\r\n"},
		} {
			c := dial(t, s)
			c.expect("+PONG\r\n", "PING")
			c.send(bad.in)
			want := strings.Replace(bad.reply, "expected ':'", "expected '$'", 1)
			if got := c.reply(); got != want {
				t.Errorf("%q: got %q, want %q", bad.in, got, want)
			}
			if !c.closed() {
				t.Errorf("%q: connection left open", bad.in)
			}
			dial(t, s).expect("$1\r\nv\r\n", "GET", "k")
		}
		healthy.expect("$1\r\nv\r\n", "GET", "k")
	})
}

func TestUnknownCommandKeepsConnection(t *testing.T) {
	s, _ := startServer(t, Config{})
	c := dial(t, s)
	c.expect("-ERR unknown command 'NOPE', with args beginning with: 'a' 'b' \r\n", "NOPE", "a", "b")
	long := strings.Repeat("x", 200)
	c.expect("-ERR unknown command 'nope', with args beginning with: '"+strings.Repeat("x", 128)+"' \r\n", "nope", long, "y")
	c.expect("-ERR unknown subcommand 'nope'. Try CLIENT HELP.\r\n", "CLIENT", "nope")
	c.expect("+PONG\r\n", "PING")
	if st := s.Stats(); st.Commands["unknown"] != 3 || st.Errors["unknown_command"] != 3 || st.Commands["ping"] != 1 {
		t.Errorf("stats: %+v", st)
	}
}

func TestAuth(t *testing.T) {
	modes(t, func(t *testing.T, cfg Config) {
		cfg.Password = "s3cret"
		s, _ := startServer(t, cfg)
		c := dial(t, s)
		c.expect("-NOAUTH Authentication required.\r\n", "GET", "k")
		c.expect("-NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time\r\n", "HELLO", "3")
		c.expect("-WRONGPASS invalid username-password pair or user is disabled.\r\n", "AUTH", "wrong")
		c.expect("-WRONGPASS invalid username-password pair or user is disabled.\r\n", "AUTH", "bob", "s3cret")
		c.expect("-NOAUTH Authentication required.\r\n", "PING")
		c.expect("+OK\r\n", "AUTH", "s3cret")
		c.expect("+PONG\r\n", "PING")
		c2 := dial(t, s)
		c2.expect("-WRONGPASS invalid username-password pair or user is disabled.\r\n", "HELLO", "3", "AUTH", "default", "nope")
		if got := c2.do("HELLO", "3", "AUTH", "default", "s3cret", "SETNAME", "w1"); !strings.HasPrefix(got, "%7\r\n$6\r\nserver\r\n$5\r\nredis\r\n") || !strings.Contains(got, "$5\r\nproto\r\n:3\r\n") {
			t.Errorf("HELLO 3 AUTH: %q", got)
		}
		c2.expect("$2\r\nw1\r\n", "CLIENT", "GETNAME")
		// Before AUTH a client may not send large frames (Redis's limits).
		c3 := dial(t, s)
		c3.send("*1\r\n$20000\r\n")
		if got := c3.reply(); got != "-ERR Protocol error: unauthenticated bulk length\r\n" {
			t.Errorf("big bulk before AUTH: %q", got)
		}
	})
}

func TestNoPasswordAuth(t *testing.T) {
	s, _ := startServer(t, Config{})
	c := dial(t, s)
	c.expect("-ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?\r\n", "AUTH", "x")
	c.expect("+OK\r\n", "AUTH", "default", "x")
}

func TestRESP3Replies(t *testing.T) {
	s, _ := startServer(t, Config{MaxMemory: 1 << 20, MaxMemoryPolicy: "noeviction"})
	c := dial(t, s)
	c.do("HELLO", "3")
	c.expect("_\r\n", "GET", "none")
	c.do("SET", "x", "1")
	c.expect("*2\r\n$1\r\n1\r\n_\r\n", "MGET", "x", "none")
	c.expect("%2\r\n$9\r\nmaxmemory\r\n$7\r\n1048576\r\n$16\r\nmaxmemory-policy\r\n$10\r\nnoeviction\r\n", "CONFIG", "GET", "maxmemory*")
	if got := c.do("INFO", "keyspace"); got != "=48\r\ntxt:# Keyspace\r\ndb0:keys=1,expires=0,avg_ttl=0\r\n\r\n" {
		t.Errorf("INFO keyspace: %q", got)
	}
	if got := c.do("CLIENT", "INFO"); !strings.HasPrefix(got, "=") || !strings.Contains(got, "txt:id=") || !strings.Contains(got, " resp=3 ") {
		t.Errorf("CLIENT INFO: %q", got)
	}
	if got := c.do("COMMAND", "INFO", "get"); !strings.HasPrefix(got, "*1\r\n*10\r\n$3\r\nget\r\n:2\r\n~2\r\n+readonly\r\n+fast\r\n:1\r\n:1\r\n:1\r\n") {
		t.Errorf("COMMAND INFO get: %q", got)
	}
	c.expect(":"+strconv.Itoa(len(commands))+"\r\n", "COMMAND", "COUNT")
	if got := c.do("HELLO", "2"); !strings.HasPrefix(got, "*14\r\n") {
		t.Errorf("HELLO 2 answers in RESP2: %q", got)
	}
	c.expect("$-1\r\n", "GET", "none")
}

func TestEphpmCommands(t *testing.T) {
	modes(t, func(t *testing.T, cfg Config) {
		s, store := startServer(t, cfg)
		c := dial(t, s)
		c.do("SET", "lock", "owner1")
		c.expect(":0\r\n", "EPHPM.DELIFEQ", "lock", "owner2")
		c.expect(":1\r\n", "EPHPM.DELIFEQ", "lock", "owner1")
		c.expect(":0\r\n", "EPHPM.DELIFEQ", "lock", "owner1")
		c.do("MSET", "p:1", "a", "p:2", "b", "q:1", "c")
		c.expect(":2\r\n", "EPHPM.DELPREFIX", "p:")
		c.expect(":1\r\n", "DBSIZE")

		// WAIT: at once with version 0, then blocks until a write.
		got := c.do("EPHPM.WAIT", "q:1", "0", "1000")
		var ver uint64
		if _, err := fmt.Sscanf(got, "*2\r\n:%d\r\n$1\r\nc\r\n", &ver); err != nil || ver == 0 {
			t.Fatalf("WAIT version 0: %q", got)
		}
		c.expect("*-1\r\n", "EPHPM.WAIT", "q:1", strconv.FormatUint(ver, 10), "50")
		c.send(encode("EPHPM.WAIT", "q:1", strconv.FormatUint(ver, 10), "20000") + encode("PING"))
		other := dial(t, s)
		other.expect("+PONG\r\n", "PING") // the loop serves others meanwhile
		time.Sleep(50 * time.Millisecond)
		store.Set("q:1", "new", 0)
		if got := c.reply(); !strings.HasSuffix(got, "$3\r\nnew\r\n") {
			t.Errorf("WAIT after a write: %q", got)
		}
		c.expect("+PONG\r\n") // the pipelined PING after it
		c.expect("-ERR value is not an integer or out of range\r\n", "EPHPM.WAIT", "q:1", "x", "1")
	})
}

func TestWaitEndsOnShutdown(t *testing.T) {
	modes(t, func(t *testing.T, cfg Config) {
		s, _ := startServer(t, cfg)
		c := dial(t, s)
		c.do("SET", "k", "v")
		got := c.do("EPHPM.WAIT", "k", "0", "0")
		var ver uint64
		fmt.Sscanf(got, "*2\r\n:%d", &ver)
		c.send(encode("EPHPM.WAIT", "k", strconv.FormatUint(ver, 10), "60000"))
		time.Sleep(50 * time.Millisecond)
		start := time.Now()
		go s.Close(5 * time.Second)
		if got := c.reply(); got != "*-1\r\n" {
			t.Errorf("WAIT at shutdown: %q", got)
		}
		if d := time.Since(start); d > 3*time.Second {
			t.Errorf("WAIT took %v to end at shutdown", d)
		}
	})
}

func TestMultiExecIsolation(t *testing.T) {
	modes(t, func(t *testing.T, cfg Config) {
		s, _ := startServer(t, cfg)
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for i := 0; i < 4; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				o := dial(t, s)
				for {
					select {
					case <-stop:
						return
					default:
					}
					o.do("SET", "ctr", "1000000")
				}
			}()
		}
		c := dial(t, s)
		for round := 0; round < 20; round++ {
			c.expect("+OK\r\n", "MULTI")
			c.expect("+QUEUED\r\n", "SET", "ctr", "0")
			for i := 0; i < 50; i++ {
				c.expect("+QUEUED\r\n", "INCR", "ctr")
			}
			got := c.do("EXEC")
			var want strings.Builder
			want.WriteString("*51\r\n+OK\r\n")
			for i := 1; i <= 50; i++ {
				want.WriteString(":" + strconv.Itoa(i) + "\r\n")
			}
			if got != want.String() {
				t.Fatalf("EXEC interleaved with another client: %q", got)
			}
		}
		close(stop)
		wg.Wait()
	})
}

func TestExecAbort(t *testing.T) {
	s, _ := startServer(t, Config{Password: "pw"})
	c := dial(t, s)
	c.expect("+OK\r\n", "AUTH", "pw")
	c.expect("+OK\r\n", "MULTI")
	c.expect("-ERR wrong number of arguments for 'get' command\r\n", "GET")
	c.expect("+QUEUED\r\n", "SET", "a", "1")
	c.expect("-EXECABORT Transaction discarded because of previous errors.\r\n", "EXEC")
	c.expect("$-1\r\n", "GET", "a")
}

func TestPipelining(t *testing.T) {
	modes(t, func(t *testing.T, cfg Config) {
		s, _ := startServer(t, cfg)
		c := dial(t, s)
		var b strings.Builder
		for i := 0; i < 2000; i++ {
			b.WriteString(encode("INCR", "n"))
		}
		b.WriteString("GET n\r\n")
		go c.send(b.String())
		for i := 1; i <= 2000; i++ {
			if got := c.reply(); got != ":"+strconv.Itoa(i)+"\r\n" {
				t.Fatalf("reply %d: %q", i, got)
			}
		}
		if got := c.reply(); got != "$4\r\n2000\r\n" {
			t.Errorf("GET: %q", got)
		}
		// A large value in a pipeline, replies bigger than a socket buffer.
		big := strings.Repeat("v", 3<<20)
		c.expect("+OK\r\n", "SET", "big", big)
		c.send(encode("GET", "big") + encode("GET", "big") + encode("STRLEN", "big"))
		for i := 0; i < 2; i++ {
			if got := c.reply(); got != "$"+strconv.Itoa(len(big))+"\r\n"+big+"\r\n" {
				t.Fatalf("GET big: %d bytes", len(got))
			}
		}
		c.expect(":" + strconv.Itoa(len(big)) + "\r\n")
	})
}

func TestMaxClients(t *testing.T) {
	modes(t, func(t *testing.T, cfg Config) {
		cfg.MaxClients = 2
		s, _ := startServer(t, cfg)
		a, b := dial(t, s), dial(t, s)
		a.expect("+PONG\r\n", "PING")
		b.expect("+PONG\r\n", "PING")
		c := dial(t, s)
		if got := c.reply(); got != "-ERR max number of clients reached\r\n" {
			t.Errorf("third client: %q", got)
		}
		a.expect("+OK\r\n", "QUIT")
		for i := 0; ; i++ { // the slot frees once the server saw the close
			d := dial(t, s)
			if got := d.do("PING"); got == "+PONG\r\n" {
				break
			}
			if i > 50 {
				t.Fatal("a slot never freed after QUIT")
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
}

func TestIdleTimeout(t *testing.T) {
	modes(t, func(t *testing.T, cfg Config) {
		// 1 s, not less: the busy client pings every 50 ms, and on a
		// loaded machine under -race a pause of a few hundred ms between
		// two pings happened (the busy client was closed). The loop
		// below still outlasts the timeout twice.
		cfg.IdleTimeout = time.Second
		s, _ := startServer(t, cfg)
		silent := dial(t, s)
		midFrame := dial(t, s)
		midFrame.send("*2\r\n$3\r\nGET\r\n$10\r\nab")
		busy := dial(t, s)
		deadline := time.Now().Add(2500 * time.Millisecond)
		for time.Now().Before(deadline) {
			busy.expect("+PONG\r\n", "PING")
			time.Sleep(50 * time.Millisecond)
		}
		if !silent.closed() || !midFrame.closed() {
			t.Error("an idle client was not disconnected")
		}
		busy.expect("+PONG\r\n", "PING")
	})
}

func TestUnixSocket(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "kv.sock")
	// A stale socket file (nobody listening) is replaced.
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	ln.(*net.UnixListener).SetUnlinkOnClose(false)
	ln.Close()
	s, _ := startServer(t, Config{Socket: path, SocketMode: 0o600})
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("socket mode: %v %v", fi, err)
	}
	c := dialAddr(t, "unix", path)
	c.expect("+OK\r\n", "SET", "k", "v")
	// As Redis 7 shows a unix socket client: its socket's path, flag U.
	if got := c.do("CLIENT", "INFO"); !strings.Contains(got, " addr="+path+":0 laddr="+path+":0 ") || !strings.Contains(got, " flags=U ") {
		t.Errorf("CLIENT INFO over the socket: %q", got)
	}
	// A live socket is not taken over.
	s2 := New(s.store, Config{Socket: path})
	if err := s2.Start(); err == nil || !strings.Contains(err.Error(), "another process") {
		t.Errorf("second server on a live socket: %v", err)
		s2.Close(time.Second)
	}
	// Nor is a file that is not a socket.
	plain := filepath.Join(dir, "file")
	os.WriteFile(plain, nil, 0o644)
	if err := New(s.store, Config{Socket: plain}).Start(); err == nil {
		t.Error("a plain file was taken as a socket")
	}
	s.Close(time.Second)
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("socket file left after Close: %v", err)
	}
}

func TestScanSeesEveryKey(t *testing.T) {
	s, store := startServer(t, Config{})
	for i := 0; i < 1000; i++ {
		store.Set("k"+strconv.Itoa(i), "v", 0)
	}
	c := dial(t, s)
	for _, count := range []string{"1", "7", "100", "5000", "3 walk"} {
		seen := map[string]bool{}
		cursor := "0"
		walk := strings.HasSuffix(count, " walk")
		count = strings.TrimSuffix(count, " walk")
		for rounds := 0; ; rounds++ {
			if walk && rounds > 0 {
				c = dial(t, s) // a cursor another connection started: no snapshot here
			}
			// Keys come and go during the scan; the 1000 stay.
			store.Set("tmp"+strconv.Itoa(rounds), "x", 0)
			store.Del("tmp" + strconv.Itoa(rounds-3))
			got := c.do("SCAN", cursor, "COUNT", count, "MATCH", "k*")
			lines := strings.Split(got, "\r\n")
			cursor = lines[2]
			for i := 5; i < len(lines); i += 2 {
				seen[lines[i]] = true
			}
			if cursor == "0" {
				break
			}
			if rounds > 3000 {
				t.Fatal("SCAN does not end")
			}
		}
		if len(seen) != 1000 {
			t.Errorf("COUNT %s: saw %d of 1000 keys", count, len(seen))
		}
	}
}

func TestManyClients(t *testing.T) {
	s, _ := startServer(t, Config{})
	var wg sync.WaitGroup
	errs := make(chan string, 500)
	for i := 0; i < 500; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			nc, err := net.Dial("tcp", s.Addr().String())
			if err != nil {
				errs <- err.Error()
				return
			}
			defer nc.Close()
			c := &client{t: t, nc: nc, r: newReader(nc)}
			k := "c" + strconv.Itoa(i)
			c.send(encode("SET", k, k) + encode("GET", k))
			if c.reply() != "+OK\r\n" || c.reply() != "$"+strconv.Itoa(len(k))+"\r\n"+k+"\r\n" {
				errs <- "wrong reply for " + k
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}
