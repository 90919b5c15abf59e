<?php
// Probes for the thread-safe build: CPU work, KV races across PHP threads,
// and what a request can see of the thread it runs on.
header('Content-Type: application/json');
$op = $_GET['op'] ?? 'cpu';
switch ($op) {
    case 'cpu':
        // CPU work, no I/O, so only the number of PHP threads decides how
        // many of these run at once. Each counts itself in while it runs
        // and reports the most requests it saw inside at one moment: the
        // overlap itself, whatever the cores are doing (a busy machine
        // time-slices two threads; one thread never overlaps).
        $n = (int)($_GET['n'] ?? 2000000);
        $gauge = $_GET['gauge'] ?? 'cpu:inside';
        $most = ephpm_kv_incr($gauge);
        $x = 0;
        for ($i = 0; $i < $n; $i++) {
            $x = ($x * 31 + $i) % 1000003;
            if ($i % 50000 == 0) {
                $most = max($most, (int)ephpm_kv_get($gauge));
            }
        }
        ephpm_kv_decr($gauge);
        echo json_encode(['result' => $x, 'most_inside' => $most]);
        break;
    case 'incr_loop':
        // Many increments in one request, so that requests on different
        // threads hit the same counter at the same moment.
        $n = (int)($_GET['n'] ?? 1000);
        $last = 0;
        for ($i = 0; $i < $n; $i++) {
            $last = ephpm_kv_incr_by($_GET['key'] ?? 'c', 1);
        }
        echo json_encode(['last' => $last]);
        break;
    case 'incr_mixed':
        // Increments while the same key gets a TTL, is read, and other
        // keys come and go: a counter moves between the store's fast
        // paths and its general one, and no increment may be lost.
        $n = (int)($_GET['n'] ?? 1000);
        $who = (int)($_GET['who'] ?? 0);
        for ($i = 0; $i < $n; $i++) {
            $key = $_GET['key'] ?? 'mixed';
            ephpm_kv_incr_by($key, 1);
            if ($i % 97 == 0) { ephpm_kv_expire($key, 3600 + $who); }
            if ($i % 89 == 0) { ephpm_kv_get($key); ephpm_kv_ttl($key); }
            if ($i % 101 == 0) { ephpm_kv_set("tmp$who", 'x'); ephpm_kv_del("tmp$who"); }
        }
        echo json_encode(['done' => $n]);
        break;
    case 'setnx_at':
        // Every caller waits for the same wall-clock instant, then races.
        time_sleep_until((float)$_GET['at']);
        $won = ephpm_kv_setnx($_GET['key'] ?? 'race', $_GET['value'] ?? '', 0);
        echo json_encode(['won' => $won]);
        break;
    case 'state':
        // A global and a static must start fresh in every request, on
        // whichever thread it lands.
        static $calls = 0;
        $calls++;
        $GLOBALS['seen'] = ($GLOBALS['seen'] ?? 0) + 1;
        echo json_encode(['calls' => $calls, 'seen' => $GLOBALS['seen'],
            'defined' => defined('EPHPM_TEST_CONST'), 'ini' => ini_get('precision')]);
        define('EPHPM_TEST_CONST', 1);
        ini_set('precision', '3');
        break;
}
