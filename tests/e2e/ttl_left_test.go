package e2e

import (
	"strconv"
	"testing"
	"time"
)

// ttlLeft checks a TTL reply (seconds) read some time after the TTL was
// set (at or after since): at most set, and no lower than the wall time
// elapsed since allows (plus one for rounding). Between the set and the
// read these tests start processes (redis-cli, PHP) or make requests, so on
// a loaded machine more than a second may pass: an exact "set or set-1"
// flaked. A lost TTL (-1), a missing key (-2) or a wrong TTL still fails.
func ttlLeft(t *testing.T, what, reply string, set int64, since time.Time) {
	t.Helper()
	got, err := strconv.ParseInt(reply, 10, 64)
	elapsed := int64(time.Since(since) / time.Second)
	if err != nil || got > set || got < set-elapsed-1 {
		t.Errorf("%s: %q, want %d minus the %d s elapsed (at most 1 less)", what, reply, set, elapsed)
	}
}
