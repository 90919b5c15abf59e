<?php

declare(strict_types=1);

namespace Ephpm\Cache\Laravel\Resp;

use InvalidArgumentException;

/**
 * Where ePHPm's RESP endpoint ([kv.resp]) is, parsed from the store's
 * 'connection' (EPHPM_KV_URL):
 *
 *   unix:///run/ephpm/kv.sock            the unix socket (preferred: no TCP stack)
 *   unix:///run/ephpm/kv.sock?password=s
 *   tcp://127.0.0.1:6380?password=s      TCP
 *   redis://[user:]pass@host:port[/0]    the usual Redis URL, for tools that share one
 *
 * Query parameters: password, username, timeout (seconds, connect and each
 * reply; default 5). ePHPm has one database, so a redis:// path may only
 * name 0. A URL that is not understood is refused here, with the reason,
 * rather than connected to something else.
 */
final class RespUrl
{
    public const DEFAULT_TIMEOUT = 5.0;

    private function __construct(
        /** 'unix' or 'tcp' */
        public readonly string $transport,
        /** the socket path (unix) or host name/address (tcp; IPv6 without brackets) */
        public readonly string $host,
        /** 0 for unix */
        public readonly int $port,
        public readonly ?string $username,
        public readonly ?string $password,
        public readonly float $timeout,
    ) {
    }

    public static function parse(string $url): self
    {
        $url = trim($url);
        if ($url === '') {
            throw new InvalidArgumentException('ephpm KV connection: the URL is empty');
        }
        // parse_url() cannot read "unix:///path" (no host): take it apart by hand.
        if (preg_match('#^unix://(/[^?\#]*)(?:\?([^\#]*))?$#', $url, $m)) {
            $query = self::query($m[2] ?? '', $url);
            return new self(
                'unix',
                rawurldecode($m[1]),
                0,
                $query['username'] ?? null,
                $query['password'] ?? null,
                self::timeout($query, $url),
            );
        }
        if (preg_match('#^unix:#i', $url)) {
            throw self::bad($url, 'want an absolute socket path: unix:///path/to/kv.sock');
        }
        $parts = parse_url($url);
        if ($parts === false || !isset($parts['scheme'])) {
            throw self::bad($url, 'want unix:///path/to/kv.sock, tcp://host:port or redis://host:port');
        }
        $scheme = strtolower($parts['scheme']);
        if (!in_array($scheme, ['tcp', 'redis'], true)) {
            throw self::bad($url, "scheme \"$scheme\" is not supported (unix, tcp or redis; TLS is not)");
        }
        $host = $parts['host'] ?? '';
        if ($host === '') {
            throw self::bad($url, 'no host');
        }
        if (str_starts_with($host, '[') && str_ends_with($host, ']')) {
            $host = substr($host, 1, -1);
        }
        if (!isset($parts['port'])) {
            throw self::bad($url, 'no port (ePHPm has no default RESP port: use the one [kv.resp] listen names)');
        }
        $path = $parts['path'] ?? '';
        if ($path !== '' && $path !== '/' && $path !== '/0') {
            throw self::bad($url, 'ePHPm has one database: the path may only be /0');
        }
        $query = self::query($parts['query'] ?? '', $url);
        $username = isset($parts['user']) && $parts['user'] !== '' ? rawurldecode($parts['user']) : null;
        $password = isset($parts['pass']) ? rawurldecode($parts['pass']) : null;
        if ($password === null && $username !== null && $scheme === 'redis') {
            // redis://secret@host:port: a lone userinfo is the password, as redis-cli -u reads it.
            [$username, $password] = [null, $username];
        }
        return new self(
            'tcp',
            $host,
            (int) $parts['port'],
            $query['username'] ?? $username,
            $query['password'] ?? $password,
            self::timeout($query, $url),
        );
    }

    /** The stream_socket_client() address. */
    public function address(): string
    {
        if ($this->transport === 'unix') {
            return 'unix://' . $this->host;
        }
        $host = str_contains($this->host, ':') ? '[' . $this->host . ']' : $this->host;
        return 'tcp://' . $host . ':' . $this->port;
    }

    /** For messages: the address without credentials. */
    public function describe(): string
    {
        return $this->address() . ($this->password !== null ? ' (with password)' : '');
    }

    /** @return array<string, string> */
    private static function query(string $query, string $url): array
    {
        if ($query === '') {
            return [];
        }
        parse_str($query, $out);
        foreach ($out as $name => $value) {
            if (!in_array($name, ['password', 'username', 'timeout'], true)) {
                throw self::bad($url, "unknown parameter \"$name\" (password, username, timeout)");
            }
            if (!is_string($value)) {
                throw self::bad($url, "parameter \"$name\" given twice");
            }
        }
        return $out;
    }

    /** @param array<string, string> $query */
    private static function timeout(array $query, string $url): float
    {
        if (!isset($query['timeout'])) {
            return self::DEFAULT_TIMEOUT;
        }
        $t = $query['timeout'];
        if (!is_numeric($t) || (float) $t <= 0) {
            throw self::bad($url, "timeout must be a number of seconds above 0, got \"$t\"");
        }
        return (float) $t;
    }

    private static function bad(string $url, string $why): InvalidArgumentException
    {
        return new InvalidArgumentException('ephpm KV connection "' . self::redact($url) . '": ' . $why);
    }

    /** $url with any password replaced, so it can go into an error message or log. */
    public static function redact(string $url): string
    {
        $url = preg_replace('#(password=)[^&\#]*#i', '$1***', $url);
        return preg_replace('#^([a-z]+://)([^@/]*)@#i', '$1***@', $url);
    }
}
