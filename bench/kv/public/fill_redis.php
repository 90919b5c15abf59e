<?php
// Stores N keys of 16 bytes with 32-byte values in redis-server.
$n = (int)($_GET['n'] ?? 1000000);
$r = new Redis();
$r->connect('127.0.0.1', (int)$_GET['redis_port']);
$v = str_repeat('v', 32);
for ($i = 0; $i < $n; $i += 1000) {
    $p = $r->multi(Redis::PIPELINE);
    for ($j = $i; $j < min($n, $i + 1000); $j++) {
        $p->set(sprintf('key:%012d', $j), $v);
    }
    $p->exec();
}
echo "stored $n\n";
