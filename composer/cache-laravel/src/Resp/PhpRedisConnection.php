<?php

declare(strict_types=1);

namespace Ephpm\Cache\Laravel\Resp;

use Redis;
use RedisException;

/**
 * RespConnection over phpredis (the redis extension), used when it is
 * loaded: its C reply parser is faster than PHP's. Commands go through
 * rawCommand(), so no phpredis option (prefix, serializer) touches keys or
 * values. A connection the server closed while idle is replaced by phpredis
 * before the next command; one lost under a command is an error (phpredis
 * cannot tell whether part of the reply arrived), and the next call opens a
 * new connection.
 */
final class PhpRedisConnection implements RespConnection
{
    private ?Redis $redis = null;

    public function __construct(private readonly RespUrl $url)
    {
    }

    public static function available(): bool
    {
        return extension_loaded('redis');
    }

    public function call(string ...$args): mixed
    {
        // phpredis itself checks the socket before each command and, found
        // closed by the server, reconnects and authenticates again.
        $redis = $this->redis ??= $this->open();
        try {
            $reply = $redis->rawCommand(...$args);
        } catch (RedisException $e) {
            // phpredis throws for error replies other than ERR and a few
            // more (OOM, NOAUTH, ...), keeping the connection: those are
            // replies like any other. A lost connection or a timeout leaves
            // it disconnected.
            $error = $redis->isConnected() ? $redis->getLastError() : null;
            if ($error !== null && $error === $e->getMessage()) {
                $redis->clearLastError();
                return new RespError(rtrim($error));
            }
            $this->close();
            throw new KvConnectionException(sprintf('ephpm KV: %s at %s: %s', strtoupper($args[0] ?? ''), $this->url->describe(), $e->getMessage()), 0, $e);
        }
        if ($reply === false) {
            // false is both a null bulk and an error reply: the last error tells them apart.
            $error = $redis->getLastError();
            if ($error !== null) {
                $redis->clearLastError();
                return new RespError(rtrim($error));
            }
            return null;
        }
        return $reply;
    }

    public function describe(): string
    {
        return $this->url->describe();
    }

    public function close(): void
    {
        if ($this->redis !== null) {
            try {
                $this->redis->close();
            } catch (RedisException) {
                // already gone
            }
            $this->redis = null;
        }
    }

    private function open(): Redis
    {
        $redis = new Redis();
        try {
            $ok = $this->url->transport === 'unix'
                ? $redis->connect($this->url->host, 0, $this->url->timeout, null, 0, $this->url->timeout)
                : $redis->connect($this->url->host, $this->url->port, $this->url->timeout, null, 0, $this->url->timeout);
        } catch (RedisException $e) {
            throw new KvConnectionException('ephpm KV: cannot connect to ' . $this->url->describe() . ': ' . $e->getMessage() . ' (is `ephpm serve` running with [kv.resp]?)', 0, $e);
        }
        if (!$ok) {
            throw new KvConnectionException('ephpm KV: cannot connect to ' . $this->url->describe() . ' (is `ephpm serve` running with [kv.resp]?)');
        }
        if ($this->url->password !== null) {
            $credentials = $this->url->username !== null ? [$this->url->username, $this->url->password] : $this->url->password;
            try {
                $ok = $redis->auth($credentials);
                $why = $ok ? '' : (string) $redis->getLastError();
            } catch (RedisException $e) {
                $ok = false;
                $why = $e->getMessage();
            }
            if (!$ok) {
                $redis->close();
                throw new KvConnectionException('ephpm KV: AUTH refused by ' . $this->url->describe() . ': ' . rtrim($why));
            }
        }
        return $redis;
    }
}
