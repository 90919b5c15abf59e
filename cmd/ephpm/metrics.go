package main

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/ephpm/ephpm/internal/kv"
	"github.com/ephpm/ephpm/internal/kvredis"
	"github.com/ephpm/ephpm/internal/metrics"
	"github.com/ephpm/ephpm/internal/phpembed"
	"github.com/ephpm/ephpm/internal/resp"
	"github.com/ephpm/ephpm/internal/server"
)

// newMetrics lists what GET /metrics reports: the server's requests, the
// PHP threads and their queue, and the KV store's counters (SPEC section 2),
// all from one snapshot per scrape.
func newMetrics(srv *server.Server, rt *phpembed.Runtime, kvStore kvBackend, respSrv *resp.Server, kvLimit int64, started time.Time) *metrics.Registry {
	reg := &metrics.Registry{}
	n := func(v int64) float64 { return float64(v) }
	var (
		web   server.Stats
		php   phpembed.Stats
		store kv.Stats
	)
	var (
		rs    resp.Stats
		redis kvredis.Stats
	)
	reg.OnScrape(func() {
		web, php = srv.Stats(), rt.Stats()
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

	reg.AddSamples("ephpm_http_responses_total", metrics.Counter, "HTTP responses sent, by status class.", func() []metrics.Sample {
		out := make([]metrics.Sample, 0, 5)
		for class := 1; class <= 5; class++ {
			out = append(out, metrics.Sample{Labels: `code="` + strconv.Itoa(class) + `xx"`, Value: n(web.Responses[class])})
		}
		return out
	})
	reg.Add("ephpm_http_requests_in_flight", metrics.Gauge, "HTTP requests being served now.", func() float64 { return n(web.InFlight) })
	reg.Add("ephpm_http_response_bytes_total", metrics.Counter, "Bytes of response bodies sent.", func() float64 { return n(web.BytesSent) })
	reg.Add("ephpm_php_fatal_errors_total", metrics.Counter, "Requests ended by a PHP fatal error.", func() float64 { return n(web.PHPFatal) })
	reg.Add("ephpm_http_connections_refused_total", metrics.Counter, "Connections closed at once by server.limits.per_ip_max_connections.", func() float64 { return n(web.RefusedConnections) })

	reg.Add("ephpm_php_threads", metrics.Gauge, "PHP threads (workers).", func() float64 { return float64(php.Threads) })
	reg.Add("ephpm_php_busy_threads", metrics.Gauge, "PHP threads running a request now.", func() float64 { return n(php.Busy) })
	reg.Add("ephpm_php_queued_requests", metrics.Gauge, "Requests waiting for a PHP thread.", func() float64 { return n(php.Queued) })
	reg.Add("ephpm_php_worker_boots_total", metrics.Counter, "Worker mode: times a worker script was started (restarts and recycles included).", func() float64 { return n(php.WorkerBoots) })

	if kvStore.mem != nil {
		reg.Add("ephpm_kv_hits_total", metrics.Counter, "KV reads that found a live key.", func() float64 { return n(store.Hits) })
		reg.Add("ephpm_kv_misses_total", metrics.Counter, "KV reads that found no live key.", func() float64 { return n(store.Misses) })
		reg.Add("ephpm_kv_keys", metrics.Gauge, "Keys in the KV store.", func() float64 { return n(store.Keys) })
		reg.Add("ephpm_kv_bytes", metrics.Gauge, "Bytes the KV store counts against its memory limit (keys, values, per-entry overhead).", func() float64 { return n(store.Bytes) })
		reg.Add("ephpm_kv_memory_limit_bytes", metrics.Gauge, "The KV store's memory limit (0 = none).", func() float64 { return n(kvLimit) })
		reg.Add("ephpm_kv_evictions_total", metrics.Counter, "Keys evicted to stay under the memory limit.", func() float64 { return n(store.Evictions) })
		reg.Add("ephpm_kv_expirations_total", metrics.Counter, "Keys removed because their TTL passed.", func() float64 { return n(store.Expirations) })
	} else {
		addRedisMetrics(reg, &redis)
	}

	if respSrv != nil {
		addRESPMetrics(reg, &rs)
	}

	reg.Add("ephpm_start_time_seconds", metrics.Gauge, "When the server started, in seconds since the Unix epoch.", func() float64 {
		return float64(started.UnixNano()) / 1e9
	})
	return reg
}

// addRESPMetrics reports the RESP endpoint from the scrape's snapshot rs:
// its clients, and commands and errors by a fixed set of labels (every
// command name we serve plus "unknown"; the error kinds), so a client
// sending junk cannot grow the label set.
func addRESPMetrics(reg *metrics.Registry, rs *resp.Stats) {
	reg.Add("ephpm_resp_connected_clients", metrics.Gauge, "RESP clients connected now.", func() float64 { return float64(rs.Clients) })
	reg.Add("ephpm_resp_connections_total", metrics.Counter, "RESP connections accepted (refused ones included).", func() float64 { return float64(rs.Connections) })
	reg.Add("ephpm_resp_rejected_connections_total", metrics.Counter, "RESP connections refused by max_clients.", func() float64 { return float64(rs.Rejected) })
	addLabelled(reg, "ephpm_resp_commands_total", "RESP commands run, by command (\"unknown\" for names we do not serve).",
		"command", resp.CommandNames(), &rs.Commands)
	addLabelled(reg, "ephpm_resp_errors_total", "RESP error replies, by kind.",
		"kind", resp.ErrorKinds(), &rs.Errors)
}

// addLabelled adds a counter with one sample per value in values, labelled
// label="value", read from *counts at each scrape (0 where it has none).
func addLabelled(reg *metrics.Registry, name, help, label string, values []string, counts *map[string]int64) {
	reg.AddSamples(name, metrics.Counter, help, func() []metrics.Sample {
		out := make([]metrics.Sample, 0, len(values))
		for _, v := range values {
			out = append(out, metrics.Sample{Labels: label + `="` + v + `"`, Value: float64((*counts)[v])})
		}
		return out
	})
}

// serveMetrics serves reg on a listener of its own. The returned function
// stops it.
func serveMetrics(addr string, reg http.Handler, logger *slog.Logger) (func(), error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	hs := &http.Server{
		Handler:           reg,
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
func addRedisMetrics(reg *metrics.Registry, st *kvredis.Stats) {
	addLabelled(reg, "ephpm_kv_backend_errors_total", "KV calls that failed on the Redis backend and returned their failure value, by kind (timeout, connection, redis).",
		"kind", kvredis.ErrorKinds, &st.Errors)
	reg.Add("ephpm_kv_client_cache_hits_total", metrics.Counter, "KV reads answered from this node's client-side cache.", func() float64 { return float64(st.CacheHits) })
	reg.Add("ephpm_kv_client_cache_misses_total", metrics.Counter, "KV reads that went to Redis.", func() float64 { return float64(st.CacheMisses) })
	reg.Add("ephpm_kv_backend_round_trips_total", metrics.Counter, "Commands sent to Redis (ephpm_kv_backend_round_trip_seconds_total / this = mean round-trip time).", func() float64 { return float64(st.RoundTrips) })
	reg.Add("ephpm_kv_backend_round_trip_seconds_total", metrics.Counter, "Total time of the commands sent to Redis, in seconds.", func() float64 { return st.RoundTripSeconds })
}
