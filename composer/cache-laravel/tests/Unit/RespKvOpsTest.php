<?php

declare(strict_types=1);

namespace Ephpm\Cache\Laravel\Tests\Unit;

use BadMethodCallException;
use Ephpm\Cache\Laravel\EphpmStore;
use Ephpm\Cache\Laravel\Resp\KvConnectionException;
use Ephpm\Cache\Laravel\Resp\PhpRedisConnection;
use Ephpm\Cache\Laravel\Resp\RespError;
use Ephpm\Cache\Laravel\Resp\StreamConnection;
use Ephpm\Cache\Laravel\RespKvOps;
use Ephpm\Cache\Laravel\Tests\Support\RecordingConnection;
use InvalidArgumentException;
use PHPUnit\Framework\TestCase;

/**
 * What RespKvOps sends for each ephpm_kv_* operation and how it turns each
 * reply into that function's result. (The contract suite checks the results
 * against a real server; this covers the replies a server gives only in rare
 * states: OOM, NOAUTH, an older server without the EPHPM.* commands.)
 */
final class RespKvOpsTest extends TestCase
{
    private RecordingConnection $conn;
    private RespKvOps $ops;

    protected function setUp(): void
    {
        $this->conn = new RecordingConnection();
        $this->ops = new RespKvOps($this->conn);
    }

    public function testSetSendsExOnlyForAPositiveTtl(): void
    {
        $this->conn->reply(true, true, true, 'OK');
        $this->assertTrue($this->ops->set('k', "v\0", 0));
        $this->assertTrue($this->ops->set('k', 'v', -3));
        $this->assertTrue($this->ops->set('k', 'v', 10));
        $this->assertTrue($this->ops->set('k', 'v', PHP_INT_MAX));
        $this->assertSame([
            ['SET', 'k', "v\0"],
            ['SET', 'k', 'v'],
            ['SET', 'k', 'v', 'EX', '10'],
            ['SET', 'k', 'v', 'EX', (string) RespKvOps::MAX_TTL],
        ], $this->conn->sent);
        $this->assertGreaterThan(EphpmStore::MAX_TTL, RespKvOps::MAX_TTL, 'every TTL the store sends goes through unclamped');
    }

    public function testSetIsFalseOnlyForTheMemoryLimit(): void
    {
        $this->conn->reply(new RespError("OOM command not allowed when used memory > 'maxmemory'."));
        $this->assertFalse($this->ops->set('k', 'v'));
        $this->conn->reply(new RespError('NOAUTH Authentication required.'));
        $this->expectException(KvConnectionException::class);
        $this->expectExceptionMessage('NOAUTH');
        $this->ops->set('k', 'v');
    }

    public function testSetnx(): void
    {
        $this->conn->reply(true, null, new RespError('OOM no room'));
        $this->assertTrue($this->ops->setnx('k', 'v', 5));
        $this->assertFalse($this->ops->setnx('k', 'v'));
        $this->assertFalse($this->ops->setnx('k', 'v', -1));
        $this->assertSame([['SET', 'k', 'v', 'NX', 'EX', '5'], ['SET', 'k', 'v', 'NX'], ['SET', 'k', 'v', 'NX']], $this->conn->sent);
    }

    public function testIncrByIsFalseForTheServersRefusals(): void
    {
        $this->conn->reply(6, new RespError('ERR value is not an integer or out of range'), new RespError('ERR increment or decrement would overflow'), new RespError('OOM no room'));
        $this->assertSame(6, $this->ops->incrBy('n', 1));
        $this->assertFalse($this->ops->incrBy('n', 1));
        $this->assertFalse($this->ops->incrBy('n', PHP_INT_MIN));
        $this->assertFalse($this->ops->incrBy('n', 1));
        $this->assertSame(['INCRBY', 'n', (string) PHP_INT_MIN], $this->conn->sent[2]);
        $this->conn->reply(new RespError('NOAUTH Authentication required.'));
        $this->expectException(KvConnectionException::class);
        $this->ops->incrBy('n', 1);
    }

    public function testExpireWithoutAPositiveTimeSendsNothing(): void
    {
        $this->assertFalse($this->ops->expire('k', 0));
        $this->assertFalse($this->ops->expire('k', -10));
        $this->assertSame([], $this->conn->sent, 'EXPIRE k 0 would delete the key');
        $this->conn->reply(1, 0);
        $this->assertTrue($this->ops->expire('k', 30));
        $this->assertFalse($this->ops->expire('gone', PHP_INT_MAX));
        $this->assertSame([['EXPIRE', 'k', '30'], ['EXPIRE', 'gone', (string) RespKvOps::MAX_TTL]], $this->conn->sent);
    }

    /** @return array<string, array{int, int}> */
    public static function pttls(): array
    {
        return [
            'missing' => [-2, -2],
            'no expiry' => [-1, -1],
            'one millisecond' => [1, 1],
            'just under a second' => [999, 1],
            'a second' => [1000, 1],
            'just over a second' => [1001, 2],
            '99.7 seconds (Redis TTL would say 100, and 99.4 would say 99)' => [99_400, 100],
        ];
    }

    /** @dataProvider pttls */
    public function testTtlIsPttlRoundedUp(int $pttl, int $ttl): void
    {
        $this->conn->reply($pttl);
        $this->assertSame($ttl, $this->ops->ttl('k'));
        $this->assertSame([['PTTL', 'k']], $this->conn->sent);
    }

    public function testGetDelExistsFlush(): void
    {
        $this->conn->reply("a\0b", null, 1, 0, 1, 0, true);
        $this->assertSame("a\0b", $this->ops->get('k'));
        $this->assertNull($this->ops->get('k'));
        $this->assertSame(1, $this->ops->del('k'));
        $this->assertSame(0, $this->ops->del('k'));
        $this->assertTrue($this->ops->exists('k'));
        $this->assertFalse($this->ops->exists('k'));
        $this->assertTrue($this->ops->flushAll());
        $this->assertSame(['FLUSHDB'], $this->conn->sent[6]);
    }

    public function testAnUnexpectedReplyIsAnErrorNotAValue(): void
    {
        $this->conn->reply(5);
        $this->expectException(KvConnectionException::class);
        $this->expectExceptionMessage('unexpected reply int to GET');
        $this->ops->get('k');
    }

    public function testTheEphpmCommandsAreProbedOnceAndUsed(): void
    {
        $this->conn->reply(0, 3, 1, 0);
        $this->assertTrue($this->ops->supportsDelPrefix());
        $this->assertTrue($this->ops->supportsDelIfEquals());
        $this->assertSame(3, $this->ops->delPrefix('cache:'));
        $this->assertTrue($this->ops->delIfEquals('lock', "owner\0"));
        $this->assertFalse($this->ops->delIfEquals('lock', 'other'));
        $probe = array_shift($this->conn->sent);
        $this->assertSame('EPHPM.DELIFEQ', $probe[0]);
        $this->assertStringStartsWith('ephpm:probe:', $probe[1]);
        $this->assertSame([['EPHPM.DELPREFIX', 'cache:'], ['EPHPM.DELIFEQ', 'lock', "owner\0"], ['EPHPM.DELIFEQ', 'lock', 'other']], $this->conn->sent);
    }

    public function testAServerWithoutTheEphpmCommandsIsAnOlderServer(): void
    {
        $this->conn->reply(new RespError("ERR unknown command 'EPHPM.DELIFEQ', with args beginning with: "));
        $this->assertFalse($this->ops->supportsDelIfEquals());
        $this->assertFalse($this->ops->supportsDelPrefix());
        $this->assertCount(1, $this->conn->sent);
        // The store then falls back as on an older server: flush() is false and sends nothing.
        $this->assertFalse((new EphpmStore('cache', $this->ops))->flush());
        $this->assertCount(1, $this->conn->sent);
        $this->expectException(BadMethodCallException::class);
        $this->ops->delPrefix('cache:');
    }

    public function testFromUrlPicksTheClient(): void
    {
        $this->assertInstanceOf(StreamConnection::class, RespKvOps::fromUrl('unix:///tmp/x.sock', 'stream')->connection());
        $auto = RespKvOps::fromUrl('tcp://127.0.0.1:1')->connection();
        $this->assertInstanceOf(PhpRedisConnection::available() ? PhpRedisConnection::class : StreamConnection::class, $auto);
        if (PhpRedisConnection::available()) {
            $this->assertInstanceOf(PhpRedisConnection::class, RespKvOps::fromUrl('redis://h:1', 'phpredis')->connection());
        }
        $this->expectException(InvalidArgumentException::class);
        $this->expectExceptionMessage("unknown client 'predis'");
        RespKvOps::fromUrl('unix:///tmp/x.sock', 'predis');
    }
}
