<?php
// Published values (issue 16): a key read twice is answered by C from the
// store's published copy; every write, wherever it comes from, must show
// in the next get. op=check runs the checks and prints "N passed, M
// failed"; op=write / op=read race across PHP threads (ZTS).
$op = $_GET['op'] ?? 'check';
$pass = 0;
$fail = 0;
function check(string $what, $got, $want): void {
    global $pass, $fail;
    if ($got === $want) {
        $pass++;
    } else {
        $fail++;
        echo "FAIL $what: got ", var_export($got, true), ", want ", var_export($want, true), "\n";
    }
}
// Makes $k hot: read until the store publishes it (twice suffices).
function hot(string $k): void {
    for ($i = 0; $i < 4; $i++) { ephpm_kv_get($k); }
}

switch ($op) {
case 'check':
    header('Content-Type: text/plain');
    ephpm_kv_flush_all();
    $sizes = [16, 1024, 65536, 65537];
    foreach ($sizes as $n) {
        $v = str_repeat(chr(65 + $n % 26), $n - 1) . "\0";
        ephpm_kv_set("pub:size:$n", $v);
        hot("pub:size:$n");
        check("value of $n bytes", ephpm_kv_get("pub:size:$n"), $v);
    }
    // Binary-safe keys and values.
    ephpm_kv_set("pub:\0bin\xff", "a\0b");
    hot("pub:\0bin\xff");
    check('binary', ephpm_kv_get("pub:\0bin\xff"), "a\0b");
    check('binary key prefix is another key', ephpm_kv_get("pub:\0bin"), null);

    // Each write path, on a hot key, shows in the next get.
    $paths = [
        'set' => [fn($k) => ephpm_kv_set($k, 'new'), 'new'],
        'set ttl' => [fn($k) => ephpm_kv_set($k, 'new', 100), 'new'],
        'setnx (live: no change)' => [fn($k) => ephpm_kv_setnx($k, 'new'), '41'],
        'incr' => [fn($k) => ephpm_kv_incr($k), '42'],
        'decr' => [fn($k) => ephpm_kv_decr($k), '40'],
        'incr_by' => [fn($k) => ephpm_kv_incr_by($k, 10), '51'],
        'del' => [fn($k) => ephpm_kv_del($k), null],
        'del_if_equals' => [fn($k) => ephpm_kv_del_if_equals($k, '41'), null],
        'del_if_equals (other value)' => [fn($k) => ephpm_kv_del_if_equals($k, 'x'), '41'],
        'del_prefix' => [fn($k) => ephpm_kv_del_prefix('pub:path:'), null],
        'flush_all' => [fn($k) => ephpm_kv_flush_all(), null],
        'expire' => [fn($k) => ephpm_kv_expire($k, 100), '41'],
    ];
    foreach ($paths as $name => [$write, $want]) {
        $k = 'pub:path:' . $name;
        ephpm_kv_set($k, '41');
        hot($k);
        check("$name: before", ephpm_kv_get($k), '41');
        $write($k);
        check("$name: after", ephpm_kv_get($k), $want);
        hot($k); // published again
        check("$name: republished", ephpm_kv_get($k), $want);
    }
    check('ttl after expire', ephpm_kv_ttl('pub:path:expire'), 100);

    // Expiry: a hot key with a 1 s TTL reads until it expires, then null
    // (C compares the deadline on its own clock), and never again after.
    ephpm_kv_set('pub:ttl', 'short', 1);
    hot('pub:ttl');
    check('ttl: alive', ephpm_kv_get('pub:ttl'), 'short');
    $t0 = hrtime(true);
    $lastSeen = 0;
    while (($g = ephpm_kv_get('pub:ttl')) !== null) {
        $lastSeen = hrtime(true);
        if ($lastSeen - $t0 > 3e9) { break; }
        usleep(1000);
    }
    check('ttl: gone', $g, null);
    check('ttl: seen no later than its second', ($lastSeen - $t0) < 1.0e9, true);
    usleep(20000);
    check('ttl: still gone', ephpm_kv_get('pub:ttl'), null);

    // The memory limit: hot keys evicted by writes. get (C) must agree
    // with exists (Go) on every key.
    if (isset($_GET['evict'])) {
        for ($i = 0; $i < 64; $i++) {
            ephpm_kv_set("pub:evict:$i", "value $i");
            hot("pub:evict:$i");
        }
        for ($i = 0; $i < 20000; $i++) {
            ephpm_kv_set("pub:fill:$i", str_repeat('f', 200));
        }
        $gone = 0;
        for ($i = 0; $i < 64; $i++) {
            $g = ephpm_kv_get("pub:evict:$i");
            $e = ephpm_kv_exists("pub:evict:$i");
            if ($g === null) { $gone++; }
            check("evict $i: get agrees with exists", $g === null ? false : $g === "value $i", $e);
        }
        check('some hot keys were evicted', $gone > 0, true);
    }
    echo "$pass passed, $fail failed\n";
    break;

case 'hot':
    // Reads the key until published; answers its value.
    header('Content-Type: application/json');
    hot($_GET['key']);
    echo json_encode(['result' => ephpm_kv_get($_GET['key'])]);
    break;

case 'write':
    // One writer: the key takes 1, 2, 3 ... (and sometimes a TTL).
    header('Content-Type: application/json');
    $n = (int)($_GET['n'] ?? 20000);
    $k = $_GET['key'] ?? 'pub:race';
    for ($i = 1; $i <= $n; $i++) {
        ephpm_kv_set($k, (string)$i, $i % 7 == 0 ? 60 : 0);
    }
    echo json_encode(['written' => $n]);
    break;

case 'read':
    // Readers: a key written 1, 2, 3 ... never reads backwards, and
    // never reads a value that was not written.
    header('Content-Type: application/json');
    $n = (int)($_GET['n'] ?? 50000);
    $k = $_GET['key'] ?? 'pub:race';
    $last = 0;
    $back = 0;
    $bad = 0;
    for ($i = 0; $i < $n; $i++) {
        $g = ephpm_kv_get($k);
        if ($g === null) { continue; }
        $v = (int)$g;
        if ((string)$v !== $g) { $bad++; continue; }
        if ($v < $last) { $back++; }
        $last = max($last, $v);
    }
    echo json_encode(['last' => $last, 'backwards' => $back, 'bad' => $bad]);
    break;
}
