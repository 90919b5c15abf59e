<?php
// One operation in a loop, for profiling the ephpm process while it runs:
//   curl 'http://127.0.0.1:PORT/loop.php?op=incr&n=40000000' &
//   perf record -g -p PID -- sleep 3
// op: incr set get miss (ephpm_kv_*), ainc aset aget (APCu), empty; size:
// the values' bytes (32).
// Prints ns per call (loop included).
$n = (int)($_GET['n'] ?? 5000000);
$op = $_GET['op'] ?? 'incr';
$v = str_repeat('v', (int)($_GET['size'] ?? 32));
$keys = [];
for ($i = 0; $i < 1000; $i++) { $keys[] = sprintf('bench:key:%06d', $i); ephpm_kv_set($keys[$i], $v); if (function_exists('apcu_store')) apcu_store($keys[$i], $v);}
$t = hrtime(true);
switch ($op) {
case 'incr': for ($i = 0; $i < $n; $i++) { ephpm_kv_incr_by('bench:counter', 1); } break;
case 'set': for ($i = 0; $i < $n; $i++) { ephpm_kv_set($keys[$i & 511], $v); } break;
case 'get': for ($i = 0; $i < $n; $i++) { ephpm_kv_get($keys[$i & 511]); } break;
case 'miss': for ($i = 0; $i < $n; $i++) { ephpm_kv_get('bench:missing'); } break;
case 'ainc': apcu_store('bench:counter', 0); for ($i = 0; $i < $n; $i++) { apcu_inc('bench:counter', 1); } break;
case 'aset': for ($i = 0; $i < $n; $i++) { apcu_store($keys[$i & 511], $v); } break;
case 'aget': for ($i = 0; $i < $n; $i++) { apcu_fetch($keys[$i & 511]); } break;
case 'empty': for ($i = 0; $i < $n; $i++) { } break;
}
printf("%s %.1f ns\n", $op, (hrtime(true)-$t)/$n);
