package config

import (
	"regexp"
	"sync"
)

// lazyRegexp compiles expr on first use. A package-level MustCompile runs
// in every start of the binary, `ephpm php -r` and `ephpm version`
// included, which never validate a configuration: compiling this package's
// expressions at init allocated ~70 KB and cost ~20 page faults of every
// start (GODEBUG=inittrace=1, perf record -e page-faults).
func lazyRegexp(expr string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(expr) })
}
