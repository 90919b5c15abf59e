package e2e

// Spec audit (session 10, B): CLIENT INFO and CLIENT LIST (SPEC 7) describe
// a client on the unix socket as Redis 7 does (networking.c
// genClientAddrString, catClientInfoString): addr and laddr are the
// server's socket path with ":0", and the flags include U. Before, addr
// was "/unixsocket:0" (anet.c's name, which Redis's CLIENT LIST does not
// show) and the flags N. Compared with redis-server on a unix socket.

import (
	"bufio"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ephpm/ephpm/internal/redistest"
)

// clientInfoFields are the name=value fields of a CLIENT INFO line.
func clientInfoFields(t *testing.T, sock string, cmds ...[]string) map[string]string {
	t.Helper()
	c, err := net.DialTimeout("unix", sock, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	p := &respPeer{c: c, r: bufio.NewReader(c)}
	var last respNode
	for _, cmd := range cmds {
		last = p.do(t, cmd...)
	}
	line := last.bulkText()
	if last.typ == '*' && len(last.kids) > 0 { // EXEC's reply
		line = last.kids[len(last.kids)-1].bulkText()
	}
	out := map[string]string{}
	for _, f := range strings.Fields(line) {
		k, v, _ := strings.Cut(f, "=")
		out[k] = v
	}
	if out["id"] == "" {
		t.Fatalf("%q: no CLIENT INFO line in %q", cmds, last.raw)
	}
	return out
}

func TestSpecAudit10bClientInfoOnUnixSocket(t *testing.T) {
	r := startRESP(t, "", "")
	redisSock := filepath.Join(artisanShortDir(t), "redis.sock")
	redistest.Start(t, redistest.Options{Extra: []string{"--unixsocket", redisSock}})
	for _, seq := range [][][]string{
		{{"CLIENT", "INFO"}},
		{{"CLIENT", "LIST"}},
		{{"MULTI"}, {"CLIENT", "INFO"}, {"EXEC"}},
	} {
		ours := clientInfoFields(t, r.Socket, seq...)
		theirs := clientInfoFields(t, redisSock, seq...)
		if ours["flags"] != theirs["flags"] {
			t.Errorf("%q: flags=%s, Redis flags=%s", seq, ours["flags"], theirs["flags"])
		}
		if theirs["addr"] != redisSock+":0" || theirs["laddr"] != redisSock+":0" {
			t.Fatalf("%q: Redis shows addr=%s laddr=%s (the test's assumption is wrong)", seq, theirs["addr"], theirs["laddr"])
		}
		if ours["addr"] != r.Socket+":0" || ours["laddr"] != r.Socket+":0" {
			t.Errorf("%q: addr=%s laddr=%s, want %s:0 for both as Redis", seq, ours["addr"], ours["laddr"], r.Socket)
		}
	}
}
