<?php

declare(strict_types=1);

namespace Ephpm\Cache\Laravel\Resp;

/** An error reply ("-ERR ...", "-OOM ..."), which leaves the connection usable. */
final class RespError
{
    public function __construct(public readonly string $message)
    {
    }

    /** The error code: the message's first word ("ERR", "OOM", "WRONGPASS"). */
    public function code(): string
    {
        $space = strpos($this->message, ' ');
        return $space === false ? $this->message : substr($this->message, 0, $space);
    }

    /** Whether the server does not know the command (an older ePHPm, or a plain Redis). */
    public function isUnknownCommand(): bool
    {
        return str_starts_with($this->message, 'ERR unknown command');
    }
}
