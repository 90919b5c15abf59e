<?php

declare(strict_types=1);

namespace Ephpm\Cache\Laravel\Tests\Support;

use BadMethodCallException;
use Ephpm\Cache\Laravel\KvOpsInterface;

/**
 * Wraps any KvOpsInterface and hides ePHPm's additions (del_prefix,
 * del_if_equals), so the store's fallbacks for older servers can be tested
 * against the real store as well as the double.
 */
final class LegacyServerKvOps implements KvOpsInterface
{
    public function __construct(private KvOpsInterface $inner)
    {
    }

    public function get(string $key): ?string
    {
        return $this->inner->get($key);
    }

    public function set(string $key, string $value, int $ttl = 0): bool
    {
        return $this->inner->set($key, $value, $ttl);
    }

    public function setnx(string $key, string $value, int $ttl = 0): bool
    {
        return $this->inner->setnx($key, $value, $ttl);
    }

    public function del(string $key): int
    {
        return $this->inner->del($key);
    }

    public function exists(string $key): bool
    {
        return $this->inner->exists($key);
    }

    public function incrBy(string $key, int $delta): int|false
    {
        return $this->inner->incrBy($key, $delta);
    }

    public function expire(string $key, int $seconds): bool
    {
        return $this->inner->expire($key, $seconds);
    }

    public function ttl(string $key): int
    {
        return $this->inner->ttl($key);
    }

    public function pttl(string $key): int
    {
        return $this->inner->pttl($key);
    }

    public function flushAll(): bool
    {
        return $this->inner->flushAll();
    }

    public function supportsDelPrefix(): bool
    {
        return false;
    }

    public function delPrefix(string $prefix): int
    {
        throw new BadMethodCallException('ephpm_kv_del_prefix is not available on this ePHPm server');
    }

    public function supportsDelIfEquals(): bool
    {
        return false;
    }

    public function delIfEquals(string $key, string $expected): bool
    {
        throw new BadMethodCallException('ephpm_kv_del_if_equals is not available on this ePHPm server');
    }
}
