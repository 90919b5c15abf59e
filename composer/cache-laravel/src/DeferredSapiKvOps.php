<?php

declare(strict_types=1);

namespace Ephpm\Cache\Laravel;

/**
 * SapiKvOps, made on first use. The service provider hands this to "ephpm"
 * stores built outside ePHPm: Laravel builds the default cache store while
 * it boots (RouteServiceProvider's rate limiters do), so with
 * CACHE_DRIVER=ephpm an eager SapiKvOps would make every `php artisan`
 * command fail, though most never touch the cache. Here only a real cache
 * call fails, with SapiKvOps's message.
 */
final class DeferredSapiKvOps implements KvOpsInterface
{
    private ?SapiKvOps $ops = null;

    private function ops(): SapiKvOps
    {
        return $this->ops ??= new SapiKvOps();
    }

    public function get(string $key): ?string
    {
        return $this->ops()->get($key);
    }

    public function set(string $key, string $value, int $ttl = 0): bool
    {
        return $this->ops()->set($key, $value, $ttl);
    }

    public function setnx(string $key, string $value, int $ttl = 0): bool
    {
        return $this->ops()->setnx($key, $value, $ttl);
    }

    public function del(string $key): int
    {
        return $this->ops()->del($key);
    }

    public function exists(string $key): bool
    {
        return $this->ops()->exists($key);
    }

    public function incrBy(string $key, int $delta): int|false
    {
        return $this->ops()->incrBy($key, $delta);
    }

    public function expire(string $key, int $seconds): bool
    {
        return $this->ops()->expire($key, $seconds);
    }

    public function ttl(string $key): int
    {
        return $this->ops()->ttl($key);
    }

    public function pttl(string $key): int
    {
        return $this->ops()->pttl($key);
    }

    public function flushAll(): bool
    {
        return $this->ops()->flushAll();
    }

    public function supportsDelPrefix(): bool
    {
        return $this->ops()->supportsDelPrefix();
    }

    public function delPrefix(string $prefix): int
    {
        return $this->ops()->delPrefix($prefix);
    }

    public function supportsDelIfEquals(): bool
    {
        return $this->ops()->supportsDelIfEquals();
    }

    public function delIfEquals(string $key, string $expected): bool
    {
        return $this->ops()->delIfEquals($key, $expected);
    }
}
