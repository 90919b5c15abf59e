<?php
// Checks of ephpm_kv_wait (issue 11) that one process can make alone:
// run inside the server (in-process store) and by `ephpm php --config`
// (the server's store over [kv.resp]). Prints one line per failure and a
// final "N passed, M failed".
header('Content-Type: text/plain');
$p = 'waitcheck:' . bin2hex(random_bytes(6)) . ':';
require_once __DIR__ . '/check_harness.php';

function ms(int $since): float { return (hrtime(true) - $since) / 1e6; }

// last_version 0: at once, with the current version (missing key: null).
$t = hrtime(true);
$r = ephpm_kv_wait($p . 'a', 0, 10000);
check('last 0 answers at once', ms($t) < 2000, true);
check('result keys', is_array($r) ? array_keys($r) : $r, ['version', 'value']);
check('missing value is null', $r['value'] ?? 'absent', 'absent');
check('version is a positive int', is_int($r['version']) && $r['version'] > 0, true);
$v0 = $r['version'];

// Unchanged: false at the timeout, not before.
$t = hrtime(true);
check('unchanged times out false', ephpm_kv_wait($p . 'a', $v0, 300), false);
check('waited the timeout', ms($t) >= 250, true);
check('timeout 0 unchanged', ephpm_kv_wait($p . 'a', $v0, 0), false);
check('negative timeout unchanged', ephpm_kv_wait($p . 'a', $v0, -5), false);

// A write gives a new version and the value, at once.
ephpm_kv_set($p . 'a', 'v1');
$t = hrtime(true);
$r = ephpm_kv_wait($p . 'a', $v0, 10000);
check('after a write: value', $r['value'] ?? null, 'v1');
check('after a write: at once', ms($t) < 2000, true);
check('after a write: new version', is_int($r['version'] ?? null) && $r['version'] !== $v0, true);
$v1 = $r['version'];
check('same version again: times out', ephpm_kv_wait($p . 'a', $v1, 0), false);
check('an old version answers at once', (ephpm_kv_wait($p . 'a', $v0, 0) ?: [])['value'] ?? null, 'v1');

// Binary values, deletes, counters, expiry.
ephpm_kv_set($p . 'a', "bin\0ary\xff");
$r = ephpm_kv_wait($p . 'a', $v1, 10000);
check('binary value', $r['value'] ?? null, "bin\0ary\xff");
$v2 = $r['version'];
ephpm_kv_del($p . 'a');
$r = ephpm_kv_wait($p . 'a', $v2, 10000);
check('after a delete: array', is_array($r), true);
check('after a delete: null', $r['value'] ?? 'absent', 'absent');

ephpm_kv_set($p . 'c', '1');
$vc = ephpm_kv_wait($p . 'c', 0, 0)['version'];
ephpm_kv_incr($p . 'c');
$r = ephpm_kv_wait($p . 'c', $vc, 10000);
check('after incr', $r['value'] ?? null, '2');
$vc = $r['version'];
ephpm_kv_incr_by($p . 'c', 5);
$r = ephpm_kv_wait($p . 'c', $vc, 10000);
check('after incr_by', $r['value'] ?? null, '7');

ephpm_kv_set($p . 'e', 'x', 1);
$ve = ephpm_kv_wait($p . 'e', 0, 0)['version'];
$t = hrtime(true);
$r = ephpm_kv_wait($p . 'e', $ve, 10000);
check('expiry wakes with null', is_array($r) && $r['value'] === null, true);
check('expiry not before the TTL', ms($t) >= 500, true);

// Types, as the other functions.
throws('key array', fn() => ephpm_kv_wait([], 0, 0), TypeError::class);
throws('last string', fn() => ephpm_kv_wait('k', 'x', 0), TypeError::class);
throws('timeout array', fn() => ephpm_kv_wait('k', 0, []), TypeError::class);
throws('two args', fn() => ephpm_kv_wait('k', 0), ArgumentCountError::class);
throws('four args', fn() => ephpm_kv_wait('k', 0, 0, 0), ArgumentCountError::class);

report();
