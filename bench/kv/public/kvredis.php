<?php
// One timed chunk of one operation, for scripts/bench-kv-redis.sh: the
// ephpm_kv_* functions on whatever backend this node runs (memory, or Redis
// with or without the client cache), APCu in this same PHP, or phpredis to
// the Redis the node uses. One chunk per request, so the script can
// interleave chunks of different nodes (processes) round by round.
//   ?side=ephpm|apcu|phpredis &op=get_hit|get_miss|set|incr_by &n=N
//   [&redis_port=P]
// Output: JSON {ns: ns per call with the empty loop subtracted, loop_ns}.
header('Content-Type: application/json');
$side = $_GET['side'] ?? 'ephpm';
$op = $_GET['op'] ?? 'get_hit';
$n = max(1, (int)($_GET['n'] ?? 10000));
$value = str_repeat('v', 32);
$keys = [];
for ($i = 0; $i < 512; $i++) { $keys[] = sprintf('bench:key:%06d', $i); }

switch ($side) {
case 'ephpm':
    // The keys are (re)written before every chunk: with the Redis backend
    // another node or an earlier chunk may have left them otherwise.
    foreach ($keys as $k) { ephpm_kv_set($k, $value); }
    ephpm_kv_del('bench:missing');
    $fns = [
        'get_hit' => function ($n) use ($keys) { for ($i = 0; $i < $n; $i++) { ephpm_kv_get($keys[$i & 511]); } },
        'get_miss' => function ($n) { for ($i = 0; $i < $n; $i++) { ephpm_kv_get('bench:missing'); } },
        'set' => function ($n) use ($keys, $value) { for ($i = 0; $i < $n; $i++) { ephpm_kv_set($keys[$i & 511], $value); } },
        'incr_by' => function ($n) { for ($i = 0; $i < $n; $i++) { ephpm_kv_incr_by('bench:counter', 1); } },
    ];
    break;
case 'apcu':
    if (!function_exists('apcu_fetch') || !apcu_enabled()) { http_response_code(501); echo '{"error":"apcu missing"}'; exit; }
    foreach ($keys as $k) { apcu_store($k, $value); }
    apcu_delete('bench:missing');
    $fns = [
        'get_hit' => function ($n) use ($keys) { for ($i = 0; $i < $n; $i++) { apcu_fetch($keys[$i & 511]); } },
        'get_miss' => function ($n) { for ($i = 0; $i < $n; $i++) { apcu_fetch('bench:missing'); } },
        'set' => function ($n) use ($keys, $value) { for ($i = 0; $i < $n; $i++) { apcu_store($keys[$i & 511], $value); } },
        'incr_by' => function ($n) { for ($i = 0; $i < $n; $i++) { apcu_inc('bench:counter', 1); } },
    ];
    break;
case 'phpredis':
    if (!class_exists('Redis') || !isset($_GET['redis_port'])) { http_response_code(501); echo '{"error":"phpredis missing"}'; exit; }
    // Keys of its own ("phpredis:" prefix) in the same Redis as the
    // ephpm nodes, so neither side reads what the other wrote.
    $r = new Redis();
    $r->connect('127.0.0.1', (int)$_GET['redis_port']);
    $r->setOption(Redis::OPT_PREFIX, 'phpredis:');
    foreach ($keys as $k) { $r->set($k, $value); }
    $r->del('bench:missing');
    $fns = [
        'get_hit' => function ($n) use ($r, $keys) { for ($i = 0; $i < $n; $i++) { $r->get($keys[$i & 511]); } },
        'get_miss' => function ($n) use ($r) { for ($i = 0; $i < $n; $i++) { $r->get('bench:missing'); } },
        'set' => function ($n) use ($r, $keys, $value) { for ($i = 0; $i < $n; $i++) { $r->set($keys[$i & 511], $value); } },
        'incr_by' => function ($n) use ($r) { for ($i = 0; $i < $n; $i++) { $r->incrBy('bench:counter', 1); } },
    ];
    break;
default:
    http_response_code(400); echo '{"error":"unknown side"}'; exit;
}
if (!isset($fns[$op])) { http_response_code(400); echo '{"error":"unknown op"}'; exit; }
$fn = $fns[$op];

// Warm up (a client cache fills here, as it would on a busy node), then
// time the empty loop the same way and subtract it.
$fn(min($n, 1000));
$empty = function ($n) { for ($i = 0; $i < $n; $i++) { } };
$loop = INF;
for ($j = 0; $j < 3; $j++) {
    $t = hrtime(true);
    $empty($n);
    $loop = min($loop, (hrtime(true) - $t) / $n);
}
$t = hrtime(true);
$fn($n);
$ns = (hrtime(true) - $t) / $n;
echo json_encode(['side' => $side, 'op' => $op, 'n' => $n, 'ns' => $ns - $loop, 'loop_ns' => $loop]);
