<?php
/*
 * The store when ePHPm's KV refuses a write ([kv] eviction_policy =
 * "noeviction" at its memory_limit): Laravel sees false, as from any store
 * that fails to write, never an exception, and an existing value survives a
 * refused replacement. Run by tests/e2e/contract_test.go with a 256 KB limit.
 */

declare(strict_types=1);

header('Content-Type: application/json');

$package = getenv('EPHPM_CACHE_LARAVEL_DIR') ?: dirname(__DIR__, 3) . '/composer/cache-laravel';
require_once $package . '/tests/bootstrap.php';

use Ephpm\Cache\Laravel\EphpmStore;
use Ephpm\Cache\Laravel\SapiKvOps;
use Illuminate\Cache\Repository;

$cache = new Repository(new EphpmStore('lim', new SapiKvOps()));
$big = str_repeat('x', 300_000); // larger than the whole 256 KB limit

$r = [];
$r['small_put'] = $cache->put('small', 'ok', 60);
$r['huge_put'] = $cache->put('huge', $big, 60);
$r['huge_absent'] = $cache->get('huge') === null;
$r['replace_refused'] = $cache->put('small', $big, 60);
$r['old_value_kept'] = $cache->get('small') === 'ok';
$r['huge_add'] = $cache->add('huge', $big, 60);
$r['huge_forever'] = $cache->forever('huge', $big);
$r['put_many'] = $cache->putMany(['a' => 'first', 'b' => $big, 'c' => 'third'], 60);
$r['put_many_kept_others'] = $cache->get('a') === 'first' && $cache->get('c') === 'third';

// Fill the store to the last byte (1000-byte values, then ever smaller
// ones); then a new counter or lock cannot be created either.
$n = 0;
foreach ([1000, 100, 10, 1] as $size) {
    for ($i = 0; $i < 2000 && $cache->put('fill:' . $n++, str_repeat('f', $size), 60); $i++) {
    }
}
$r['filled'] = !$cache->put('one-more', '', 60);
$r['increment_when_full'] = $cache->increment('fresh-counter');
$r['lock_when_full'] = $cache->lock('fresh-lock', 10)->get();

echo json_encode($r), "\n";
