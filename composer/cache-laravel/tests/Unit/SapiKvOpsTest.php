<?php

declare(strict_types=1);

namespace Ephpm\Cache\Laravel\Tests\Unit;

use Ephpm\Cache\Laravel\EphpmStore;
use Ephpm\Cache\Laravel\SapiKvOps;
use PHPUnit\Framework\TestCase;
use RuntimeException;

/**
 * Outside ePHPm (here: the php CLI running phpunit) the real operations
 * must refuse to exist, with a message that says why and what to do, rather
 * than fail later with "call to undefined function ephpm_kv_get".
 */
final class SapiKvOpsTest extends TestCase
{
    protected function setUp(): void
    {
        if (function_exists('ephpm_kv_get')) {
            $this->markTestSkipped('running under ephpm');
        }
    }

    public function testConstructorThrowsOutsideEphpm(): void
    {
        try {
            new SapiKvOps();
            $this->fail('no exception');
        } catch (RuntimeException $e) {
            $this->assertStringContainsString('ephpm_kv_* functions are not available', $e->getMessage());
            $this->assertStringContainsString('not running under ephpm', $e->getMessage());
            $this->assertStringContainsString('InMemoryKvOps', $e->getMessage(), 'points at the way to test without ePHPm');
        }
    }

    public function testAStoreWithoutExplicitOpsUsesTheRealFunctions(): void
    {
        $this->expectException(RuntimeException::class);
        $this->expectExceptionMessage('not running under ephpm');
        new EphpmStore('cache');
    }
}
