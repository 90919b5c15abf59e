package server

import "sync/atomic"

// Stats are the server's running totals, for the metrics endpoint.
type Stats struct {
	// Responses by status class: Responses[2] counts 2xx. A request whose
	// client left before anything was sent has no status and is not
	// counted here.
	Responses [6]int64
	InFlight  int64 // requests being served now
	PHPFatal  int64 // requests ended by a PHP fatal error
	BytesSent int64 // response bodies
	// Connections closed at once by server.limits.per_ip_max_connections.
	RefusedConnections int64
}

type stats struct {
	responses [6]atomic.Int64
	inFlight  atomic.Int64
	phpFatal  atomic.Int64
	bytesSent atomic.Int64

	refusedConns atomic.Int64
}

func (st *stats) done(rec *recorder) {
	st.inFlight.Add(-1)
	if c := rec.status / 100; c >= 1 && c <= 5 {
		st.responses[c].Add(1)
	}
	if rec.phpFatal {
		st.phpFatal.Add(1)
	}
	if rec.bytes > 0 {
		st.bytesSent.Add(rec.bytes)
	}
}

// Stats returns the totals so far.
func (s *Server) Stats() Stats {
	var out Stats
	for i := range out.Responses {
		out.Responses[i] = s.stats.responses[i].Load()
	}
	out.InFlight = s.stats.inFlight.Load()
	out.PHPFatal = s.stats.phpFatal.Load()
	out.BytesSent = s.stats.bytesSent.Load()
	out.RefusedConnections = s.stats.refusedConns.Load()
	return out
}
