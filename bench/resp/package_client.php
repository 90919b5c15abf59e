<?php
// Part of make bench-kv (scripts/bench-resp.sh), run by plain php (no ephpm_kv_*
// functions): the Laravel package's RESP path to ephpm's [kv.resp] over its
// unix socket (phpredis when loaded, as the package picks it, and the package's
// own stream client) against phpredis to redis-server over TCP.
// Usage: php package_client.php unix:///path/kv.sock REDIS_PORT [N]
declare(strict_types=1);

spl_autoload_register(function (string $class): void {
    $prefix = 'Ephpm\\Cache\\Laravel\\';
    if (str_starts_with($class, $prefix)) {
        $file = __DIR__ . '/../../composer/cache-laravel/src/' . str_replace('\\', '/', substr($class, strlen($prefix))) . '.php';
        if (is_file($file)) {
            require $file;
        }
    }
});

use Ephpm\Cache\Laravel\RespKvOps;

[$url, $redisPort] = [$argv[1], (int) $argv[2]];
$n = (int) ($argv[3] ?? 20000);

// ns per call of $fn over $n calls, best of 3.
function per_call(int $n, callable $fn): float
{
    $best = INF;
    for ($r = 0; $r < 3; $r++) {
        $t = hrtime(true);
        for ($i = 0; $i < $n; $i++) {
            $fn($i);
        }
        $best = min($best, (hrtime(true) - $t) / $n);
    }
    return $best;
}

$rows = [];
$clients = ['stream' => RespKvOps::fromUrl($url, 'stream')];
if (extension_loaded('redis')) {
    $clients = ['phpredis' => RespKvOps::fromUrl($url, 'phpredis')] + $clients;
}
foreach ($clients as $name => $ops) {
    $ops->set('bench:k', str_repeat('v', 32));
    $rows["package ($name) -> ephpm unix socket"] = [
        'get' => per_call($n, fn ($i) => $ops->get('bench:k')),
        'set' => per_call($n, fn ($i) => $ops->set('bench:k', 'value-' . $i)),
        'incr' => per_call($n, fn ($i) => $ops->incrBy('bench:c', 1)),
    ];
}
if (extension_loaded('redis')) {
    $r = new Redis();
    $r->connect('127.0.0.1', $redisPort);
    $r->set('bench:k', str_repeat('v', 32));
    $rows['phpredis -> redis-server TCP'] = [
        'get' => per_call($n, fn ($i) => $r->get('bench:k')),
        'set' => per_call($n, fn ($i) => $r->set('bench:k', 'value-' . $i)),
        'incr' => per_call($n, fn ($i) => $r->incrBy('bench:c', 1)),
    ];
}

echo "From plain php outside the server ($n calls per op, best of 3), microseconds per call:\n\n";
echo "| client | get | set | incr |\n|---|---|---|---|\n";
foreach ($rows as $label => $ops) {
    printf("| %s | %.1f | %.1f | %.1f |\n", $label, $ops['get'] / 1000, $ops['set'] / 1000, $ops['incr'] / 1000);
}
$peer = $rows['phpredis -> redis-server TCP'] ?? null;
$ours = reset($rows);
if ($peer !== null) {
    printf("\nratio %s / phpredis to redis-server (target <= 1.0): get %.2f, set %.2f, incr %.2f\n",
        array_key_first($rows), $ours['get'] / $peer['get'], $ours['set'] / $peer['set'], $ours['incr'] / $peer['incr']);
}
