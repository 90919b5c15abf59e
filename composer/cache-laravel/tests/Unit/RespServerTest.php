<?php

declare(strict_types=1);

namespace Ephpm\Cache\Laravel\Tests\Unit;

use Ephpm\Cache\Laravel\Resp\KvConnectionException;
use Ephpm\Cache\Laravel\Resp\PhpRedisConnection;
use Ephpm\Cache\Laravel\Resp\RespUrl;
use Ephpm\Cache\Laravel\Resp\StreamConnection;
use Ephpm\Cache\Laravel\RespKvOps;
use Ephpm\Cache\Laravel\Tests\Contract\RespKvOpsContractTestCase;
use PHPUnit\Framework\TestCase;

/**
 * Both RESP clients against a running ePHPm [kv.resp] (EPHPM_KV_TEST_URL;
 * skipped without it, run by tests/e2e/artisan_test.go): the server is
 * ePHPm (its EPHPM.* commands exist), the clients share its keys, a
 * connection the server closed is replaced, and a wrong password is refused
 * with the server's answer.
 */
final class RespServerTest extends TestCase
{
    private string $url;

    protected function setUp(): void
    {
        $url = getenv(RespKvOpsContractTestCase::URL_ENV);
        if ($url === false || $url === '') {
            $this->markTestSkipped(RespKvOpsContractTestCase::URL_ENV . ' is not set: no ePHPm [kv.resp] endpoint (tests/e2e/artisan_test.go sets it)');
        }
        if (!PhpRedisConnection::available()) {
            $this->markTestSkipped('the redis extension (phpredis) is not loaded');
        }
        $this->url = $url;
    }

    public function testTheServerHasTheEphpmCommands(): void
    {
        foreach (['stream', 'phpredis'] as $client) {
            $ops = RespKvOps::fromUrl($this->url, $client);
            $this->assertTrue($ops->supportsDelIfEquals(), $client);
            $this->assertTrue($ops->supportsDelPrefix(), $client);
        }
    }

    public function testBothClientsSeeTheSameKeys(): void
    {
        $stream = RespKvOps::fromUrl($this->url, 'stream');
        $phpredis = RespKvOps::fromUrl($this->url, 'phpredis');
        $key = 'resp-server-test:' . bin2hex(random_bytes(6));
        $value = random_bytes(1 << 20) . "\0\r\n";
        $this->assertTrue($stream->set($key, $value, 60));
        $this->assertSame($value, $phpredis->get($key));
        $this->assertSame(60, $phpredis->ttl($key));
        $this->assertSame(1, $phpredis->del($key));
        $this->assertNull($stream->get($key));
    }

    public function testAConnectionTheServerClosedIsReplaced(): void
    {
        $url = RespUrl::parse($this->url);
        foreach ([new StreamConnection($url), new PhpRedisConnection($url)] as $conn) {
            $this->assertSame('hi', $conn->call('ECHO', 'hi'));
            // QUIT: the server answers and closes the connection.
            $this->assertTrue($conn->call('QUIT'));
            usleep(100_000);
            $this->assertSame('again', $conn->call('ECHO', 'again'), get_class($conn));
        }
    }

    public function testAWrongPasswordIsRefused(): void
    {
        $url = RespUrl::parse($this->url);
        if ($url->password === null) {
            $this->markTestSkipped('the server has no password');
        }
        $wrong = preg_replace('/password=[^&]*/', 'password=wrong-' . bin2hex(random_bytes(3)), $this->url);
        foreach (['stream', 'phpredis'] as $client) {
            try {
                RespKvOps::fromUrl($wrong, $client)->get('k');
                $this->fail("$client: no exception");
            } catch (KvConnectionException $e) {
                $this->assertStringContainsString('AUTH refused', $e->getMessage(), $client);
                $this->assertStringContainsString('WRONGPASS', $e->getMessage(), $client);
            }
        }
    }
}
