<?php

declare(strict_types=1);

namespace Ephpm\Cache\Laravel\Resp;

/**
 * RESP2 on a PHP stream: commands out as arrays of bulk strings (binary
 * safe: lengths, never terminators), replies in as PHP values (see
 * RespConnection). Used by StreamConnection; separate so that its parsing
 * can be tested on a socket pair without a server.
 */
final class RespProtocol
{
    /** Nesting deeper than this is not a reply to any command we send. */
    private const MAX_DEPTH = 32;

    /** @param list<string> $args */
    public static function encode(array $args): string
    {
        $out = '*' . count($args) . "\r\n";
        foreach ($args as $arg) {
            $out .= '$' . strlen($arg) . "\r\n" . $arg . "\r\n";
        }
        return $out;
    }

    /**
     * Reads one reply from $stream.
     *
     * @param resource $stream
     * @param bool $received set to true as soon as any byte of the reply was read
     * @return string|int|bool|null|array<mixed>|RespError
     * @throws RespStreamBroken when the stream ends or carries something that is not RESP (RespTimeout: no reply in time)
     */
    public static function read($stream, bool &$received = false): mixed
    {
        return self::readValue($stream, $received, 0);
    }

    /** @param resource $stream */
    private static function readValue($stream, bool &$received, int $depth): mixed
    {
        $line = fgets($stream);
        if ($line === false) {
            throw self::broken($stream, 'waiting for a reply');
        }
        $received = true;
        if (strlen($line) < 3 || substr($line, -2) !== "\r\n") {
            throw self::brokenLine($stream, $line);
        }
        $type = $line[0];
        $body = substr($line, 1, -2);
        switch ($type) {
            case '+':
                return $body === 'OK' ? true : $body;
            case '-':
                return new RespError($body);
            case ':':
                return self::integer($body, $line);
            case '$':
                $len = self::integer($body, $line);
                if ($len < 0) {
                    return null;
                }
                $data = stream_get_contents($stream, $len + 2);
                if ($data === false || strlen($data) !== $len + 2) {
                    throw self::broken($stream, "reading a bulk string of $len bytes");
                }
                if (substr($data, -2) !== "\r\n") {
                    throw new RespStreamBroken('a bulk string of ' . $len . ' bytes is not followed by CRLF');
                }
                return substr($data, 0, $len);
            case '*':
                $n = self::integer($body, $line);
                if ($n < 0) {
                    return null;
                }
                if ($depth >= self::MAX_DEPTH) {
                    throw new RespStreamBroken('a reply nested deeper than ' . self::MAX_DEPTH . ' arrays');
                }
                $items = [];
                for ($i = 0; $i < $n; $i++) {
                    $items[] = self::readValue($stream, $received, $depth + 1);
                }
                return $items;
            default:
                throw self::brokenLine($stream, $line);
        }
    }

    private static function integer(string $body, string $line): int
    {
        // Exactly the decimal forms a server sends; anything else means we lost the framing.
        if (!preg_match('/^-?[0-9]{1,19}$/', $body) || (string) (int) $body !== $body) {
            throw new RespStreamBroken('not a RESP integer: ' . self::show($line));
        }
        return (int) $body;
    }

    /** @param resource $stream */
    private static function broken($stream, string $doing): RespStreamBroken
    {
        $meta = stream_get_meta_data($stream);
        if (!empty($meta['timed_out'])) {
            return new RespTimeout("timed out $doing");
        }
        return new RespStreamBroken("the connection closed while $doing");
    }

    /** @param resource $stream */
    private static function brokenLine($stream, string $line): RespStreamBroken
    {
        $meta = stream_get_meta_data($stream);
        if (!empty($meta['timed_out'])) {
            return new RespTimeout('timed out in the middle of a reply');
        }
        if (!str_ends_with($line, "\n") && feof($stream)) {
            return new RespStreamBroken('the connection closed in the middle of a reply');
        }
        return new RespStreamBroken('not a RESP reply: ' . self::show($line));
    }

    private static function show(string $line): string
    {
        $line = strlen($line) > 60 ? substr($line, 0, 60) . '...' : $line;
        return json_encode($line, JSON_INVALID_UTF8_SUBSTITUTE) ?: '?';
    }
}
