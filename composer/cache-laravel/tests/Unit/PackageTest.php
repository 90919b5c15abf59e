<?php

declare(strict_types=1);

namespace Ephpm\Cache\Laravel\Tests\Unit;

use PHPUnit\Framework\TestCase;

/**
 * What `composer require ephpm/cache-laravel` relies on: the package
 * metadata. A wrong PSR-4 path or provider name installs fine and fails at
 * the user's first request, so check it here.
 */
final class PackageTest extends TestCase
{
    private const LARAVEL = '^8.0 || ^9.0 || ^10.0 || ^11.0 || ^12.0 || ^13.0';

    /** @var array<string, mixed> */
    private array $composer;

    protected function setUp(): void
    {
        $this->composer = json_decode((string) file_get_contents(dirname(__DIR__, 2) . '/composer.json'), true, 512, JSON_THROW_ON_ERROR);
    }

    public function testNameLicenseAndLaravelConstraints(): void
    {
        $this->assertSame('ephpm/cache-laravel', $this->composer['name']);
        $this->assertSame('MIT', $this->composer['license']);
        $this->assertSame(self::LARAVEL, $this->composer['require']['illuminate/contracts']);
        $this->assertSame(self::LARAVEL, $this->composer['require']['illuminate/support']);
        $this->assertStringContainsString('MIT License', (string) file_get_contents(dirname(__DIR__, 2) . '/LICENSE'));
    }

    public function testAutoloadMapsEveryClassAndDiscoveryNamesTheProvider(): void
    {
        $this->assertSame(['Ephpm\\Cache\\Laravel\\' => 'src/'], $this->composer['autoload']['psr-4']);
        foreach (glob(dirname(__DIR__, 2) . '/src/*.php') as $file) {
            $class = 'Ephpm\\Cache\\Laravel\\' . basename($file, '.php');
            $this->assertTrue(class_exists($class) || interface_exists($class), "$class from $file");
        }
        $providers = $this->composer['extra']['laravel']['providers'];
        $this->assertSame(['Ephpm\\Cache\\Laravel\\EphpmCacheServiceProvider'], $providers);
        $this->assertTrue(is_subclass_of($providers[0], \Illuminate\Support\ServiceProvider::class));
    }
}
