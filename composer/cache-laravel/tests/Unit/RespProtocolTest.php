<?php

declare(strict_types=1);

namespace Ephpm\Cache\Laravel\Tests\Unit;

use Ephpm\Cache\Laravel\Resp\RespError;
use Ephpm\Cache\Laravel\Resp\RespProtocol;
use Ephpm\Cache\Laravel\Resp\RespStreamBroken;
use Ephpm\Cache\Laravel\Resp\RespTimeout;
use PHPUnit\Framework\TestCase;

/**
 * The package's RESP2 encoder and reply parser, over a real socket pair:
 * what one end writes (in whatever pieces), the other parses.
 */
final class RespProtocolTest extends TestCase
{
    /** @var resource */
    private $ours;
    /** @var resource */
    private $theirs;

    protected function setUp(): void
    {
        [$this->ours, $this->theirs] = stream_socket_pair(STREAM_PF_UNIX, STREAM_SOCK_STREAM, STREAM_IPPROTO_IP);
        stream_set_timeout($this->ours, 2);
    }

    protected function tearDown(): void
    {
        foreach ([$this->ours, $this->theirs] as $end) {
            if (is_resource($end)) {
                fclose($end);
            }
        }
    }

    private function reply(string $bytes): mixed
    {
        fwrite($this->theirs, $bytes);
        return RespProtocol::read($this->ours);
    }

    public function testEncodeIsBinarySafe(): void
    {
        $this->assertSame("*3\r\n\$3\r\nSET\r\n\$4\r\na\0\r\n\r\n\$0\r\n\r\n", RespProtocol::encode(['SET', "a\0\r\n", '']));
        $this->assertSame("*1\r\n\$4\r\nPING\r\n", RespProtocol::encode(['PING']));
    }

    public function testCommandsRoundTripThroughTheParser(): void
    {
        // The parser reads an encoded command back (a RESP array of bulks).
        $args = ['SET', "k\0\xff", str_repeat("\r\n", 5000), ''];
        $this->assertSame($args, $this->reply(RespProtocol::encode($args)));
    }

    /** @return array<string, array{string, mixed}> */
    public static function replies(): array
    {
        return [
            'OK' => ["+OK\r\n", true],
            'other status' => ["+PONG\r\n", 'PONG'],
            'integer' => [":42\r\n", 42],
            'negative integer' => [":-7\r\n", -7],
            'int64 max' => [':' . PHP_INT_MAX . "\r\n", PHP_INT_MAX],
            'int64 min' => [':' . PHP_INT_MIN . "\r\n", PHP_INT_MIN],
            'bulk' => ["\$5\r\nhello\r\n", 'hello'],
            'empty bulk' => ["\$0\r\n\r\n", ''],
            'bulk with CRLF and NUL inside' => ["\$6\r\na\r\n\0\r\n\r\n", "a\r\n\0\r\n"],
            'null bulk' => ["\$-1\r\n", null],
            'null array' => ["*-1\r\n", null],
            'empty array' => ["*0\r\n", []],
            'nested array' => ["*3\r\n:1\r\n*2\r\n\$1\r\na\r\n\$-1\r\n+OK\r\n", [1, ['a', null], true]],
        ];
    }

    /** @dataProvider replies */
    public function testReplies(string $bytes, mixed $want): void
    {
        $this->assertSame($want, $this->reply($bytes));
    }

    public function testErrorReplies(): void
    {
        $e = $this->reply("-ERR value is not an integer or out of range\r\n");
        $this->assertInstanceOf(RespError::class, $e);
        $this->assertSame('ERR value is not an integer or out of range', $e->message);
        $this->assertSame('ERR', $e->code());
        $this->assertFalse($e->isUnknownCommand());
        $oom = $this->reply("-OOM command not allowed when used memory > 'maxmemory'.\r\n");
        $this->assertSame('OOM', $oom->code());
        $this->assertTrue($this->reply("-ERR unknown command 'EPHPM.DELIFEQ', with args beginning with: \r\n")->isUnknownCommand());
        // An error inside an array is an element, not the end of the reply.
        $arr = $this->reply("*2\r\n-ERR x\r\n:1\r\n");
        $this->assertInstanceOf(RespError::class, $arr[0]);
        $this->assertSame(1, $arr[1]);
    }

    public function testAReplyArrivingInPiecesIsWaitedFor(): void
    {
        $big = random_bytes(200_000);
        $bytes = '$' . strlen($big) . "\r\n" . $big . "\r\n";
        // The writer blocks until the reader drains the socket buffer, so write from a child.
        if (!function_exists('pcntl_fork')) {
            $this->markTestSkipped('needs the pcntl extension (php-cli has it)');
        }
        $pid = pcntl_fork();
        if ($pid === 0) {
            foreach (str_split($bytes, 7_777) as $piece) {
                fwrite($this->theirs, $piece);
                usleep(200);
            }
            posix_kill(posix_getpid(), SIGKILL);
        }
        $this->assertSame($big, RespProtocol::read($this->ours));
        pcntl_waitpid($pid, $status);
    }

    public function testConsecutiveRepliesStayFramed(): void
    {
        fwrite($this->theirs, ":1\r\n\$3\r\nabc\r\n+OK\r\n\$-1\r\n");
        $this->assertSame(1, RespProtocol::read($this->ours));
        $this->assertSame('abc', RespProtocol::read($this->ours));
        $this->assertTrue(RespProtocol::read($this->ours));
        $this->assertNull(RespProtocol::read($this->ours));
    }

    /** @return array<string, array{string, string}> */
    public static function brokenReplies(): array
    {
        return [
            'unknown type byte' => ["?what\r\n", 'not a RESP reply'],
            'a bare line' => ["OK\r\n", 'not a RESP reply'],
            'LF without CR' => ["+OK\n", 'not a RESP reply'],
            'integer with junk' => [":12a\r\n", 'not a RESP integer'],
            'integer too large' => [":9223372036854775808\r\n", 'not a RESP integer'],
            'bulk length with junk' => ["\$3x\r\nabc\r\n", 'not a RESP integer'],
            'bulk without its CRLF' => ["\$3\r\nabcXY", 'not followed by CRLF'],
        ];
    }

    /** @dataProvider brokenReplies */
    public function testBrokenFramingIsAnError(string $bytes, string $why): void
    {
        $this->expectException(RespStreamBroken::class);
        $this->expectExceptionMessage($why);
        $this->reply($bytes);
    }

    /** @return array<string, array{string, bool}> */
    public static function closedConnections(): array
    {
        return [
            'before a reply' => ['', false],
            'in the middle of a reply' => ["*2\r\n:1\r\n\$10\r\nabc", true],
        ];
    }

    /**
     * A connection closed before a reply or in its middle: a broken stream
     * (not a timeout) that says "closed", and $received tells whether any
     * of the reply arrived.
     *
     * @dataProvider closedConnections
     */
    public function testAConnectionClosed(string $sent, bool $partial): void
    {
        if ($sent !== '') {
            fwrite($this->theirs, $sent);
        }
        fclose($this->theirs);
        $received = false;
        try {
            RespProtocol::read($this->ours, $received);
            $this->fail('no exception');
        } catch (RespStreamBroken $e) {
            $this->assertNotInstanceOf(RespTimeout::class, $e);
            $this->assertStringContainsString('closed', $e->getMessage());
        }
        $this->assertSame($partial, $received, 'whether part of the reply arrived');
    }

    public function testNoReplyInTimeIsATimeout(): void
    {
        stream_set_timeout($this->ours, 0, 200_000);
        $started = microtime(true);
        try {
            RespProtocol::read($this->ours);
            $this->fail('no exception');
        } catch (RespTimeout $e) {
            $this->assertStringContainsString('timed out', $e->getMessage());
        }
        $this->assertGreaterThanOrEqual(0.19, microtime(true) - $started);
    }

    public function testDeepNestingIsRefused(): void
    {
        $this->expectException(RespStreamBroken::class);
        $this->reply(str_repeat("*1\r\n", 40) . ":1\r\n");
    }
}
