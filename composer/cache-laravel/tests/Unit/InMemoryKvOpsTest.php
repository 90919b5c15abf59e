<?php

declare(strict_types=1);

namespace Ephpm\Cache\Laravel\Tests\Unit;

use BadMethodCallException;
use Ephpm\Cache\Laravel\EphpmStore;
use Ephpm\Cache\Laravel\InMemoryKvOps;
use Illuminate\Cache\Repository;
use PHPUnit\Framework\TestCase;

/**
 * What only the double can show exactly: with a frozen, injected clock the
 * TTL arithmetic is checked to the millisecond (the contract suite, which
 * also runs against the real server, can only check ranges), and the
 * switches that make it act as an older server.
 */
final class InMemoryKvOpsTest extends TestCase
{
    private float $now = 1_700_000_000.0;
    private InMemoryKvOps $ops;

    protected function setUp(): void
    {
        $this->ops = new InMemoryKvOps(fn (): float => $this->now);
    }

    public function testAKeyExpiresExactlyAtItsDeadline(): void
    {
        $this->ops->set('k', 'v', 10);
        $this->now += 9.999;
        $this->assertSame('v', $this->ops->get('k'));
        $this->assertSame(1, $this->ops->pttl('k'));
        $this->assertSame(1, $this->ops->ttl('k'), '1 ms left rounds up to 1 s');
        $this->now += 0.001;
        $this->assertNull($this->ops->get('k'), 'gone at the deadline, as on the server (now >= expiry)');
        $this->assertSame(-2, $this->ops->ttl('k'));
    }

    public function testTtlRoundingAtTheSecondBoundaries(): void
    {
        $this->ops->set('k', 'v', 3);
        $this->assertSame(3000, $this->ops->pttl('k'));
        $this->assertSame(3, $this->ops->ttl('k'));
        $this->now += 0.999;
        $this->assertSame(2001, $this->ops->pttl('k'));
        $this->assertSame(3, $this->ops->ttl('k'));
        $this->now += 0.001;
        $this->assertSame(2000, $this->ops->pttl('k'));
        $this->assertSame(2, $this->ops->ttl('k'));
        $this->now += 0.0005;
        $this->assertSame(2000, $this->ops->pttl('k'), 'sub-millisecond remainders round up too');
    }

    public function testExpireCountsFromNow(): void
    {
        $this->ops->set('k', 'v', 5);
        $this->now += 4;
        $this->assertTrue($this->ops->expire('k', 5));
        $this->now += 4;
        $this->assertSame('v', $this->ops->get('k'));
        $this->now += 1;
        $this->assertNull($this->ops->get('k'));
    }

    public function testRepositoryTtlsWithoutSleeping(): void
    {
        $cache = new Repository(new EphpmStore('app', $this->ops));
        $cache->put('session', ['user' => 42], 120);
        $this->now += 119;
        $this->assertSame(['user' => 42], $cache->get('session'));
        $this->now += 1;
        $this->assertNull($cache->get('session'));
    }

    public function testAnOlderServerHasNeitherDelPrefixNorDelIfEquals(): void
    {
        $old = new InMemoryKvOps(null, false, false);
        $this->assertFalse($old->supportsDelPrefix());
        $this->assertFalse($old->supportsDelIfEquals());
        $old->set('k', 'v');
        try {
            $old->delPrefix('k');
            $this->fail('delPrefix ran');
        } catch (BadMethodCallException $e) {
            $this->assertStringContainsString('ephpm_kv_del_prefix', $e->getMessage());
        }
        try {
            $old->delIfEquals('k', 'v');
            $this->fail('delIfEquals ran');
        } catch (BadMethodCallException $e) {
            $this->assertStringContainsString('ephpm_kv_del_if_equals', $e->getMessage());
        }
        $this->assertSame('v', $old->get('k'));

        // The store falls back: flush reports false, locks still release by owner.
        $store = new EphpmStore('app', $old);
        $store->put('x', 1, 60);
        $this->assertFalse($store->flush());
        $this->assertSame(1, $store->get('x'));
        $lock = $store->lock('l', 10);
        $this->assertTrue($lock->acquire());
        $this->assertFalse($store->restoreLock('l', 'intruder')->release());
        $this->assertTrue($lock->release());
    }

    public function testAHugeTtlSaturatesInsteadOfFailing(): void
    {
        $this->assertTrue($this->ops->set('k', 'v', PHP_INT_MAX));
        $this->assertTrue($this->ops->expire('k', PHP_INT_MAX));
        $this->now += 86400 * 365 * 100;
        $this->assertSame('v', $this->ops->get('k'));
        $this->assertGreaterThan(0, $this->ops->ttl('k'));
    }

    public function testInstancesDoNotShareState(): void
    {
        $other = new InMemoryKvOps();
        $this->ops->set('k', 'v');
        $this->assertNull($other->get('k'));
    }
}
