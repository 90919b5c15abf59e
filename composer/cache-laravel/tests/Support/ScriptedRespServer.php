<?php

declare(strict_types=1);

namespace Ephpm\Cache\Laravel\Tests\Support;

use Ephpm\Cache\Laravel\Resp\RespProtocol;
use RuntimeException;

/**
 * A RESP server that follows a script, in a child process (pcntl_fork), on a
 * unix socket: for each connection it accepts, in order, one list of steps;
 * each step reads one command and answers with the given raw bytes, or
 * closes the connection without an answer (CLOSE), or never answers (HANG).
 * After a connection's last step it closes that connection. Every command
 * received and every close is logged, for the test to read. For the
 * client's failure paths, which a real server does not produce on demand.
 */
final class ScriptedRespServer
{
    public const CLOSE = "\0close";
    public const HANG = "\0hang";

    public readonly string $path;
    private string $dir;
    private string $log;
    private int $pid;

    /** @param list<list<string>> $connections */
    public function __construct(array $connections)
    {
        if (!function_exists('pcntl_fork')) {
            throw new RuntimeException('the scripted RESP server needs the pcntl extension');
        }
        $this->dir = sys_get_temp_dir() . '/ephpm-resp-' . bin2hex(random_bytes(6));
        mkdir($this->dir);
        $this->path = $this->dir . '/s.sock';
        $this->log = $this->dir . '/log';
        touch($this->log);
        $server = stream_socket_server('unix://' . $this->path, $errno, $errstr);
        if ($server === false) {
            throw new RuntimeException("listen on {$this->path}: $errstr");
        }
        $pid = pcntl_fork();
        if ($pid === -1) {
            throw new RuntimeException('fork failed');
        }
        if ($pid === 0) {
            $this->serve($server, $connections);
            // Not exit(): that would run the parent's (PHPUnit's) shutdown code here too.
            posix_kill(posix_getpid(), SIGKILL);
        }
        fclose($server);
        $this->pid = $pid;
    }

    /** @param resource $server */
    private function serve($server, array $connections): void
    {
        foreach ($connections as $n => $steps) {
            $conn = @stream_socket_accept($server, 20);
            if ($conn === false) {
                return;
            }
            stream_set_timeout($conn, 20);
            foreach ($steps as $reply) {
                try {
                    $command = RespProtocol::read($conn);
                } catch (RuntimeException) {
                    $this->write(['eof' => $n]);
                    continue 2;
                }
                $this->write(['conn' => $n, 'cmd' => $command]);
                if ($reply === self::CLOSE) {
                    break;
                }
                if ($reply === self::HANG) {
                    sleep(10);
                    break;
                }
                fwrite($conn, $reply);
            }
            fclose($conn);
            $this->write(['closed' => $n]);
        }
    }

    private function write(array $entry): void
    {
        file_put_contents($this->log, json_encode($entry, JSON_INVALID_UTF8_SUBSTITUTE) . "\n", FILE_APPEND | LOCK_EX);
    }

    /** @return list<array<string, mixed>> what happened so far */
    public function events(): array
    {
        $lines = array_filter(explode("\n", (string) file_get_contents($this->log)));
        return array_map(static fn ($l) => json_decode($l, true), array_values($lines));
    }

    /** @return list<list<string>> the commands received, in order */
    public function commands(): array
    {
        return array_values(array_map(static fn ($e) => $e['cmd'], array_filter($this->events(), static fn ($e) => isset($e['cmd']))));
    }

    /** Waits until the server has closed connection $n (0-based). */
    public function waitClosed(int $n): void
    {
        $deadline = microtime(true) + 10;
        while (microtime(true) < $deadline) {
            foreach ($this->events() as $e) {
                if (($e['closed'] ?? null) === $n) {
                    return;
                }
            }
            usleep(10_000);
        }
        throw new RuntimeException("the scripted server did not close connection $n");
    }

    public function stop(): void
    {
        if ($this->pid > 0) {
            posix_kill($this->pid, SIGKILL);
            pcntl_waitpid($this->pid, $status);
            $this->pid = 0;
        }
        @unlink($this->path);
        @unlink($this->log);
        @rmdir($this->dir);
    }

    public function __destruct()
    {
        $this->stop();
    }
}
