package resp

import (
	"sort"
	"strconv"
	"strings"
	"time"
)

// redisVersion is the Redis version we answer as (HELLO, INFO): the
// commands and replies follow Redis 7.2, whose CLIENT SETINFO we serve.
const redisVersion = "7.2.4"

func sortConns(cs []*conn) { sort.Slice(cs, func(i, j int) bool { return cs[i].id < cs[j].id }) }

func cmdTime(c *conn, args [][]byte) {
	now := time.Now()
	c.w.array(2)
	c.w.bulkInt(now.Unix())
	c.w.bulkInt(int64(now.Nanosecond() / 1000))
}

// --- COMMAND ---

func (c *conn) commandInfo(cmd *command) {
	if cmd == nil {
		c.w.null()
		return
	}
	c.w.array(10)
	c.w.bulk(cmd.name)
	c.w.int(int64(cmd.arity))
	c.w.setLen(len(cmd.flags))
	for _, f := range cmd.flags {
		c.w.simple(f)
	}
	c.w.int(int64(cmd.firstKey))
	c.w.int(int64(cmd.lastKey))
	c.w.int(int64(cmd.step))
	c.w.setLen(len(cmd.acl))
	for _, a := range cmd.acl {
		c.w.simple(a)
	}
	c.w.setLen(len(cmd.tips))
	for _, t := range cmd.tips {
		c.w.bulk(t)
	}
	c.keySpecs(cmd)
	if cmd.subs == nil {
		c.w.setLen(0)
		return
	}
	subs := sortedSubs(cmd)
	c.w.array(len(subs))
	for _, s := range subs {
		c.commandInfo(s)
	}
}

// keySpecs writes a command's key specs as Redis 7's
// addReplyCommandKeySpecs does: a set of maps.
func (c *conn) keySpecs(cmd *command) {
	c.w.setLen(len(cmd.keySpecs))
	for i := range cmd.keySpecs {
		k := &cmd.keySpecs[i]
		if k.notes != "" {
			c.w.mapLen(4)
			c.w.bulk("notes")
			c.w.bulk(k.notes)
		} else {
			c.w.mapLen(3)
		}
		c.w.bulk("flags")
		c.w.setLen(len(k.flags))
		for _, f := range k.flags {
			c.w.simple(f)
		}
		c.w.bulk("begin_search")
		c.w.mapLen(2)
		c.w.bulk("type")
		c.w.bulk(k.bs)
		c.w.bulk("spec")
		switch k.bs {
		case "index":
			c.w.mapLen(1)
			c.w.bulk("index")
			c.w.int(int64(k.bsIndex))
		case "keyword":
			c.w.mapLen(2)
			c.w.bulk("keyword")
			c.w.bulk(k.bsKeyword)
			c.w.bulk("startfrom")
			c.w.int(int64(k.bsStartFrom))
		default:
			c.w.mapLen(0)
		}
		c.w.bulk("find_keys")
		c.w.mapLen(2)
		c.w.bulk("type")
		c.w.bulk(k.fk)
		c.w.bulk("spec")
		switch k.fk {
		case "range":
			c.w.mapLen(3)
			c.w.bulk("lastkey")
			c.w.int(int64(k.lastKey))
			c.w.bulk("keystep")
			c.w.int(int64(k.keyStep))
			c.w.bulk("limit")
			c.w.int(int64(k.limit))
		case "keynum":
			c.w.mapLen(3)
			c.w.bulk("keynumidx")
			c.w.int(int64(k.keyNumIdx))
			c.w.bulk("firstkey")
			c.w.int(int64(k.firstKey))
			c.w.bulk("keystep")
			c.w.int(int64(k.keyStep))
		default:
			c.w.mapLen(0)
		}
	}
}

// docArgs writes a command's arguments as Redis 7's
// addReplyCommandArgList does: an array of maps, the fields in its order.
func (c *conn) docArgs(args []cmdArg) {
	c.w.array(len(args))
	for i := range args {
		a := &args[i]
		nested := a.typ == "oneof" || a.typ == "block"
		n := 3 // name, type, and display_text or arguments
		for _, s := range []string{a.token, a.summary, a.since, a.deprecatedSince} {
			if s != "" {
				n++
			}
		}
		if a.keySpec >= 0 {
			n++
		}
		if len(a.flags) > 0 {
			n++
		}
		c.w.mapLen(n)
		c.w.bulk("name")
		c.w.bulk(a.name)
		c.w.bulk("type")
		c.w.bulk(a.typ)
		if !nested {
			c.w.bulk("display_text")
			c.w.bulk(a.display)
		}
		if a.keySpec >= 0 {
			c.w.bulk("key_spec_index")
			c.w.int(int64(a.keySpec))
		}
		for _, f := range [][2]string{{"token", a.token}, {"summary", a.summary}, {"since", a.since}, {"deprecated_since", a.deprecatedSince}} {
			if f[1] != "" {
				c.w.bulk(f[0])
				c.w.bulk(f[1])
			}
		}
		if len(a.flags) > 0 {
			c.w.bulk("flags")
			c.w.setLen(len(a.flags))
			for _, f := range a.flags {
				c.w.simple(f)
			}
		}
		if nested {
			c.w.bulk("arguments")
			c.docArgs(a.args)
		}
	}
}

func sortedSubs(cmd *command) []*command {
	out := make([]*command, 0, len(cmd.subs))
	for _, s := range cmd.subs {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

func (c *conn) commandDocs(cmd *command) {
	// The fields and their order of Redis 7's addReplyCommandDocs.
	n := 2 // group, complexity
	for _, s := range []string{cmd.summary, cmd.since, cmd.deprecatedSince, cmd.replacedBy} {
		if s != "" {
			n++
		}
	}
	for _, has := range []bool{len(cmd.docFlags) > 0, cmd.history != nil, len(cmd.args) > 0, cmd.subs != nil} {
		if has {
			n++
		}
	}
	c.w.mapLen(n)
	if cmd.summary != "" {
		c.w.bulk("summary")
		c.w.bulk(cmd.summary)
	}
	if cmd.since != "" {
		c.w.bulk("since")
		c.w.bulk(cmd.since)
	}
	c.w.bulk("group")
	c.w.bulk(cmd.group)
	c.w.bulk("complexity")
	c.w.bulk(cmd.complexity)
	if len(cmd.docFlags) > 0 {
		c.w.bulk("doc_flags")
		c.w.setLen(len(cmd.docFlags))
		for _, f := range cmd.docFlags {
			c.w.simple(f)
		}
	}
	if cmd.deprecatedSince != "" {
		c.w.bulk("deprecated_since")
		c.w.bulk(cmd.deprecatedSince)
	}
	if cmd.replacedBy != "" {
		c.w.bulk("replaced_by")
		c.w.bulk(cmd.replacedBy)
	}
	if cmd.history != nil {
		c.w.bulk("history")
		c.w.setLen(len(cmd.history))
		for _, h := range cmd.history {
			c.w.array(2)
			c.w.bulk(h[0])
			c.w.bulk(h[1])
		}
	}
	if len(cmd.args) > 0 {
		c.w.bulk("arguments")
		c.docArgs(cmd.args)
	}
	if cmd.subs != nil {
		subs := sortedSubs(cmd)
		c.w.bulk("subcommands")
		c.w.mapLen(len(subs))
		for _, s := range subs {
			c.w.bulk(s.name)
			c.commandDocs(s)
		}
	}
}

// topCommands lists the top-level commands in name order.
func topCommands() []*command {
	out := make([]*command, 0, len(commands))
	for _, cmd := range commands {
		out = append(out, cmd)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

// lookupFull finds "get" or "client|list" (COMMAND INFO / DOCS names).
func lookupFull(name []byte) *command {
	if i := strings.IndexByte(string(name), '|'); i >= 0 {
		parent := lookup(name[:i])
		if parent == nil || parent.subs == nil {
			return nil
		}
		return lowerSub(parent, name[i+1:])
	}
	return lookup(name)
}

func cmdCommand(c *conn, args [][]byte) {
	all := topCommands()
	c.w.array(len(all))
	for _, cmd := range all {
		c.commandInfo(cmd)
	}
}

func cmdCommandCount(c *conn, args [][]byte) { c.w.int(int64(len(commands))) }

func cmdCommandInfo(c *conn, args [][]byte) {
	if len(args) == 2 {
		cmdCommand(c, args)
		return
	}
	c.w.array(len(args) - 2)
	for _, name := range args[2:] {
		c.commandInfo(lookupFull(name))
	}
}

func cmdCommandDocs(c *conn, args [][]byte) {
	var list []*command
	if len(args) == 2 {
		list = topCommands()
	} else {
		for _, name := range args[2:] {
			if cmd := lookupFull(name); cmd != nil {
				list = append(list, cmd)
			}
		}
	}
	c.w.mapLen(len(list))
	for _, cmd := range list {
		c.w.bulk(cmd.name)
		c.commandDocs(cmd)
	}
}

func cmdCommandHelp(c *conn, args [][]byte) {
	c.help("COMMAND", []string{
		"(no subcommand)", "    Return details about all Redis commands.",
		"COUNT", "    Return the total number of commands in this Redis server.",
		"INFO [<command-name> ...]", "    Return details about multiple Redis commands.",
		"    If no command names are given, documentation details for all", "    commands are returned.",
		"DOCS [<command-name> ...]", "    Return documentation details about multiple Redis commands.",
		"    If no command names are given, documentation details for all", "    commands are returned.",
	})
}

// --- CONFIG GET ---

// configParams are the parameters CONFIG GET answers, from our config.
func (c *conn) configParams() [][2]string {
	cfg := c.s.cfg
	port := "0"
	bind := ""
	if c.s.tcp != nil {
		host, p, _ := strings.Cut(c.s.tcp.Addr().String(), "]:")
		if p == "" {
			host, p, _ = strings.Cut(c.s.tcp.Addr().String(), ":")
		}
		port, bind = p, strings.TrimPrefix(host, "[")
	}
	perm := "0"
	if cfg.Socket != "" {
		perm = strconv.FormatUint(uint64(cfg.SocketMode.Perm()), 8)
	}
	policy := cfg.MaxMemoryPolicy
	if policy == "" {
		policy = "allkeys-lru"
	}
	return [][2]string{
		{"maxmemory", strconv.FormatInt(cfg.MaxMemory, 10)},
		{"maxmemory-policy", policy},
		{"maxclients", strconv.Itoa(cfg.MaxClients)},
		{"timeout", strconv.FormatInt(int64(cfg.IdleTimeout/time.Second), 10)},
		{"proto-max-bulk-len", strconv.FormatInt(cfg.MaxBulkLen, 10)},
		{"port", port},
		{"bind", bind},
		{"unixsocket", cfg.Socket},
		{"unixsocketperm", perm},
		{"databases", "1"},
		{"save", ""},
		{"appendonly", "no"},
		{"cluster-enabled", "no"},
	}
}

func cmdConfigGet(c *conn, args [][]byte) {
	params := c.configParams()
	seen := make([]bool, len(params))
	n := 0
	for _, pat := range args[2:] {
		p := strings.ToLower(string(pat))
		for i, kv := range params {
			if !seen[i] && globMatch(p, kv[0]) {
				seen[i] = true
				n++
			}
		}
	}
	c.w.mapLen(n)
	for i, kv := range params {
		if seen[i] {
			c.w.bulk(kv[0])
			c.w.bulk(kv[1])
		}
	}
}

func cmdConfigHelp(c *conn, args [][]byte) {
	c.help("CONFIG", []string{
		"GET <pattern>", "    Return parameters matching the glob-like <pattern> and their values.",
	})
}

// humanBytes is Redis's bytesToHuman.
func humanBytes(n int64) string {
	f := float64(n)
	switch {
	case n < 1024:
		return strconv.FormatInt(n, 10) + "B"
	case n < 1<<20:
		return strconv.FormatFloat(f/(1<<10), 'f', 2, 64) + "K"
	case n < 1<<30:
		return strconv.FormatFloat(f/(1<<20), 'f', 2, 64) + "M"
	case n < 1<<40:
		return strconv.FormatFloat(f/(1<<30), 'f', 2, 64) + "G"
	default:
		return strconv.FormatFloat(f/(1<<40), 'f', 2, 64) + "T"
	}
}
