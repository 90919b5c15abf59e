<?php
// Shared strings (issue 16): in request mode a published value of 4 KB or
// more comes back from ephpm_kv_get as the store's own interned string,
// not a copy. Whatever PHP does with it, and however often its key is
// overwritten meanwhile, a value a script holds stays the value it read.
// Prints "N passed, M failed" and, on a line of its own, "shared=0|1"
// (whether gets returned the value without a copy: memory barely grows).
header('Content-Type: text/plain');
// op=write / op=read: one PHP thread overwrites a hot 60 KB key while
// others read it and hold what they read (ZTS); every value names itself
// (its letter repeated, then ":i"), so a held value that changed shows.
function sh_value(int $i): string { return str_repeat(chr(65 + $i % 26), 60000) . ":$i"; }
function sh_intact(string $v): bool {
    $p = strrpos($v, ':');
    return $p === 60000 && $v === sh_value((int)substr($v, $p + 1));
}
$op = $_GET['op'] ?? 'check';
if ($op === 'write') {
    $n = (int)($_GET['n'] ?? 1);
    $pause = (int)($_GET['us'] ?? 0); // so that readers publish each value
    for ($i = 1; $i <= $n; $i++) {
        ephpm_kv_set('sh:race', sh_value($i));
        if ($pause) { usleep($pause); }
    }
    echo "wrote $n\n";
    return;
}
if ($op === 'read') {
    $deadline = hrtime(true) + (int)($_GET['ms'] ?? 1000) * 1000000;
    $held = [];
    $reads = 0;
    $bad = 0;
    while (hrtime(true) < $deadline) {
        $v = ephpm_kv_get('sh:race');
        $reads++;
        if ($v === null || !sh_intact($v)) { $bad++; continue; }
        // With the number it had when read: a buffer reused for a later
        // value would still be a well-formed value, but another one.
        // Up to 500 distinct values, so the held ones span the overwrites;
        // of each, the latest read (the first ones come from Go, copied:
        // a value is published once read twice).
        $i = substr($v, 60001);
        if ($held !== [] && end($held)[1] === $i) {
            $held[count($held) - 1] = [$v, $i];
        } elseif (count($held) < 500) {
            $held[] = [$v, $i];
        }
    }
    foreach ($held as [$v, $i]) { if (!sh_intact($v) || substr($v, 60001) !== $i) { $bad++; } }
    echo json_encode(['reads' => $reads, 'held' => count($held), 'bad' => $bad, 'mem' => memory_get_usage()]);
    return;
}
$pass = 0;
$fail = 0;
function check(string $what, bool $ok): void {
    global $pass, $fail;
    if ($ok) { $pass++; } else { $fail++; echo "FAIL $what\n"; }
}
function hot(string $k): void {
    for ($i = 0; $i < 4; $i++) { ephpm_kv_get($k); }
}
function keep($v) { static $kept = []; $kept[] = $v; return count($kept); }

ephpm_kv_flush_all();
$n = 65536;
$big = str_repeat('A', $n);
ephpm_kv_set('sh:k', $big);
hot('sh:k');

// Many reads of the key into an array: without copies memory barely grows.
$m0 = memory_get_usage();
$held = [];
for ($i = 0; $i < 50; $i++) { $held[] = ephpm_kv_get('sh:k'); }
$shared = (memory_get_usage() - $m0) < 50 * $n / 4;
$v = $held[0];
check('read', $v === $big);

// What PHP does with a string, on the shared one.
$arr = [$v => 1];
check('array key', isset($arr[$big]) && array_key_first($arr) === $big);
check('array_flip', array_flip([$v])[$big] === 0);
check('md5', md5($v) === md5($big));
check('preg /u', preg_match('/^A+$/u', $v) === 1 && preg_match('/^A+$/u', $v) === 1);
check('strtolower', strtolower($v) === str_repeat('a', $n));
check('strtoupper (unchanged)', strtoupper($v) === $big);
$w = $v;
$w[0] = 'Z';
check('offset write separates', $w[0] === 'Z' && $v[0] === 'A' && $held[1][0] === 'A');
$c = $v;
$c .= '!';
check('append separates', strlen($c) === $n + 1 && strlen($v) === $n);
check('serialize', unserialize(serialize($v)) === $big);
check('json', json_decode(json_encode($v)) === $big);
keep($v);
ephpm_kv_set('sh:copy', $v);
check('set from a shared value', ephpm_kv_get('sh:copy') === $big);
$o = new stdClass();
$o->{$v} = 1;
check('property name', isset($o->{$big}));

// Overwrite the key many times (each new value published and read again)
// while $held keeps the first one.
for ($i = 0; $i < 300; $i++) {
    $nv = str_repeat(chr(66 + $i % 20), $n) . $i;
    ephpm_kv_set('sh:k', $nv);
    hot('sh:k');
    $got = ephpm_kv_get('sh:k');
    if ($got !== $nv) { check("read after write $i", false); break; }
    $held[] = $got;
    if ($i % 3 == 0) { ephpm_kv_del('sh:k'); }
}
$bad = 0;
foreach (array_slice($held, 0, 50) as $h) { if ($h !== $big) { $bad++; } }
check("held values intact ($bad changed)", $bad === 0);
$bad = 0;
foreach (array_slice($held, 50) as $i => $h) {
    if ($h !== str_repeat(chr(66 + $i % 20), $n) . $i) { $bad++; }
}
check("later held values intact ($bad changed)", $bad === 0);
check('kept', keep($v) === 2);

echo "shared=", $shared ? 1 : 0, "\n";
echo "$pass passed, $fail failed\n";
