<?php

declare(strict_types=1);

namespace Ephpm\Cache\Laravel\Tests\Contract;

use Ephpm\Cache\Laravel\KvOpsInterface;
use Ephpm\Cache\Laravel\RespKvOps;

/**
 * The contract suite against RespKvOps talking to a running ePHPm's
 * [kv.resp] endpoint, named by EPHPM_KV_TEST_URL (e.g.
 * unix:///tmp/kv.sock or tcp://127.0.0.1:6380?password=secret). Skipped
 * without it; tests/e2e/artisan_test.go starts a server and sets it, so in
 * `make test` these run for real. The suite flushes the whole store
 * (testFlushAllEmptiesTheStore): point it only at a server of its own.
 */
abstract class RespKvOpsContractTestCase extends KvOpsContractTestCase
{
    public const URL_ENV = 'EPHPM_KV_TEST_URL';

    /** 'phpredis' or 'stream'. */
    abstract protected function client(): string;

    protected function setUp(): void
    {
        $url = getenv(self::URL_ENV);
        if ($url === false || $url === '') {
            $this->markTestSkipped(self::URL_ENV . ' is not set: no ePHPm [kv.resp] endpoint to run the RESP contract against (tests/e2e/artisan_test.go sets it)');
        }
        parent::setUp();
    }

    protected function createOps(): KvOpsInterface
    {
        return RespKvOps::fromUrl((string) getenv(self::URL_ENV), $this->client());
    }

    protected function advance(float $seconds): void
    {
        usleep((int) round($seconds * 1_000_000));
    }
}
