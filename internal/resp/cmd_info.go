package resp

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"
)

// infoDefault are the sections INFO and INFO default show (Redis 7.0's
// genInfoSectionDict); "all" adds commandstats and latencystats.
var infoDefault = []string{"server", "clients", "memory", "persistence", "stats", "replication",
	"cpu", "module_list", "errorstats", "cluster", "keyspace"}

// replID is INFO replication's master_replid: Redis makes a random one
// at start (there is no replication here; clients only display it).
var replID = func() string {
	var b [20]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}()

// runID is INFO server's run_id: random at start, as Redis's, so that a
// client can tell a restarted server from the one it knew.
var runID = func() string {
	var b [20]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}()

// cmdInfo is Redis 7.0's INFO: sections chosen as genInfoSectionDict
// does (no argument or "default": the default ones; "all" and
// "everything": every one; other names case-insensitively; unknown names
// nothing), written in Redis's order.
func cmdInfo(c *conn, args [][]byte) {
	want := map[string]bool{}
	all := false
	if len(args) == 1 {
		for _, sec := range infoDefault {
			want[sec] = true
		}
	}
	for _, a := range args[1:] {
		switch s := strings.ToLower(string(a)); s {
		case "default":
			for _, sec := range infoDefault {
				want[sec] = true
			}
		case "all", "everything":
			all = true
		default:
			want[s] = true
		}
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
		now := time.Now()
		// Redis 7's fields in its order (ephpm_version is ours). hz is
		// the rate of Redis's background cron, which clients only show;
		// lru_clock is Redis's LRU clock, seconds modulo 2^24.
		section("Server",
			"redis_version:"+redisVersion,
			"redis_git_sha1:00000000",
			"redis_git_dirty:0",
			"redis_build_id:0",
			"redis_mode:standalone",
			"ephpm_version:"+s.cfg.Version,
			"os:"+runtime.GOOS+" "+runtime.GOARCH,
			"arch_bits:64",
			"monotonic_clock:POSIX clock_gettime",
			"multiplexing_api:epoll",
			"atomicvar_api:c11-builtin",
			"gcc_version:0.0.0",
			"process_id:"+strconv.Itoa(os.Getpid()),
			"process_supervised:no",
			"run_id:"+runID,
			"tcp_port:"+port,
			"server_time_usec:"+i64(now.UnixMicro()),
			"uptime_in_seconds:"+i64(up),
			"uptime_in_days:"+i64(up/86400),
			"hz:10",
			"configured_hz:10",
			"lru_clock:"+i64(now.Unix()&(1<<24-1)),
			"executable:"+exe,
			"config_file:",
			"io_threads_active:0")
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
			"keyspace_hits:"+i64(st.Hits+s.stats.hits.Load()),
			"keyspace_misses:"+i64(st.Misses+s.stats.misses.Load()),
			"total_error_replies:"+i64(errs))
	}
	if show("replication") {
		// A master without replicas, as Redis 7.0 describes one.
		section("Replication", "role:master", "connected_slaves:0", "master_failover_state:no-failover",
			"master_replid:"+replID, "master_replid2:0000000000000000000000000000000000000000",
			"master_repl_offset:0", "second_repl_offset:-1", "repl_backlog_active:0",
			"repl_backlog_size:1048576", "repl_backlog_first_byte_offset:0", "repl_backlog_histlen:0")
	}
	if show("cpu") {
		section("CPU", cpuTimes()...)
	}
	if show("module_list") || show("modules") {
		section("Modules")
	}
	if show("commandstats") {
		section("Commandstats", commandStats(s)...)
	}
	if show("errorstats") {
		names, counts := s.stats.errorStats()
		lines := make([]string, len(names))
		for i, p := range names {
			lines[i] = "errorstat_" + p + ":count=" + i64(counts[i])
		}
		section("Errorstats", lines...)
	}
	if show("latencystats") {
		section("Latencystats") // latency tracking is not kept here
	}
	if show("cluster") {
		section("Cluster", "cluster_enabled:0")
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

// commandStats are INFO commandstats' lines, one per command called,
// rejected or failed since start, in name order: calls, rejected_calls
// and failed_calls as Redis 7.0 counts them (rejectCmd, errReply).
// Commands are not timed here (a clock read per command would cost more
// than some commands do), so usec and usec_per_call are 0.
func commandStats(s *Server) []string {
	k := s.stats.cmdErrs()
	var lines []string
	for id, cmd := range cmdByID {
		calls, rej, failed := s.stats.commands[id].Load(), k.rejectedCalls[id].Load(), k.failCalls[id].Load()
		if calls == 0 && rej == 0 && failed == 0 {
			continue
		}
		lines = append(lines, "cmdstat_"+cmd.name+":calls="+strconv.FormatInt(calls, 10)+",usec=0,usec_per_call=0.00,rejected_calls="+
			strconv.FormatInt(rej, 10)+",failed_calls="+strconv.FormatInt(failed, 10))
	}
	sort.Strings(lines)
	return lines
}
