//go:build !linux

package kv

// Published values need an anonymous mapping and the coarse monotonic
// clock's relation to the store's clock: Linux only (ephpm's platform).
func mapAnon(size int) []byte                { return nil }
func calibrateCoarse(now func() int64) int64 { return 0 }
func coarseNow(cbase int64) int64            { return 0 }
func unmapAnon(b []byte)                     {}
