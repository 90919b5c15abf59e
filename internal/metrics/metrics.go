// Package metrics serves the server's metrics with Prometheus' Go client
// (github.com/prometheus/client_golang), the library every monitoring
// stack knows: the standard go_* and process_* collectors, and ephpm's own
// numbers.
//
// Most of ephpm's numbers are running totals other packages already keep
// (atomic counters, the KV store's stats). They are read when scraped, by
// a Set: one collector that takes one snapshot of each source per scrape
// and reports every value from it, so a scrape shows one moment and a
// request's path gains nothing. Only what must be observed per request (the
// duration histogram, in internal/server) is a live Prometheus metric.
package metrics

import (
	"net/http"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Kind is a Prometheus metric type.
type Kind = prometheus.ValueType

const (
	Counter = prometheus.CounterValue // only goes up (until the process restarts)
	Gauge   = prometheus.GaugeValue   // goes up and down
)

// Sample is one value of a labelled metric: the value of its one label
// (e.g. "2xx" for code="2xx") and the metric's value.
type Sample struct {
	Label string
	Value float64
}

type family struct {
	desc  *prometheus.Desc
	kind  Kind
	read  func() float64  // unlabelled metric
	reads func() []Sample // labelled metric (one label)
}

// Set is a prometheus.Collector of metrics read at scrape time, in the
// order added. Register it once in a registry.
type Set struct {
	families []family
	onScrape []func()
	mu       sync.Mutex // one scrape at a time reads the snapshot onScrape took
}

// OnScrape registers fn to run at the start of every scrape, before any
// value is read: it takes a snapshot the value functions then read, so
// one scrape reports numbers of one moment and reads each source once.
func (s *Set) OnScrape(fn func()) {
	s.onScrape = append(s.onScrape, fn)
}

// Add registers a metric with a single value.
func (s *Set) Add(name string, kind Kind, help string, read func() float64) {
	s.families = append(s.families, family{desc: prometheus.NewDesc(name, help, nil, nil), kind: kind, read: read})
}

// AddSamples registers a metric with one label, whose values read returns.
// The label's values must come from a fixed set (a client must not be able
// to grow it).
func (s *Set) AddSamples(name string, kind Kind, help, label string, read func() []Sample) {
	s.families = append(s.families, family{desc: prometheus.NewDesc(name, help, []string{label}, nil), kind: kind, reads: read})
}

// Describe implements prometheus.Collector.
func (s *Set) Describe(ch chan<- *prometheus.Desc) {
	for _, f := range s.families {
		ch <- f.desc
	}
}

// Collect implements prometheus.Collector: one snapshot, then every value.
func (s *Set) Collect(ch chan<- prometheus.Metric) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, fn := range s.onScrape {
		fn()
	}
	for _, f := range s.families {
		if f.read != nil {
			ch <- prometheus.MustNewConstMetric(f.desc, f.kind, f.read())
			continue
		}
		for _, smp := range f.reads() {
			ch <- prometheus.MustNewConstMetric(f.desc, f.kind, smp.Value, smp.Label)
		}
	}
}

// NewRegistry is a registry of its own (not the client library's global
// one, which other packages could fill) with the standard Go runtime and
// process collectors, plus cs.
func NewRegistry(cs ...prometheus.Collector) (*prometheus.Registry, error) {
	reg := prometheus.NewRegistry()
	cs = append([]prometheus.Collector{
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	}, cs...)
	for _, c := range cs {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return reg, nil
}

// Path is where Handler serves the metrics.
const Path = "/metrics"

// Handler answers GET and HEAD /metrics with what g gathers, in whichever
// format the scraper asks for (text by default); other methods get 405.
// Every other path goes to next (nil: 404), so the metrics listener can
// carry more endpoints.
func Handler(g prometheus.Gatherer, next http.Handler) http.Handler {
	prom := promhttp.HandlerFor(g, promhttp.HandlerOpts{
		// A collector's error is reported on the page (the other
		// metrics still served) rather than failing the scrape.
		ErrorHandling: promhttp.ContinueOnError,
	})
	if next == nil {
		next = http.NotFoundHandler()
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != Path {
			next.ServeHTTP(w, r)
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "Method Not Allowed", http.StatusMethodNotAllowed)
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		prom.ServeHTTP(w, r)
	})
}
