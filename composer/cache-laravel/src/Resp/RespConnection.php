<?php

declare(strict_types=1);

namespace Ephpm\Cache\Laravel\Resp;

/**
 * One connection to a RESP server that sends a command and returns its
 * reply: a string (bulk or status other than OK), true (+OK), an int, null
 * (a null bulk or array), a list of those, or a RespError for an error reply.
 * A broken connection, a timeout or a refused AUTH throws
 * KvConnectionException. Implemented by StreamConnection (this package's
 * own client) and PhpRedisConnection (phpredis).
 */
interface RespConnection
{
    /**
     * @return string|int|bool|null|array<mixed>|RespError
     * @throws KvConnectionException
     */
    public function call(string ...$args): mixed;

    /** Where it connects, for messages (never the password). */
    public function describe(): string;

    /** Closes the connection; the next call() opens a new one. */
    public function close(): void;
}
