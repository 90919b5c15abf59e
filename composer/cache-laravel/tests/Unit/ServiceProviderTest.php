<?php

declare(strict_types=1);

namespace Ephpm\Cache\Laravel\Tests\Unit;

use Ephpm\Cache\Laravel\EphpmCacheServiceProvider;
use Ephpm\Cache\Laravel\EphpmStore;
use Ephpm\Cache\Laravel\InMemoryKvOps;
use Ephpm\Cache\Laravel\KvOpsInterface;
use Illuminate\Cache\CacheServiceProvider;
use Illuminate\Cache\Repository;
use Illuminate\Config\Repository as Config;
use Illuminate\Foundation\Application;
use Illuminate\Session\CacheBasedSessionHandler;
use Illuminate\Session\SessionServiceProvider;
use Illuminate\Support\Facades\Cache;
use Illuminate\Support\Facades\Facade;
use InvalidArgumentException;
use PHPUnit\Framework\TestCase;

/**
 * The provider inside a real (minimal) Laravel application: config as an app
 * would have it, Laravel's own cache and session providers, ours as package
 * discovery would register it. The KV is an InMemoryKvOps bound in the
 * container, shared by every store like the real server's KV.
 */
final class ServiceProviderTest extends TestCase
{
    private InMemoryKvOps $kv;

    protected function setUp(): void
    {
        $this->kv = new InMemoryKvOps();
    }

    protected function tearDown(): void
    {
        Facade::clearResolvedInstances();
        Facade::setFacadeApplication(null);
    }

    /** @param array<string, mixed> $config overrides, by dotted key */
    private function app(array $config = [], bool $withProvider = true, bool $resolveCacheFirst = false): Application
    {
        $app = new Application(sys_get_temp_dir());
        $app->instance('config', $repo = new Config([
            'app' => ['key' => 'base64:' . base64_encode(str_repeat('k', 32)), 'cipher' => 'AES-256-CBC'],
            'cache' => [
                'default' => 'ephpm',
                'prefix' => 'global',
                'stores' => [
                    'ephpm' => ['driver' => 'ephpm', 'prefix' => 'app'],
                    'sessions' => ['driver' => 'ephpm', 'prefix' => 'sess'],
                    'inherits' => ['driver' => 'ephpm'],
                    'array' => ['driver' => 'array'],
                ],
            ],
            'session' => [
                'driver' => 'cache',
                'lifetime' => 30,
                'store' => null,
                'encrypt' => false,
                'cookie' => 'laravel_session',
                'lottery' => [2, 100],
            ],
        ]));
        foreach ($config as $key => $value) {
            $repo->set($key, $value);
        }
        $app->instance(KvOpsInterface::class, $this->kv);
        $app->register(CacheServiceProvider::class);
        $app->register(SessionServiceProvider::class);
        if ($resolveCacheFirst) {
            $app->make('cache');
            $app->make('session');
        }
        if ($withProvider) {
            $app->register(EphpmCacheServiceProvider::class);
        }
        $app->boot();
        Facade::setFacadeApplication($app);
        return $app;
    }

    public function testTheEphpmDriverUsesTheStorePrefix(): void
    {
        $app = $this->app();
        $cache = $app['cache']->store('ephpm');
        $this->assertInstanceOf(Repository::class, $cache);
        $this->assertInstanceOf(EphpmStore::class, $cache->getStore());
        $this->assertSame('app:', $cache->getStore()->getPrefix());

        $cache->put('user:42', ['name' => 'Alice'], 3600);
        $this->assertSame(serialize(['name' => 'Alice']), $this->kv->get('app:user:42'));
        $this->assertSame(3600, $this->kv->ttl('app:user:42'));
    }

    public function testOutsideEphpmTheStoreBuildsAndOnlyCacheCallsFail(): void
    {
        // As under `php artisan` or php-fpm: no ephpm_kv_* functions and no
        // KvOpsInterface bound. Laravel builds the default store while it
        // boots (rate limiters), which must not fail...
        $app = $this->app();
        $app->forgetInstance(KvOpsInterface::class);
        $this->assertFalse($app->bound(KvOpsInterface::class));
        $cache = $app['cache']->store('ephpm');
        $limiter = new \Illuminate\Cache\RateLimiter($cache);
        $this->assertInstanceOf(EphpmStore::class, $cache->getStore());

        // ...while a real cache call says clearly what is wrong.
        $this->expectException(\RuntimeException::class);
        $this->expectExceptionMessage('not running under ephpm');
        $limiter->hit('login');
    }

    public function testOutsideEphpmAConnectionMakesTheStoreUseRespKvOps(): void
    {
        // php artisan with EPHPM_KV_URL: the store talks to the server's
        // [kv.resp]; connecting waits for the first cache call.
        $sock = sys_get_temp_dir() . '/no-ephpm-' . bin2hex(random_bytes(4)) . '.sock';
        $app = $this->app([
            'cache.stores.ephpm.connection' => "unix://$sock",
            'cache.stores.ephpm.client' => 'stream',
            'cache.stores.sessions.connection' => null,
        ]);
        $app->forgetInstance(KvOpsInterface::class);
        $store = $app['cache']->store('ephpm')->getStore();
        $this->assertInstanceOf(\Ephpm\Cache\Laravel\RespKvOps::class, $store->getOps());
        $this->assertInstanceOf(\Ephpm\Cache\Laravel\Resp\StreamConnection::class, $store->getOps()->connection());
        $this->assertSame('app:', $store->getPrefix());
        // A store without a connection keeps the deferred error.
        $this->assertInstanceOf(\Ephpm\Cache\Laravel\DeferredSapiKvOps::class, $app['cache']->store('sessions')->getStore()->getOps());

        $this->expectException(\Ephpm\Cache\Laravel\Resp\KvConnectionException::class);
        $this->expectExceptionMessage("cannot connect to unix://$sock");
        $app['cache']->store('ephpm')->get('k');
    }

    public function testAStoreWithoutAConnectionKeyReadsEphpmKvUrl(): void
    {
        // The README's minimal store config (driver and prefix only) under
        // `EPHPM_KV_URL=... php artisan`: the URL from the environment is
        // used; a store that names 'connection' (here null) keeps its word.
        $sock = sys_get_temp_dir() . '/no-ephpm-' . bin2hex(random_bytes(4)) . '.sock';
        $before = getenv('EPHPM_KV_URL');
        putenv("EPHPM_KV_URL=unix://$sock");
        try {
            $app = $this->app(['cache.stores.sessions.connection' => null]);
            $app->forgetInstance(KvOpsInterface::class);
            $ops = $app['cache']->store('ephpm')->getStore()->getOps();
            $this->assertInstanceOf(\Ephpm\Cache\Laravel\RespKvOps::class, $ops);
            $this->assertInstanceOf(\Ephpm\Cache\Laravel\DeferredSapiKvOps::class, $app['cache']->store('sessions')->getStore()->getOps());
            try {
                $app['cache']->store('ephpm')->get('k');
                $this->fail('connected to nothing');
            } catch (\Ephpm\Cache\Laravel\Resp\KvConnectionException $e) {
                $this->assertStringContainsString("unix://$sock", $e->getMessage());
            }
        } finally {
            putenv($before === false ? 'EPHPM_KV_URL' : "EPHPM_KV_URL=$before");
        }
    }

    public function testABadConnectionUrlIsAClearErrorWhenTheStoreIsBuilt(): void
    {
        $app = $this->app(['cache.stores.ephpm.connection' => 'tcp://127.0.0.1?password=hunter2']);
        $app->forgetInstance(KvOpsInterface::class);
        try {
            $app['cache']->store('ephpm');
            $this->fail('built');
        } catch (\InvalidArgumentException $e) {
            $this->assertStringContainsString('no port', $e->getMessage());
            $this->assertStringNotContainsString('hunter2', $e->getMessage());
        }
    }

    public function testTheCacheFacadeReachesTheStore(): void
    {
        $this->app();
        Cache::put('hits', 1, 60); // the default store is ephpm
        $this->assertSame(2, Cache::increment('hits'));
        $this->assertSame(3, Cache::store('ephpm')->increment('hits'));
        $this->assertSame('3', $this->kv->get('app:hits'));
        $this->assertTrue(Cache::lock('deploy', 10)->get());
        $this->assertFalse(Cache::lock('deploy', 10)->get());
        $this->assertSame('tagged', Cache::tags(['t'])->remember('x', 60, fn () => 'tagged'));
    }

    public function testAStoreWithoutAPrefixFallsBackToCachePrefix(): void
    {
        $app = $this->app();
        $app['cache']->store('inherits')->put('k', 'v', 60);
        $this->assertSame(serialize('v'), $this->kv->get('global:k'));
    }

    public function testTwoStoresOnOneKvFlushIndependently(): void
    {
        $app = $this->app();
        $app['cache']->store('ephpm')->put('k', 'v', 60);
        $app['cache']->store('sessions')->put('k', 'w', 60);
        $this->assertTrue($app['cache']->store('sessions')->flush());
        $this->assertSame('v', $app['cache']->store('ephpm')->get('k'));
        $this->assertNull($app['cache']->store('sessions')->get('k'));
    }

    public function testRegistrationWorksWhenCacheAndSessionWereResolvedBefore(): void
    {
        $app = $this->app([], true, true);
        $this->assertInstanceOf(EphpmStore::class, $app['cache']->store('ephpm')->getStore());
        $this->assertInstanceOf(CacheBasedSessionHandler::class, $app['session']->driver()->getHandler());
    }

    public function testWithoutThisPackageLaravelHasNoCacheSessionDriver(): void
    {
        // Why the provider registers one: SESSION_DRIVER=cache alone fails.
        $app = $this->app([], false);
        $this->expectException(InvalidArgumentException::class);
        $app['session']->driver();
    }

    public function testSessionDriverCacheKeepsSessionsInTheDefaultStore(): void
    {
        $session = $this->app()['session']->driver();
        $this->assertInstanceOf(CacheBasedSessionHandler::class, $session->getHandler());
        $session->start();
        $session->put('cart', ['sku-1' => 2]);
        $session->save();
        $id = $session->getId();

        $this->assertTrue($this->kv->exists('app:' . $id), 'stored under the default store\'s prefix');
        $this->assertSame(30 * 60, $this->kv->ttl('app:' . $id), 'session.lifetime minutes');

        // The next request: a new application, the same KV, the cookie's id.
        Facade::clearResolvedInstances();
        $next = $this->app()['session']->driver();
        $next->setId($id);
        $next->start();
        $this->assertSame(['sku-1' => 2], $next->get('cart'));
    }

    public function testSessionDriverEphpmUsesSessionStore(): void
    {
        $app = $this->app(['session.driver' => 'ephpm', 'session.store' => 'sessions', 'session.lifetime' => 5]);
        $session = $app['session']->driver();
        $session->start();
        $session->put('user_id', 7);
        $session->save();
        $this->assertTrue($this->kv->exists('sess:' . $session->getId()));
        $this->assertFalse($this->kv->exists('app:' . $session->getId()));
        $this->assertSame(300, $this->kv->ttl('sess:' . $session->getId()));

        // Logging out: the old session is destroyed in the KV, not left to expire.
        $old = $session->getId();
        $session->invalidate();
        $session->save();
        $this->assertFalse($this->kv->exists('sess:' . $old));
        $this->assertNotSame($old, $session->getId());
    }
}
