<?php
// ephpm_kv_get (hit) vs apcu_fetch and ephpm_kv_set vs apcu_store, in this
// one embedded PHP, for one row: `keys` keys of 16 bytes holding values of
// `size` bytes. Both stores get the same keys; reads walk all of them in
// one shuffled order. ephpm and APCu are timed interleaved, `rounds`
// rounds of `n` calls each (alternating which goes first), and each
// side's median round is reported, minus the median of the same loop with
// no call in it. Output: JSON.
header('Content-Type: application/json');
$size = (int)($_GET['size'] ?? 16);
$nkeys = (int)($_GET['keys'] ?? 1000);
$n = (int)($_GET['n'] ?? 100000);
$rounds = (int)($_GET['rounds'] ?? 15);
if (!function_exists('apcu_fetch') || !apcu_enabled()) {
    echo json_encode(['error' => 'APCu is not loaded']);
    return;
}
$value = str_repeat('v', $size);
$keys = [];
for ($i = 0; $i < $nkeys; $i++) { $keys[] = sprintf('bench:k:%08d', $i); }
ephpm_kv_flush_all();
apcu_clear_cache();
foreach ($keys as $k) {
    ephpm_kv_set($k, $value);
    apcu_store($k, $value);
}
mt_srand(42);
shuffle($keys);
// Warm up: every key read (hence published by ephpm when it is read
// again, as in any steady state) and fetched.
foreach ([0, 1] as $_) {
    foreach ($keys as $k) { ephpm_kv_get($k); apcu_fetch($k); }
}

function median(array $a): float { sort($a); $c = count($a); return $c % 2 ? $a[intdiv($c, 2)] : ($a[$c / 2 - 1] + $a[$c / 2]) / 2; }

// The clock: wall time, or with ?cpu=1 the process's CPU time (user +
// system, getrusage), which a machine shared with other work disturbs
// less: a round descheduled for a while costs the same CPU. (Process-wide:
// the Go store's background goroutines count too; they are idle here.)
$GLOBALS['cpu_clock'] = !empty($_GET['cpu']);
function clock_ns(): int {
    if (!$GLOBALS['cpu_clock']) {
        return hrtime(true);
    }
    $r = getrusage();
    return ($r['ru_utime.tv_sec'] + $r['ru_stime.tv_sec']) * 1000000000
        + ($r['ru_utime.tv_usec'] + $r['ru_stime.tv_usec']) * 1000;
}

// Interleaved rounds; per side the median ns per call.
function timepair(int $n, int $rounds, array $fns): array {
    $t = array_fill(0, count($fns), []);
    $pos = 0;
    for ($round = 0; $round < $rounds; $round++) {
        $order = range(0, count($fns) - 1);
        if ($round & 1) { $order = array_reverse($order); }
        foreach ($order as $i) {
            $t0 = clock_ns();
            $fns[$i]($n, $pos);
            $t[$i][] = (clock_ns() - $t0) / $n;
        }
        $pos += $n;
    }
    return array_map('median', $t);
}

$K = count($keys);
$get = [
    function ($n, $p) use ($keys, $K) { for ($i = $p; $i < $p + $n; $i++) { $k = $keys[$i % $K]; } },
    function ($n, $p) use ($keys, $K) { for ($i = $p; $i < $p + $n; $i++) { ephpm_kv_get($keys[$i % $K]); } },
    function ($n, $p) use ($keys, $K) { for ($i = $p; $i < $p + $n; $i++) { apcu_fetch($keys[$i % $K]); } },
];
$set = [
    function ($n, $p) use ($keys, $K, $value) { for ($i = $p; $i < $p + $n; $i++) { $k = $keys[$i % $K]; } },
    function ($n, $p) use ($keys, $K, $value) { for ($i = $p; $i < $p + $n; $i++) { ephpm_kv_set($keys[$i % $K], $value); } },
    function ($n, $p) use ($keys, $K, $value) { for ($i = $p; $i < $p + $n; $i++) { apcu_store($keys[$i % $K], $value); } },
];
// A check that both really hit, with the right value.
$k = $keys[0];
if (ephpm_kv_get($k) !== $value || apcu_fetch($k) !== $value) {
    echo json_encode(['error' => 'a stored key did not read back']);
    return;
}
[$loop, $eg, $ag] = timepair($n, $rounds, $get);
[$loop2, $es, $as] = timepair($n, $rounds, $set);
echo json_encode([
    'php' => PHP_VERSION, 'zts' => PHP_ZTS, 'clock' => $GLOBALS['cpu_clock'] ? 'cpu' : 'wall', 'size' => $size, 'keys' => $nkeys, 'n' => $n, 'rounds' => $rounds,
    'loop_ns' => $loop,
    'get' => ['ephpm' => $eg - $loop, 'apcu' => $ag - $loop],
    'set' => ['ephpm' => $es - $loop2, 'apcu' => $as - $loop2],
]);
