<?php
// Stores N keys of 16 bytes with 32-byte values in the built-in store.
$n = (int)($_GET['n'] ?? 1000000);
$v = str_repeat('v', 32);
for ($i = 0; $i < $n; $i++) {
    ephpm_kv_set(sprintf('key:%012d', $i), $v);
}
echo "stored $n\n";
