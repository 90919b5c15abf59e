<?php
// Read-your-own-writes inside one request: each write is followed at once
// by a read of the same key, which must see it, also when the key was read
// (and so may be in a client cache) just before. ?n= rounds, ?key= prefix.
// Answers how many reads after incr, set and del returned something else.
header('Content-Type: application/json');
$n = (int)($_GET['n'] ?? 200);
$k = $_GET['key'] ?? 'own';
$stale = ['incr' => 0, 'set' => 0, 'del' => 0, 'setnx' => 0];
$examples = [];
for ($i = 0; $i < $n; $i++) {
    ephpm_kv_get("$k:c");
    $v = ephpm_kv_incr("$k:c");
    if (($got = ephpm_kv_get("$k:c")) !== (string)$v) {
        $stale['incr']++;
        $examples[] = "incr returned $v, get then " . var_export($got, true);
    }
    ephpm_kv_get("$k:s");
    ephpm_kv_set("$k:s", "v$i");
    if (($got = ephpm_kv_get("$k:s")) !== "v$i") {
        $stale['set']++;
        $examples[] = "set v$i, get then " . var_export($got, true);
    }
    ephpm_kv_del("$k:s");
    if (($got = ephpm_kv_get("$k:s")) !== null) {
        $stale['del']++;
        $examples[] = "del, get then " . var_export($got, true);
    }
    ephpm_kv_setnx("$k:s", "nx$i");
    if (($got = ephpm_kv_get("$k:s")) !== "nx$i") {
        $stale['setnx']++;
        $examples[] = "setnx nx$i, get then " . var_export($got, true);
    }
}
echo json_encode(['rounds' => $n, 'stale' => $stale, 'examples' => array_slice($examples, 0, 5)]);
