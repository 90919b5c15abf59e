<?php

declare(strict_types=1);

namespace Ephpm\Cache\Laravel;

use BadMethodCallException;
use Ephpm\Cache\Laravel\Resp\KvConnectionException;
use Ephpm\Cache\Laravel\Resp\PhpRedisConnection;
use Ephpm\Cache\Laravel\Resp\RespConnection;
use Ephpm\Cache\Laravel\Resp\RespError;
use Ephpm\Cache\Laravel\Resp\RespUrl;
use Ephpm\Cache\Laravel\Resp\StreamConnection;
use InvalidArgumentException;

/**
 * KvOpsInterface over ePHPm's RESP endpoint ([kv.resp], SPEC section 7), for
 * PHP running outside the server (php artisan, queue workers, php-fpm): the
 * same store, the same results as SapiKvOps gives inside it.
 *
 * How each ephpm_kv_* result is kept:
 *  - set/setnx: SET [NX] [EX]; false only for the memory limit's -OOM;
 *  - ttl: from PTTL, rounded up (Redis's TTL rounds to nearest);
 *  - incr_by: INCRBY; the server's error for a non-integer or an overflow is false;
 *  - expire with seconds <= 0: false without asking (Redis would delete the key);
 *  - del_if_equals / del_prefix: EPHPM.DELIFEQ / EPHPM.DELPREFIX, atomic on
 *    the server. A server without them (an older ePHPm, a plain Redis) makes
 *    supportsDelIfEquals()/supportsDelPrefix() false, found once with a
 *    harmless EPHPM.DELIFEQ of a key nobody uses, and the store falls back as
 *    it does on an older server in-process.
 * A connection or protocol failure throws KvConnectionException (the
 * functions in the server cannot fail that way, so there is no false to
 * hide it in).
 */
final class RespKvOps implements KvOpsInterface
{
    /**
     * The longest TTL sent, 2^32-1 seconds (136 years): "forever" in effect,
     * and clear of the deadline arithmetic of any RESP server (Redis refuses
     * a SET EX whose deadline overflows; ePHPm keeps nanoseconds), where
     * the functions in-process saturate a larger one instead.
     */
    public const MAX_TTL = 4_294_967_295;

    private ?bool $ephpmCommands = null;

    public function __construct(private readonly RespConnection $conn)
    {
    }

    /**
     * @param string $url see RespUrl: unix:///path, tcp://host:port?password=..., redis://...
     * @param string $client 'auto' (phpredis when loaded, else the package's own client), 'phpredis' or 'stream'
     * @throws InvalidArgumentException for a URL or client that is not understood
     */
    public static function fromUrl(string $url, string $client = 'auto'): self
    {
        $parsed = RespUrl::parse($url);
        $conn = match ($client) {
            'auto' => PhpRedisConnection::available() ? new PhpRedisConnection($parsed) : new StreamConnection($parsed),
            'phpredis' => PhpRedisConnection::available()
                ? new PhpRedisConnection($parsed)
                : throw new InvalidArgumentException("ephpm KV: client 'phpredis' asked for, but the redis extension is not loaded"),
            'stream' => new StreamConnection($parsed),
            default => throw new InvalidArgumentException("ephpm KV: unknown client '$client' (auto, phpredis or stream)"),
        };
        return new self($conn);
    }

    public function connection(): RespConnection
    {
        return $this->conn;
    }

    public function get(string $key): ?string
    {
        $reply = $this->conn->call('GET', $key);
        if ($reply === null || is_string($reply)) {
            return $reply;
        }
        throw $this->unexpected('GET', $reply);
    }

    public function set(string $key, string $value, int $ttl = 0): bool
    {
        return $this->store($ttl > 0 ? ['SET', $key, $value, 'EX', self::seconds($ttl)] : ['SET', $key, $value]);
    }

    public function setnx(string $key, string $value, int $ttl = 0): bool
    {
        return $this->store($ttl > 0 ? ['SET', $key, $value, 'NX', 'EX', self::seconds($ttl)] : ['SET', $key, $value, 'NX']);
    }

    public function del(string $key): int
    {
        return $this->integer('DEL', $key);
    }

    public function exists(string $key): bool
    {
        return $this->integer('EXISTS', $key) > 0;
    }

    public function incrBy(string $key, int $delta): int|false
    {
        $reply = $this->conn->call('INCRBY', $key, (string) $delta);
        if (is_int($reply)) {
            return $reply;
        }
        // "ERR value is not an integer or out of range", "ERR increment or
        // decrement would overflow", or the memory limit's OOM: the value is
        // untouched, as with ephpm_kv_incr_by's false.
        if ($reply instanceof RespError && in_array($reply->code(), ['ERR', 'OOM'], true)) {
            return false;
        }
        throw $this->unexpected('INCRBY', $reply);
    }

    public function expire(string $key, int $seconds): bool
    {
        if ($seconds <= 0) {
            return false; // ephpm_kv_expire refuses and leaves the key; EXPIRE would delete it
        }
        return $this->integer('EXPIRE', $key, self::seconds($seconds)) === 1;
    }

    public function ttl(string $key): int
    {
        $ms = $this->pttl($key);
        return $ms < 0 ? $ms : intdiv($ms + 999, 1000);
    }

    public function pttl(string $key): int
    {
        return $this->integer('PTTL', $key);
    }

    public function flushAll(): bool
    {
        $reply = $this->conn->call('FLUSHDB');
        if ($reply === true || $reply === 'OK') {
            return true;
        }
        throw $this->unexpected('FLUSHDB', $reply);
    }

    public function supportsDelPrefix(): bool
    {
        return $this->hasEphpmCommands();
    }

    public function delPrefix(string $prefix): int
    {
        if (!$this->hasEphpmCommands()) {
            throw new BadMethodCallException('EPHPM.DELPREFIX is not available on this RESP server');
        }
        return $this->integer('EPHPM.DELPREFIX', $prefix);
    }

    public function supportsDelIfEquals(): bool
    {
        return $this->hasEphpmCommands();
    }

    public function delIfEquals(string $key, string $expected): bool
    {
        if (!$this->hasEphpmCommands()) {
            throw new BadMethodCallException('EPHPM.DELIFEQ is not available on this RESP server');
        }
        return $this->integer('EPHPM.DELIFEQ', $key, $expected) === 1;
    }

    /** SET's result: true, false for NX not applied or for the memory limit. */
    private function store(array $args): bool
    {
        $reply = $this->conn->call(...$args);
        if ($reply === true || $reply === 'OK') {
            return true;
        }
        if ($reply === null) {
            return false; // NX: a live entry exists
        }
        if ($reply instanceof RespError && $reply->code() === 'OOM') {
            return false; // noeviction refused it; the old value stays
        }
        throw $this->unexpected('SET', $reply);
    }

    private function integer(string ...$args): int
    {
        $reply = $this->conn->call(...$args);
        if (is_int($reply)) {
            return $reply;
        }
        throw $this->unexpected($args[0], $reply);
    }

    /** Whether the server has EPHPM.DELIFEQ and EPHPM.DELPREFIX (asked once). */
    private function hasEphpmCommands(): bool
    {
        if ($this->ephpmCommands === null) {
            // A random key nobody holds: deletes nothing anywhere.
            $reply = $this->conn->call('EPHPM.DELIFEQ', 'ephpm:probe:' . bin2hex(random_bytes(12)), '');
            if ($reply instanceof RespError && $reply->isUnknownCommand()) {
                $this->ephpmCommands = false;
            } elseif (is_int($reply)) {
                $this->ephpmCommands = true;
            } else {
                throw $this->unexpected('EPHPM.DELIFEQ', $reply);
            }
        }
        return $this->ephpmCommands;
    }

    private static function seconds(int $seconds): string
    {
        return (string) min($seconds, self::MAX_TTL);
    }

    private function unexpected(string $command, mixed $reply): KvConnectionException
    {
        $what = $reply instanceof RespError ? 'error "' . $reply->message . '"' : 'reply ' . get_debug_type($reply);
        $hint = $reply instanceof RespError && $reply->code() === 'NOAUTH' ? ' (the server has a password: add ?password=... to the URL)' : '';
        return new KvConnectionException("ephpm KV: unexpected $what to $command from " . $this->conn->describe() . $hint);
    }
}
