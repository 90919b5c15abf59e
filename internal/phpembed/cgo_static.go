//go:build ephpm_static

package phpembed

// The single-binary build: include paths and the static libphp.a with its
// dependencies come from CGO_CFLAGS / CGO_LDFLAGS, which the Makefile reads
// from the file scripts/build-php-zts.sh writes next to the built library.

/*
#cgo CFLAGS: -D_GNU_SOURCE -O2
*/
import "C"
