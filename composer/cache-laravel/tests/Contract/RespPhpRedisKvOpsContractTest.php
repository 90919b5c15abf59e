<?php

declare(strict_types=1);

namespace Ephpm\Cache\Laravel\Tests\Contract;

/** The contract over phpredis (what RespKvOps picks when the extension is loaded). */
final class RespPhpRedisKvOpsContractTest extends RespKvOpsContractTestCase
{
    protected function setUp(): void
    {
        if (getenv(self::URL_ENV) && !extension_loaded('redis')) {
            $this->markTestSkipped('the redis extension (phpredis) is not loaded');
        }
        parent::setUp();
    }

    protected function client(): string
    {
        return 'phpredis';
    }
}
