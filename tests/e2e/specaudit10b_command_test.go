package e2e

// Spec audit (session 10, B): SPEC 7 lists COMMAND COUNT|DOCS|INFO among the
// commands that answer "as Redis 7 documents them, byte for byte". Before,
// COMMAND INFO sent every command's key specs as an empty array (`*0` even
// in RESP3, where Redis sends a set) and listed the "sentinel" and
// "touches_arbitrary_keys" flags, which Redis hides, in the JSON's order
// instead of Redis's; COMMAND DOCS had no arguments, history, doc_flags,
// deprecated_since or replaced_by. Cluster-aware clients read the key specs
// to find a command's keys; tools (redis-cli's hints, IDEs) read the docs.
//
// The replies are compared with Debian's redis-server (7.0 here), so only
// what did not change between 7.0 and 7.2 (the version ephpm answers as) is
// compared: flags and key specs of every command; the arguments of the
// commands whose arguments 7.2 did not change, without 7.2's display_text.

import (
	"bufio"
	"fmt"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ephpm/ephpm/internal/redistest"
)

// respNode is one parsed RESP value: its type byte, its raw bytes and its
// children (a map's keys and values alternate).
type respNode struct {
	typ  byte
	head string // the header line's text after the type byte
	raw  string
	kids []respNode
}

func readRESPNode(r *bufio.Reader) (respNode, error) {
	line, err := r.ReadString('\n')
	if err != nil {
		return respNode{}, err
	}
	n := respNode{typ: line[0], head: strings.TrimSuffix(line[1:], "\r\n"), raw: line}
	switch n.typ {
	case '$', '=', '!':
		size, _ := strconv.Atoi(n.head)
		if size >= 0 {
			buf := make([]byte, size+2)
			if _, err := ioReadFull(r, buf); err != nil {
				return n, err
			}
			n.raw += string(buf)
		}
	case '*', '~', '%', '>':
		count, _ := strconv.Atoi(n.head)
		if n.typ == '%' {
			count *= 2
		}
		for i := 0; i < count; i++ {
			k, err := readRESPNode(r)
			if err != nil {
				return n, err
			}
			n.kids = append(n.kids, k)
			n.raw += k.raw
		}
	}
	return n, nil
}

func ioReadFull(r *bufio.Reader, buf []byte) (int, error) {
	got := 0
	for got < len(buf) {
		m, err := r.Read(buf[got:])
		got += m
		if err != nil {
			return got, err
		}
	}
	return got, nil
}

// bulkText is a bulk string's content.
func (n respNode) bulkText() string {
	if n.typ != '$' {
		return ""
	}
	return strings.TrimSuffix(n.raw[strings.Index(n.raw, "\r\n")+2:], "\r\n")
}

// withoutField re-encodes n with every map entry (or flat key-value array
// entry, RESP2's maps) named field removed, at every depth.
func (n respNode) withoutField(field string) string {
	if len(n.kids) == 0 {
		return n.raw
	}
	pairs := n.typ == '%' || (n.typ == '*' && len(n.kids)%2 == 0 && n.kids[0].bulkText() == "name")
	var b strings.Builder
	count := 0
	for i := 0; i < len(n.kids); i++ {
		if pairs && i%2 == 0 && n.kids[i].bulkText() == field {
			i++
			continue
		}
		b.WriteString(n.kids[i].withoutField(field))
		count++
	}
	if n.typ == '%' {
		count /= 2
	}
	return fmt.Sprintf("%c%d\r\n%s", n.typ, count, b.String())
}

type respPeer struct {
	c net.Conn
	r *bufio.Reader
}

func dialRESPPeer(t *testing.T, addr, proto string) *respPeer {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	p := &respPeer{c: c, r: bufio.NewReader(c)}
	p.do(t, "HELLO", proto)
	return p
}

func (p *respPeer) do(t *testing.T, args ...string) respNode {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	p.c.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := p.c.Write([]byte(b.String())); err != nil {
		t.Fatal(err)
	}
	n, err := readRESPNode(p.r)
	if err != nil {
		t.Fatalf("%q: %v", args, err)
	}
	return n
}

// auditCommands are the Redis commands SPEC 7 lists (and their
// subcommands served here).
var auditCommands = strings.Fields(`get set setnx setex psetex getset getdel getex mget mset msetnx incr decr
incrby decrby incrbyfloat append strlen getrange setrange del unlink exists type expire pexpire expireat
pexpireat expiretime pexpiretime persist ttl pttl keys scan randomkey rename renamenx dbsize flushdb flushall
multi exec discard ping echo quit auth hello select client|id client|setname client|getname client|list
client|info client|help command|count command|docs command|info command|help info config|get config|help time`)

func startRESPAndRedis(t *testing.T) (ours, theirs string) {
	t.Helper()
	r := startRESP(t, "", "")
	return r.TCP, redistest.Start(t, redistest.Options{}).Addr
}

func TestSpecAudit10bCommandInfoFlagsAndKeySpecs(t *testing.T) {
	oursAddr, redisAddr := startRESPAndRedis(t)
	for _, proto := range []string{"2", "3"} {
		ours, theirs := dialRESPPeer(t, oursAddr, proto), dialRESPPeer(t, redisAddr, proto)
		for _, name := range auditCommands {
			got, want := ours.do(t, "COMMAND", "INFO", name), theirs.do(t, "COMMAND", "INFO", name)
			if len(got.kids) != 1 || len(want.kids) != 1 || len(got.kids[0].kids) != 10 || len(want.kids[0].kids) != 10 {
				t.Fatalf("RESP%s COMMAND INFO %s: got %q, Redis %q", proto, name, got.raw, want.raw)
			}
			g, w := got.kids[0].kids, want.kids[0].kids
			if g[2].raw != w[2].raw {
				t.Errorf("RESP%s COMMAND INFO %s flags:\n got %q\nwant %q", proto, name, g[2].raw, w[2].raw)
			}
			if g[8].raw != w[8].raw {
				t.Errorf("RESP%s COMMAND INFO %s key specs:\n got %q\nwant %q", proto, name, g[8].raw, w[8].raw)
			}
		}
	}
}

// docsChanged are the commands whose arguments Redis 7.2 changed from 7.0
// (src/commands/*.json between the tags 7.0.15 and 7.2.4), so their
// arguments cannot be compared with a 7.0 server.
var docsChanged = map[string]bool{"mset": true, "msetnx": true, "flushdb": true, "flushall": true, "hello": true,
	"client|list": true, "config|get": true}

func TestSpecAudit10bCommandDocsArguments(t *testing.T) {
	oursAddr, redisAddr := startRESPAndRedis(t)
	for _, proto := range []string{"2", "3"} {
		ours, theirs := dialRESPPeer(t, oursAddr, proto), dialRESPPeer(t, redisAddr, proto)
		for _, name := range auditCommands {
			got, want := ours.do(t, "COMMAND", "DOCS", name), theirs.do(t, "COMMAND", "DOCS", name)
			if len(got.kids) != 2 || len(want.kids) != 2 {
				t.Fatalf("RESP%s COMMAND DOCS %s: got %q, Redis %q", proto, name, got.raw, want.raw)
			}
			field := func(doc respNode, key string) (respNode, bool) {
				for i := 0; i+1 < len(doc.kids); i += 2 {
					if doc.kids[i].bulkText() == key {
						return doc.kids[i+1], true
					}
				}
				return respNode{}, false
			}
			wantArgs, wantHas := field(want.kids[1], "arguments")
			gotArgs, gotHas := field(got.kids[1], "arguments")
			if gotHas != wantHas {
				t.Errorf("RESP%s COMMAND DOCS %s: arguments present %v, Redis %v", proto, name, gotHas, wantHas)
				continue
			}
			if !gotHas || docsChanged[name] {
				continue
			}
			if g, w := gotArgs.withoutField("display_text"), wantArgs.withoutField("display_text"); g != w {
				t.Errorf("RESP%s COMMAND DOCS %s arguments:\n got %q\nwant %q", proto, name, g, w)
			}
		}
	}
}
