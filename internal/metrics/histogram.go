package metrics

import (
	"math"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
)

// HistogramVec is a histogram family with labels: one Histogram per set of
// label values, each created once with With (an observation then does no
// label lookup).
type HistogramVec struct {
	name, help string
	labels     []string
	bounds     []float64

	mu     sync.Mutex
	series []*Histogram
}

// NewHistogramVec is a histogram family name with the given bucket upper
// bounds (sorted ascending; +Inf is implied) and label names.
func NewHistogramVec(name, help string, bounds []float64, labels ...string) *HistogramVec {
	if !sort.Float64sAreSorted(bounds) {
		panic("metrics: " + name + ": bucket bounds not sorted")
	}
	return &HistogramVec{name: name, help: help, labels: labels, bounds: slices.Clone(bounds)}
}

// With returns the series of these label values (one per label name, in
// the order given to NewHistogramVec), created at 0 if new: it shows from
// the next scrape on.
func (v *HistogramVec) With(values ...string) *Histogram {
	if len(values) != len(v.labels) {
		panic("metrics: " + v.name + ": wrong number of label values")
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	for _, h := range v.series {
		if slices.Equal(h.values, values) {
			return h
		}
	}
	h := &Histogram{bounds: v.bounds, counts: make([]atomic.Uint64, len(v.bounds)+1), values: slices.Clone(values)}
	v.series = append(v.series, h)
	return h
}

// Names implements Collector.
func (v *HistogramVec) Names() []string { return []string{v.name} }

// Collect implements Collector.
func (v *HistogramVec) Collect(out []*Family) []*Family {
	v.mu.Lock()
	series := slices.Clone(v.series)
	v.mu.Unlock()
	f := &Family{Name: v.name, Help: v.help, Type: "histogram", Metrics: make([]Metric, 0, len(series))}
	for _, h := range series {
		m := h.snapshot()
		for i, name := range v.labels {
			m.Labels = append(m.Labels, Label{name, h.values[i]})
		}
		f.Metrics = append(f.Metrics, m)
	}
	return append(out, f)
}

// Histogram is one series of a HistogramVec. Observe is safe for
// concurrent use and takes no lock.
type Histogram struct {
	bounds  []float64
	counts  []atomic.Uint64 // per bucket, not cumulative; the last is above every bound
	sumBits atomic.Uint64   // float64 bits of the sum of observations
	values  []string
}

// Observe adds one observation v (counted in the first bucket whose upper
// bound is >= v, as Prometheus' buckets are "less than or equal").
func (h *Histogram) Observe(v float64) {
	i := sort.SearchFloat64s(h.bounds, v)
	h.counts[i].Add(1)
	for {
		old := h.sumBits.Load()
		if h.sumBits.CompareAndSwap(old, math.Float64bits(math.Float64frombits(old)+v)) {
			return
		}
	}
}

// snapshot reads the counts once each: the cumulative buckets and the
// count agree with each other (the count is the buckets' total); the sum
// may miss an observation that is being added.
func (h *Histogram) snapshot() Metric {
	m := Metric{Buckets: make([]Bucket, len(h.bounds))}
	var cum uint64
	for i, b := range h.bounds {
		cum += h.counts[i].Load()
		m.Buckets[i] = Bucket{UpperBound: b, Count: cum}
	}
	m.Count = cum + h.counts[len(h.bounds)].Load()
	m.Sum = math.Float64frombits(h.sumBits.Load())
	return m
}
