package resp

import "sync/atomic"

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
