<?php

declare(strict_types=1);

namespace Ephpm\KvContract;

use Ephpm\Cache\Laravel\KvOpsInterface;
use Ephpm\Cache\Laravel\SapiKvOps;
use Ephpm\Cache\Laravel\Tests\Contract\KvOpsContractTestCase;

/**
 * The package's contract suite against the real ephpm_kv_* functions; runs
 * only inside ephpm (public/index.php). Time passes for real here, so
 * advance() sleeps.
 */
final class SapiKvOpsContractTest extends KvOpsContractTestCase
{
    protected function createOps(): KvOpsInterface
    {
        return new SapiKvOps();
    }

    protected function advance(float $seconds): void
    {
        usleep((int) round($seconds * 1_000_000));
    }
}
