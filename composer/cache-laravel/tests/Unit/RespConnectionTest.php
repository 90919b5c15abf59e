<?php

declare(strict_types=1);

namespace Ephpm\Cache\Laravel\Tests\Unit;

use Ephpm\Cache\Laravel\Resp\KvConnectionException;
use Ephpm\Cache\Laravel\Resp\PhpRedisConnection;
use Ephpm\Cache\Laravel\Resp\RespConnection;
use Ephpm\Cache\Laravel\Resp\RespError;
use Ephpm\Cache\Laravel\Resp\RespUrl;
use Ephpm\Cache\Laravel\Resp\StreamConnection;
use Ephpm\Cache\Laravel\Tests\Support\ScriptedRespServer;
use PHPUnit\Framework\TestCase;

/**
 * Both RESP clients against a scripted server: AUTH, a connection the server
 * closed while idle (replaced once), one closed under a command (sent again
 * only when nothing of the reply came and the connection had been used), a
 * timeout (never resent).
 */
final class RespConnectionTest extends TestCase
{
    private ?ScriptedRespServer $server = null;

    protected function tearDown(): void
    {
        $this->server?->stop();
    }

    /** @return array<string, array{string}> */
    public static function clients(): array
    {
        return ['stream' => ['stream'], 'phpredis' => ['phpredis']];
    }

    private function connect(string $client, array $script, string $query = ''): RespConnection
    {
        if (!function_exists('pcntl_fork')) {
            $this->markTestSkipped('the scripted server runs in a child process: needs the pcntl extension (php-cli has it)');
        }
        if ($client === 'phpredis' && !PhpRedisConnection::available()) {
            $this->markTestSkipped('the redis extension (phpredis) is not loaded');
        }
        $this->server = new ScriptedRespServer($script);
        $url = RespUrl::parse('unix://' . $this->server->path . $query);
        return $client === 'stream' ? new StreamConnection($url) : new PhpRedisConnection($url);
    }

    /** @dataProvider clients */
    public function testRepliesAndAuth(string $client): void
    {
        $conn = $this->connect($client, [[
            "+OK\r\n", "\$3\r\nv\0w\r\n", "\$-1\r\n", ":5\r\n", "-ERR no\r\n",
            "-OOM command not allowed when used memory > 'maxmemory'.\r\n", "-NOAUTH Authentication required.\r\n", "+OK\r\n",
        ]], '?password=pw&username=app');
        $this->assertSame("v\0w", $conn->call('GET', "k\0"));
        $this->assertNull($conn->call('GET', 'missing'));
        $this->assertSame(5, $conn->call('INCRBY', 'n', '-3'));
        $err = $conn->call('INCRBY', 'x', '1');
        $this->assertInstanceOf(RespError::class, $err);
        $this->assertSame('ERR no', $err->message);
        // Error replies of every kind are replies (phpredis throws for those
        // other than ERR: the adapter turns them back into replies).
        $this->assertEquals(new RespError("OOM command not allowed when used memory > 'maxmemory'."), $conn->call('SET', 'big', 'v'));
        $this->assertEquals(new RespError('NOAUTH Authentication required.'), $conn->call('GET', 'k'));
        $this->assertTrue($conn->call('SET', 'a', 'b'), 'the connection stays usable after an error reply');
        $this->assertSame([
            ['AUTH', 'app', 'pw'], ['GET', "k\0"], ['GET', 'missing'], ['INCRBY', 'n', '-3'], ['INCRBY', 'x', '1'],
            ['SET', 'big', 'v'], ['GET', 'k'], ['SET', 'a', 'b'],
        ], $this->server->commands());
    }

    /** @dataProvider clients */
    public function testARefusedAuthIsAClearError(string $client): void
    {
        $conn = $this->connect($client, [["-WRONGPASS invalid username-password pair or user is disabled.\r\n"]], '?password=nope');
        try {
            $conn->call('GET', 'k');
            $this->fail('no exception');
        } catch (KvConnectionException $e) {
            $this->assertStringContainsString('AUTH refused', $e->getMessage());
            $this->assertStringContainsString('WRONGPASS', $e->getMessage());
            $this->assertStringContainsString($this->server->path, $e->getMessage());
            $this->assertStringNotContainsString('nope', $e->getMessage());
        }
        $this->assertSame([['AUTH', 'nope']], $this->server->commands(), 'nothing sent after the refused AUTH');
    }

    /** @dataProvider clients */
    public function testAConnectionClosedWhileIdleIsReplaced(string $client): void
    {
        // The server answers one command and closes (an idle timeout, a restart).
        $conn = $this->connect($client, [["+OK\r\n", "+OK\r\n"], ["+OK\r\n", "\$1\r\na\r\n"]], '?password=pw');
        $this->assertTrue($conn->call('SET', 'k', 'a'));
        $this->server->waitClosed(0);
        $this->assertSame('a', $conn->call('GET', 'k'));
        $this->server->waitClosed(1);
        $this->assertSame([['AUTH', 'pw'], ['SET', 'k', 'a'], ['AUTH', 'pw'], ['GET', 'k']], $this->server->commands(),
            'reconnected and authenticated again; each command sent once');
    }

    public function testACommandWhoseUsedConnectionClosesBeforeAnyReplyIsSentOnceMore(): void
    {
        // Stream client only: phpredis cannot tell "nothing arrived" from "part arrived".
        $conn = $this->connect('stream', [["+OK\r\n", ScriptedRespServer::CLOSE], [":7\r\n"]]);
        $this->assertTrue($conn->call('SET', 'k', '6'));
        $this->assertSame(7, $conn->call('INCR', 'k'));
        $this->assertSame([['SET', 'k', '6'], ['INCR', 'k'], ['INCR', 'k']], $this->server->commands());
    }

    /** @dataProvider clients */
    public function testAFreshConnectionClosedBeforeAReplyIsAnError(string $client): void
    {
        $conn = $this->connect($client, [[ScriptedRespServer::CLOSE], [":1\r\n"]]);
        try {
            $conn->call('INCR', 'k');
            $this->fail('no exception');
        } catch (KvConnectionException $e) {
            $this->assertStringContainsString('INCR', $e->getMessage());
        }
        $this->assertSame([['INCR', 'k']], $this->server->commands(), 'not resent: a new connection that fails is not an idle one');
    }

    /** @dataProvider clients */
    public function testAConnectionLostInTheMiddleOfAReplyIsNotRetried(string $client): void
    {
        $conn = $this->connect($client, [["+OK\r\n", "\$10\r\nabc"], ["\$3\r\nabc\r\n"]]);
        $this->assertTrue($conn->call('SET', 'k', 'v'));
        try {
            $conn->call('GET', 'k');
            $this->fail('no exception');
        } catch (KvConnectionException $e) {
            $this->assertStringContainsString('GET', $e->getMessage());
        }
        $this->assertSame([['SET', 'k', 'v'], ['GET', 'k']], $this->server->commands());
        // The next command works on a new connection.
        $this->assertSame('abc', $conn->call('GET', 'k'));
    }

    /** @dataProvider clients */
    public function testATimeoutIsAnErrorAndNotRetried(string $client): void
    {
        $conn = $this->connect($client, [["+OK\r\n", ScriptedRespServer::HANG]], '?timeout=0.3');
        $this->assertTrue($conn->call('SET', 'k', 'v'));
        $started = microtime(true);
        try {
            $conn->call('INCR', 'k');
            $this->fail('no exception');
        } catch (KvConnectionException $e) {
            $this->assertMatchesRegularExpression('/timed out|socket error on read/i', $e->getMessage());
        }
        $this->assertLessThan(6, microtime(true) - $started, 'gave up after the timeout (0.3 s), not when the server closed (10 s)');
        $this->assertSame([['SET', 'k', 'v'], ['INCR', 'k']], $this->server->commands());
    }

    /** @dataProvider clients */
    public function testNoServerIsAClearError(string $client): void
    {
        if ($client === 'phpredis' && !PhpRedisConnection::available()) {
            $this->markTestSkipped('the redis extension (phpredis) is not loaded');
        }
        $url = RespUrl::parse('unix://' . sys_get_temp_dir() . '/no-such-ephpm-' . bin2hex(random_bytes(4)) . '.sock');
        $conn = $client === 'stream' ? new StreamConnection($url) : new PhpRedisConnection($url);
        $this->expectException(KvConnectionException::class);
        $this->expectExceptionMessage('cannot connect to unix://');
        $conn->call('PING');
    }
}
