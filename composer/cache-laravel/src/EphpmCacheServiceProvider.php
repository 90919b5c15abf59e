<?php

declare(strict_types=1);

namespace Ephpm\Cache\Laravel;

use Illuminate\Session\CacheBasedSessionHandler;
use Illuminate\Support\ServiceProvider;

/**
 * Registers, through Laravel's package discovery:
 *  - the "ephpm" cache driver: config/cache.php stores with 'driver' => 'ephpm'
 *    ('prefix' from the store's config, else the global cache.prefix);
 *  - the "cache" and "ephpm" session drivers: sessions kept in the cache store
 *    named by session.store, else the default cache store. Laravel has no
 *    session driver named "cache" (its cache-backed ones are named after
 *    stores: redis, memcached, apc), so SESSION_DRIVER=cache needs this.
 */
class EphpmCacheServiceProvider extends ServiceProvider
{
    public const DRIVER = 'ephpm';

    /** Session driver names this package provides. */
    public const SESSION_DRIVERS = ['cache', 'ephpm'];

    public function register()
    {
        // Extend the cache manager whenever it is built, and at once if it
        // already was: another provider may read the cache in its boot(),
        // which is why this is not left to our own boot().
        $this->callAfterResolving('cache', function ($cache, $app) {
            $cache->extend(EphpmCacheServiceProvider::DRIVER, function ($app, array $config) {
                // CacheManager rebinds this closure to itself (so `self` and
                // `$this` would mean the manager): name classes explicitly.
                $store = new EphpmStore(EphpmCacheServiceProvider::prefixFrom($app, $config), EphpmCacheServiceProvider::ops($app, $config));
                // Laravel 11+ takes the store config as a second argument
                // (e.g. 'events' => false); Laravel 8-10 ignore it.
                return $app['cache']->repository($store, $config);
            });
        });

        $this->callAfterResolving('session', function ($session, $app) {
            foreach (EphpmCacheServiceProvider::SESSION_DRIVERS as $name) {
                $session->extend($name, function ($app) {
                    return EphpmCacheServiceProvider::sessionHandler($app);
                });
            }
        });
    }

    /**
     * The KV operations for "ephpm" stores:
     *  - KvOpsInterface bound in the container (e.g. a shared InMemoryKvOps
     *    in a test suite that runs without ePHPm);
     *  - inside ePHPm (or `ephpm php`), the ephpm_kv_* functions: in-process,
     *    no socket, whatever 'connection' says;
     *  - elsewhere (php artisan, queue workers, php-fpm) with the store's
     *    'connection' set (EPHPM_KV_URL), the server's store over its RESP
     *    endpoint ('client': auto, phpredis or stream), connected on first use;
     *  - else a store that builds, and fails on its first cache call with
     *    the reason.
     *
     * @param array<string, mixed> $config the store's entry in config/cache.php
     */
    public static function ops($app, array $config = []): KvOpsInterface
    {
        if ($app->bound(KvOpsInterface::class)) {
            return $app->make(KvOpsInterface::class);
        }
        if (function_exists('ephpm_kv_get')) {
            return new SapiKvOps();
        }
        // A store entry without a 'connection' key (the README's minimal
        // config: driver and prefix only) takes EPHPM_KV_URL from the
        // environment, as `ephpm kv` does; one that names it, even as null,
        // keeps what it says.
        $url = array_key_exists('connection', $config) ? $config['connection'] : self::envUrl();
        if (is_string($url) && trim($url) !== '') {
            return RespKvOps::fromUrl($url, (string) ($config['client'] ?? 'auto'));
        }
        return new DeferredSapiKvOps();
    }

    /**
     * EPHPM_KV_URL as Laravel's env() sees it (.env included, which Laravel
     * loads into $_ENV and $_SERVER, not into getenv()), else getenv().
     */
    public static function envUrl(): ?string
    {
        $url = class_exists(\Illuminate\Support\Env::class)
            ? \Illuminate\Support\Env::get('EPHPM_KV_URL')
            : getenv('EPHPM_KV_URL');
        return is_string($url) && $url !== '' ? $url : null;
    }

    /**
     * The store's own 'prefix', else the global cache.prefix (the rule
     * Laravel's Redis and Memcached stores follow).
     */
    public static function prefixFrom($app, array $config): string
    {
        return (string) ($config['prefix'] ?? $app['config']->get('cache.prefix') ?? '');
    }

    /**
     * What Laravel's cache-backed session drivers build: a handler over a
     * clone of the chosen repository (so the session's writes don't touch
     * the shared instance's state), with the configured lifetime in minutes.
     */
    public static function sessionHandler($app): CacheBasedSessionHandler
    {
        $config = $app['config'];
        $store = $config->get('session.store') ?: null; // null: the default store
        return new CacheBasedSessionHandler(
            clone $app['cache']->store($store),
            (int) $config->get('session.lifetime', 120)
        );
    }
}
