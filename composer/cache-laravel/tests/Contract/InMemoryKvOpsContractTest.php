<?php

declare(strict_types=1);

namespace Ephpm\Cache\Laravel\Tests\Contract;

use Ephpm\Cache\Laravel\InMemoryKvOps;
use Ephpm\Cache\Laravel\KvOpsInterface;

/**
 * The contract suite against the test double. Its clock is the real one plus
 * an offset that advance() moves, so expiry needs no sleeping while code that
 * waits in real time (Lock::block) still sees time pass.
 */
final class InMemoryKvOpsContractTest extends KvOpsContractTestCase
{
    private float $offset = 0.0;

    protected function createOps(): KvOpsInterface
    {
        return new InMemoryKvOps(fn (): float => microtime(true) + $this->offset);
    }

    protected function advance(float $seconds): void
    {
        $this->offset += $seconds;
    }
}
