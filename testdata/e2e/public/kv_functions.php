<?php
// Checks every ephpm_kv_* function against SPEC section 1, inside the real
// server. Prints one line per failure and a final "N passed, M failed".
header('Content-Type: text/plain');
$p = 'kvtest:' . bin2hex(random_bytes(6)) . ':';
require_once __DIR__ . '/check_harness.php';

// get / set
check('get miss', ephpm_kv_get($p . 'missing'), null);
check('set', ephpm_kv_set($p . 'a', 'alpha'), true);
check('get hit', ephpm_kv_get($p . 'a'), 'alpha');
check('set replaces', ephpm_kv_set($p . 'a', 'beta'), true);
check('get replaced', ephpm_kv_get($p . 'a'), 'beta');
check('empty value', ephpm_kv_set($p . 'empty', ''), true);
check('get empty value', ephpm_kv_get($p . 'empty'), '');
check('exists empty value', ephpm_kv_exists($p . 'empty'), true);

// binary safety
$bk = $p . "bin\0key";
$bv = "va\0lue\xff\x00end";
check('binary set', ephpm_kv_set($bk, $bv), true);
check('binary get', ephpm_kv_get($bk), $bv);
check('NUL key distinct from prefix', ephpm_kv_get($p . 'bin'), null);
$big = random_bytes(300000);
ephpm_kv_set($p . 'big', $big);
check('300 KB value', ephpm_kv_get($p . 'big') === $big, true);

// ttl / pttl / expire
check('ttl missing', ephpm_kv_ttl($p . 'missing'), -2);
check('pttl missing', ephpm_kv_pttl($p . 'missing'), -2);
check('ttl no expiry', ephpm_kv_ttl($p . 'a'), -1);
check('pttl no expiry', ephpm_kv_pttl($p . 'a'), -1);
ephpm_kv_set($p . 't', 'v', 100);
check('ttl rounds up', ephpm_kv_ttl($p . 't'), 100);
$pttl = ephpm_kv_pttl($p . 't');
check('pttl in range', $pttl > 99000 && $pttl <= 100000, true);
check('set ttl 0 = no expiry', ephpm_kv_set($p . 't0', 'v', 0) && ephpm_kv_ttl($p . 't0') === -1, true);
check('set negative ttl = no expiry', ephpm_kv_set($p . 'tn', 'v', -5) && ephpm_kv_ttl($p . 'tn') === -1, true);
// "Forever" written as a huge TTL: the key stays, with centuries left.
$centuries = 200 * 365 * 86400;
check('set huge ttl keeps the key', ephpm_kv_set($p . 'th', 'v', 9999999999) && ephpm_kv_get($p . 'th') === 'v', true);
check('huge ttl saturates', ephpm_kv_ttl($p . 'th') > $centuries, true);
check('setnx PHP_INT_MAX ttl', ephpm_kv_setnx($p . 'tx', 'v', PHP_INT_MAX) && ephpm_kv_exists($p . 'tx'), true);
check('expire PHP_INT_MAX', ephpm_kv_expire($p . 'th', PHP_INT_MAX) && ephpm_kv_ttl($p . 'th') > $centuries, true);
check('set replaces ttl', ephpm_kv_set($p . 't', 'v2') && ephpm_kv_ttl($p . 't') === -1, true);
check('expire existing', ephpm_kv_expire($p . 'a', 50), true);
check('ttl after expire', ephpm_kv_ttl($p . 'a'), 50);
check('expire missing', ephpm_kv_expire($p . 'missing', 10), false);
check('expire 0 refused', ephpm_kv_expire($p . 'a', 0), false);
check('expire negative refused', ephpm_kv_expire($p . 'a', -1), false);
check('ttl unchanged after refused expire', ephpm_kv_ttl($p . 'a'), 50);
ephpm_kv_set($p . 'short', 'v', 1);
check('short key live', ephpm_kv_get($p . 'short'), 'v');
usleep(1100000);
check('expired get', ephpm_kv_get($p . 'short'), null);
check('expired exists', ephpm_kv_exists($p . 'short'), false);
check('expired ttl', ephpm_kv_ttl($p . 'short'), -2);
check('setnx over expired', ephpm_kv_setnx($p . 'short', 'again'), true);

// setnx
check('setnx new', ephpm_kv_setnx($p . 'nx', 'first', 60), true);
check('setnx existing', ephpm_kv_setnx($p . 'nx', 'second'), false);
check('setnx kept first', ephpm_kv_get($p . 'nx'), 'first');
check('setnx ttl', ephpm_kv_ttl($p . 'nx'), 60);

// del / exists
check('del existing', ephpm_kv_del($p . 'nx'), 1);
check('del again', ephpm_kv_del($p . 'nx'), 0);
check('exists after del', ephpm_kv_exists($p . 'nx'), false);

// counters
check('incr new', ephpm_kv_incr($p . 'c'), 1);
check('incr', ephpm_kv_incr($p . 'c'), 2);
check('incr_by', ephpm_kv_incr_by($p . 'c', 10), 12);
check('incr_by negative', ephpm_kv_incr_by($p . 'c', -20), -8);
check('decr', ephpm_kv_decr($p . 'c'), -9);
check('decr new', ephpm_kv_decr($p . 'd'), -1);
check('counter stored as decimal', ephpm_kv_get($p . 'c'), '-9');
check('new counter no expiry', ephpm_kv_ttl($p . 'c'), -1);
ephpm_kv_set($p . 'n', '5', 100);
check('incr on "5"', ephpm_kv_incr_by($p . 'n', 1), 6);
check('incr keeps ttl', ephpm_kv_ttl($p . 'n'), 100);
check('get after incr', ephpm_kv_get($p . 'n'), '6');
ephpm_kv_set($p . 's', 'abc');
check('incr non-integer', ephpm_kv_incr($p . 's'), false);
check('non-integer untouched', ephpm_kv_get($p . 's'), 'abc');
ephpm_kv_set($p . 'f', '1.5');
check('incr float string', ephpm_kv_incr($p . 'f'), false);
ephpm_kv_set($p . 'max', (string)PHP_INT_MAX);
check('incr overflow', ephpm_kv_incr($p . 'max'), false);
check('overflow untouched', ephpm_kv_get($p . 'max'), (string)PHP_INT_MAX);
ephpm_kv_set($p . 'min', (string)PHP_INT_MIN);
check('decr underflow', ephpm_kv_decr($p . 'min'), false);
check('incr_by 0', ephpm_kv_incr_by($p . 'n', 0), 6);

// del_prefix / del_if_equals / flush_all
ephpm_kv_set($p . 'pre:1', 'x');
ephpm_kv_set($p . 'pre:2', 'x');
ephpm_kv_set($p . 'pre:3', 'x');
ephpm_kv_set($p . 'other', 'x');
check('del_prefix count', ephpm_kv_del_prefix($p . 'pre:'), 3);
check('del_prefix removed', ephpm_kv_exists($p . 'pre:2'), false);
check('del_prefix left others', ephpm_kv_get($p . 'other'), 'x');
check('del_prefix none', ephpm_kv_del_prefix($p . 'nothing:'), 0);
ephpm_kv_set($p . 'lock', 'owner-1');
check('del_if_equals wrong owner', ephpm_kv_del_if_equals($p . 'lock', 'owner-2'), false);
check('lock kept', ephpm_kv_get($p . 'lock'), 'owner-1');
check('del_if_equals owner', ephpm_kv_del_if_equals($p . 'lock', 'owner-1'), true);
check('lock released', ephpm_kv_exists($p . 'lock'), false);
check('del_if_equals missing', ephpm_kv_del_if_equals($p . 'lock', 'owner-1'), false);

// type errors
throws('get array key', fn() => ephpm_kv_get([]), TypeError::class);
throws('get no args', fn() => ephpm_kv_get(), ArgumentCountError::class);
throws('set too few', fn() => ephpm_kv_set('k'), ArgumentCountError::class);
throws('set too many', fn() => ephpm_kv_set('k', 'v', 1, 2), ArgumentCountError::class);
throws('set ttl not int', fn() => ephpm_kv_set('k', 'v', 'soon'), TypeError::class);
throws('set value object', fn() => ephpm_kv_set('k', new stdClass()), TypeError::class);
throws('incr_by delta string', fn() => ephpm_kv_incr_by('k', 'x'), TypeError::class);
throws('expire seconds array', fn() => ephpm_kv_expire('k', []), TypeError::class);
throws('flush_all arg', fn() => ephpm_kv_flush_all(1), ArgumentCountError::class);
throws('del_if_equals one arg', fn() => ephpm_kv_del_if_equals('k'), ArgumentCountError::class);

// flush_all last (other tests share the store, so only when asked)
if (isset($_GET['flush'])) {
    ephpm_kv_set($p . 'z', 'z');
    check('flush_all', ephpm_kv_flush_all(), true);
    check('flush_all emptied', ephpm_kv_exists($p . 'z'), false);
}

report();
