package server

import (
	"strconv"
	"sync/atomic"
	"time"

	"github.com/ephpm/ephpm/internal/metrics"
)

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

	// The request duration histogram's series, one per handler kind and
	// status class, resolved once so a request only observes (no label
	// lookup). nil until DurationHistogram is called: without a metrics
	// listener a request pays one atomic load for it.
	durations atomic.Pointer[durationSeries]
}

// Handler kinds, the histogram's handler label.
const (
	handlerStatic = iota // answered by the server alone: files, redirects, errors
	handlerPHP           // the route ran a PHP script
	handlerKinds
)

var handlerNames = [handlerKinds]string{handlerStatic: "static", handlerPHP: "php"}

// durationSeries is indexed [handler kind][status class 1..5].
type durationSeries [handlerKinds][6]*metrics.Histogram

// DurationBuckets are the histogram's upper bounds in seconds: from half a
// millisecond (a static file or a hello world takes ~0.1 ms) up to the
// minutes a slow script may take under the default request timeout.
var DurationBuckets = []float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300}

func (st *stats) done(w *response, start time.Time) {
	rec := w.rec
	st.inFlight.Add(-1)
	c := rec.status / 100
	if c >= 1 && c <= 5 {
		st.responses[c].Add(1)
		if d := st.durations.Load(); d != nil {
			kind := handlerStatic
			if w.php {
				kind = handlerPHP
			}
			d[kind][c].Observe(time.Since(start).Seconds())
		}
	}
	if rec.phpFatal {
		st.phpFatal.Add(1)
	}
	if rec.bytes > 0 {
		st.bytesSent.Add(rec.bytes)
	}
}

// DurationHistogram starts timing requests and returns the histogram
// ephpm_http_request_duration_seconds{handler,code} to register: time from
// the request's arrival to the end of its response (the last byte handed
// to the connection), by handler kind ("php" or "static") and status
// class ("2xx"), so at most 10 series. Requests without a status (the
// client left first) and the probes are not in it, as in
// ephpm_http_responses_total.
func (s *Server) DurationHistogram() metrics.Collector {
	vec := metrics.NewHistogramVec("ephpm_http_request_duration_seconds",
		"Time from a request's arrival to the end of its response, by handler (php: a PHP script ran; static: files, redirects and errors answered by the server) and status class.",
		DurationBuckets, "handler", "code")
	var series durationSeries
	for kind, name := range handlerNames {
		for c := 1; c <= 5; c++ {
			// Created now, so every series shows (at 0) from the
			// first scrape: a rate() over a series that appears late
			// misses its first requests.
			series[kind][c] = vec.With(name, strconv.Itoa(c)+"xx")
		}
	}
	s.stats.durations.Store(&series)
	return vec
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
