package resp

import (
	"os"
	"runtime"
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
	c.w.array(0) // key specs: not described here
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

func sortedSubs(cmd *command) []*command {
	out := make([]*command, 0, len(cmd.subs))
	for _, s := range cmd.subs {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

func (c *conn) commandDocs(cmd *command) {
	n := 2
	if cmd.summary != "" {
		n++
	}
	if cmd.since != "" {
		n++
	}
	if cmd.subs != nil {
		n++
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

// --- INFO ---

func cmdInfo(c *conn, args [][]byte) {
	want := map[string]bool{}
	all := len(args) == 1
	for _, a := range args[1:] {
		s := strings.ToLower(string(a))
		if s == "all" || s == "everything" || s == "default" {
			all = true
		}
		want[s] = true
	}
	show := func(sec string) bool { return all || want[sec] }
	var b strings.Builder
	section := func(title string, lines ...string) {
		if b.Len() > 0 {
			b.WriteString("\r\n")
		}
		b.WriteString("# " + title + "\r\n")
		for _, l := range lines {
			b.WriteString(l)
			b.WriteString("\r\n")
		}
	}
	s := c.s
	st := s.store.Stats()
	i64 := func(n int64) string { return strconv.FormatInt(n, 10) }
	if show("server") {
		port := "0"
		if s.tcp != nil {
			addr := s.tcp.Addr().String()
			port = addr[strings.LastIndexByte(addr, ':')+1:]
		}
		up := int64(time.Since(s.started) / time.Second)
		exe, _ := os.Executable()
		section("Server",
			"redis_version:"+redisVersion,
			"redis_git_sha1:00000000",
			"redis_git_dirty:0",
			"redis_mode:standalone",
			"ephpm_version:"+s.cfg.Version,
			"os:"+runtime.GOOS+" "+runtime.GOARCH,
			"arch_bits:64",
			"multiplexing_api:epoll",
			"gcc_version:0.0.0",
			"process_id:"+strconv.Itoa(os.Getpid()),
			"tcp_port:"+port,
			"server_time_usec:"+i64(time.Now().UnixMicro()),
			"uptime_in_seconds:"+i64(up),
			"uptime_in_days:"+i64(up/86400),
			"executable:"+exe)
	}
	if show("clients") {
		section("Clients",
			"connected_clients:"+i64(s.stats.clients.Load()),
			"cluster_connections:0",
			"maxclients:"+strconv.Itoa(s.cfg.MaxClients),
			"blocked_clients:"+i64(s.waiting.Load()),
			"tracking_clients:0",
			"clients_in_timeout_table:0")
	}
	if show("memory") {
		policy := s.cfg.MaxMemoryPolicy
		if policy == "" {
			policy = "allkeys-lru"
		}
		section("Memory",
			"used_memory:"+i64(st.Bytes),
			"used_memory_human:"+humanBytes(st.Bytes),
			"maxmemory:"+i64(s.cfg.MaxMemory),
			"maxmemory_human:"+humanBytes(s.cfg.MaxMemory),
			"maxmemory_policy:"+policy,
			"mem_allocator:go")
	}
	if show("persistence") {
		// Nothing is saved; the fields clients look for (phpredis's own
		// tests want rdb_bgsave_in_progress and rdb_last_save_time) say so.
		section("Persistence", "loading:0", "async_loading:0", "rdb_changes_since_last_save:0",
			"rdb_bgsave_in_progress:0", "rdb_last_save_time:"+i64(s.started.Unix()), "rdb_last_bgsave_status:ok",
			"rdb_saves:0", "aof_enabled:0", "aof_rewrite_in_progress:0")
	}
	if show("stats") {
		var cmds, errs int64
		for i := range s.stats.commands {
			cmds += s.stats.commands[i].Load()
		}
		for i := range s.stats.errors {
			errs += s.stats.errors[i].Load()
		}
		section("Stats",
			"total_connections_received:"+i64(s.stats.connections.Load()),
			"total_commands_processed:"+i64(cmds),
			"instantaneous_ops_per_sec:0",
			"rejected_connections:"+i64(s.stats.rejected.Load()),
			"expired_keys:"+i64(st.Expirations),
			"evicted_keys:"+i64(st.Evictions),
			"keyspace_hits:"+i64(st.Hits),
			"keyspace_misses:"+i64(st.Misses),
			"total_error_replies:"+i64(errs))
	}
	if show("replication") {
		section("Replication", "role:master", "connected_slaves:0")
	}
	if show("keyspace") {
		var keys, expires int64
		s.store.Range(func(_ string, exp int64) bool {
			keys++
			if exp != 0 {
				expires++
			}
			return true
		})
		if keys > 0 {
			section("Keyspace", "db0:keys="+i64(keys)+",expires="+i64(expires)+",avg_ttl=0")
		} else {
			section("Keyspace")
		}
	}
	c.w.verbatim(b.String(), "txt")
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
