<?php

declare(strict_types=1);

namespace Ephpm\Cache\Laravel;

use BadMethodCallException;
use RuntimeException;

/**
 * KvOpsInterface over the ephpm_kv_* functions that ePHPm registers in every
 * request. Each call is a direct C call into the server's KV store.
 */
final class SapiKvOps implements KvOpsInterface
{
    private bool $hasDelPrefix;
    private bool $hasDelIfEquals;

    /**
     * @throws RuntimeException when not running under ePHPm (the functions do not exist)
     */
    public function __construct()
    {
        if (!function_exists('ephpm_kv_get')) {
            throw new RuntimeException(
                'ephpm_kv_* functions are not available: not running under ephpm '
                . '(PHP SAPI is "' . PHP_SAPI . '"). Serve the app with `ephpm serve`, '
                . 'or construct EphpmStore with Ephpm\Cache\Laravel\InMemoryKvOps in tests '
                . '(see "Testing without ePHPm" in the ephpm/cache-laravel README).'
            );
        }
        // Older servers have only the original function set; the store
        // falls back to what those allow (see EphpmStore::flush and EphpmLock).
        $this->hasDelPrefix = function_exists('ephpm_kv_del_prefix');
        $this->hasDelIfEquals = function_exists('ephpm_kv_del_if_equals');
    }

    public function get(string $key): ?string
    {
        return \ephpm_kv_get($key);
    }

    public function set(string $key, string $value, int $ttl = 0): bool
    {
        return \ephpm_kv_set($key, $value, $ttl);
    }

    public function setnx(string $key, string $value, int $ttl = 0): bool
    {
        return \ephpm_kv_setnx($key, $value, $ttl);
    }

    public function del(string $key): int
    {
        return \ephpm_kv_del($key);
    }

    public function exists(string $key): bool
    {
        return \ephpm_kv_exists($key);
    }

    public function incrBy(string $key, int $delta): int|false
    {
        return \ephpm_kv_incr_by($key, $delta);
    }

    public function expire(string $key, int $seconds): bool
    {
        return \ephpm_kv_expire($key, $seconds);
    }

    public function ttl(string $key): int
    {
        return \ephpm_kv_ttl($key);
    }

    public function pttl(string $key): int
    {
        return \ephpm_kv_pttl($key);
    }

    public function flushAll(): bool
    {
        return \ephpm_kv_flush_all();
    }

    public function supportsDelPrefix(): bool
    {
        return $this->hasDelPrefix;
    }

    public function delPrefix(string $prefix): int
    {
        if (!$this->hasDelPrefix) {
            throw new BadMethodCallException('ephpm_kv_del_prefix is not available on this ePHPm server');
        }
        return \ephpm_kv_del_prefix($prefix);
    }

    public function supportsDelIfEquals(): bool
    {
        return $this->hasDelIfEquals;
    }

    public function delIfEquals(string $key, string $expected): bool
    {
        if (!$this->hasDelIfEquals) {
            throw new BadMethodCallException('ephpm_kv_del_if_equals is not available on this ePHPm server');
        }
        return \ephpm_kv_del_if_equals($key, $expected);
    }
}
