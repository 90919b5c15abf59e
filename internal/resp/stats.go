package resp

import (
	"sort"
	"sync"
	"sync/atomic"
)

// Kinds of error replies counted by Stats (a fixed set, for metrics).
const (
	errProtocol = iota // malformed request; the connection is closed
	errUnknownCommand
	errArity
	errAuth // NOAUTH, WRONGPASS
	errSyntax
	errValue // not an integer / float, out of range
	errExecAbort
	errOther
	numErrKinds
)

var errKindNames = [numErrKinds]string{"protocol", "unknown_command", "wrong_arity", "auth", "syntax", "value", "execabort", "other"}

type counters struct {
	clients, connections, rejected atomic.Int64
	commands                       []atomic.Int64 // by command id; the last one counts unknown commands
	errors                         [numErrKinds]atomic.Int64
	// INFO's keyspace_hits / keyspace_misses beyond the store's own
	// (which counts its reads of a value): the lookups Redis counts and
	// the store does not, EXISTS, TYPE, TTL, PTTL and the old value of
	// SET ... GET, GETSET and GETDEL (conn.lookedUp).
	hits, misses atomic.Int64

	// INFO commandstats' rejected_calls and failed_calls by command id,
	// and errorstats' error replies by their first word (ERR, WRONGTYPE,
	// NOAUTH...): written only on error replies, so made on the first one.
	errsOnce                 sync.Once
	rejectedCalls, failCalls []atomic.Int64
	prefixMu                 sync.Mutex
	prefixes                 map[string]int64
}

// cmdErrs returns the per-command error counters, made on first use.
func (k *counters) cmdErrs() *counters {
	k.errsOnce.Do(func() {
		k.rejectedCalls = make([]atomic.Int64, len(cmdByID))
		k.failCalls = make([]atomic.Int64, len(cmdByID))
	})
	return k
}

// countPrefix counts an error reply under its first word, as Redis's
// errorstats do (the first 32 bytes searched for a space; "ERR" when
// there is none).
func (k *counters) countPrefix(msg string) {
	prefix := "ERR"
	head := msg
	if len(head) > 32 {
		head = head[:32]
	}
	for i := 0; i < len(head); i++ {
		if head[i] == ' ' {
			prefix = head[:i]
			break
		}
	}
	k.prefixMu.Lock()
	if k.prefixes == nil {
		k.prefixes = map[string]int64{}
	}
	// Our error texts come from a fixed set, but a prefix is never taken
	// from a client's bytes; Redis too stops adding kinds at 128.
	if _, ok := k.prefixes[prefix]; ok || len(k.prefixes) < 128 {
		k.prefixes[prefix]++
	}
	k.prefixMu.Unlock()
}

// errorStats returns errorstats' counts by prefix, sorted by prefix (as
// Redis's radix tree lists them). Protocol errors (written by the
// connection, not errReply) are ERR's, as Redis's addReplyError has them.
func (k *counters) errorStats() (names []string, counts []int64) {
	k.prefixMu.Lock()
	m := make(map[string]int64, len(k.prefixes)+1)
	for p, n := range k.prefixes {
		m[p] = n
	}
	k.prefixMu.Unlock()
	if n := k.errors[errProtocol].Load(); n > 0 {
		m["ERR"] += n
	}
	for p := range m {
		names = append(names, p)
	}
	sort.Strings(names)
	for _, p := range names {
		counts = append(counts, m[p])
	}
	return names, counts
}

// Stats are the server's counters.
type Stats struct {
	Clients     int64            // connected now
	Connections int64            // accepted since start (rejected ones included)
	Rejected    int64            // refused by max_clients
	Commands    map[string]int64 // by command name ("client|list"); "unknown" for the rest
	Errors      map[string]int64 // error replies by kind
}

// Stats returns the counters.
func (s *Server) Stats() Stats {
	st := Stats{
		Clients:     s.stats.clients.Load(),
		Connections: s.stats.connections.Load(),
		Rejected:    s.stats.rejected.Load(),
		Commands:    make(map[string]int64, len(cmdByID)+1),
		Errors:      make(map[string]int64, numErrKinds),
	}
	for id, cmd := range cmdByID {
		st.Commands[cmd.name] = s.stats.commands[id].Load()
	}
	st.Commands["unknown"] = s.stats.commands[len(cmdByID)].Load()
	for k := 0; k < numErrKinds; k++ {
		st.Errors[errKindNames[k]] = s.stats.errors[k].Load()
	}
	return st
}

// CommandNames lists every command name Stats reports, "unknown" last.
func CommandNames() []string {
	out := make([]string, 0, len(cmdByID)+1)
	for _, c := range cmdByID {
		out = append(out, c.name)
	}
	return append(out, "unknown")
}

// ErrorKinds lists the error kinds Stats reports.
func ErrorKinds() []string { return errKindNames[:] }
