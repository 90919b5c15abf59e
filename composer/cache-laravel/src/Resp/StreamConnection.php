<?php

declare(strict_types=1);

namespace Ephpm\Cache\Laravel\Resp;

/**
 * This package's own RESP2 client over stream_socket_client(), for PHP
 * without phpredis: one command at a time, connected on first use, with the
 * URL's timeout on connect and on every reply.
 *
 * A connection the server closed while it sat idle ([kv.resp] idle_timeout,
 * a server restart) is replaced once: before a command, a connection found
 * closed is reopened; and a command whose connection turns out closed
 * before any byte of its reply arrived is sent once more on a new one (the
 * server closed it without running the command). A timeout, or a connection
 * lost in the middle of a reply, is not retried: the command may have run.
 */
final class StreamConnection implements RespConnection
{
    /** @var resource|null */
    private $stream = null;

    /** Whether the open connection has carried a command already. */
    private bool $used = false;

    public function __construct(private readonly RespUrl $url)
    {
    }

    public function __destruct()
    {
        $this->close();
    }

    public function call(string ...$args): mixed
    {
        $payload = RespProtocol::encode($args);
        // A connection that waited between commands may have been closed by
        // the server: feof() polls it without blocking (as phpredis does).
        if ($this->stream !== null && $this->used && feof($this->stream)) {
            $this->close();
        }
        $retry = $this->stream !== null;
        if ($this->stream === null) {
            $this->open();
        }
        $received = false;
        try {
            return $this->roundTrip($payload, $received);
        } catch (RespStreamBroken $e) {
            $this->close();
            if (!$retry || $received || $e instanceof RespTimeout) {
                throw $this->failed($args, $e->getMessage());
            }
        }
        $this->open();
        $received = false;
        try {
            return $this->roundTrip($payload, $received);
        } catch (RespStreamBroken $e) {
            $this->close();
            throw $this->failed($args, $e->getMessage() . ' (after reconnecting)');
        }
    }

    public function describe(): string
    {
        return $this->url->describe();
    }

    public function close(): void
    {
        if ($this->stream !== null) {
            @fclose($this->stream);
            $this->stream = null;
        }
        $this->used = false;
    }

    /** @throws RespStreamBroken */
    private function roundTrip(string $payload, bool &$received): mixed
    {
        $this->write($payload);
        $this->used = true;
        return RespProtocol::read($this->stream, $received);
    }

    /** @throws RespStreamBroken */
    private function write(string $payload): void
    {
        $len = strlen($payload);
        for ($done = 0; $done < $len; $done += $n) {
            $n = @fwrite($this->stream, $done === 0 ? $payload : substr($payload, $done));
            if ($n === false || $n === 0) {
                $meta = stream_get_meta_data($this->stream);
                throw !empty($meta['timed_out'])
                    ? new RespTimeout('timed out sending a command')
                    : new RespStreamBroken('the connection closed while sending a command');
            }
        }
    }

    /** @throws KvConnectionException */
    private function open(): void
    {
        $context = stream_context_create(['socket' => ['tcp_nodelay' => true]]);
        $stream = @stream_socket_client($this->url->address(), $errno, $errstr, $this->url->timeout, STREAM_CLIENT_CONNECT, $context);
        if ($stream === false) {
            throw new KvConnectionException(sprintf(
                'ephpm KV: cannot connect to %s: %s (is `ephpm serve` running with [kv.resp]?)',
                $this->url->describe(),
                $errstr !== '' ? $errstr : "error $errno",
            ));
        }
        $seconds = (int) $this->url->timeout;
        stream_set_timeout($stream, $seconds, (int) round(($this->url->timeout - $seconds) * 1_000_000));
        $this->stream = $stream;
        $this->used = false;
        if ($this->url->password === null) {
            return;
        }
        $auth = $this->url->username !== null
            ? ['AUTH', $this->url->username, $this->url->password]
            : ['AUTH', $this->url->password];
        $received = false;
        try {
            $reply = $this->roundTrip(RespProtocol::encode($auth), $received);
        } catch (RespStreamBroken $e) {
            $this->close();
            throw new KvConnectionException('ephpm KV: AUTH at ' . $this->url->describe() . ': ' . $e->getMessage());
        }
        if ($reply !== true) {
            $this->close();
            $why = $reply instanceof RespError ? $reply->message : 'unexpected reply';
            throw new KvConnectionException('ephpm KV: AUTH refused by ' . $this->url->describe() . ': ' . $why);
        }
        $this->used = false;
    }

    /** @param list<string> $args */
    private function failed(array $args, string $why): KvConnectionException
    {
        return new KvConnectionException(sprintf('ephpm KV: %s at %s: %s', strtoupper($args[0] ?? ''), $this->url->describe(), $why));
    }
}
