<?php

declare(strict_types=1);

namespace Ephpm\Cache\Laravel\Tests\Support;

use Ephpm\Cache\Laravel\Resp\RespConnection;
use RuntimeException;

/**
 * A RespConnection that answers from a queue of replies and records the
 * commands: for what RespKvOps sends and how it reads each reply, where a
 * real server cannot be made to give that reply (an OOM, a NOAUTH).
 */
final class RecordingConnection implements RespConnection
{
    /** @var list<list<string>> */
    public array $sent = [];

    /** @param list<mixed> $replies */
    public function __construct(private array $replies = [])
    {
    }

    public function reply(mixed ...$replies): self
    {
        array_push($this->replies, ...$replies);
        return $this;
    }

    public function call(string ...$args): mixed
    {
        $this->sent[] = $args;
        if ($this->replies === []) {
            throw new RuntimeException('unexpected command ' . implode(' ', $args));
        }
        return array_shift($this->replies);
    }

    public function describe(): string
    {
        return 'recording';
    }

    public function close(): void
    {
    }
}
