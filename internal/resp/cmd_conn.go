package resp

import (
	"crypto/subtle"
	"strconv"
	"strings"
	"time"
)

func cmdMulti(c *conn, args [][]byte) {
	if c.inMulti {
		c.errReply(errOther, "ERR MULTI calls can not be nested")
		return
	}
	c.inMulti, c.dirty = true, false
	c.queue = c.queue[:0]
	c.setMulti(0)
	c.w.ok()
}

func (c *conn) endMulti() {
	c.inMulti, c.dirty = false, false
	for i := range c.queue {
		c.queue[i] = queued{}
	}
	c.queue = c.queue[:0]
	c.setMulti(-1)
}

func (c *conn) setMulti(n int) {
	c.mu.Lock()
	c.info.multi = n
	c.mu.Unlock()
}

func (c *conn) setName(name string) {
	c.mu.Lock()
	c.info.name = name
	c.mu.Unlock()
}

func cmdDiscard(c *conn, args [][]byte) {
	if !c.inMulti {
		c.errReply(errOther, "ERR DISCARD without MULTI")
		return
	}
	c.endMulti()
	c.w.ok()
}

// cmdExec runs the queued commands in order under the write lock (taken
// by run for EXEC), so no other RESP client's command runs between them.
func cmdExec(c *conn, args [][]byte) {
	if !c.inMulti {
		c.errReply(errOther, "ERR EXEC without MULTI")
		return
	}
	if c.dirty {
		c.endMulti()
		c.errReply(errExecAbort, "EXECABORT Transaction discarded because of previous errors.")
		return
	}
	q := c.queue
	c.inMulti = false
	c.inExec = true
	c.w.array(len(q))
	for _, it := range q {
		c.run(it.cmd, it.args)
	}
	c.inExec = false
	c.endMulti()
}

func cmdPing(c *conn, args [][]byte) {
	switch len(args) {
	case 1:
		c.w.simple("PONG")
	case 2:
		c.w.bulkBytes(args[1])
	default:
		c.errReply(errArity, "ERR wrong number of arguments for 'ping' command")
	}
}

func cmdEcho(c *conn, args [][]byte) { c.w.bulkBytes(args[1]) }

func cmdQuit(c *conn, args [][]byte) {
	c.w.ok()
	c.closeAfter = true
}

// checkPassword authenticates user "default" (the only user) with
// password; with no password configured the default user is "nopass" and
// any password is accepted, as in Redis.
func (c *conn) checkPassword(user, password []byte) bool {
	if string(user) != "default" {
		return false
	}
	want := c.s.cfg.Password
	if want == "" {
		return true
	}
	return subtle.ConstantTimeCompare([]byte(want), password) == 1
}

const msgWrongPass = "WRONGPASS invalid username-password pair or user is disabled."

func cmdAuth(c *conn, args [][]byte) {
	if len(args) > 3 {
		c.errReply(errSyntax, msgSyntax)
		return
	}
	user, pass := []byte("default"), args[1]
	if len(args) == 2 {
		if c.s.cfg.Password == "" {
			c.errReply(errAuth, "ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?")
			return
		}
	} else {
		user, pass = args[1], args[2]
	}
	if !c.checkPassword(user, pass) {
		c.errReply(errAuth, msgWrongPass)
		return
	}
	c.authed = true
	c.w.ok()
}

// validName is Redis's validateClientName: printable ASCII, no spaces.
func validName(b []byte) bool {
	for _, ch := range b {
		if ch < '!' || ch > '~' {
			return false
		}
	}
	return true
}

const msgBadName = "ERR Client names cannot contain spaces, newlines or special characters."

func cmdHello(c *conn, args [][]byte) {
	ver := int64(0)
	next := 1
	if len(args) >= 2 {
		n, ok := parseInt(args[1])
		if !ok {
			c.errReply(errValue, "ERR Protocol version is not an integer or out of range")
			return
		}
		if n < 2 || n > 3 {
			c.errReply(errOther, "NOPROTO unsupported protocol version")
			return
		}
		ver, next = n, 2
	}
	for j := next; j < len(args); j++ {
		more := len(args) - 1 - j
		switch {
		case eqFold(args[j], "auth") && more >= 2:
			// Redis 7.0 authenticates as it meets the option: a wrong
			// password answers WRONGPASS before a bad option after it,
			// and a right one stays in force even if HELLO then fails.
			if !c.checkPassword(args[j+1], args[j+2]) {
				c.errReply(errAuth, msgWrongPass)
				return
			}
			c.authed = true
			j += 2
		case eqFold(args[j], "setname") && more >= 1:
			// Named at once too (Redis 7.0's clientSetNameOrReply in
			// the loop), whatever follows.
			if !validName(args[j+1]) {
				c.errReply(errValue, msgBadName)
				return
			}
			c.setName(string(args[j+1]))
			j++
		default:
			c.errReply(errSyntax, "ERR Syntax error in HELLO option '"+clip(args[j], 1<<20)+"'")
			return
		}
	}
	if !c.authed { // Redis 7.0's text (7.2 says "HELLO <proto> AUTH")
		c.errReply(errAuth, "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time")
		return
	}
	if ver != 0 {
		c.w.proto = int(ver)
		c.mu.Lock()
		c.info.proto = int(ver)
		c.mu.Unlock()
	}
	c.w.mapLen(7)
	c.w.bulk("server")
	c.w.bulk("redis")
	c.w.bulk("version")
	c.w.bulk(redisVersion)
	c.w.bulk("proto")
	c.w.int(int64(c.w.proto))
	c.w.bulk("id")
	c.w.int(c.id)
	c.w.bulk("mode")
	c.w.bulk("standalone")
	c.w.bulk("role")
	c.w.bulk("master")
	c.w.bulk("modules")
	c.w.array(0)
}

func cmdSelect(c *conn, args [][]byte) {
	n, ok := parseInt(args[1])
	if !ok {
		c.errReply(errValue, msgNotInteger)
		return
	}
	if n < -1<<31 || n > 1<<31-1 {
		c.errReply(errValue, "ERR value is out of range, value must between -2147483648 and 2147483647")
		return
	}
	if n != 0 {
		c.errReply(errValue, "ERR DB index is out of range")
		return
	}
	c.w.ok()
}

func cmdClientID(c *conn, args [][]byte) { c.w.int(c.id) }

func cmdClientSetName(c *conn, args [][]byte) {
	if !validName(args[2]) {
		c.errReply(errValue, msgBadName)
		return
	}
	c.setName(string(args[2]))
	c.w.ok()
}

func cmdClientGetName(c *conn, args [][]byte) {
	if c.info.name == "" { // written only by this connection's goroutine
		c.w.null()
		return
	}
	c.w.bulk(c.info.name)
}

// clientInfo is one line of CLIENT LIST in Redis 7.2's format. It may
// describe another connection: what it reads is either fixed at accept,
// atomic (the last command) or under the connection's mu. self says c
// is the connection asking, whose parser may be read (qbuf).
func (c *conn) clientInfo(b []byte, now time.Time, self bool) []byte {
	c.mu.Lock()
	in := c.info
	c.mu.Unlock()
	// Flags in the order of Redis's networking.c: x (in MULTI) before U
	// (a unix socket client), N when there is none.
	flags := ""
	if in.multi >= 0 {
		flags = "x"
	}
	addr, laddr := c.addr, c.laddr
	if addr == "/unixsocket:0" { // a unix socket peer (newConn, the epoll loop's accept)
		// Redis 7 shows its socket's path as both ends of a unix socket
		// client (genClientAddrString), and the flag U.
		flags += "U"
		addr = laddr
	}
	if flags == "" {
		flags = "N"
	}
	last := "NULL"
	if cmd := c.last.Load(); cmd != nil {
		last = cmd.name
	}
	b = append(b, "id="...)
	b = strconv.AppendInt(b, c.id, 10)
	b = append(b, " addr="...)
	b = append(b, addr...)
	b = append(b, " laddr="...)
	b = append(b, laddr...)
	b = append(b, " fd=8 name="...)
	b = append(b, in.name...)
	b = append(b, " age="...)
	b = strconv.AppendInt(b, int64(now.Sub(c.created)/time.Second), 10)
	b = append(b, " idle=0 flags="...)
	b = append(b, flags...)
	b = append(b, " db=0 sub=0 psub=0 ssub=0 multi="...)
	b = strconv.AppendInt(b, int64(in.multi), 10)
	// qbuf: Redis trims a client's query buffer after the commands of a
	// read have run, so while they run it holds all of that read's input
	// (the command asking, 26 bytes for CLIENT LIST alone, included) and
	// an idle client's is empty. The parser likewise moves unparsed input
	// to the front before each read, so the asking connection's buffer
	// holds p.w bytes of this read. Other connections' parsers belong to
	// their own loops: they show 0 (an idle client's value).
	qbuf, qfree := 0, 0
	if self && c.p != nil {
		qbuf, qfree = c.p.w, len(c.p.buf)-c.p.w
	}
	b = append(b, " qbuf="...)
	b = strconv.AppendInt(b, int64(qbuf), 10)
	b = append(b, " qbuf-free="...)
	b = strconv.AppendInt(b, int64(qfree), 10)
	b = append(b, " argv-mem=0 multi-mem=0 rbs=16384 rbp=0 obl=0 oll=0 omem=0 tot-mem=32768 events=r cmd="...)
	b = append(b, last...)
	b = append(b, " user=default redir=-1 resp="...)
	b = strconv.AppendInt(b, int64(in.proto), 10)
	b = append(b, " lib-name="...)
	b = append(b, in.libName...)
	b = append(b, " lib-ver="...)
	b = append(b, in.libVer...)
	return append(b, '\n')
}

func cmdClientInfo(c *conn, args [][]byte) {
	c.w.verbatim(string(c.clientInfo(nil, time.Now(), true)), "txt")
}

// cmdClientList lists the connections (TYPE normal and ID filters of
// Redis 7 are understood; every client here is "normal").
func cmdClientList(c *conn, args [][]byte) {
	// Redis 7.0's clientCommand: TYPE with exactly one argument, or ID
	// with one or more integers (any: an id no client has lists none).
	var ids map[int64]bool
	typeOK := true
	switch {
	case len(args) == 2:
	case len(args) == 4 && eqFold(args[2], "type"):
		switch strings.ToLower(string(args[3])) {
		case "normal":
		case "master", "replica", "slave", "pubsub":
			typeOK = false
		default:
			c.errReply(errValue, "ERR Unknown client type '"+string(args[3])+"'")
			return
		}
	case len(args) > 3 && eqFold(args[2], "id"):
		ids = map[int64]bool{}
		for _, a := range args[3:] {
			n, ok := parseInt(a)
			if !ok {
				c.errReply(errValue, "ERR Invalid client ID")
				return
			}
			ids[n] = true
		}
	default:
		c.errReply(errSyntax, msgSyntax)
		return
	}
	var b []byte
	now := time.Now()
	if typeOK {
		s := c.s
		s.mu.Lock()
		others := make([]*conn, 0, len(s.conns))
		for o := range s.conns {
			others = append(others, o)
		}
		s.mu.Unlock()
		sortConns(others)
		for _, o := range others {
			if ids != nil && !ids[o.id] {
				continue
			}
			b = o.clientInfo(b, now, o == c)
		}
	}
	c.w.verbatim(string(b), "txt")
}

func cmdClientSetInfo(c *conn, args [][]byte) {
	attr, val := args[2], args[3]
	var dst *string
	switch {
	case eqFold(attr, "lib-name"):
		dst = &c.info.libName
	case eqFold(attr, "lib-ver"):
		dst = &c.info.libVer
	default:
		c.errReply(errSyntax, "ERR Unrecognized option '"+clip(attr, 1<<20)+"'")
		return
	}
	if !validName(val) {
		c.errReply(errValue, "ERR "+clip(attr, 1<<20)+" cannot contain spaces, newlines or special characters.")
		return
	}
	c.mu.Lock()
	*dst = string(val)
	c.mu.Unlock()
	c.w.ok()
}

func cmdClientHelp(c *conn, args [][]byte) {
	c.help("CLIENT", []string{
		"ID", "    Return the ID of the current connection.",
		"INFO", "    Return information about the current client connection.",
		"LIST [TYPE <type>] [ID <id> [<id> ...]]", "    Return information about client connections.",
		"GETNAME", "    Return the name of the current connection.",
		"SETNAME <name>", "    Assign the name <name> to the current connection.",
		"SETINFO <option> <value>", "    Set client meta attr. Options are:",
		"    * LIB-NAME: the client lib name.", "    * LIB-VER: the client lib version.",
	})
}

// help is Redis's addReplyHelp: a header line, the lines, HELP's line.
func (c *conn) help(cmd string, lines []string) {
	c.w.array(len(lines) + 3)
	c.w.simple(cmd + " <subcommand> [<arg> [value] [opt] ...]. Subcommands are:")
	for _, l := range lines {
		c.w.simple(l)
	}
	c.w.simple("HELP")
	c.w.simple("    Print this help.")
}
