// Package accept splits the value lists of HTTP's Accept-* request headers
// (RFC 9110 12.4-12.5: comma-separated elements, each a name with
// ;-separated parameters, q among them). It only tokenizes: what a missing,
// unreadable or out-of-range q means is the caller's choice (the server's
// content coding refuses a q it cannot read; /metrics keeps promhttp's
// reading, where it stays 1).
package accept

import (
	"strconv"
	"strings"
)

// Each calls fn for every non-empty element of the lists in values (all
// the header's lines): its name, trimmed and lowercased; its q, 1 when the
// element has none (the last q wins when there are several); and qErr,
// set when the last q parameter is not a number (q is then the last
// readable one, or 1).
func Each(values []string, fn func(name string, q float64, qErr bool)) {
	for _, line := range values {
		for item := range strings.SplitSeq(line, ",") {
			name, params, _ := strings.Cut(item, ";")
			name = strings.ToLower(strings.TrimSpace(name))
			if name == "" {
				continue
			}
			q, qErr := 1.0, false
			for p := range strings.SplitSeq(params, ";") {
				k, val, ok := strings.Cut(p, "=")
				if !ok || !strings.EqualFold(strings.TrimSpace(k), "q") {
					continue
				}
				f, err := strconv.ParseFloat(strings.TrimSpace(val), 64)
				if err != nil {
					qErr = true // q keeps the last readable value (or 1)
					continue
				}
				q, qErr = f, false
			}
			fn(name, q, qErr)
		}
	}
}
