<?php
// Time per call, in ns, of the built-in KV functions next to APCu and
// phpredis, all from this one embedded PHP. Output: JSON.
header('Content-Type: application/json');
$n = (int)($_GET['n'] ?? 200000);
$redisN = (int)($_GET['redis_n'] ?? 20000);
$value = str_repeat('v', 32);
$out = ['n' => $n, 'php' => PHP_VERSION, 'zts' => PHP_ZTS, 'ops' => []];

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

// The loop itself, to subtract: a closure call per op is the same for all.
$empty = timeit($n, function ($n) { for ($i = 0; $i < $n; $i++) { } });
$out['loop_ns'] = $empty;

$keys = [];
for ($i = 0; $i < 1000; $i++) { $keys[] = sprintf('bench:key:%06d', $i); }

// ephpm
foreach ($keys as $k) { ephpm_kv_set($k, $value); }
$out['ops']['ephpm']['get_hit'] = timeit($n, function ($n) use ($keys) { for ($i = 0; $i < $n; $i++) { ephpm_kv_get($keys[$i & 511]); } }) - $empty;
$out['ops']['ephpm']['get_miss'] = timeit($n, function ($n) { for ($i = 0; $i < $n; $i++) { ephpm_kv_get('bench:missing'); } }) - $empty;
$out['ops']['ephpm']['set'] = timeit($n, function ($n) use ($keys, $value) { for ($i = 0; $i < $n; $i++) { ephpm_kv_set($keys[$i & 511], $value); } }) - $empty;
$out['ops']['ephpm']['incr_by'] = timeit($n, function ($n) { for ($i = 0; $i < $n; $i++) { ephpm_kv_incr_by('bench:counter', 1); } }) - $empty;

// APCu, loaded into the same embedded PHP
if (function_exists('apcu_fetch') && apcu_enabled()) {
    foreach ($keys as $k) { apcu_store($k, $value); }
    $out['ops']['apcu']['get_hit'] = timeit($n, function ($n) use ($keys) { for ($i = 0; $i < $n; $i++) { apcu_fetch($keys[$i & 511]); } }) - $empty;
    $out['ops']['apcu']['get_miss'] = timeit($n, function ($n) { for ($i = 0; $i < $n; $i++) { apcu_fetch('bench:missing'); } }) - $empty;
    $out['ops']['apcu']['set'] = timeit($n, function ($n) use ($keys, $value) { for ($i = 0; $i < $n; $i++) { apcu_store($keys[$i & 511], $value); } }) - $empty;
    apcu_store('bench:counter', 0);
    $out['ops']['apcu']['incr_by'] = timeit($n, function ($n) { for ($i = 0; $i < $n; $i++) { apcu_inc('bench:counter', 1); } }) - $empty;
} else {
    $out['apcu_missing'] = true;
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
