package main

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/ephpm/ephpm/internal/kv"
	"github.com/ephpm/ephpm/internal/kvredis"
	"github.com/ephpm/ephpm/internal/metrics"
	"github.com/ephpm/ephpm/internal/phpembed"
	"github.com/ephpm/ephpm/internal/resp"
	"github.com/ephpm/ephpm/internal/server"
)

// newMetrics is the metrics listener's handler (the probes aside, which
// server.HealthHandler adds): GET /metrics with the Go runtime and process
// collectors, the server's requests (with the duration histogram), the PHP
// threads, their queue and worker restarts, and the KV store's counters
// (SPEC section 2), all but the histogram read from one snapshot per
// scrape; and GET /_ephpm/threads (threads.go).
func newMetrics(srv *server.Server, rt *phpembed.Runtime, kvStore kvBackend, respSrv *resp.Server, kvLimit int64, started time.Time) http.Handler {
	set := &metrics.Set{}
	n := func(v int64) float64 { return float64(v) }
	var (
		web      server.Stats
		php      phpembed.Stats
		threads  []phpembed.ThreadInfo
		restarts map[string]int64
		store    kv.Stats
	)
	var (
		rs    resp.Stats
		redis kvredis.Stats
	)
	set.OnScrape(func() {
		web, php = srv.Stats(), rt.Stats()
		threads, restarts = rt.Threads(), rt.WorkerRestarts()
		if kvStore.mem != nil {
			store = kvStore.mem.Stats()
		}
		if kvStore.redis != nil {
			redis = kvStore.redis.Stats()
		}
		if respSrv != nil {
			rs = respSrv.Stats()
		}
	})

	set.AddSamples("ephpm_http_responses_total", metrics.Counter, "HTTP responses sent, by status class.", "code", func() []metrics.Sample {
		out := make([]metrics.Sample, 0, 5)
		for class := 1; class <= 5; class++ {
			out = append(out, metrics.Sample{Label: strconv.Itoa(class) + "xx", Value: n(web.Responses[class])})
		}
		return out
	})
	set.Add("ephpm_http_requests_in_flight", metrics.Gauge, "HTTP requests being served now.", func() float64 { return n(web.InFlight) })
	set.Add("ephpm_http_response_bytes_total", metrics.Counter, "Bytes of response bodies sent.", func() float64 { return n(web.BytesSent) })
	set.Add("ephpm_php_fatal_errors_total", metrics.Counter, "Requests ended by a PHP fatal error.", func() float64 { return n(web.PHPFatal) })
	set.Add("ephpm_http_connections_refused_total", metrics.Counter, "Connections closed at once by server.limits.per_ip_max_connections.", func() float64 { return n(web.RefusedConnections) })

	set.Add("ephpm_php_threads", metrics.Gauge, "PHP threads (workers).", func() float64 { return float64(php.Threads) })
	set.Add("ephpm_php_busy_threads", metrics.Gauge, "PHP threads running a request now.", func() float64 { return n(php.Busy) })
	set.Add("ephpm_php_queued_requests", metrics.Gauge, "Requests waiting for a PHP thread.", func() float64 { return n(php.Queued) })
	set.Add("ephpm_php_worker_boots_total", metrics.Counter, "Worker mode: times a worker script was started (restarts and recycles included).", func() float64 { return n(php.WorkerBoots) })
	addThreadMetrics(set, &threads, &restarts)

	if kvStore.mem != nil {
		set.Add("ephpm_kv_hits_total", metrics.Counter, "KV reads that found a live key.", func() float64 { return n(store.Hits) })
		set.Add("ephpm_kv_misses_total", metrics.Counter, "KV reads that found no live key.", func() float64 { return n(store.Misses) })
		set.Add("ephpm_kv_keys", metrics.Gauge, "Keys in the KV store.", func() float64 { return n(store.Keys) })
		set.Add("ephpm_kv_bytes", metrics.Gauge, "Bytes the KV store counts against its memory limit (keys, values, per-entry overhead).", func() float64 { return n(store.Bytes) })
		set.Add("ephpm_kv_memory_limit_bytes", metrics.Gauge, "The KV store's memory limit (0 = none).", func() float64 { return n(kvLimit) })
		set.Add("ephpm_kv_evictions_total", metrics.Counter, "Keys evicted to stay under the memory limit.", func() float64 { return n(store.Evictions) })
		set.Add("ephpm_kv_expirations_total", metrics.Counter, "Keys removed because their TTL passed.", func() float64 { return n(store.Expirations) })
	} else {
		addRedisMetrics(set, &redis)
	}

	if respSrv != nil {
		addRESPMetrics(set, &rs)
	}

	set.Add("ephpm_start_time_seconds", metrics.Gauge, "When the server started, in seconds since the Unix epoch.", func() float64 {
		return float64(started.UnixNano()) / 1e9
	})

	reg, err := metrics.NewRegistry(set, srv.DurationHistogram())
	if err != nil {
		// Two metrics of one name: a bug of this file, which every
		// test starting a metrics listener would catch.
		panic("metrics: " + err.Error())
	}
	return metrics.Handler(reg, threadsHandler(rt))
}

// addThreadMetrics reports the PHP threads by state (from the scrape's
// Threads snapshot, so the states add up to ephpm_php_threads), the
// requests stuck past their deadline, and worker restarts by cause (every
// cause phpembed names, at 0 until it happens; a cause named by a caller
// of RestartWorkers is added once it has happened).
func addThreadMetrics(set *metrics.Set, threads *[]phpembed.ThreadInfo, restarts *map[string]int64) {
	set.AddSamples("ephpm_php_threads_by_state", metrics.Gauge, "PHP threads by state: idle, busy (running a request), booting (worker mode: the worker script has not asked for its first request yet), restarting (worker mode: between two runs of the worker script), stopped.", "state", func() []metrics.Sample {
		count := map[string]int{}
		for _, t := range *threads {
			count[t.State]++
		}
		out := make([]metrics.Sample, 0, len(phpembed.ThreadStates))
		for _, st := range phpembed.ThreadStates {
			out = append(out, metrics.Sample{Label: st, Value: float64(count[st])})
		}
		return out
	})
	set.Add("ephpm_php_stuck_requests", metrics.Gauge, "Requests still running after their deadline interrupt was repeated (blocked in a C call PHP cannot interrupt); see /_ephpm/threads.", func() float64 {
		stuck := 0
		for _, t := range *threads {
			if t.Stuck {
				stuck++
			}
		}
		return float64(stuck)
	})
	set.AddSamples("ephpm_php_worker_restarts_total", metrics.Counter, "Worker mode: runs of the worker script that ended, by cause (max_requests, max_memory, ttl, idle_ttl, reload, crash, boot_failure).", "cause", func() []metrics.Sample {
		out := make([]metrics.Sample, 0, len(restartCauses)+len(*restarts))
		for _, c := range restartCauses {
			out = append(out, metrics.Sample{Label: c, Value: float64((*restarts)[c])})
		}
		var extra []string
		for c := range *restarts {
			if !slices.Contains(restartCauses, c) {
				extra = append(extra, c)
			}
		}
		slices.Sort(extra)
		for _, c := range extra {
			out = append(out, metrics.Sample{Label: c, Value: float64((*restarts)[c])})
		}
		return out
	})
}

// restartCauses are the causes always reported (0 until they happen).
var restartCauses = []string{
	phpembed.CauseMaxRequests, phpembed.CauseMaxMemory, phpembed.CauseTTL, phpembed.CauseIdleTTL,
	phpembed.CauseReload, phpembed.CauseCrash, phpembed.CauseBootFailure,
}

// addRESPMetrics reports the RESP endpoint from the scrape's snapshot rs:
// its clients, and commands and errors by a fixed set of labels (every
// command name we serve plus "unknown"; the error kinds), so a client
// sending junk cannot grow the label set.
func addRESPMetrics(set *metrics.Set, rs *resp.Stats) {
	set.Add("ephpm_resp_connected_clients", metrics.Gauge, "RESP clients connected now.", func() float64 { return float64(rs.Clients) })
	set.Add("ephpm_resp_connections_total", metrics.Counter, "RESP connections accepted (refused ones included).", func() float64 { return float64(rs.Connections) })
	set.Add("ephpm_resp_rejected_connections_total", metrics.Counter, "RESP connections refused by max_clients.", func() float64 { return float64(rs.Rejected) })
	addLabelled(set, "ephpm_resp_commands_total", "RESP commands run, by command (\"unknown\" for names we do not serve).",
		"command", resp.CommandNames(), &rs.Commands)
	addLabelled(set, "ephpm_resp_errors_total", "RESP error replies, by kind.",
		"kind", resp.ErrorKinds(), &rs.Errors)
}

// addLabelled adds a counter with one sample per value in values, labelled
// label="value", read from *counts at each scrape (0 where it has none).
func addLabelled(set *metrics.Set, name, help, label string, values []string, counts *map[string]int64) {
	set.AddSamples(name, metrics.Counter, help, label, func() []metrics.Sample {
		out := make([]metrics.Sample, 0, len(values))
		for _, v := range values {
			out = append(out, metrics.Sample{Label: v, Value: float64((*counts)[v])})
		}
		return out
	})
}

// serveMetrics serves h on a listener of its own. The returned function
// stops it.
func serveMetrics(addr string, h http.Handler, logger *slog.Logger) (func(), error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	hs := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       60 * time.Second,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	go func() {
		if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Error("metrics listener stopped", "err", err)
		}
	}()
	logger.Info("ephpm metrics", "addr", ln.Addr().String(), "path", "/metrics")
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		hs.Shutdown(ctx)
	}, nil
}

// addRedisMetrics reports the Redis backend ([kv] backend = "redis") from
// the scrape's snapshot: failed calls by kind, this node's client-side
// cache, and the round trips to Redis (their mean is sum/count).
func addRedisMetrics(set *metrics.Set, st *kvredis.Stats) {
	addLabelled(set, "ephpm_kv_backend_errors_total", "KV calls that failed on the Redis backend and returned their failure value, by kind (timeout, connection, redis).",
		"kind", kvredis.ErrorKinds, &st.Errors)
	set.Add("ephpm_kv_client_cache_hits_total", metrics.Counter, "KV reads answered from this node's client-side cache.", func() float64 { return float64(st.CacheHits) })
	set.Add("ephpm_kv_client_cache_misses_total", metrics.Counter, "KV reads that went to Redis.", func() float64 { return float64(st.CacheMisses) })
	set.Add("ephpm_kv_backend_round_trips_total", metrics.Counter, "Commands sent to Redis (ephpm_kv_backend_round_trip_seconds_total / this = mean round-trip time).", func() float64 { return float64(st.RoundTrips) })
	set.Add("ephpm_kv_backend_round_trip_seconds_total", metrics.Counter, "Total time of the commands sent to Redis, in seconds.", func() float64 { return st.RoundTripSeconds })
}
