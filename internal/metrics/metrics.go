// Package metrics serves the server's counters in Prometheus' text format
// (version 0.0.4), the format every monitoring agent reads. Values are
// read when scraped, from functions the other packages provide: nothing
// is counted twice and nothing here is on a request's path.
package metrics

import (
	"bytes"
	"net/http"
	"strconv"
	"strings"
	"sync"
)

// Kind is a Prometheus metric type.
type Kind string

const (
	Counter Kind = "counter" // only goes up (until the process restarts)
	Gauge   Kind = "gauge"   // goes up and down
)

// Sample is one value of a metric, with its labels (`code="2xx"`, or "").
type Sample struct {
	Labels string
	Value  float64
}

type family struct {
	name, help string
	kind       Kind
	read       func() []Sample
}

// Registry is the list of metrics one endpoint serves, in the order added.
type Registry struct {
	families []family
	onScrape []func()
	mu       sync.Mutex // one scrape at a time reads the snapshot onScrape took
}

// OnScrape registers fn to run at the start of every scrape, before any
// value is read: it takes a snapshot the value functions then read, so
// one scrape reports numbers of one moment and reads each source once.
func (r *Registry) OnScrape(fn func()) {
	r.onScrape = append(r.onScrape, fn)
}

// Add registers a metric with a single value.
func (r *Registry) Add(name string, kind Kind, help string, read func() float64) {
	r.AddSamples(name, kind, help, func() []Sample { return []Sample{{Value: read()}} })
}

// AddSamples registers a metric whose values carry labels.
func (r *Registry) AddSamples(name string, kind Kind, help string, read func() []Sample) {
	r.families = append(r.families, family{name: name, help: help, kind: kind, read: read})
}

// ServeHTTP answers GET /metrics; every other path is a 404.
func (r *Registry) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	if req.URL.Path != "/metrics" {
		http.NotFound(w, req)
		return
	}
	if req.Method != http.MethodGet && req.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "Method Not Allowed", http.StatusMethodNotAllowed)
		return
	}
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if req.Method == http.MethodHead {
		return
	}
	w.Write(r.render())
}

func (r *Registry) render() []byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, fn := range r.onScrape {
		fn()
	}
	var out bytes.Buffer
	for _, f := range r.families {
		out.WriteString("# HELP " + f.name + " " + escapeHelp(f.help) + "\n")
		out.WriteString("# TYPE " + f.name + " " + string(f.kind) + "\n")
		for _, s := range f.read() {
			out.WriteString(f.name)
			if s.Labels != "" {
				out.WriteString("{" + s.Labels + "}")
			}
			out.WriteString(" " + strconv.FormatFloat(s.Value, 'f', -1, 64) + "\n")
		}
	}
	return out.Bytes()
}

func escapeHelp(s string) string {
	return strings.NewReplacer(`\`, `\\`, "\n", `\n`).Replace(s)
}
