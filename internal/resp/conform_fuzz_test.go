package resp

import (
	"bufio"
	"fmt"
	"math"
	"math/rand"
	"net"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ephpm/ephpm/internal/redistest"
)

// TestConformRandomized is a differential test against Debian's
// redis-server: seeded random command sequences over SPEC section 7's
// commands, full of edge cases (arity, bad numbers, option mixes, case
// variations), sent to both servers in RESP2 and RESP3 and compared
// reply by reply. Replies that differ by nature (TTLs a few ms apart,
// the order of KEYS, SCAN's cursors, TIME, client ids...) are compared
// by conformEqual's rules, everything else byte for byte.
//
// EPHPM_CONFORM_N sets the number of sequences (default 3000, 600 with
// -short), EPHPM_CONFORM_SEED the first seed; a failure prints the seed
// and the sequence, to be reduced into redis_diff_test.go's table.
func TestConformRandomized(t *testing.T) {
	n := 3000
	if testing.Short() {
		n = 600
	}
	if v, err := strconv.Atoi(os.Getenv("EPHPM_CONFORM_N")); err == nil {
		n = v
	}
	seed := int64(1)
	if v, err := strconv.ParseInt(os.Getenv("EPHPM_CONFORM_SEED"), 10, 64); err == nil {
		seed = v
	}
	// Goroutine-served connections: the commands are the same as under
	// the event loops, and this test does not depend on the loops' state.
	t.Run("nopass", func(t *testing.T) {
		conformRun(t, n, seed, "", startRedis(t))
	})
	// With a password (a fifth as many): NOAUTH before AUTH, AUTH and
	// HELLO AUTH right and wrong.
	t.Run("password", func(t *testing.T) {
		conformRun(t, n/5, seed, "pw", redistest.Start(t, redistest.Options{Password: "pw"}).Addr)
	})
}

func conformRun(t *testing.T, n int, seed int64, password, redisAddr string) {
	s, _ := startServer(t, Config{Goroutines: true, Password: password})
	start := time.Now()
	defer func() { t.Logf("%d sequences in %v", n, time.Since(start)) }()
	failures := 0
	for i := 0; i < n && failures < 10; i++ {
		sd := seed + int64(i)
		seq := genSequence(rand.New(rand.NewSource(sd)), password != "")
		if msg := runConformSeq(t, s.Addr().String(), redisAddr, password, seq); msg != "" {
			failures++
			t.Errorf("seed %d: %s\nsequence:%s", sd, msg, fmtSeq(seq))
		}
	}
}

func fmtSeq(seq [][]string) string {
	var b strings.Builder
	for _, c := range seq {
		b.WriteString("\n  ")
		b.WriteString(strconv.Quote(strings.Join(c, " ")))
	}
	return b.String()
}

// runConformSeq sends seq to both servers on fresh connections (after
// FLUSHALL), pipelined, and returns a description of the first reply
// that differs, or "".
func runConformSeq(t *testing.T, ours, theirs, password string, seq [][]string) string {
	t.Helper()
	full := append([][]string{{"FLUSHALL"}}, seq...)
	if password != "" {
		// Empty both on a connection of its own: the sequence starts
		// unauthenticated.
		reset := [][]string{{"AUTH", password}, {"FLUSHALL"}}
		pipeline(t, ours, reset)
		pipeline(t, theirs, reset)
		full = seq
	}
	a := pipeline(t, ours, full)
	b := pipeline(t, theirs, full)
	var queue [][]string
	inMulti := false
	for i, cmd := range full {
		if i >= len(a) || i >= len(b) {
			if len(a) != len(b) {
				return fmt.Sprintf("%q: %d replies from ephpm, %d from redis", cmd, len(a), len(b))
			}
			break
		}
		if !conformEqual(cmd, a[i], b[i], queue) {
			return fmt.Sprintf("%q:\n  ephpm %q\n  redis %q", cmd, a[i].raw, b[i].raw)
		}
		name := strings.ToUpper(cmd[0])
		switch {
		case name == "MULTI" && b[i].raw == "+OK\r\n":
			inMulti, queue = true, nil
		case (name == "EXEC" || name == "DISCARD") && inMulti:
			inMulti, queue = false, nil
		case inMulti && b[i].raw == "+QUEUED\r\n":
			queue = append(queue, cmd)
		}
	}
	return ""
}

// pipeline sends every command at once and reads the replies (fewer
// when the server closes the connection, e.g. after QUIT).
func pipeline(t *testing.T, addr string, cmds [][]string) []reply {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	var req strings.Builder
	for _, c := range cmds {
		req.WriteString(encode(c...))
	}
	nc.SetDeadline(time.Now().Add(20 * time.Second))
	go func() { nc.Write([]byte(req.String())) }()
	r := bufio.NewReader(nc)
	out := make([]reply, 0, len(cmds))
	for range cmds {
		rp, err := parseReply(r)
		if err != nil {
			break
		}
		out = append(out, rp)
	}
	return out
}

// reply is one parsed RESP reply: its type byte, the text after it on
// its first line (or a bulk's payload), its elements, and its raw bytes.
type reply struct {
	typ  byte
	head string
	kids []reply
	raw  string
}

func parseReply(r *bufio.Reader) (reply, error) {
	var b strings.Builder
	rp, err := parseInto(r, &b)
	rp.raw = b.String()
	return rp, err
}

func parseInto(r *bufio.Reader, b *strings.Builder) (reply, error) {
	line, err := r.ReadString('\n')
	if err != nil {
		return reply{}, err
	}
	b.WriteString(line)
	rp := reply{typ: line[0], head: strings.TrimSuffix(line[1:], "\r\n")}
	switch rp.typ {
	case '$', '=', '!':
		n, _ := strconv.Atoi(rp.head)
		if n < 0 {
			return rp, nil
		}
		buf := make([]byte, n+2)
		if _, err := ioReadFull(r, buf); err != nil {
			return rp, err
		}
		b.Write(buf)
		rp.head = string(buf[:n])
	case '*', '~', '>', '%', '|':
		n, _ := strconv.Atoi(rp.head)
		if rp.typ == '%' || rp.typ == '|' {
			n *= 2
		}
		for i := 0; i < n; i++ {
			var sub strings.Builder
			k, err := parseInto(r, &sub)
			k.raw = sub.String()
			b.WriteString(k.raw)
			if err != nil {
				return rp, err
			}
			rp.kids = append(rp.kids, k)
		}
	}
	return rp, nil
}

func ioReadFull(r *bufio.Reader, buf []byte) (int, error) {
	n := 0
	for n < len(buf) {
		m, err := r.Read(buf[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// conformEqual compares ephpm's reply a with Redis's b to cmd. queue is
// the commands an EXEC runs (their replies are compared one by one).
func conformEqual(cmd []string, a, b reply, queue [][]string) bool {
	if a.raw == b.raw {
		return true
	}
	if a.typ == '-' || b.typ == '-' || a.typ != b.typ {
		return false
	}
	name := strings.ToUpper(cmd[0])
	sub := ""
	if len(cmd) > 1 {
		sub = strings.ToUpper(cmd[1])
	}
	intNear := func(tol int64) bool {
		x, err1 := strconv.ParseInt(a.head, 10, 64)
		y, err2 := strconv.ParseInt(b.head, 10, 64)
		if err1 != nil || err2 != nil || x < 0 || y < 0 {
			return false
		}
		d := x - y
		return d <= tol && -d <= tol
	}
	// The store keeps expiry times in int64 nanoseconds: a time past
	// 2262-04-11 is kept as that date (Redis keeps any int64 of ms).
	capMs := int64(math.MaxInt64 / int64(time.Millisecond))
	beyond := func(limit int64) bool {
		x, _ := strconv.ParseInt(a.head, 10, 64)
		y, _ := strconv.ParseInt(b.head, 10, 64)
		return a.typ == ':' && x >= limit && y > x
	}
	nowMs := time.Now().UnixMilli()
	switch name {
	case "TTL":
		return a.typ == ':' && (intNear(2) || beyond((capMs-nowMs)/1000-100))
	case "EXPIRETIME":
		return a.typ == ':' && (intNear(2) || beyond(capMs/1000))
	case "PTTL":
		return a.typ == ':' && (intNear(2000) || beyond(capMs-nowMs-100000))
	case "PEXPIRETIME":
		return a.typ == ':' && (intNear(2000) || beyond(capMs))
	case "EXEC":
		if len(a.kids) != len(queue) || len(b.kids) != len(queue) {
			return false
		}
		for i := range queue {
			if !conformEqual(queue[i], a.kids[i], b.kids[i], nil) {
				return false
			}
		}
		return true
	case "KEYS":
		return sortedKids(a) == sortedKids(b)
	case "SCAN":
		// Cursors are each server's own; with both at the end of the
		// iteration the keys returned must be the same set.
		if len(a.kids) != 2 || len(b.kids) != 2 {
			return false
		}
		if a.kids[0].head == "0" && b.kids[0].head == "0" && cmd[1] == "0" {
			return sortedKids(a.kids[1]) == sortedKids(b.kids[1])
		}
		return true
	case "DBSIZE":
		// Redis counts a key set with a time already past until its
		// expiry cycle removes it; we never count it.
		x, _ := strconv.Atoi(a.head)
		y, _ := strconv.Atoi(b.head)
		return a.typ == ':' && x <= y
	case "RANDOMKEY", "TIME", "INFO":
		return true // same type: the content is the server's own
	case "HELLO":
		return helloNorm(a) == helloNorm(b)
	case "CLIENT":
		switch sub {
		case "ID", "LIST", "INFO":
			return true
		}
	case "COMMAND":
		return sub == "COUNT" // other COMMAND replies: compared elsewhere
	}
	return false
}

func sortedKids(r reply) string {
	ks := make([]string, len(r.kids))
	for i, k := range r.kids {
		ks[i] = k.raw
	}
	sort.Strings(ks)
	return string(r.typ) + strings.Join(ks, "")
}

// helloNorm blanks HELLO's version and id.
func helloNorm(r reply) string {
	var b strings.Builder
	b.WriteByte(r.typ)
	for i := 0; i+1 < len(r.kids); i += 2 {
		k, v := r.kids[i].head, r.kids[i+1].raw
		if k == "version" || k == "id" {
			v = "*"
		}
		b.WriteString(k + "=" + v + ";")
	}
	return b.String()
}

// --- the generator ---

type gen struct {
	r    *rand.Rand
	now  int64 // unix seconds when the sequence was made
	auth bool  // the servers want the password "pw"
}

// password is a password to try: with auth, right or wrong.
func (g *gen) password() string {
	if g.auth {
		return pick(g, []string{"pw", "bad", "PW", ""})
	}
	return "pw"
}

func pick[T any](g *gen, xs []T) T { return xs[g.r.Intn(len(xs))] }

var (
	fzKeys = []string{"k1", "k2", "k3", "", "bin\x00key", "{t}k", "K1"}
	fzVals = []string{"v", "", "0", "10", "-5", "3.5", "1e3", "abc", "9223372036854775807",
		"-9223372036854775808", " 5", "5 ", "\x00\xff\r\n", "hello world", strings.Repeat("x", 100),
		"+7", "007", "-0", "1.", ".5", "0x10", "inf", "10.50", "3.0"}
	fzInts = []string{"0", "1", "-1", "2", "10", "100", "-100", "abc", "", "9223372036854775807",
		"-9223372036854775808", "9223372036854775808", "-9223372036854775809", "1.5", "+1", "01",
		" 1", "1 ", "0x10", "1000000000000", "-0", "99999999999999999999", "3"}
	fzFloats = []string{"1", "1.5", "-0.5", "1e3", "0x10", "inf", "-inf", "+inf", "+5", "5.", ".5",
		"  5", "5  ", "nan", "abc", "", "1e400", "0.1", "3.0e-2", "-1e-10", "1E2", "0", "-0",
		"10.50", "1_0", "1e", "e1", "0b1", "Infinity", "17976931348623157e292", "5e-324",
		"0x1p3", "0x1.8", "0x", "-0x10", "1e5000", "1e-5000", "1e-4940", "1e4931", "0o7", "infinit", "-InFiNiTy"}
	// Positive durations stay long so nothing expires during a sequence;
	// 0 and negatives test the errors and immediate deletion.
	fzSecs = []string{"1000", "100", "0", "-1", "abc", "9223372036854775807", "1.5", "5000",
		"9223372036854775", "9223372036854776", "", "+100", "-9223372036854775808", "99999999999"}
	fzMs = []string{"100000", "5000000", "0", "-1", "abc", "9223372036854775807",
		"9223372036854775806", "1.5", "9999999999999"}
)

// cased returns s in a random case mix.
func (g *gen) cased(s string) string {
	switch g.r.Intn(4) {
	case 0:
		return strings.ToLower(s)
	case 1:
		b := []byte(strings.ToLower(s))
		for i := range b {
			if g.r.Intn(2) == 0 && b[i] >= 'a' && b[i] <= 'z' {
				b[i] -= 'a' - 'A'
			}
		}
		return string(b)
	}
	return s
}

func (g *gen) key() string { return pick(g, fzKeys) }
func (g *gen) val() string { return pick(g, fzVals) }
func (g *gen) secs() string {
	if g.r.Intn(5) == 0 {
		return pick(g, fzInts)
	}
	return pick(g, fzSecs)
}
func (g *gen) ms() string { return pick(g, fzMs) }

// at is an absolute time, in the past or far enough ahead.
func (g *gen) at(ms bool) string {
	var v int64
	switch g.r.Intn(5) {
	case 0:
		v = 1
	case 1:
		v = g.now - 100
	case 2:
		return pick(g, fzInts)
	default:
		v = g.now + 1000 + int64(g.r.Intn(100000))
	}
	if ms {
		v *= 1000
	}
	return strconv.FormatInt(v, 10)
}

// setOpts is a random mix of SET's options (some invalid together).
func (g *gen) setOpts(getex bool) []string {
	var out []string
	for n := g.r.Intn(4); n > 0; n-- {
		switch g.r.Intn(9) {
		case 0:
			out = append(out, g.cased("EX"), g.secs())
		case 1:
			out = append(out, g.cased("PX"), g.ms())
		case 2:
			out = append(out, g.cased("EXAT"), g.at(false))
		case 3:
			out = append(out, g.cased("PXAT"), g.at(true))
		case 4:
			if getex {
				out = append(out, g.cased("PERSIST"))
			} else {
				out = append(out, g.cased("KEEPTTL"))
			}
		case 5:
			out = append(out, g.cased("NX"))
		case 6:
			out = append(out, g.cased("XX"))
		case 7:
			out = append(out, g.cased("GET"))
		case 8:
			out = append(out, pick(g, []string{"EX", "FOO", "PX", "", "KEEPTTL", "PERSIST"}))
		}
	}
	return out
}

func (g *gen) keys(min int) []string {
	out := make([]string, min+g.r.Intn(3))
	for i := range out {
		out[i] = g.key()
	}
	return out
}

func (g *gen) pattern() string {
	return pick(g, []string{"*", "k*", "k?", "k[12]", "k[^1]", "k[1-2]", "k[2-1]", "K*", "*1",
		"\\k1", "k\\*", "[", "k[", "k[1", "*[", "", "?", "bin*", "{t}*", "\\{t\\}k", "[a-z]?",
		"k[\\1]", "*k*1*", "[^]", "**", "k[-]", "k[1-]", "k[-3]", "[]k]*", "k\\", "[\\]*", "k[^-]",
		"?*?", "*?", "[k][1-3]", "k[!1]", "*\x00*", "bin?key", "[a-zK]1", "[^a-z]1", "k[3-3]", "\\*"})
}

// genCommand makes one command.
func (g *gen) genCommand() []string {
	r := g.r
	c := func(name string, args ...string) []string { return append([]string{g.cased(name)}, args...) }
	var cmd []string
	switch r.Intn(44) {
	case 0, 1:
		cmd = c("GET", g.key())
	case 2, 3, 4:
		cmd = append(c("SET", g.key(), g.val()), g.setOpts(false)...)
	case 5:
		cmd = c("SETNX", g.key(), g.val())
	case 6:
		cmd = c(pick(g, []string{"SETEX", "PSETEX"}), g.key(), pick(g, []string{g.secs(), g.ms()}), g.val())
	case 7:
		cmd = c("GETSET", g.key(), g.val())
	case 8:
		cmd = c("GETDEL", g.key())
	case 9, 10:
		cmd = append(c("GETEX", g.key()), g.setOpts(true)...)
	case 11:
		cmd = append(c("MGET"), g.keys(1)...)
	case 12:
		cmd = c(pick(g, []string{"MSET", "MSETNX"}))
		for n := r.Intn(4); n >= 0; n-- {
			cmd = append(cmd, g.key(), g.val())
		}
		if r.Intn(4) == 0 {
			cmd = append(cmd, g.key()) // odd
		}
	case 13, 14:
		cmd = c(pick(g, []string{"INCR", "DECR"}), g.key())
	case 15:
		cmd = c(pick(g, []string{"INCRBY", "DECRBY"}), g.key(), pick(g, fzInts))
	case 16, 17:
		cmd = c("INCRBYFLOAT", g.key(), pick(g, fzFloats))
	case 18:
		cmd = c("APPEND", g.key(), g.val())
	case 19:
		cmd = c("STRLEN", g.key())
	case 20:
		cmd = c("GETRANGE", g.key(), pick(g, fzInts), pick(g, fzInts))
	case 21:
		// No offset that makes either server allocate hundreds of MB:
		// 536870912 is past proto-max-bulk-len with any value.
		off := pick(g, []string{"0", "1", "5", "-1", "abc", "536870912", "100", "9223372036854775807", "+3", " 1"})
		cmd = c("SETRANGE", g.key(), off, pick(g, []string{"", "x", "abc", "\x00"}))
	case 22:
		cmd = append(c(pick(g, []string{"DEL", "UNLINK", "EXISTS"})), g.keys(1)...)
	case 23:
		cmd = c("TYPE", g.key())
	case 24, 25:
		name := pick(g, []string{"EXPIRE", "PEXPIRE", "EXPIREAT", "PEXPIREAT"})
		var when string
		switch name {
		case "EXPIRE":
			when = g.secs()
		case "PEXPIRE":
			when = g.ms()
		case "EXPIREAT":
			when = g.at(false)
		default:
			when = g.at(true)
		}
		cmd = c(name, g.key(), when)
		for n := r.Intn(3); n > 0; n-- {
			cmd = append(cmd, g.cased(pick(g, []string{"NX", "XX", "GT", "LT", "FOO"})))
		}
	case 26:
		cmd = c(pick(g, []string{"EXPIRETIME", "PEXPIRETIME", "PERSIST", "TTL", "PTTL"}), g.key())
	case 27:
		cmd = c("KEYS", g.pattern())
	case 28:
		cmd = c("SCAN", pick(g, []string{"0", "0", "0", "abc", "-1", "18446744073709551616", ""}))
		for n := r.Intn(3); n > 0; n-- {
			switch r.Intn(4) {
			case 0:
				cmd = append(cmd, g.cased("MATCH"), g.pattern())
			case 1:
				cmd = append(cmd, g.cased("COUNT"), pick(g, []string{"100", "1000", "0", "-1", "abc"}))
			case 2:
				cmd = append(cmd, g.cased("TYPE"), pick(g, []string{"string", "STRING", "list", "hash", "nosuch"}))
			case 3:
				cmd = append(cmd, pick(g, []string{"COUNT", "FOO", "MATCH"}))
			}
		}
	case 29:
		cmd = c(pick(g, []string{"RANDOMKEY", "DBSIZE"}))
	case 30:
		k := g.key()
		dst := g.key()
		if r.Intn(3) == 0 {
			dst = k
		}
		cmd = c(pick(g, []string{"RENAME", "RENAMENX"}), k, dst)
	case 31:
		cmd = c(pick(g, []string{"FLUSHDB", "FLUSHALL"}))
		if r.Intn(2) == 0 {
			cmd = append(cmd, g.cased(pick(g, []string{"ASYNC", "SYNC", "FOO"})))
		}
	case 32, 33:
		cmd = c(pick(g, []string{"MULTI", "EXEC", "DISCARD", "MULTI"}))
	case 34:
		switch r.Intn(3) {
		case 0:
			cmd = c("PING")
		case 1:
			cmd = c("PING", g.val())
		default:
			cmd = c("ECHO", g.val())
		}
	case 35:
		cmd = c("SELECT", pick(g, []string{"0", "-1", "16", "abc", "2147483648", "99999999999", "", "00", "+0"}))
	case 36:
		switch r.Intn(8) {
		case 0:
			cmd = c("CLIENT", g.cased("ID"))
		case 1:
			cmd = c("CLIENT", g.cased("SETNAME"), pick(g, []string{"me", "", "a b", "x\n", "ok-name"}))
		case 2:
			cmd = c("CLIENT", g.cased("GETNAME"))
		case 3:
			cmd = c("CLIENT", g.cased("INFO"))
		case 4:
			cmd = c("CLIENT", g.cased("LIST"))
		case 5:
			cmd = c("CLIENT", pick(g, []string{"NOSUCH", "", "SETNAME", "GETNAME"}))
		case 6:
			cmd = c("CLIENT")
		default:
			cmd = c("CLIENT", g.cased("LIST"))
			for n := r.Intn(4); n > 0; n-- {
				cmd = append(cmd, pick(g, []string{"TYPE", "type", "ID", "normal", "pubsub", "foo", "0", "-1", "99999", "abc"}))
			}
		}
	case 37:
		switch r.Intn(5) {
		case 0:
			cmd = c("COMMAND", g.cased("COUNT"))
		case 1:
			cmd = c("COMMAND", g.cased("COUNT"), "x")
		case 2:
			cmd = c("COMMAND", pick(g, []string{"NOSUCH", ""}))
		case 3:
			cmd = c("COMMAND", g.cased("INFO"), pick(g, []string{"nosuch", "foo|bar"}))
		default:
			cmd = c("COMMAND", g.cased("DOCS"), pick(g, []string{"nosuch", "client|nosuch"}))
		}
	case 38:
		switch r.Intn(3) {
		case 0:
			cmd = c("CONFIG", g.cased("GET"))
		case 1:
			cmd = c("CONFIG", pick(g, []string{"NOSUCH", ""}))
		default:
			cmd = c("CONFIG", g.cased("GET"), pick(g, []string{"nosuchparam", "zz*"}))
		}
	case 39:
		cmd = c("HELLO")
		if r.Intn(4) != 0 {
			cmd = append(cmd, pick(g, []string{"2", "3", "1", "4", "abc", "", "-1", "03", "9999999999999999999999"}))
		}
		for n := r.Intn(3); n > 0; n-- {
			switch r.Intn(4) {
			case 0:
				cmd = append(cmd, g.cased("AUTH"), pick(g, []string{"default", "bob", "DEFAULT"}), g.password())
			case 1:
				cmd = append(cmd, g.cased("SETNAME"), pick(g, []string{"n", "a b", ""}))
			case 2:
				cmd = append(cmd, pick(g, []string{"AUTH", "SETNAME"}))
			default:
				cmd = append(cmd, "FOO")
			}
		}
	case 40:
		cmd = c(pick(g, []string{"NOSUCH", "GETX", "SETT"}), g.keys(0)...)
	case 41:
		cmd = c("AUTH", pick(g, []string{"x", "default", g.password()}))
		if r.Intn(2) == 0 {
			cmd = append(cmd, g.password())
		}
		if r.Intn(8) == 0 {
			cmd = append(cmd, "extra")
		}
	case 42:
		cmd = c(pick(g, []string{"TIME", "INFO", "INFO"}))
		if cmd[0] != "TIME" && r.Intn(2) == 0 {
			cmd = append(cmd, pick(g, []string{"server", "keyspace", "nosuch"}))
		}
	default:
		// A command of the set with a wrong number of arguments.
		name := pick(g, []string{"GET", "SET", "SETNX", "SETEX", "PSETEX", "GETSET", "GETDEL", "GETEX",
			"MGET", "MSET", "MSETNX", "INCR", "DECR", "INCRBY", "DECRBY", "INCRBYFLOAT", "APPEND", "STRLEN",
			"GETRANGE", "SETRANGE", "DEL", "UNLINK", "EXISTS", "TYPE", "EXPIRE", "PEXPIRE", "EXPIREAT",
			"PEXPIREAT", "EXPIRETIME", "PEXPIRETIME", "PERSIST", "TTL", "PTTL", "KEYS", "SCAN", "RANDOMKEY",
			"RENAME", "RENAMENX", "DBSIZE", "MULTI", "EXEC", "DISCARD", "ECHO", "SELECT", "TIME", "AUTH"})
		cmd = c(name)
		if m := commands[strings.ToLower(name)]; m != nil && m.arity > 0 && r.Intn(2) == 0 {
			for len(cmd) < m.arity+1 { // one too many
				cmd = append(cmd, g.key())
			}
		}
	}
	return cmd
}

// genSequence is 1-20 commands, sometimes ending in QUIT, in RESP2 or
// RESP3.
func genSequence(r *rand.Rand, auth bool) [][]string {
	g := &gen{r: r, now: time.Now().Unix(), auth: auth}
	var seq [][]string
	if auth {
		// Some commands before authenticating, then (mostly) AUTH.
		for n := r.Intn(3); n > 0; n-- {
			seq = append(seq, g.genCommand())
		}
		switch r.Intn(4) {
		case 0:
			seq = append(seq, []string{"AUTH", "pw"})
		case 1:
			seq = append(seq, []string{"AUTH", "default", "pw"})
		case 2:
			seq = append(seq, []string{"HELLO", pick(g, []string{"2", "3"}), "AUTH", "default", "pw"})
		}
	} else if r.Intn(2) == 0 {
		seq = append(seq, []string{"HELLO", "3"})
	}
	// Seed a few keys so commands find values to work on.
	for n := r.Intn(4); n > 0; n-- {
		seq = append(seq, []string{"SET", g.key(), g.val()})
	}
	for n := 1 + r.Intn(20); n > 0; n-- {
		seq = append(seq, g.genCommand())
	}
	if r.Intn(10) == 0 {
		seq = append(seq, []string{"QUIT"})
	}
	return seq
}
