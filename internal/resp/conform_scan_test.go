package resp

import (
	"strconv"
	"testing"
)

// TestScanCursorsFitClients: every cursor SCAN returns fits a double's
// 53-bit mantissa (so also a signed 64-bit integer: phpredis 5 reads it
// with atol and looped forever on a cursor past 2^63, found by its own
// testScan), and an iteration in small steps returns every key.
func TestScanCursorsFitClients(t *testing.T) {
	s, _ := startServer(t, Config{Goroutines: true})
	c := dial(t, s)
	const n = 3000
	args := []string{"MSET"}
	for i := 0; i < n; i++ {
		args = append(args, "key:"+strconv.Itoa(i), "v")
	}
	c.expect("+OK\r\n", args...)
	seen := map[string]bool{}
	cursor := "0"
	for steps := 0; ; steps++ {
		if steps > n {
			t.Fatal("SCAN did not end")
		}
		c.send(encode("SCAN", cursor, "COUNT", "7"))
		rp, err := parseReply(c.r)
		if err != nil || len(rp.kids) != 2 {
			t.Fatalf("SCAN reply %q: %v", rp.raw, err)
		}
		cur, err := strconv.ParseUint(rp.kids[0].head, 10, 64)
		if err != nil || cur >= 1<<53 {
			t.Fatalf("cursor %q does not fit 53 bits", rp.kids[0].head)
		}
		for _, k := range rp.kids[1].kids {
			seen[k.head] = true
		}
		if cur == 0 {
			break
		}
		cursor = rp.kids[0].head
	}
	if len(seen) != n {
		t.Errorf("SCAN returned %d of %d keys", len(seen), n)
	}
}
