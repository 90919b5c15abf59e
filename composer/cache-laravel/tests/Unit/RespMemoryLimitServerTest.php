<?php

declare(strict_types=1);

namespace Ephpm\Cache\Laravel\Tests\Unit;

use Ephpm\Cache\Laravel\EphpmStore;
use Ephpm\Cache\Laravel\Resp\PhpRedisConnection;
use Ephpm\Cache\Laravel\RespKvOps;
use Illuminate\Cache\Repository;
use PHPUnit\Framework\TestCase;

/**
 * The store over RESP when the server's KV refuses a write (noeviction at a
 * small memory_limit: the server answers -OOM): false, as SapiKvOps gives
 * inside the server (testdata/kv-contract/public/memory_limit.php), never an
 * exception, and the old value stays. Needs EPHPM_KV_TEST_FULL_URL, a server
 * of its own with [kv] memory_limit = "256KB", eviction_policy =
 * "noeviction" (tests/e2e/artisan_test.go starts one); skipped without.
 */
final class RespMemoryLimitServerTest extends TestCase
{
    public const URL_ENV = 'EPHPM_KV_TEST_FULL_URL';

    /** @return array<string, array{string}> */
    public static function clients(): array
    {
        return ['stream' => ['stream'], 'phpredis' => ['phpredis']];
    }

    /** @dataProvider clients */
    public function testARefusedWriteIsFalseAndKeepsTheOldValue(string $client): void
    {
        $url = getenv(self::URL_ENV);
        if ($url === false || $url === '') {
            $this->markTestSkipped(self::URL_ENV . ' is not set: no ePHPm [kv.resp] with a full store (tests/e2e/artisan_test.go sets it)');
        }
        if ($client === 'phpredis' && !PhpRedisConnection::available()) {
            $this->markTestSkipped('the redis extension (phpredis) is not loaded');
        }
        $ops = RespKvOps::fromUrl($url, $client);
        $ops->flushAll();
        $cache = new Repository(new EphpmStore('lim', $ops));
        $big = str_repeat('x', 300_000); // larger than the whole 256 KB limit

        $this->assertTrue($cache->put('small', 'ok', 60));
        $this->assertFalse($cache->put('huge', $big, 60));
        $this->assertNull($cache->get('huge'));
        $this->assertFalse($cache->put('small', $big, 60), 'a refused replacement');
        $this->assertSame('ok', $cache->get('small'), 'the old value stays');
        $this->assertFalse($cache->add('huge', $big, 60));
        $this->assertFalse($cache->forever('huge', $big));
        $this->assertFalse($cache->putMany(['a' => 'first', 'b' => $big, 'c' => 'third'], 60));
        $this->assertSame(['a' => 'first', 'c' => 'third'], $cache->many(['a', 'c']));

        // Fill the store to the last byte; then a new counter or lock cannot be made either.
        $n = 0;
        foreach ([1000, 100, 10, 1] as $size) {
            for ($i = 0; $i < 2000 && $cache->put('fill:' . $n++, str_repeat('f', $size), 60); $i++) {
            }
        }
        $this->assertFalse($cache->put('one-more', '', 60), 'filled');
        $this->assertFalse($cache->increment('fresh-counter'));
        $this->assertFalse($cache->lock('fresh-lock', 10)->get());
        $this->assertTrue($ops->flushAll());
    }
}
