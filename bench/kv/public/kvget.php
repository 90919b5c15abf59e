<?php
// Profiling aid (issue 16): only ephpm_kv_get hits on `keys` keys of
// `size` bytes, `n` calls after every key was read twice; prints ns per
// call. `apcu=1`: apcu_fetch instead; `op=set`: sets of the same value.
$size = (int)($_GET['size'] ?? 65536);
$nkeys = (int)($_GET['keys'] ?? 1000);
$n = (int)($_GET['n'] ?? 100000);
$apcu = !empty($_GET['apcu']);
$value = str_repeat('v', $size);
$keys = [];
for ($i = 0; $i < $nkeys; $i++) { $keys[] = sprintf('bench:k:%08d', $i); }
foreach ($keys as $k) { $apcu ? apcu_store($k, $value) : ephpm_kv_set($k, $value); }
shuffle($keys);
$passes = [];
foreach (range(1, (int)($_GET['passes'] ?? 2)) as $_) {
    $t0 = hrtime(true);
    foreach ($keys as $k) { $apcu ? apcu_fetch($k) : ephpm_kv_get($k); }
    $passes[] = round((hrtime(true) - $t0) / count($keys));
}
echo 'warm-up passes, ns per get: ', implode(' ', $passes), "\n";
$K = count($keys);
// This thread's CPU time (clock ticks of 10 ms: use loops of seconds).
function thread_cpu_ns(): float {
    $f = explode(' ', substr(strrchr(file_get_contents('/proc/thread-self/stat'), ')'), 2));
    return ($f[11] + $f[12]) * 1e7;
}
function ctxsw(): array {
    preg_match_all('/^(non)?voluntary_ctxt_switches:\s+(\d+)/m', file_get_contents('/proc/thread-self/status'), $m);
    return array_map('intval', $m[2]);
}
$s0 = ctxsw();
$c0 = thread_cpu_ns();
$t0 = hrtime(true);
if (($_GET['op'] ?? 'get') === 'set') {
    if ($apcu) {
        for ($i = 0; $i < $n; $i++) { apcu_store($keys[$i % $K], $value); }
    } else {
        for ($i = 0; $i < $n; $i++) { ephpm_kv_set($keys[$i % $K], $value); }
    }
} elseif ($apcu) {
    for ($i = 0; $i < $n; $i++) { apcu_fetch($keys[$i % $K]); }
} else {
    for ($i = 0; $i < $n; $i++) { ephpm_kv_get($keys[$i % $K]); }
}
$wall = (hrtime(true) - $t0) / $n;
$cpu = (thread_cpu_ns() - $c0) / $n;
$s1 = ctxsw();
echo 'ns per call: wall ', round($wall, 1), ', thread CPU ', round($cpu, 1),
    '; context switches per 1000 calls: voluntary ', round(($s1[0] - $s0[0]) * 1000 / $n, 1), ', involuntary ', round(($s1[1] - $s0[1]) * 1000 / $n, 1), "\n";
