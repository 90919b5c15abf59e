<?php
// Time per call, in ns, of the built-in KV functions next to APCu and
// phpredis, all from this one embedded PHP. Output: JSON.
header('Content-Type: application/json');
$n = (int)($_GET['n'] ?? 200000);
$redisN = (int)($_GET['redis_n'] ?? 20000);
$rounds = (int)($_GET['rounds'] ?? 12);
$value = str_repeat('v', 32);
$out = ['n' => $n, 'redis_n' => $redisN, 'rounds' => $rounds, 'php' => PHP_VERSION, 'zts' => PHP_ZTS, 'ops' => []];

function timeit(int $n, callable $fn): float {
    $fn(min($n, 1000)); // warm up
    $best = INF;
    for ($round = 0; $round < 3; $round++) {
        $t = hrtime(true);
        $fn($n);
        $best = min($best, (hrtime(true) - $t) / $n);
    }
    return $best;
}

// Pairs are timed interleaved, in short rounds (in alternating order),
// keeping each side's best round: a busy machine then slows both sides
// alike instead of whichever happened to run during a burst.
function timepair(int $n, int $rounds, callable $a, callable $b): array {
    $chunk = max(1000, intdiv($n, 4));
    $a(1000); $b(1000); // warm up
    $best = [INF, INF];
    for ($round = 0; $round < $rounds; $round++) {
        // a b, then b a: neither side always runs first.
        foreach (($round & 1) ? [1, 0] : [0, 1] as $i) {
            $fn = $i ? $b : $a;
            $t = hrtime(true);
            $fn($chunk);
            $best[$i] = min($best[$i], (hrtime(true) - $t) / $chunk);
        }
    }
    return $best;
}

// The loop itself, to subtract: a closure call per op is the same for all.
$empty = timepair($n, $rounds, function ($n) { for ($i = 0; $i < $n; $i++) { } }, function ($n) { for ($i = 0; $i < $n; $i++) { } });
$empty = min($empty);
$out['loop_ns'] = $empty;

$keys = [];
for ($i = 0; $i < 1000; $i++) { $keys[] = sprintf('bench:key:%06d', $i); }

$apcu = function_exists('apcu_fetch') && apcu_enabled();
if (!$apcu) {
    $out['apcu_missing'] = true;
}
foreach ($keys as $k) {
    ephpm_kv_set($k, $value);
    if ($apcu) { apcu_store($k, $value); }
}
if ($apcu) { apcu_store('bench:counter', 0); }

$ops = [
    'get_hit' => [
        function ($n) use ($keys) { for ($i = 0; $i < $n; $i++) { ephpm_kv_get($keys[$i & 511]); } },
        function ($n) use ($keys) { for ($i = 0; $i < $n; $i++) { apcu_fetch($keys[$i & 511]); } },
    ],
    'get_miss' => [
        function ($n) { for ($i = 0; $i < $n; $i++) { ephpm_kv_get('bench:missing'); } },
        function ($n) { for ($i = 0; $i < $n; $i++) { apcu_fetch('bench:missing'); } },
    ],
    'set' => [
        function ($n) use ($keys, $value) { for ($i = 0; $i < $n; $i++) { ephpm_kv_set($keys[$i & 511], $value); } },
        function ($n) use ($keys, $value) { for ($i = 0; $i < $n; $i++) { apcu_store($keys[$i & 511], $value); } },
    ],
    'incr_by' => [
        function ($n) { for ($i = 0; $i < $n; $i++) { ephpm_kv_incr_by('bench:counter', 1); } },
        function ($n) { for ($i = 0; $i < $n; $i++) { apcu_inc('bench:counter', 1); } },
    ],
];
foreach ($ops as $op => [$e, $a]) {
    if ($apcu) {
        [$te, $ta] = timepair($n, $rounds, $e, $a);
        $out['ops']['ephpm'][$op] = $te - $empty;
        $out['ops']['apcu'][$op] = $ta - $empty;
    } else {
        $out['ops']['ephpm'][$op] = timeit($n, $e) - $empty;
    }
}

// phpredis against a local redis-server
if (class_exists('Redis') && isset($_GET['redis_port'])) {
    $r = new Redis();
    $r->connect('127.0.0.1', (int)$_GET['redis_port']);
    foreach ($keys as $k) { $r->set($k, $value); }
    $out['ops']['phpredis']['get_hit'] = timeit($redisN, function ($n) use ($r, $keys) { for ($i = 0; $i < $n; $i++) { $r->get($keys[$i & 511]); } }) - $empty;
    $out['ops']['phpredis']['get_miss'] = timeit($redisN, function ($n) use ($r) { for ($i = 0; $i < $n; $i++) { $r->get('bench:missing'); } }) - $empty;
    $out['ops']['phpredis']['set'] = timeit($redisN, function ($n) use ($r, $keys, $value) { for ($i = 0; $i < $n; $i++) { $r->set($keys[$i & 511], $value); } }) - $empty;
    $out['ops']['phpredis']['incr_by'] = timeit($redisN, function ($n) use ($r) { for ($i = 0; $i < $n; $i++) { $r->incrBy('bench:counter', 1); } }) - $empty;
} else {
    $out['redis_missing'] = true;
}
echo json_encode($out, JSON_PRETTY_PRINT);
