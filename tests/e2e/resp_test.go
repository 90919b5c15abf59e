package e2e

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// respServer is `ephpm serve` with [kv.resp] on a loopback port and a unix
// socket, serving testdata/resp/public.
type respServer struct {
	*server
	TCP    string // host:port of the RESP listener
	Socket string
	Pass   string
}

var respListenRe = regexp.MustCompile(`ephpm resp listening.* tcp=(\S+)`)

func startRESP(t *testing.T, password, extra string) *respServer {
	t.Helper()
	root := t.TempDir()
	copyDir(t, filepath.Join(repoRoot, "testdata", "resp", "public"), root)
	sock := filepath.Join(t.TempDir(), "kv.sock")
	cfg := fmt.Sprintf("[server]\nlisten = \"127.0.0.1:0\"\n%s\n[kv.resp]\nlisten = \"127.0.0.1:0\"\nsocket = %q\nsocket_mode = \"0600\"\npassword = %q\n", extra, sock, password)
	s := start(t, root, cfg)
	m := respListenRe.FindStringSubmatch(s.Log())
	if m == nil {
		t.Fatalf("no RESP listen line in the log:\n%s", s.Log())
	}
	return &respServer{server: s, TCP: m[1], Socket: sock, Pass: password}
}

// cli runs redis-cli against the TCP listener (or the socket) and returns
// its trimmed output.
func (r *respServer) cli(t *testing.T, args ...string) string {
	t.Helper()
	return r.cliIn(t, "", false, args...)
}

func (r *respServer) cliIn(t *testing.T, stdin string, overSocket bool, args ...string) string {
	t.Helper()
	host, port, _ := net.SplitHostPort(r.TCP)
	base := []string{"-h", host, "-p", port}
	if overSocket {
		base = []string{"-s", r.Socket}
	}
	if r.Pass != "" {
		base = append(base, "--no-auth-warning", "-a", r.Pass)
	}
	cmd := exec.Command("redis-cli", append(base, args...)...)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	// redis-cli --pipe exits 1 when a reply was an error; the output says.
	if err != nil && !(len(args) > 0 && args[0] == "--pipe") {
		t.Fatalf("redis-cli %q: %v\n%s", args, err, out)
	}
	return strings.TrimRight(string(out), "\n")
}

func needRedisCLI(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("redis-cli"); err != nil {
		t.Skip("redis-cli (redis-tools) not installed")
	}
}

func TestRESPRedisCLI(t *testing.T) {
	needRedisCLI(t)
	r := startRESP(t, "", "")
	for _, overSocket := range []bool{false, true} {
		name := map[bool]string{false: "tcp", true: "socket"}[overSocket]
		t.Run(name, func(t *testing.T) {
			run := func(want string, args ...string) {
				t.Helper()
				if got := r.cliIn(t, "", overSocket, args...); got != want {
					t.Errorf("%s %q: got %q, want %q", name, args, got, want)
				}
			}
			run("OK", "FLUSHALL")
			run("PONG", "PING")
			setAt := time.Now()
			run("OK", "SET", "k", "v", "EX", "100")
			run("v", "GET", "k")
			// TTL rounds to the nearest second, and on a busy machine
			// seconds may pass between redis-cli starts.
			ttlLeft(t, name+" TTL k", r.cliIn(t, "", overSocket, "TTL", "k"), 100, setAt)
			run("", "GET", "missing")
			run("OK", "MSET", "a", "1", "b", "2")
			run("2", "INCR", "a")
			run("ERR value is not an integer or out of range", "INCR", "k")
			run("ERR wrong number of arguments for 'get' command", "GET")
			run("ERR unknown command 'NOSUCH', with args beginning with: 'x' ", "NOSUCH", "x")
			run("ERR syntax error", "SET", "k", "v", "NX", "XX")
			run("ERR DB index is out of range", "SELECT", "1")
			run("string", "TYPE", "k")
			run("none", "TYPE", "missing")
			run("3", "DBSIZE")
			if got := sortedLines(r.cliIn(t, "", overSocket, "KEYS", "*")); got != "a\nb\nk" {
				t.Errorf("KEYS *: %q", got)
			}
			run("1", "DEL", "b")
			run("OK", "RENAME", "a", "c")
			run("2", "GET", "c")
			run("1", "EPHPM.DELIFEQ", "c", "2")
			run("1", "EPHPM.DELPREFIX", "k")
			run("0", "DBSIZE")
		})
	}
}

// sortedLines sorts redis-cli's output lines (KEYS has no order).
func sortedLines(s string) string {
	lines := strings.Split(s, "\n")
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

func TestRESPAuth(t *testing.T) {
	needRedisCLI(t)
	r := startRESP(t, "pa55word", "")
	if got := r.cli(t, "SET", "k", "v"); got != "OK" {
		t.Fatalf("with the password: %q", got)
	}
	noPass := *r
	noPass.Pass = ""
	if got := noPass.cli(t, "GET", "k"); got != "NOAUTH Authentication required." {
		t.Errorf("without AUTH: %q", got)
	}
	wrong := *r
	wrong.Pass = "nope"
	if got := wrong.cli(t, "GET", "k"); !strings.Contains(got, "WRONGPASS invalid username-password pair or user is disabled.") {
		t.Errorf("wrong password: %q", got)
	}
	if got := noPass.cliIn(t, "AUTH pa55word\nGET k\n", true); got != "OK\nv" {
		t.Errorf("AUTH over the socket: %q", got)
	}
	// redis-cli -3 says HELLO 3 itself first (refused: not authenticated yet).
	if got := noPass.cli(t, "-3", "HELLO", "3", "AUTH", "default", "pa55word"); !strings.Contains(got, "HELLO 3 failed: NOAUTH HELLO must be called") || !strings.Contains(got, "proto 3") {
		t.Errorf("HELLO 3 AUTH: %q", got)
	}
}

// A value and a TTL written by PHP in the server are what redis-cli
// reads, and the reverse.
func TestRESPSharesTheStoreWithPHP(t *testing.T) {
	needRedisCLI(t)
	r := startRESP(t, "", "")
	setAt := time.Now()
	if b := r.get(t, "/kv.php?op=set&key=from_php&value=hello&ttl=100").Body; !strings.Contains(b, `"result":true`) {
		t.Fatalf("PHP set: %s", b)
	}
	if got := r.cli(t, "GET", "from_php"); got != "hello" {
		t.Errorf("redis-cli GET of PHP's key: %q", got)
	}
	ttlLeft(t, "redis-cli TTL of PHP's key", r.cli(t, "TTL", "from_php"), 100, setAt)
	if got := r.cli(t, "SET", "from_cli", "world", "EX", "50"); got != "OK" {
		t.Fatal(got)
	}
	if b := r.get(t, "/kv.php?op=get&key=from_cli").Body; b != `{"result":"world"}` {
		t.Errorf("PHP get of redis-cli's key: %s", b)
	}
	if b := r.get(t, "/kv.php?op=ttl&key=from_cli").Body; b != `{"result":50}` && b != `{"result":49}` {
		t.Errorf("PHP ttl of redis-cli's key: %s", b)
	}
	r.cli(t, "INCRBY", "ctr", "5")
	if b := r.get(t, "/kv.php?op=incr&key=ctr&by=2").Body; b != `{"result":7}` {
		t.Errorf("PHP incr after redis-cli's: %s", b)
	}
	if got := r.cli(t, "GET", "ctr"); got != "7" {
		t.Errorf("redis-cli GET after PHP's incr: %q", got)
	}
	r.get(t, "/kv.php?op=del&key=from_cli")
	if got := r.cli(t, "EXISTS", "from_cli"); got != "0" {
		t.Errorf("key PHP deleted: EXISTS %q", got)
	}
	r.cli(t, "PERSIST", "from_php")
	if b := r.get(t, "/kv.php?op=ttl&key=from_php").Body; b != `{"result":-1}` {
		t.Errorf("PHP ttl after PERSIST: %s", b)
	}
}

func TestRESPPipelineAndMulti(t *testing.T) {
	needRedisCLI(t)
	r := startRESP(t, "", "")
	var in strings.Builder
	for i := 0; i < 5000; i++ {
		fmt.Fprintf(&in, "*3\r\n$4\r\nSADD\r\n$1\r\nx\r\n$1\r\ny\r\n")
	}
	// --pipe counts error replies: the unknown SADD gives 5000 of them.
	if got := r.cliIn(t, strings.Repeat("*2\r\n$4\r\nINCR\r\n$1\r\nn\r\n", 10000), false, "--pipe"); !strings.Contains(got, "errors: 0, replies: 10000") {
		t.Errorf("--pipe: %q", got)
	}
	if got := r.cli(t, "GET", "n"); got != "10000" {
		t.Errorf("after the pipe: n=%q", got)
	}
	if got := r.cliIn(t, in.String(), false, "--pipe"); !strings.HasSuffix(got, "errors: 5000, replies: 5000") {
		t.Errorf("--pipe of unknown commands: %q", got)
	}
	if got := r.cliIn(t, "MULTI\nSET a 1\nINCR a\nGET a\nEXEC\n", false); got != "OK\nQUEUED\nQUEUED\nQUEUED\nOK\n2\n2" {
		t.Errorf("MULTI/EXEC: %q", got)
	}
	if got := r.cliIn(t, "MULTI\nSET a 5\nNOSUCH\nEXEC\nGET a\n", false); !strings.Contains(got, "EXECABORT Transaction discarded because of previous errors.") || !strings.HasSuffix(got, "\n2") {
		t.Errorf("EXECABORT: %q", got)
	}
}

// rawConn is a plain socket speaking RESP.
type rawConn struct {
	net.Conn
	r *bufio.Reader
}

func dialRaw(t *testing.T, addr string) *rawConn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &rawConn{c, bufio.NewReader(c)}
}

func (c *rawConn) roundTrip(req string) (string, error) {
	c.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := io.WriteString(c, req); err != nil {
		return "", err
	}
	return c.r.ReadString('\n')
}

func TestRESPMalformedFrames(t *testing.T) {
	r := startRESP(t, "", "")
	for _, bad := range []struct{ in, reply string }{
		{"*1\r\n+PING\r\n", "-ERR Protocol error: expected '$', got '+'\r\n"},
		{"*x\r\n", "-ERR Protocol error: invalid multibulk length\r\n"},
		{"*1\r\n$999999999999\r\n", "-ERR Protocol error: invalid bulk length\r\n"},
		{"SET k \"v\r\n", "-ERR Protocol error: unbalanced quotes in request\r\n"},
	} {
		c := dialRaw(t, r.TCP)
		got, err := c.roundTrip(bad.in)
		if err != nil || got != bad.reply {
			t.Errorf("%q: got %q (%v), want %q", bad.in, got, err, bad.reply)
		}
		if _, err := c.r.ReadByte(); err != io.EOF {
			t.Errorf("%q: connection not closed (%v)", bad.in, err)
		}
		if got, err := dialRaw(t, r.TCP).roundTrip("*1\r\n$4\r\nPING\r\n"); got != "+PONG\r\n" {
			t.Errorf("healthy command after %q: %q %v", bad.in, got, err)
		}
	}
	c := dialRaw(t, r.TCP)
	if got, _ := c.roundTrip("NOSUCH\r\n"); got != "-ERR unknown command 'NOSUCH', with args beginning with: \r\n" {
		t.Errorf("inline unknown command: %q", got)
	}
	if got, _ := c.roundTrip("PING\r\n"); got != "+PONG\r\n" {
		t.Errorf("after an unknown command: %q", got)
	}
	if b := r.get(t, "/kv.php?op=get&key=none"); b.Status != 200 || b.Body != `{"result":null}` {
		t.Errorf("HTTP after bad RESP input: %d %s", b.Status, b.Body)
	}
}

func TestRESPThousandClients(t *testing.T) {
	r := startRESP(t, "", "")
	const n = 1000
	conns := make([]*rawConn, n)
	for i := range conns {
		conns[i] = dialRaw(t, r.TCP)
	}
	var wg sync.WaitGroup
	errs := make(chan string, n)
	for i, c := range conns {
		wg.Add(1)
		go func(i int, c *rawConn) {
			defer wg.Done()
			k := "client:" + strconv.Itoa(i)
			req := fmt.Sprintf("*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n", len(k), k, len(k), k)
			if got, err := c.roundTrip(req); got != "+OK\r\n" {
				errs <- fmt.Sprintf("%s SET: %q %v", k, got, err)
				return
			}
			if got, err := c.roundTrip("INCR total\r\n"); err != nil || !strings.HasPrefix(got, ":") {
				errs <- fmt.Sprintf("%s INCR: %q %v", k, got, err)
			}
		}(i, c)
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	if got, _ := dialRaw(t, r.TCP).roundTrip("GET total\r\n"); got != "$4\r\n" {
		t.Errorf("GET total: %q", got)
	}
	if got, _ := dialRaw(t, r.TCP).roundTrip("DBSIZE\r\n"); got != ":1001\r\n" {
		t.Errorf("DBSIZE: %q", got)
	}
}

func TestRESPPhpredis(t *testing.T) {
	if out, err := exec.Command("php", "-r", "echo extension_loaded('redis') ? 'yes' : 'no';").Output(); err != nil || string(out) != "yes" {
		t.Skip("php with the redis extension (php8.2-redis) not installed")
	}
	r := startRESP(t, "phpredis-pw", "")
	host, port, _ := net.SplitHostPort(r.TCP)
	out, err := exec.Command("php", filepath.Join(repoRoot, "testdata", "resp", "phpredis.php"), host, port, r.Pass).CombinedOutput()
	if err != nil {
		t.Fatalf("phpredis script: %v\n%s", err, out)
	}
	var got map[string]any
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	want := map[string]any{
		"before_auth": "NOAUTH Authentication required.", "auth": true, "ping": true, "set": true, "get": "v1",
		"get_missing": false, "incr": 1.0, "incrby": 42.0, "expire": true, "ttl": 100.0, "setex": true, "pttl_le": true,
		"set_nx": false, "mget": []any{"v1", false, "42"}, "del": 2.0, "exists": 0.0, "multi": []any{true, 2.0, "ab"}, "delifeq": 1.0,
	}
	for k, w := range want {
		if fmt.Sprint(got[k]) != fmt.Sprint(w) {
			t.Errorf("%s: got %v, want %v", k, got[k], w)
		}
	}
}

func TestRESPSocketRemovedOnStop(t *testing.T) {
	r := startRESP(t, "", "")
	if fi, err := os.Stat(r.Socket); err != nil || fi.Mode()&os.ModeSocket == 0 || fi.Mode().Perm() != 0o600 {
		t.Fatalf("socket: %v %v", fi, err)
	}
	m := dialRaw(t, r.TCP)
	if got, _ := m.roundTrip("SET k v\r\n"); got != "+OK\r\n" {
		t.Fatal(got)
	}
	r.Stop()
	if _, err := os.Stat(r.Socket); !os.IsNotExist(err) {
		t.Errorf("socket file after stop: %v", err)
	}
	if !strings.Contains(r.Log(), "ephpm stopped") {
		t.Errorf("no clean stop:\n%s", r.Log())
	}
}

func TestRESPMetrics(t *testing.T) {
	r := startRESP(t, "", "[server.metrics]\nlisten = \"127.0.0.1:0\"")
	m := metricsAddrRe.FindStringSubmatch(r.Log())
	if m == nil {
		t.Fatalf("no metrics listener:\n%s", r.Log())
	}
	c := dialRaw(t, r.TCP)
	// Replies of one line each, so that each round trip reads all of its reply.
	for _, req := range []string{"SET a 1\r\n", "EXISTS a\r\n", "EXISTS a\r\n", "NOSUCH\r\n", "GET\r\n"} {
		c.roundTrip(req)
	}
	resp, err := client.Get("http://" + m[1] + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		"ephpm_resp_connected_clients 1\n",
		"ephpm_resp_connections_total 1\n",
		`ephpm_resp_commands_total{command="exists"} 2` + "\n",
		`ephpm_resp_commands_total{command="set"} 1` + "\n",
		`ephpm_resp_commands_total{command="unknown"} 1` + "\n",
		`ephpm_resp_errors_total{kind="unknown_command"} 1` + "\n",
		`ephpm_resp_errors_total{kind="wrong_arity"} 1` + "\n",
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}
