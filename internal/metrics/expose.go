package metrics

import (
	"bufio"
	"compress/gzip"
	"io"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/ephpm/ephpm/internal/accept"
)

// Family is one metric family of a scrape: its name, HELP text, TYPE
// (counter, gauge, histogram or summary) and metrics.
type Family struct {
	Name, Help, Type string
	Metrics          []Metric
}

// Label is a label's name and value.
type Label struct{ Name, Value string }

// Metric is one series: Value for a counter or gauge; Buckets (cumulative,
// +Inf left out), Count and Sum for a histogram; Quantiles, Count and Sum
// for a summary.
type Metric struct {
	Labels    []Label
	Value     float64
	Buckets   []Bucket
	Quantiles []Quantile
	Count     uint64
	Sum       float64
}

// Bucket is a histogram's cumulative count of observations <= UpperBound.
type Bucket struct {
	UpperBound float64
	Count      uint64
}

// Quantile is a summary's value at quantile Q.
type Quantile struct{ Q, Value float64 }

// sortMetrics orders f's metrics as Prometheus' registry does: labels by
// name, then the metrics by their label values in that order.
func (f *Family) sortMetrics() {
	for i := range f.Metrics {
		slices.SortFunc(f.Metrics[i].Labels, func(a, b Label) int { return strings.Compare(a.Name, b.Name) })
	}
	slices.SortStableFunc(f.Metrics, func(a, b Metric) int {
		for i := 0; i < len(a.Labels) && i < len(b.Labels); i++ {
			if c := strings.Compare(a.Labels[i].Value, b.Labels[i].Value); c != 0 {
				return c
			}
		}
		return len(a.Labels) - len(b.Labels)
	})
}

// textContentType is what Prometheus' Go client answers for its text
// format (names here need no escaping, so every escaping scheme a scraper
// may ask for gives this page).
const textContentType = "text/plain; version=0.0.4; charset=utf-8; escaping=underscores"

// serveText writes fams in the text format, gzip-compressed when the
// request's Accept-Encoding prefers it, with the headers of Prometheus' Go
// client (promhttp).
func serveText(w http.ResponseWriter, r *http.Request, fams []*Family) {
	h := w.Header()
	h.Add("Vary", "Accept")
	h.Add("Vary", "Accept-Encoding")
	h.Set("Content-Type", textContentType)
	var out io.Writer = w
	if negotiateGzip(r.Header.Values("Accept-Encoding")) {
		h.Set("Content-Encoding", "gzip")
		gz := gzip.NewWriter(w)
		defer gz.Close()
		out = gz
	}
	bw := bufio.NewWriterSize(out, 16<<10)
	WriteText(bw, fams)
	bw.Flush()
}

// negotiateGzip picks between identity and gzip as promhttp does: the
// offer with the highest q among the Accept-Encoding entries naming it (or
// "*"), identity first, so a tie (e.g. "*") stays identity; no header
// means identity.
func negotiateGzip(values []string) bool {
	best, bestQ := "identity", -1.0
	type spec struct {
		value string
		q     float64
	}
	var specs []spec
	// An unreadable q stays 1, as goautoneg (promhttp's parser) leaves it.
	accept.Each(values, func(name string, q float64, _ bool) { specs = append(specs, spec{name, q}) })
	for _, offer := range []string{"identity", "gzip"} {
		for _, s := range specs {
			if s.q > bestQ && (s.value == "*" || s.value == offer) {
				best, bestQ = offer, s.q
			}
		}
	}
	return best == "gzip" && bestQ != 0
}

// single is a family of one metric: the Go and process collectors' shape.
func single(name, typ, help string, v float64, labels ...Label) *Family {
	return &Family{Name: name, Help: help, Type: typ, Metrics: []Metric{{Labels: labels, Value: v}}}
}

// WriteText writes fams in Prometheus' text exposition format 0.0.4, as
// its Go client's encoder (expfmt) writes it.
func WriteText(w *bufio.Writer, fams []*Family) {
	var num []byte
	float := func(f float64) {
		num = appendFloat(num[:0], f)
		w.Write(num)
	}
	// The _sum and _count lines that end a histogram or a summary.
	sumCount := func(name string, m *Metric) {
		writeSeries(w, name, "_sum", m.Labels, "", nil)
		float(m.Sum)
		w.WriteByte('\n')
		writeSeries(w, name, "_count", m.Labels, "", nil)
		w.WriteString(strconv.FormatUint(m.Count, 10))
		w.WriteByte('\n')
	}
	for _, f := range fams {
		if f.Help != "" {
			w.WriteString("# HELP ")
			w.WriteString(f.Name)
			w.WriteByte(' ')
			writeEscaped(w, f.Help, false)
			w.WriteByte('\n')
		}
		w.WriteString("# TYPE ")
		w.WriteString(f.Name)
		w.WriteByte(' ')
		w.WriteString(f.Type)
		w.WriteByte('\n')
		for i := range f.Metrics {
			m := &f.Metrics[i]
			switch f.Type {
			case "histogram":
				for _, b := range m.Buckets {
					writeSeries(w, f.Name, "_bucket", m.Labels, "le", appendFloat(num[:0], b.UpperBound))
					w.WriteString(strconv.FormatUint(b.Count, 10))
					w.WriteByte('\n')
				}
				writeSeries(w, f.Name, "_bucket", m.Labels, "le", []byte("+Inf"))
				w.WriteString(strconv.FormatUint(m.Count, 10))
				w.WriteByte('\n')
				sumCount(f.Name, m)
			case "summary":
				for _, q := range m.Quantiles {
					writeSeries(w, f.Name, "", m.Labels, "quantile", appendFloat(num[:0], q.Q))
					float(q.Value)
					w.WriteByte('\n')
				}
				sumCount(f.Name, m)
			default:
				writeSeries(w, f.Name, "", m.Labels, "", nil)
				float(m.Value)
				w.WriteByte('\n')
			}
		}
	}
}

// writeSeries writes name+suffix{labels,extra="extraValue"} and the space
// before the value.
func writeSeries(w *bufio.Writer, name, suffix string, labels []Label, extra string, extraValue []byte) {
	w.WriteString(name)
	w.WriteString(suffix)
	if len(labels) > 0 || extra != "" {
		w.WriteByte('{')
		for i, l := range labels {
			if i > 0 {
				w.WriteByte(',')
			}
			w.WriteString(l.Name)
			w.WriteString(`="`)
			writeEscaped(w, l.Value, true)
			w.WriteByte('"')
		}
		if extra != "" {
			if len(labels) > 0 {
				w.WriteByte(',')
			}
			w.WriteString(extra)
			w.WriteString(`="`)
			w.Write(extraValue)
			w.WriteByte('"')
		}
		w.WriteByte('}')
	}
	w.WriteByte(' ')
}

// writeEscaped escapes \ and newline (HELP text), and " too in a label
// value.
func writeEscaped(w *bufio.Writer, s string, quote bool) {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\':
			w.WriteString(`\\`)
		case c == '\n':
			w.WriteString(`\n`)
		case c == '"' && quote:
			w.WriteString(`\"`)
		default:
			w.WriteByte(c)
		}
	}
}

// appendFloat formats f as expfmt does: shortest representation, +Inf,
// -Inf and NaN by name.
func appendFloat(b []byte, f float64) []byte {
	switch {
	case f == 1:
		return append(b, '1')
	case f == 0:
		return append(b, '0')
	case f == -1:
		return append(b, "-1"...)
	case math.IsNaN(f):
		return append(b, "NaN"...)
	case math.IsInf(f, +1):
		return append(b, "+Inf"...)
	case math.IsInf(f, -1):
		return append(b, "-Inf"...)
	}
	return strconv.AppendFloat(b, f, 'g', -1, 64)
}
