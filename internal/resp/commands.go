package resp

import (
	"runtime/debug"
	"strings"
)

// cmdMeta is a command's Redis metadata (commands_meta.go, generated).
type cmdMeta struct {
	name                    string // lower case; "client|list" for a subcommand
	arity                   int    // n: exactly n arguments (the name included); -n: at least n
	flags, acl, tips        []string
	firstKey, lastKey, step int
	summary, since, group   string
	complexity              string
	subs                    []*cmdMeta

	// What Redis 7 adds to COMMAND INFO and COMMAND DOCS (server.c
	// addReplyCommandKeySpecs, addReplyCommandDocs), from the same JSON.
	keySpecs                    []keySpec
	docFlags                    []string // "deprecated", "syscmd"
	deprecatedSince, replacedBy string
	history                     [][2]string // {since, changes}
	args                        []cmdArg
}

// keySpec is one of a command's key specifications: where its key
// arguments begin (bs: "index", "keyword" or "unknown") and how they are
// found from there (fk: "range", "keynum" or "unknown").
type keySpec struct {
	flags                   []string
	notes                   string
	bs                      string
	bsIndex                 int
	bsKeyword               string
	bsStartFrom             int
	fk                      string
	lastKey, keyStep, limit int
	keyNumIdx, firstKey     int
}

// cmdArg is one argument of a command as COMMAND DOCS describes it.
type cmdArg struct {
	name, typ       string
	keySpec         int // index into keySpecs, -1 for none
	display         string
	token           string
	summary, since  string
	deprecatedSince string
	flags           []string // "optional", "multiple", "multiple_token"
	args            []cmdArg // of a oneof or block
}

// Locking of a command against other connections' commands.
const (
	lockNone  = iota // touches no key, or blocks (EPHPM.WAIT)
	lockRead         // one key operation: runs alongside other connections
	lockWrite        // EXEC, multi-key writes: run alone among RESP clients
)

type command struct {
	*cmdMeta
	id       int
	fn       func(c *conn, args [][]byte)
	lock     int
	noAuth   bool // AUTH, HELLO, QUIT
	multiCtl bool // run at once inside MULTI instead of being queued
	subs     map[string]*command
	parent   *command
}

var (
	commands = map[string]*command{}
	cmdByID  []*command
)

// handlers binds the command names to their code.
var handlers = map[string]func(c *conn, args [][]byte){}

func init() {
	for name, fn := range map[string]func(*conn, [][]byte){
		"get": cmdGet, "set": cmdSet, "setnx": cmdSetNX, "setex": cmdSetEX, "psetex": cmdPSetEX,
		"getset": cmdGetSet, "getdel": cmdGetDel, "getex": cmdGetEx, "mget": cmdMGet, "mset": cmdMSet,
		"msetnx": cmdMSetNX, "incr": cmdIncr, "decr": cmdDecr, "incrby": cmdIncrBy, "decrby": cmdDecrBy,
		"incrbyfloat": cmdIncrByFloat, "append": cmdAppend, "strlen": cmdStrlen, "getrange": cmdGetRange,
		"setrange": cmdSetRange,
		"del":      cmdDel, "unlink": cmdDel, "exists": cmdExists, "type": cmdType, "expire": cmdExpire,
		"pexpire": cmdPExpire, "expireat": cmdExpireAt, "pexpireat": cmdPExpireAt, "expiretime": cmdExpireTime,
		"pexpiretime": cmdPExpireTime, "persist": cmdPersist, "ttl": cmdTTL, "pttl": cmdPTTL, "keys": cmdKeys,
		"scan": cmdScan, "randomkey": cmdRandomKey, "rename": cmdRename, "renamenx": cmdRenameNX,
		"dbsize": cmdDBSize, "flushdb": cmdFlush, "flushall": cmdFlush,
		"multi": cmdMulti, "exec": cmdExec, "discard": cmdDiscard,
		"ping": cmdPing, "echo": cmdEcho, "quit": cmdQuit, "auth": cmdAuth, "hello": cmdHello, "select": cmdSelect,
		"client|id": cmdClientID, "client|setname": cmdClientSetName, "client|getname": cmdClientGetName,
		"client|list": cmdClientList, "client|info": cmdClientInfo, "client|setinfo": cmdClientSetInfo,
		"client|help": cmdClientHelp,
		"command":     cmdCommand, "command|count": cmdCommandCount, "command|docs": cmdCommandDocs,
		"command|info": cmdCommandInfo, "command|help": cmdCommandHelp,
		"info": cmdInfo, "config|get": cmdConfigGet, "config|help": cmdConfigHelp, "time": cmdTime,
		"ephpm.delifeq": cmdDelIfEq, "ephpm.delprefix": cmdDelPrefix, "ephpm.wait": cmdWait,
	} {
		handlers[name] = fn
	}
	metas := append(redisCommands, ephpmCommands...)
	for _, m := range metas {
		cmd := newCommand(m, nil)
		commands[m.name] = cmd
		cmdTable.add(cmd)
		for _, sm := range m.subs {
			sub := newCommand(sm, cmd)
			if cmd.subs == nil {
				cmd.subs = map[string]*command{}
			}
			cmd.subs[strings.TrimPrefix(sm.name, m.name+"|")] = sub
		}
	}
}

func newCommand(m *cmdMeta, parent *command) *command {
	c := &command{cmdMeta: m, id: len(cmdByID), fn: handlers[m.name], parent: parent, lock: lockRead}
	cmdByID = append(cmdByID, c)
	switch m.name {
	case "mset", "msetnx", "rename", "renamenx", "exec":
		c.lock = lockWrite
	case "multi", "discard", "ping", "echo", "quit", "auth", "hello", "select", "time", "info",
		"ephpm.wait", "command", "config":
		c.lock = lockNone
	}
	if parent != nil {
		c.lock = lockNone
	}
	switch m.name {
	case "auth", "hello", "quit":
		c.noAuth = true
	}
	switch m.name {
	case "multi", "exec", "discard", "quit":
		c.multiCtl = true
	}
	return c
}

// ephpmCommands are ours (INTERFACES.md): the atomic operations the
// Laravel package needs beyond Redis's string commands.
var ephpmCommands = []*cmdMeta{
	{name: "ephpm.delifeq", arity: 3, flags: []string{"write", "fast"}, firstKey: 1, lastKey: 1, step: 1,
		acl: []string{"@keyspace", "@write", "@fast"}, tips: []string{}, summary: "Deletes a key only if it holds the given value (releasing a lock only by its owner).",
		since: "ephpm", group: "generic", complexity: "O(1)"},
	{name: "ephpm.delprefix", arity: 2, flags: []string{"write"}, acl: []string{"@keyspace", "@write", "@slow", "@dangerous"},
		tips: []string{}, summary: "Deletes every key starting with a prefix; returns how many were removed.",
		since: "ephpm", group: "generic", complexity: "O(N) with N the number of keys in the store"},
	{name: "ephpm.wait", arity: 4, flags: []string{"readonly", "blocking"}, firstKey: 1, lastKey: 1, step: 1,
		acl: []string{"@keyspace", "@read", "@slow", "@blocking"}, tips: []string{}, summary: "Blocks until a key's version differs from the given one; returns [version, value] or null on timeout.",
		since: "ephpm", group: "generic", complexity: "O(1)"},
}

// lookup finds a command by name, case-insensitively, without allocating.
func lookup(name []byte) *command { return cmdTable.find(name) }

// cmdTable holds the top-level commands in an open-addressed table
// hashed while the name is lowered: a lookup costs one pass over the
// name and one comparison, where the map needed the lowered copy, then
// a full hash of it (a map access was about a fifth of a pipelined
// GET's own CPU time).
var cmdTable nameTable

type nameTable struct {
	slots [512]*command // a power of two, well above the ~80 commands
}

// nameHash is FNV-1a of the lowered name.
func nameHash(low []byte) uint32 {
	h := uint32(2166136261)
	for _, b := range low {
		h = (h ^ uint32(b)) * 16777619
	}
	return h
}

func (t *nameTable) add(c *command) {
	for i := nameHash([]byte(c.name)); ; i++ {
		if t.slots[i&(uint32(len(t.slots))-1)] == nil {
			t.slots[i&(uint32(len(t.slots))-1)] = c
			return
		}
	}
}

func (t *nameTable) find(name []byte) *command {
	if len(name) > 32 {
		return nil
	}
	var buf [32]byte
	low := buf[:len(name)]
	h := uint32(2166136261)
	for i, b := range name {
		if b >= 'A' && b <= 'Z' {
			b += 'a' - 'A'
		}
		low[i] = b
		h = (h ^ uint32(b)) * 16777619
	}
	for ; ; h++ {
		c := t.slots[h&(uint32(len(t.slots))-1)]
		if c == nil || c.name == string(low) {
			return c
		}
	}
}

// lowerSub finds a subcommand of cmd by name, as lookup does.
func lowerSub(cmd *command, name []byte) *command { return lookupIn(cmd.subs, name) }

// lookupIn lowers name into a stack buffer and looks it up in m; the
// m[string(low)] conversion does not allocate.
func lookupIn(m map[string]*command, name []byte) *command {
	if len(name) > 32 {
		return nil
	}
	var buf [32]byte
	low := buf[:len(name)]
	for i, b := range name {
		if b >= 'A' && b <= 'Z' {
			b += 'a' - 'A'
		}
		low[i] = b
	}
	return m[string(low)]
}

// exec runs one command as Redis's processCommand does: look it up, check
// its arity, then authentication, then queue it inside MULTI or run it.
func (c *conn) exec(args [][]byte) {
	cmd := lookup(args[0])
	if cmd != nil && cmd.subs != nil && len(args) >= 2 {
		sub := lowerSub(cmd, args[1])
		if sub == nil {
			c.s.stats.commands[len(cmdByID)].Add(1)
			c.reject(errUnknownCommand, "ERR unknown subcommand '"+clip(args[1], 128)+"'. Try "+strings.ToUpper(cmd.name)+" HELP.")
			return
		}
		cmd = sub
	}
	if cmd == nil {
		c.s.stats.commands[len(cmdByID)].Add(1)
		c.reject(errUnknownCommand, unknownCommand(args))
		return
	}
	if (cmd.arity > 0 && cmd.arity != len(args)) || len(args) < -cmd.arity {
		c.rejectCmd(cmd, errArity, "ERR wrong number of arguments for '"+cmd.name+"' command")
		return
	}
	if !c.authed && !cmd.noAuth {
		c.rejectCmd(cmd, errAuth, "NOAUTH Authentication required.")
		return
	}
	if c.inMulti && !cmd.multiCtl {
		q := queued{cmd: cmd, args: make([][]byte, len(args))}
		for i, a := range args {
			q.args[i] = append([]byte(nil), a...)
		}
		c.queue = append(c.queue, q)
		c.setMulti(len(c.queue))
		c.w.simple("QUEUED")
		return
	}
	c.run(cmd, args)
}

// run executes cmd under the lock its kind needs (none inside EXEC,
// which holds the write lock).
func (c *conn) run(cmd *command, args [][]byte) {
	c.s.stats.commands[cmd.id].Add(1)
	if c.last.Load() != cmd { // a load is cheaper than a store that dirties the line
		c.last.Store(cmd)
	}
	switch {
	case c.inExec || cmd.lock == lockNone:
		c.call(cmd, args)
	case cmd.lock == lockRead:
		if c.readHeld {
			c.call(cmd, args)
			return
		}
		c.s.lock.rlock(c.stripe)
		if c.batch {
			c.readHeld = true // released by endBatch
			c.call(cmd, args)
			return
		}
		c.call(cmd, args)
		c.s.lock.runlock(c.stripe)
	default:
		c.releaseRead()
		c.s.lock.lock()
		c.call(cmd, args)
		c.s.lock.unlock()
	}
}

// call runs a command's code. A panic in it (a bug: SETRANGE at an offset
// near 2^63 once overflowed into one) would take the whole server down,
// PHP included: it is logged and answered as an error instead, the
// command's partial reply dropped, and call returns normally so run
// releases its locks. The store's Update cleans up before it re-panics.
func (c *conn) call(cmd *command, args [][]byte) {
	mark := len(c.w.b)
	defer func() {
		if r := recover(); r != nil {
			c.s.cfg.Logger.Error("resp command panicked", "command", cmd.name, "panic", r, "stack", string(debug.Stack()))
			c.w.b = c.w.b[:mark]
			c.errReply(errOther, "ERR internal error running '"+cmd.name+"' (logged by the server)")
		}
	}()
	cmd.fn(c, args)
}

// beginBatch and endBatch bracket the commands an event loop runs from
// one read: the first one-key command takes the connection's reader
// stripe and the rest of the batch runs under it, instead of two atomic
// operations per command. A command that needs the write lock releases
// it first; so does the loop before it writes mid-batch or returns. It
// is never taken twice (with a writer waiting, a second RLock would wait
// for it: a deadlock).
func (c *conn) beginBatch() { c.batch = true }

func (c *conn) endBatch() {
	c.batch = false
	c.releaseRead()
}

func (c *conn) releaseRead() {
	if c.readHeld {
		c.readHeld = false
		c.s.lock.runlock(c.stripe)
	}
}

// reject answers a command that will not run; inside MULTI it also
// dooms the transaction (EXEC answers EXECABORT), as in Redis.
func (c *conn) reject(kind int, msg string) {
	if c.inMulti {
		c.dirty = true
	}
	c.rejectReply(kind, msg)
}

// rejectCmd is reject for a command found: a rejected EXEC ends the
// transaction and says why, as Redis's execCommandAbort does (its reasons
// carry no "ERR ": "EXECABORT Transaction discarded because of: wrong
// number of arguments for 'exec' command"), with or without MULTI.
// It counts a rejected call of cmd (INFO commandstats' rejected_calls).
func (c *conn) rejectCmd(cmd *command, kind int, msg string) {
	c.s.stats.cmdErrs().rejectedCalls[cmd.id].Add(1)
	if cmd.name != "exec" {
		c.reject(kind, msg)
		return
	}
	if c.inMulti {
		c.endMulti()
	}
	c.rejectReply(errExecAbort, "EXECABORT Transaction discarded because of: "+strings.TrimPrefix(msg, "ERR "))
}

// errReply is a command's error reply: besides the error counters it
// counts a failed call (INFO commandstats' failed_calls) of the command
// running, which run has stored in c.last before calling it (inside
// EXEC: the queued command, as Redis counts them).
func (c *conn) errReply(kind int, msg string) {
	if cmd := c.last.Load(); cmd != nil {
		c.s.stats.cmdErrs().failCalls[cmd.id].Add(1)
	}
	c.rejectReply(kind, msg)
}

// rejectReply is an error reply of no command's code (the command was
// not run): counted by kind and by prefix (INFO errorstats) only.
func (c *conn) rejectReply(kind int, msg string) {
	c.s.stats.errors[kind].Add(1)
	c.s.stats.countPrefix(msg)
	c.w.err(msg)
}

// unknownCommand is Redis 7's text: the name and the first arguments,
// each quoted, cut at 128 bytes, newlines turned into spaces.
func unknownCommand(args [][]byte) string {
	var b strings.Builder
	b.WriteString("ERR unknown command '")
	b.WriteString(clip(args[0], 128))
	b.WriteString("', with args beginning with: ")
	n := 0
	for _, a := range args[1:] {
		if n >= 128 {
			break
		}
		s := clip(a, 128-n)
		b.WriteByte('\'')
		b.WriteString(s)
		b.WriteString("' ")
		n += len(s) + 3
	}
	out := []byte(b.String())
	for i, ch := range out {
		if ch == '\r' || ch == '\n' {
			out[i] = ' '
		}
	}
	return string(out)
}

// clip is printf's %.Ns of a C string: at most n bytes, up to a NUL.
func clip(b []byte, n int) string {
	for i, c := range b {
		if c == 0 {
			b = b[:i]
			break
		}
	}
	if len(b) > n {
		b = b[:n]
	}
	return string(b)
}
