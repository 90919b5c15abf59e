<?php

declare(strict_types=1);

namespace Ephpm\Cache\Laravel;

use Illuminate\Cache\TaggableStore;
use Illuminate\Contracts\Cache\LockProvider;

/**
 * Laravel cache store over ePHPm's in-process KV store.
 *
 * Keys are stored as "$prefix:$key" (just "$key" when the prefix is empty),
 * as Laravel's Redis store does, so a prefix-scoped flush() can never touch
 * another store's keys. Integers are stored as plain decimal text, so that
 * increment() works on a value written with put() and a counter written by
 * increment() reads back as an int; every other value (floats, numeric
 * strings, bools, null, arrays, objects) goes through serialize(), so it
 * comes back with its exact PHP type and value.
 *
 * Extends TaggableStore for Cache::tags(): Laravel keeps each tag's current
 * namespace id in the store itself, so tagged flushes work here as they do
 * on any store that has forever() and forget().
 *
 * Parameters are untyped on purpose: they implement Laravel's untyped Store
 * contract, the same from Laravel 8 to 13, and an implementation may not
 * narrow a parameter. Return types are declared: they are allowed against an
 * untyped contract and stay compatible if a later contract adds them.
 */
class EphpmStore extends TaggableStore implements LockProvider
{
    private KvOpsInterface $ops;

    /** The key prefix including its ':' separator, or '' for none. */
    private string $prefix = '';

    public function __construct(string $prefix = '', ?KvOpsInterface $ops = null)
    {
        $this->ops = $ops ?? new SapiKvOps();
        $this->setPrefix($prefix);
    }

    /**
     * @param  string  $key
     * @return mixed  null on a miss
     */
    public function get($key): mixed
    {
        $raw = $this->ops->get($this->key($key));
        return $raw === null ? null : $this->decode($raw);
    }

    /**
     * One KV call per key: each is a direct in-process call, so there is no
     * round trip to batch away.
     *
     * @return array<string, mixed>
     */
    public function many(array $keys): array
    {
        $values = [];
        foreach ($keys as $key) {
            $values[$key] = $this->get($key);
        }
        return $values;
    }

    /**
     * @param  string  $key
     * @param  mixed  $value
     * @param  int  $seconds  floored to 1 (as Laravel's Redis store does); use forever() for no expiry
     * @return bool
     */
    public function put($key, $value, $seconds): bool
    {
        return $this->ops->set($this->key($key), $this->encode($value), self::ttl($seconds));
    }

    /**
     * @param  array<string, mixed>  $values
     * @param  int  $seconds
     * @return bool  true only when every write succeeded
     */
    public function putMany(array $values, $seconds): bool
    {
        $ok = true;
        foreach ($values as $key => $value) {
            // No short-circuit: a refused write must not skip the others.
            $ok = $this->put($key, $value, $seconds) && $ok;
        }
        return $ok;
    }

    /**
     * Stores the value only if the key holds nothing live, atomically
     * (ephpm_kv_setnx): of concurrent add() calls exactly one wins.
     * Repository::add() calls this when the store has it.
     *
     * @param  string  $key
     * @param  mixed  $value
     * @param  int  $seconds
     * @return bool
     */
    public function add($key, $value, $seconds): bool
    {
        return $this->ops->setnx($this->key($key), $this->encode($value), self::ttl($seconds));
    }

    /**
     * Atomic (ephpm_kv_incr_by). A missing key starts at 0 with no expiry; an
     * existing one keeps its TTL.
     *
     * @param  string  $key
     * @param  mixed  $value
     * @return int|false  false when the key holds anything but an integer, or on overflow
     */
    public function increment($key, $value = 1): int|false
    {
        return $this->ops->incrBy($this->key($key), (int) $value);
    }

    /**
     * @param  string  $key
     * @param  mixed  $value
     * @return int|false
     */
    public function decrement($key, $value = 1): int|false
    {
        $value = (int) $value;
        if ($value === PHP_INT_MIN) {
            return false; // -PHP_INT_MIN does not fit in an int: an overflow either way
        }
        return $this->ops->incrBy($this->key($key), -$value);
    }

    /**
     * @param  string  $key
     * @param  mixed  $value
     * @return bool
     */
    public function forever($key, $value): bool
    {
        return $this->ops->set($this->key($key), $this->encode($value), 0);
    }

    /**
     * Gives a live item a new TTL from now (Laravel 13's Store::touch; usable
     * directly on older versions).
     *
     * @param  string  $key
     * @param  int  $seconds  floored to 1, as put()
     * @return bool  false when the key is missing or expired
     */
    public function touch($key, $seconds): bool
    {
        return $this->ops->expire($this->key($key), self::ttl($seconds));
    }

    /**
     * @param  string  $key
     * @return bool  whether a live item was removed
     */
    public function forget($key): bool
    {
        return $this->ops->del($this->key($key)) > 0;
    }

    /**
     * Removes this store's keys. With a prefix, only keys under "$prefix:"
     * go (ephpm_kv_del_prefix), so other stores sharing the server keep
     * theirs. Without a prefix the store owns the whole KV, and flush() empties
     * it (ephpm_kv_flush_all), as Laravel's Redis store flushes its database.
     *
     * @return bool  false when the server lacks ephpm_kv_del_prefix (older
     *               servers): nothing is removed then; bump the prefix instead
     */
    public function flush(): bool
    {
        if ($this->prefix === '') {
            return $this->ops->flushAll();
        }
        if (!$this->ops->supportsDelPrefix()) {
            return false;
        }
        $this->ops->delPrefix($this->prefix);
        return true;
    }

    /**
     * A lock held in the KV store under the same key layout as items (as with
     * Laravel's Redis store, so don't name a lock like a cache key).
     *
     * @param  string  $name
     * @param  int  $seconds  0 for a lock without expiry
     * @param  string|null  $owner  random when null
     * @return EphpmLock
     */
    public function lock($name, $seconds = 0, $owner = null): EphpmLock
    {
        return new EphpmLock($this->ops, $this->key($name), (int) $seconds, $owner);
    }

    /**
     * The lock $name as held by $owner, e.g. in another request or a queued job.
     *
     * @param  string  $name
     * @param  string  $owner
     * @return EphpmLock
     */
    public function restoreLock($name, $owner): EphpmLock
    {
        return $this->lock($name, 0, $owner);
    }

    /**
     * The prefix as applied to keys, separator included ("cache:"), or '' —
     * the same convention as Laravel's Redis store.
     *
     * @return string
     */
    public function getPrefix(): string
    {
        return $this->prefix;
    }

    public function setPrefix(string $prefix): void
    {
        $this->prefix = $prefix !== '' ? $prefix . ':' : '';
    }

    /** The KV operations this store runs on. */
    public function getOps(): KvOpsInterface
    {
        return $this->ops;
    }

    private function key($key): string
    {
        return $this->prefix . $key;
    }

    private function encode($value): string
    {
        return is_int($value) ? (string) $value : serialize($value);
    }

    private function decode(string $raw)
    {
        // Plain decimal text is an int: written by put() of an int or by
        // incr_by. serialize() output never looks like that ("i:5;", "s:1:...").
        if ($raw === (string) (int) $raw) {
            return (int) $raw;
        }
        // A value someone wrote with ephpm_kv_set directly is not serialized:
        // hand it back as the string it is rather than false (and unserialize's
        // notice, which Laravel turns into an exception).
        $value = @unserialize($raw);
        if ($value === false && $raw !== 'b:0;') {
            return $raw;
        }
        return $value;
    }

    /**
     * The longest TTL handed to the KV: 2^31-1 seconds, 68 years. The KV is
     * in-process, so nothing outlives a restart anyway; and it keeps the
     * "forever" idiom put($k, $v, 9999999999) clear of the server's deadline
     * arithmetic in nanoseconds, which overflows past about 292 years.
     */
    public const MAX_TTL = 2_147_483_647;

    /** Seconds for the KV TTL: at least 1, since 0 would mean "no expiry" there; at most MAX_TTL. */
    private static function ttl($seconds): int
    {
        $seconds = ceil((float) $seconds);
        return $seconds >= self::MAX_TTL ? self::MAX_TTL : max(1, (int) $seconds);
    }
}
