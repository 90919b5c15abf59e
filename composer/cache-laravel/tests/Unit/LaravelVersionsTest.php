<?php

declare(strict_types=1);

namespace Ephpm\Cache\Laravel\Tests\Unit;

use Ephpm\Cache\Laravel\EphpmStore;
use Ephpm\Cache\Laravel\InMemoryKvOps;
use Illuminate\Cache\Repository;
use Illuminate\Contracts\Cache\LockProvider;
use Illuminate\Contracts\Cache\Store;
use PHPUnit\Framework\TestCase;

/**
 * The suite runs on Laravel 8; these checks stand in for the newer contracts.
 * Laravel 13 added touch($key, $seconds) to Store: a class must load against
 * that declaration whichever way it is typed, or the package would fatal on
 * 13 at autoload time.
 */
final class LaravelVersionsTest extends TestCase
{
    /** @return array<string, array{string}> */
    public static function touchDeclarations(): array
    {
        return [
            'untyped, as Laravel declares Store methods' => ['public function touch($key, $seconds);'],
            'fully typed' => ['public function touch(string $key, int $seconds): bool;'],
        ];
    }

    /** @dataProvider touchDeclarations */
    public function testTheStoreLoadsAgainstAStoreContractWithTouch(string $declaration): void
    {
        $n = 'L13Store' . bin2hex(random_bytes(4));
        eval("namespace Ephpm\\Cache\\Laravel\\Tests\\Unit; interface {$n} extends \\Illuminate\\Contracts\\Cache\\Store { {$declaration} }"
            . " final class {$n}Impl extends \\Ephpm\\Cache\\Laravel\\EphpmStore implements {$n} {}");
        $class = __NAMESPACE__ . "\\{$n}Impl";
        $store = new $class('app', $kv = new InMemoryKvOps());
        $store->put('k', 'v', 10);
        $this->assertTrue($store->touch('k', 99));
        $this->assertSame(99, $kv->ttl('app:k'));
    }

    public function testTheStoreIsTaggableAndALockProvider(): void
    {
        $store = new EphpmStore('', new InMemoryKvOps());
        $this->assertInstanceOf(Store::class, $store);
        $this->assertInstanceOf(LockProvider::class, $store);
        $this->assertTrue((new Repository($store))->supportsTags());
    }
}
