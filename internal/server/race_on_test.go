//go:build race

package server

// raceEnabled: the race detector makes sync.Pool drop items at random,
// so pooling cannot be measured.
const raceEnabled = true
