<?php

declare(strict_types=1);

namespace Ephpm\Cache\Laravel\Tests\Contract;

/** The contract over the package's own RESP client (PHP without phpredis). */
final class RespStreamKvOpsContractTest extends RespKvOpsContractTestCase
{
    protected function client(): string
    {
        return 'stream';
    }
}
