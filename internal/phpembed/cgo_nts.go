//go:build !ephpm_static

package phpembed

// The quick default: Debian's libphp8.2-embed (non-thread-safe, shared).
// `make release` builds with -tags ephpm_static and CGO_CFLAGS/CGO_LDFLAGS
// pointing at the project's own thread-safe static libphp instead.

/*
#cgo CFLAGS: -I/usr/include/php/20220829 -I/usr/include/php/20220829/main -I/usr/include/php/20220829/TSRM -I/usr/include/php/20220829/Zend -I/usr/include/php/20220829/ext -I/usr/include/php/20220829/ext/date/lib
#cgo CFLAGS: -D_GNU_SOURCE -O2
#cgo LDFLAGS: -lphp8.2
*/
import "C"
