package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// kvfuncs.c stops reading the presence filter before a get's call into Go
// while gets rarely miss (windows of 256 gets with fewer than 1 in 16
// misses), and reads it again once they do: only the cost may change.
// This drives one PHP thread through both modes and back — many hits on
// keys read once each (never published, so they reach the filter's
// stage), then misses on absent and deleted keys, then hits again — and
// checks every answer and the store's hit and miss counts (RESP INFO),
// which the misses answered by Go instead of the filter must keep exact.
const kvFilterSkipPHP = `<?php
header('Content-Type: application/json');
$phase = $_GET['phase'];
$bad = [];
if ($phase === 'fill') {
    for ($i = 0; $i < 3000; $i++) { ephpm_kv_set("fs:k:$i", "v$i"); }
    for ($i = 0; $i < 100; $i++) { ephpm_kv_set("fs:gone:$i", "x"); ephpm_kv_del("fs:gone:$i"); }
    echo json_encode(['bad' => $bad]);
    return;
}
$hits = 0; $misses = 0;
// Hits on 1500 keys, each read once (a second read within 400 ms would
// publish it, and C would answer it before the filter's stage).
$off = $phase === 'a' ? 0 : 1500;
for ($i = $off; $i < $off + 1500; $i++) {
    $v = ephpm_kv_get("fs:k:$i");
    if ($v !== "v$i") { $bad[] = "fs:k:$i read " . var_export($v, true); }
    $hits++;
}
if ($phase === 'a') {
    // Misses right after many hits (the filter not read at first), then
    // enough of them that it is read again: absent keys, deleted keys,
    // and a key deleted by this script after it was read.
    for ($i = 0; $i < 1000; $i++) {
        $k = $i % 10 === 0 ? "fs:gone:" . ($i / 10) : "fs:absent:$i";
        $v = ephpm_kv_get($k);
        if ($v !== null) { $bad[] = "$k read " . var_export($v, true); }
        $misses++;
    }
    ephpm_kv_del("fs:k:0");
    if (ephpm_kv_get("fs:k:0") !== null) { $bad[] = "fs:k:0 read after its del"; }
    $misses++;
}
echo json_encode(['bad' => $bad, 'hits' => $hits, 'misses' => $misses]);
`

func TestKVFilterSkipKeepsAnswersAndCounts(t *testing.T) {
	root := t.TempDir()
	must(t, os.WriteFile(filepath.Join(root, "fs.php"), []byte(kvFilterSkipPHP), 0o644))
	s := start(t, root, "[kv.resp]\nlisten = \"127.0.0.1:0\"\n")
	m := respListenRe.FindStringSubmatch(s.Log())
	if m == nil {
		t.Fatalf("no RESP listen line in the log:\n%s", s.Log())
	}
	c := dialRaw(t, m[1])
	stat := func(name string) int64 {
		t.Helper()
		line, err := c.roundTrip("*2\r\n$4\r\nINFO\r\n$5\r\nstats\r\n")
		if err != nil || !strings.HasPrefix(line, "$") {
			t.Fatalf("INFO: %q %v", line, err)
		}
		n, _ := strconv.Atoi(strings.TrimSpace(line[1:]))
		body := make([]byte, n+2)
		for got := 0; got < len(body); {
			k, err := c.r.Read(body[got:])
			if err != nil {
				t.Fatal(err)
			}
			got += k
		}
		v := regexp.MustCompile(`(?m)^` + name + `:(\d+)`).FindSubmatch(body)
		if v == nil {
			t.Fatalf("no %s in INFO stats:\n%s", name, body)
		}
		x, _ := strconv.ParseInt(string(v[1]), 10, 64)
		return x
	}
	run := func(phase string) (hits, misses int64) {
		t.Helper()
		r := s.get(t, "/fs.php?phase="+phase)
		var out struct {
			Bad          []string
			Hits, Misses int64
		}
		if err := json.Unmarshal([]byte(r.Body), &out); err != nil {
			t.Fatalf("%s: %v", r.Body, err)
		}
		if len(out.Bad) > 0 {
			t.Fatalf("phase %s: wrong answers: %v", phase, out.Bad)
		}
		return out.Hits, out.Misses
	}
	run("fill")
	for _, phase := range []string{"a", "b"} {
		h0, m0 := stat("keyspace_hits"), stat("keyspace_misses")
		hits, misses := run(phase)
		if dh, dm := stat("keyspace_hits")-h0, stat("keyspace_misses")-m0; dh != hits || dm != misses {
			t.Errorf("phase %s: INFO counted %d hits and %d misses, PHP made %d and %d", phase, dh, dm, hits, misses)
		}
	}
}
