<?php

declare(strict_types=1);

namespace Ephpm\Cache\Laravel;

/**
 * The operations of ePHPm's KV store that the cache store needs, one method
 * per ephpm_kv_* function, with the same arguments and results (ePHPm's
 * SPEC section 1). Keys and values are binary-safe strings; TTLs are seconds.
 *
 * SapiKvOps calls the real functions; InMemoryKvOps is a test double with the
 * same semantics. Both are checked by the same contract test suite.
 */
interface KvOpsInterface
{
    /** The value, or null when the key is missing or expired. */
    public function get(string $key): ?string;

    /** Replaces value and TTL; $ttl <= 0 means no expiry. False only when the server's memory limit refuses the write. */
    public function set(string $key, string $value, int $ttl = 0): bool;

    /** Inserts only when no live entry exists (atomic); $ttl <= 0 means no expiry. */
    public function setnx(string $key, string $value, int $ttl = 0): bool;

    /** 1 when a live key was removed, else 0. */
    public function del(string $key): int;

    public function exists(string $key): bool;

    /**
     * Atomically adds $delta to the decimal integer at $key and returns the new
     * value. A missing key starts at 0 with no expiry; an existing key keeps
     * its TTL. False when the value is not a decimal 64-bit integer or the
     * result would overflow; the value is then left untouched.
     */
    public function incrBy(string $key, int $delta): int|false;

    /** Sets a live key's TTL; false when the key is missing or $seconds <= 0. */
    public function expire(string $key, int $seconds): bool;

    /** Seconds left rounded up; -1 without expiry; -2 when missing. */
    public function ttl(string $key): int;

    /** Milliseconds left rounded up; -1 without expiry; -2 when missing. */
    public function pttl(string $key): int;

    /** Removes every key of the whole store. */
    public function flushAll(): bool;

    /** Whether delPrefix() is available (ephpm_kv_del_prefix exists on this server). */
    public function supportsDelPrefix(): bool;

    /**
     * Removes every key starting with $prefix and returns how many live keys
     * went. Only when supportsDelPrefix(); throws \BadMethodCallException otherwise.
     */
    public function delPrefix(string $prefix): int;

    /** Whether delIfEquals() is available (ephpm_kv_del_if_equals exists on this server). */
    public function supportsDelIfEquals(): bool;

    /**
     * Atomic compare-and-delete: removes $key only when its live value is
     * exactly $expected. Only when supportsDelIfEquals(); throws
     * \BadMethodCallException otherwise.
     */
    public function delIfEquals(string $key, string $expected): bool;
}
