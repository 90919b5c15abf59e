<?php

declare(strict_types=1);

namespace Ephpm\Cache\Laravel\Tests\Unit;

use Ephpm\Cache\Laravel\Resp\RespUrl;
use InvalidArgumentException;
use PHPUnit\Framework\TestCase;

final class RespUrlTest extends TestCase
{
    public function testUnixSocket(): void
    {
        $u = RespUrl::parse('unix:///run/ephpm/kv.sock');
        $this->assertSame('unix', $u->transport);
        $this->assertSame('/run/ephpm/kv.sock', $u->host);
        $this->assertSame(0, $u->port);
        $this->assertNull($u->password);
        $this->assertNull($u->username);
        $this->assertSame(RespUrl::DEFAULT_TIMEOUT, $u->timeout);
        $this->assertSame('unix:///run/ephpm/kv.sock', $u->address());
    }

    public function testUnixSocketWithPasswordTimeoutAndEscapes(): void
    {
        $u = RespUrl::parse(' unix:///tmp/my%20dir/kv.sock?password=p%26ss%3D1&timeout=0.25 ');
        $this->assertSame('/tmp/my dir/kv.sock', $u->host);
        $this->assertSame('p&ss=1', $u->password);
        $this->assertSame(0.25, $u->timeout);
        $this->assertSame('unix:///tmp/my dir/kv.sock (with password)', $u->describe());
    }

    public function testTcp(): void
    {
        $u = RespUrl::parse('tcp://127.0.0.1:6380?password=s3cret&username=app');
        $this->assertSame('tcp', $u->transport);
        $this->assertSame('127.0.0.1', $u->host);
        $this->assertSame(6380, $u->port);
        $this->assertSame('s3cret', $u->password);
        $this->assertSame('app', $u->username);
        $this->assertSame('tcp://127.0.0.1:6380', $u->address());
        $this->assertStringNotContainsString('s3cret', $u->describe());
    }

    public function testTcpIpv6(): void
    {
        $u = RespUrl::parse('tcp://[::1]:6380');
        $this->assertSame('::1', $u->host);
        $this->assertSame('tcp://[::1]:6380', $u->address());
    }

    /** @return array<string, array{string, ?string, ?string}> */
    public static function redisUrls(): array
    {
        return [
            'no credentials' => ['redis://localhost:6380', null, null],
            'password only' => ['redis://:pw@localhost:6380', null, 'pw'],
            'lone userinfo is the password' => ['redis://pw@localhost:6380', null, 'pw'],
            'user and password' => ['redis://app:p%40ss@localhost:6380/0', 'app', 'p@ss'],
            'database 0 with a slash' => ['redis://localhost:6380/', null, null],
            'query password wins' => ['redis://:old@localhost:6380?password=new', null, 'new'],
        ];
    }

    /** @dataProvider redisUrls */
    public function testRedisUrls(string $url, ?string $user, ?string $password): void
    {
        $u = RespUrl::parse($url);
        $this->assertSame('tcp', $u->transport);
        $this->assertSame('localhost', $u->host);
        $this->assertSame(6380, $u->port);
        $this->assertSame($user, $u->username);
        $this->assertSame($password, $u->password);
    }

    /** @return array<string, array{string, string}> */
    public static function badUrls(): array
    {
        return [
            'empty' => ['', 'empty'],
            'no scheme' => ['127.0.0.1:6380', 'want unix:///'],
            'a bare path' => ['/run/kv.sock', 'want unix:///'],
            'tls' => ['rediss://h:6380', 'TLS is not'],
            'http' => ['http://h:6380', 'not supported'],
            'no port' => ['tcp://127.0.0.1', 'no port'],
            'no host' => ['tcp://:6380', 'want unix:///'],
            'empty host' => ['tcp://?password=x', 'want unix:///'],
            'another database' => ['redis://h:6380/2', 'one database'],
            'unknown parameter' => ['tcp://h:6380?pasword=x', 'unknown parameter "pasword"'],
            'zero timeout' => ['tcp://h:6380?timeout=0', 'timeout'],
            'word timeout' => ['unix:///k.sock?timeout=soon', 'timeout'],
            'relative unix path' => ['unix://kv.sock', 'absolute socket path'],
        ];
    }

    /** @dataProvider badUrls */
    public function testBadUrlsAreRefusedWithTheReason(string $url, string $why): void
    {
        $this->expectException(InvalidArgumentException::class);
        $this->expectExceptionMessage($why);
        RespUrl::parse($url);
    }

    public function testErrorsNeverShowThePassword(): void
    {
        foreach (['tcp://user:hunter2@h?password=hunter2', 'redis://:hunter2@h:1/9', 'unix:///s?password=hunter2&x=1'] as $url) {
            try {
                RespUrl::parse($url);
                $this->fail("$url parsed");
            } catch (InvalidArgumentException $e) {
                $this->assertStringNotContainsString('hunter2', $e->getMessage());
            }
        }
    }
}
