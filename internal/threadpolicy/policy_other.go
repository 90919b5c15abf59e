//go:build !linux

package threadpolicy

import "errors"

// Apply does nothing where there are no Linux scheduling policies; the
// server runs with the system's default.
func Apply(p Policy) (int, error) {
	if p == Normal {
		return 0, nil
	}
	return 0, errors.New("scheduling policies are Linux only")
}
