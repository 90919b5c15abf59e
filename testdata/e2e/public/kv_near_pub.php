<?php
// Hot keys of the Redis backend's client cache answered by C from the
// near cache's published table (kvredis/near_pub.go). ?op=hot reads ?key=
// ?n= times over about ?ms= milliseconds (so that Go publishes it) and
// answers the last value. ?op=watch reads ?key= until it returns ?want=
// (up to 10 s), then ?after= more times, and answers how long it took and
// how many of the later reads returned something else: once a node
// answered the new value, C must never go back to the old copy.
// ?op=own sets ?key= to ?n= values in turn, each read back at once
// (read-your-own-writes through the C path: the key is hot and published
// between the writes), and counts the reads that missed their write.
header('Content-Type: application/json');
$op = $_GET['op'] ?? 'hot';
$k = $_GET['key'] ?? 'k';
$n = (int)($_GET['n'] ?? 20);
switch ($op) {
case 'hot':
    $ms = (int)($_GET['ms'] ?? 300);
    $v = null;
    for ($i = 0; $i < $n; $i++) {
        $v = ephpm_kv_get($k);
        usleep(intdiv($ms * 1000, max($n, 1)));
    }
    echo json_encode(['value' => $v]);
    break;
case 'watch':
    $want = $_GET['want'] ?? '';
    $wantNull = isset($_GET['null']);
    $t0 = hrtime(true);
    $seen = false;
    $reads = 0;
    while ((hrtime(true) - $t0) < 10e9) {
        $v = ephpm_kv_get($k);
        $reads++;
        if ($wantNull ? $v === null : $v === $want) {
            $seen = true;
            break;
        }
        usleep(200);
    }
    $ms = (hrtime(true) - $t0) / 1e6;
    $other = [];
    if ($seen) {
        for ($i = 0; $i < (int)($_GET['after'] ?? 200); $i++) {
            $v = ephpm_kv_get($k);
            if ($wantNull ? $v !== null : $v !== $want) {
                $other[] = $v;
            }
        }
    }
    echo json_encode(['seen' => $seen, 'ms' => $ms, 'reads' => $reads, 'other' => $other, 'last' => $v]);
    break;
case 'own':
    $missed = [];
    for ($i = 0; $i < $n; $i++) {
        // Hot before the write: read it a few times over a few ms, long
        // enough for the fence that lets it be cached (and so published).
        for ($j = 0; $j < 5; $j++) {
            ephpm_kv_get($k);
            usleep(2000);
        }
        ephpm_kv_set($k, "w$i");
        if (($got = ephpm_kv_get($k)) !== "w$i") {
            $missed[] = "set w$i, get then " . var_export($got, true);
        }
    }
    echo json_encode(['missed' => $missed]);
    break;
}
