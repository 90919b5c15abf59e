// Package metrics serves the server's metrics in Prometheus' text
// exposition format (version 0.0.4, what every monitoring stack scrapes):
// the standard go_* and process_* families of Prometheus' Go client, and
// ephpm's own numbers.
//
// It writes the format itself rather than linking Prometheus' Go client
// (github.com/prometheus/client_golang): that library's package
// initialisers (its default registry with Go and process collectors,
// procfs, protobuf descriptors, runtime/metrics' tables) ran in every
// start of the binary, `ephpm php -r` included, and cost it ~100 page
// faults and ~6% of its wall time on the benchmark VM. The families, names,
// types, HELP texts, labels and bucket bounds are the ones that library
// exported; the tests parse the page with Prometheus' own parser.
//
// Most of ephpm's numbers are running totals other packages already keep
// (atomic counters, the KV store's stats). They are read when scraped, by
// a Set: one collector that takes one snapshot of each source per scrape
// and reports every value from it, so a scrape shows one moment and a
// request's path gains nothing. Only what must be observed per request (the
// duration histogram, in internal/server) is a live metric (HistogramVec).
package metrics

import (
	"fmt"
	"net/http"
	"sort"
	"sync"
)

// Kind is a metric's type.
type Kind int

const (
	Counter Kind = iota // only goes up (until the process restarts)
	Gauge               // goes up and down
)

func (k Kind) String() string {
	if k == Counter {
		return "counter"
	}
	return "gauge"
}

// Sample is one value of a labelled metric: the value of its one label
// (e.g. "2xx" for code="2xx") and the metric's value.
type Sample struct {
	Label string
	Value float64
}

// Collector is a source of metric families: the Set below, a
// HistogramVec, and the Go runtime and process collectors.
type Collector interface {
	// Names are the families it reports, for NewRegistry to refuse two
	// of one name.
	Names() []string
	// Collect appends this scrape's families.
	Collect(out []*Family) []*Family
}

type setFamily struct {
	name, help, label string
	kind              Kind
	read              func() float64  // unlabelled metric
	reads             func() []Sample // labelled metric (one label)
}

// Set is a Collector of metrics read at scrape time. Register it once in
// a registry.
type Set struct {
	families []setFamily
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
	s.families = append(s.families, setFamily{name: name, help: help, kind: kind, read: read})
}

// AddSamples registers a metric with one label, whose values read returns.
// The label's values must come from a fixed set (a client must not be able
// to grow it).
func (s *Set) AddSamples(name string, kind Kind, help, label string, read func() []Sample) {
	s.families = append(s.families, setFamily{name: name, help: help, label: label, kind: kind, reads: read})
}

// Names implements Collector.
func (s *Set) Names() []string {
	out := make([]string, len(s.families))
	for i, f := range s.families {
		out[i] = f.name
	}
	return out
}

// Collect implements Collector: one snapshot, then every value.
func (s *Set) Collect(out []*Family) []*Family {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, fn := range s.onScrape {
		fn()
	}
	for _, f := range s.families {
		fam := &Family{Name: f.name, Help: f.help, Type: f.kind.String()}
		if f.read != nil {
			fam.Metrics = []Metric{{Value: f.read()}}
		} else {
			for _, smp := range f.reads() {
				fam.Metrics = append(fam.Metrics, Metric{Labels: []Label{{f.label, smp.Label}}, Value: smp.Value})
			}
		}
		out = append(out, fam)
	}
	return out
}

// Registry gathers the families of its collectors.
type Registry struct {
	collectors []Collector
}

// NewRegistry is a registry with the standard Go runtime and process
// collectors, plus cs. Two families of one name (or a name that is not a
// valid metric name) are an error here rather than a page that fails every
// scrape.
func NewRegistry(cs ...Collector) (*Registry, error) {
	cs = append([]Collector{goCollector{}, processCollector{}}, cs...)
	seen := map[string]bool{}
	for _, c := range cs {
		for _, name := range c.Names() {
			if !validName(name) {
				return nil, fmt.Errorf("metrics: %q is not a valid metric name", name)
			}
			if seen[name] {
				return nil, fmt.Errorf("metrics: %s registered twice", name)
			}
			seen[name] = true
		}
	}
	return &Registry{collectors: cs}, nil
}

// Gather returns every family with at least one metric, sorted by name,
// each family's metrics sorted by their labels (as Prometheus' registry
// orders them).
func (r *Registry) Gather() []*Family {
	var fams []*Family
	for _, c := range r.collectors {
		fams = c.Collect(fams)
	}
	out := fams[:0]
	for _, f := range fams {
		if len(f.Metrics) > 0 {
			f.sortMetrics()
			out = append(out, f)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// validName is Prometheus' classic metric and label name syntax.
func validName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		ok := c == '_' || c == ':' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && c >= '0' && c <= '9'
		if !ok {
			return false
		}
	}
	return true
}

// Path is where Handler serves the metrics.
const Path = "/metrics"

// Handler answers GET and HEAD /metrics with what r gathers, in the text
// format (gzip-compressed when the scraper accepts it); other methods get
// 405. Every other path goes to next (nil: 404), so the metrics listener
// can carry more endpoints.
func Handler(r *Registry, next http.Handler) http.Handler {
	if next == nil {
		next = http.NotFoundHandler()
	}
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.URL.Path != Path {
			next.ServeHTTP(w, req)
			return
		}
		if req.Method != http.MethodGet && req.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "Method Not Allowed", http.StatusMethodNotAllowed)
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		serveText(w, req, r.Gather())
	})
}
