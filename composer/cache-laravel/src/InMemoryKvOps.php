<?php

declare(strict_types=1);

namespace Ephpm\Cache\Laravel;

use BadMethodCallException;

/**
 * A test double of ePHPm's KV store: PHP arrays in the current process, with
 * the same semantics as the real store (TTLs, binary-safe keys, the incr_by
 * rules), so code tested against it behaves the same under ePHPm. The shared
 * contract suite (tests/Contract) runs against both to keep them in step.
 *
 * For tests only: nothing is shared between processes or requests, there is
 * no memory limit and no eviction, and expired entries are dropped lazily.
 */
final class InMemoryKvOps implements KvOpsInterface
{
    /** @var array<string, string> */
    private array $values = [];

    /** @var array<string, int> expiry instant in microseconds, only for keys that have one */
    private array $expires = [];

    /** @var callable(): float */
    private $clock;

    /**
     * @param (callable(): float)|null $clock current time in seconds (default microtime(true));
     *                                        inject one to test expiry without sleeping
     * @param bool $delPrefix    false to act as an older server without ephpm_kv_del_prefix
     * @param bool $delIfEquals  false to act as an older server without ephpm_kv_del_if_equals
     */
    public function __construct(?callable $clock = null, private bool $delPrefix = true, private bool $delIfEquals = true)
    {
        $this->clock = $clock ?? static fn (): float => microtime(true);
    }

    public function get(string $key): ?string
    {
        return $this->live($key) ? $this->values[$key] : null;
    }

    public function set(string $key, string $value, int $ttl = 0): bool
    {
        $this->values[$key] = $value;
        if ($ttl > 0) {
            $this->expires[$key] = $this->deadline($ttl);
        } else {
            unset($this->expires[$key]);
        }
        return true;
    }

    public function setnx(string $key, string $value, int $ttl = 0): bool
    {
        if ($this->live($key)) {
            return false;
        }
        return $this->set($key, $value, $ttl);
    }

    public function del(string $key): int
    {
        if (!$this->live($key)) {
            return 0;
        }
        $this->remove($key);
        return 1;
    }

    public function exists(string $key): bool
    {
        return $this->live($key);
    }

    public function incrBy(string $key, int $delta): int|false
    {
        $current = 0;
        if ($this->live($key)) {
            $current = self::parseInt($this->values[$key]);
            if ($current === null) {
                return false;
            }
        }
        // Same overflow rule as the server: refuse rather than wrap or turn into a float.
        if (($delta > 0 && $current > PHP_INT_MAX - $delta) || ($delta < 0 && $current < PHP_INT_MIN - $delta)) {
            return false;
        }
        $result = $current + $delta;
        // A new key gets no expiry; an existing one keeps its TTL (untouched in $expires).
        $this->values[$key] = (string) $result;
        return $result;
    }

    public function expire(string $key, int $seconds): bool
    {
        if ($seconds <= 0 || !$this->live($key)) {
            return false;
        }
        $this->expires[$key] = $this->deadline($seconds);
        return true;
    }

    public function ttl(string $key): int
    {
        $ms = $this->pttl($key);
        return $ms < 0 ? $ms : intdiv($ms + 999, 1000);
    }

    public function pttl(string $key): int
    {
        if (!$this->live($key)) {
            return -2;
        }
        if (!isset($this->expires[$key])) {
            return -1;
        }
        $left = $this->expires[$key] - $this->nowMicros();
        return intdiv($left + 999, 1000);
    }

    public function flushAll(): bool
    {
        $this->values = [];
        $this->expires = [];
        return true;
    }

    public function supportsDelPrefix(): bool
    {
        return $this->delPrefix;
    }

    public function delPrefix(string $prefix): int
    {
        if (!$this->delPrefix) {
            throw new BadMethodCallException('ephpm_kv_del_prefix is not available on this ePHPm server');
        }
        $removed = 0;
        foreach (array_keys($this->values) as $key) {
            $key = (string) $key; // PHP turns numeric-string array keys into ints
            if (str_starts_with($key, $prefix)) {
                // del() drops an expired key too, uncounted, as the server does.
                $removed += $this->del($key);
            }
        }
        return $removed;
    }

    public function supportsDelIfEquals(): bool
    {
        return $this->delIfEquals;
    }

    public function delIfEquals(string $key, string $expected): bool
    {
        if (!$this->delIfEquals) {
            throw new BadMethodCallException('ephpm_kv_del_if_equals is not available on this ePHPm server');
        }
        if (!$this->live($key) || $this->values[$key] !== $expected) {
            return false;
        }
        $this->remove($key);
        return true;
    }

    /** Whether $key holds a live entry; an expired one is dropped on the way (lazy expiry). */
    private function live(string $key): bool
    {
        if (!array_key_exists($key, $this->values)) {
            return false;
        }
        if (isset($this->expires[$key]) && $this->nowMicros() >= $this->expires[$key]) {
            $this->remove($key);
            return false;
        }
        return true;
    }

    private function remove(string $key): void
    {
        unset($this->values[$key], $this->expires[$key]);
    }

    /** Now + $seconds in microseconds, saturating instead of turning into a float past PHP_INT_MAX. */
    private function deadline(int $seconds): int
    {
        $now = $this->nowMicros();
        return $now + min($seconds, intdiv(PHP_INT_MAX - $now, 1_000_000)) * 1_000_000;
    }

    private function nowMicros(): int
    {
        return (int) round(($this->clock)() * 1_000_000);
    }

    /**
     * The server's strict integer syntax: an optional '-', then digits, no
     * '+', spaces, leading zeros or '-0', within 64 bits. Exactly the strings
     * PHP prints for an int, so a round trip through (int) decides it (a
     * string that (int) truncates, pads or clamps does not come back equal).
     */
    private static function parseInt(string $value): ?int
    {
        $n = (int) $value;
        return (string) $n === $value ? $n : null;
    }
}
