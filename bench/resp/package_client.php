<?php
// Part of make bench-kv (scripts/bench-resp.sh), run by plain php (no ephpm_kv_*
// functions): the Laravel package's RESP path to ephpm's [kv.resp] over its
// unix socket (phpredis when loaded, as the package picks it, and the package's
// own stream client) against phpredis to redis-server over TCP.
// Usage: php package_client.php unix:///path/kv.sock REDIS_PORT [N [EPHPM_PID REDIS_PID]]
// With the servers' PIDs it also reports each server's CPU time per call
// (utime + stime of all its threads, /proc/PID/stat, summed over a client's
// chunks): a steadier figure than wall time on a busy machine.
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
$serverPids = isset($argv[5]) ? ['ephpm' => (int) $argv[4], 'redis' => (int) $argv[5]] : [];

/** A process's user + system CPU time in clock ticks (all threads). */
function cpuTicks(int $pid): int
{
    $stat = @file_get_contents("/proc/$pid/stat");
    if ($stat === false) {
        return 0;
    }
    $f = explode(' ', substr(strrchr($stat, ')'), 2)); // comm may hold spaces
    return (int) $f[11] + (int) $f[12];
}

// Every client of a row runs the same operation in chunks, interleaved
// (the order alternating each round): a load that drifts during the run
// then touches every client alike, where one client's whole run after
// another's compared two different machines. ns per call of each chunk;
// a row's figure is the median over the rounds, and the ratio is the
// median of the per-round ratios.
const ROUNDS = 30;

/**
 * @param array<string, callable> $fns client => fn(int $i)
 * @param array<string, int> $pids client => PID of its server (optional)
 * @param array<string, float> $cpu filled: client => its server's CPU ticks per call
 * @return array<string, list<float>> client => ns per call, one per round
 */
function interleaved(int $n, array $fns, array $pids = [], array &$cpu = []): array
{
    $chunk = max(1, intdiv($n, ROUNDS));
    $out = array_fill_keys(array_keys($fns), []);
    $ticks = array_fill_keys(array_keys($fns), 0);
    for ($r = 0; $r < ROUNDS; $r++) {
        $order = $r % 2 ? array_reverse($fns, true) : $fns;
        foreach ($order as $name => $fn) {
            $c0 = isset($pids[$name]) ? cpuTicks($pids[$name]) : 0;
            $t = hrtime(true);
            for ($i = 0; $i < $chunk; $i++) {
                $fn($i);
            }
            $out[$name][] = (hrtime(true) - $t) / $chunk;
            if (isset($pids[$name])) {
                $ticks[$name] += cpuTicks($pids[$name]) - $c0;
            }
        }
    }
    foreach ($pids as $name => $_) {
        $cpu[$name] = $ticks[$name] / ($chunk * ROUNDS);
    }
    return $out;
}

function median(array $v): float
{
    sort($v);
    $m = intdiv(count($v), 2);
    return count($v) % 2 ? $v[$m] : ($v[$m - 1] + $v[$m]) / 2;
}

$clients = ['package (stream) -> ephpm unix socket' => RespKvOps::fromUrl($url, 'stream')];
if (extension_loaded('redis')) {
    $clients = ['package (phpredis) -> ephpm unix socket' => RespKvOps::fromUrl($url, 'phpredis')] + $clients;
}
$peerName = 'phpredis -> redis-server TCP';
$r = null;
if (extension_loaded('redis')) {
    $r = new Redis();
    $r->connect('127.0.0.1', $redisPort);
    $r->set('bench:k', str_repeat('v', 32));
}
foreach ($clients as $ops) {
    $ops->set('bench:k', str_repeat('v', 32));
}
$opsFns = [
    'get' => [fn ($ops) => fn ($i) => $ops->get('bench:k'), fn ($r) => fn ($i) => $r->get('bench:k')],
    'set' => [fn ($ops) => fn ($i) => $ops->set('bench:k', 'value-' . $i), fn ($r) => fn ($i) => $r->set('bench:k', 'value-' . $i)],
    'incr' => [fn ($ops) => fn ($i) => $ops->incrBy('bench:c', 1), fn ($r) => fn ($i) => $r->incrBy('bench:c', 1)],
];
$rows = [];   // client => op => median ns
$cpuRows = []; // client => op => its server's CPU ticks per call
$ratios = []; // op => median of the per-round ratios, first client / peer
foreach ($opsFns as $op => [$mk, $mkPeer]) {
    $fns = [];
    foreach ($clients as $name => $ops) {
        $fns[$name] = $mk($ops);
    }
    if ($r !== null) {
        $fns[$peerName] = $mkPeer($r);
    }
    $pids = [];
    if ($serverPids !== []) {
        foreach ($fns as $name => $_) {
            $pids[$name] = $name === $peerName ? $serverPids['redis'] : $serverPids['ephpm'];
        }
    }
    $cpu = [];
    $res = interleaved($n, $fns, $pids, $cpu);
    foreach ($res as $name => $v) {
        $rows[$name][$op] = median($v);
    }
    foreach ($cpu as $name => $ticks) {
        $cpuRows[$name][$op] = $ticks;
    }
    if ($r !== null) {
        $first = array_key_first($clients);
        $ratios[$op] = median(array_map(fn ($a, $b) => $a / $b, $res[$first], $res[$peerName]));
    }
}

echo "From plain php outside the server ($n calls per op and client, in " . ROUNDS . " interleaved chunks; median of the chunks), microseconds per call:\n\n";
echo "| client | get | set | incr |\n|---|---|---|---|\n";
foreach ($rows as $label => $ops) {
    printf("| %s | %.1f | %.1f | %.1f |\n", $label, $ops['get'] / 1000, $ops['set'] / 1000, $ops['incr'] / 1000);
}
if ($ratios !== []) {
    printf("\nratio %s / phpredis to redis-server, median of the per-chunk ratios (target <= 1.0): get %.2f, set %.2f, incr %.2f\n",
        array_key_first($clients), $ratios['get'], $ratios['set'], $ratios['incr']);
}
if ($cpuRows !== []) {
    // CLK_TCK is 100 on Linux: a tick is 10 ms.
    echo "\nThe server's CPU time per call (utime + stime, all threads, summed over the client's chunks), microseconds:\n\n";
    echo "| client -> server | get | set | incr |\n|---|---|---|---|\n";
    foreach ($cpuRows as $label => $ops) {
        printf("| %s | %.1f | %.1f | %.1f |\n", $label, $ops['get'] * 1e4, $ops['set'] * 1e4, $ops['incr'] * 1e4);
    }
}
