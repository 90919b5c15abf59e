<?php

declare(strict_types=1);

namespace Ephpm\Cache\Laravel\Tests\Contract;

use ArrayObject;
use Ephpm\Cache\Laravel\EphpmLock;
use Ephpm\Cache\Laravel\EphpmStore;
use Ephpm\Cache\Laravel\KvOpsInterface;
use Ephpm\Cache\Laravel\Tests\Support\LegacyServerKvOps;
use Illuminate\Cache\RateLimiter;
use Illuminate\Cache\Repository;
use Illuminate\Contracts\Cache\LockTimeoutException;
use PHPUnit\Framework\TestCase;
use stdClass;

/**
 * The behaviour of ePHPm's KV store (SPEC section 1) and of the Laravel
 * store on top of it (SPEC section 6), written once and run against every
 * KvOpsInterface:
 *  - InMemoryKvOpsContractTest: the test double, in `make test` (phpunit);
 *  - testdata/kv-contract: SapiKvOps inside the real server (tests/e2e/contract_test.go);
 *  - Resp*KvOpsContractTest: RespKvOps over a real server's [kv.resp], with
 *    phpredis and with the package's own client (tests/e2e/artisan_test.go).
 * A case that passes on one and fails on the other is drift between the
 * double and the server, which is what this suite exists to catch.
 *
 * Every test works under its own random key prefix, since against the real
 * server all tests share one store. Tests that need time to pass call
 * advance(): the double moves its clock, the real server sleeps; so those
 * are few and use 1-second TTLs.
 */
abstract class KvOpsContractTestCase extends TestCase
{
    protected KvOpsInterface $ops;

    /** This test's key namespace in the shared store. */
    protected string $p;

    abstract protected function createOps(): KvOpsInterface;

    /** Lets $seconds pass for the store under test. */
    abstract protected function advance(float $seconds): void;

    protected function setUp(): void
    {
        parent::setUp();
        $this->ops = $this->createOps();
        $this->p = 'contract:' . bin2hex(random_bytes(6)) . ':';
    }

    protected function tearDown(): void
    {
        if ($this->ops->supportsDelPrefix()) {
            $this->ops->delPrefix($this->p);
        }
        parent::tearDown();
    }

    private function k(string $name): string
    {
        return $this->p . $name;
    }

    /** A store whose prefix lies inside this test's namespace. */
    private function store(string $prefix = 'cache', ?KvOpsInterface $ops = null): EphpmStore
    {
        return new EphpmStore($this->p . $prefix, $ops ?? $this->ops);
    }

    private function repo(?EphpmStore $store = null): Repository
    {
        return new Repository($store ?? $this->store());
    }

    // ---- the KV functions (SPEC section 1) ----

    public function testGetOfAMissingKeyIsNull(): void
    {
        $this->assertNull($this->ops->get($this->k('missing')));
        $this->assertFalse($this->ops->exists($this->k('missing')));
    }

    public function testSetReplacesTheValue(): void
    {
        $this->assertTrue($this->ops->set($this->k('a'), 'alpha'));
        $this->assertSame('alpha', $this->ops->get($this->k('a')));
        $this->assertTrue($this->ops->set($this->k('a'), 'beta'));
        $this->assertSame('beta', $this->ops->get($this->k('a')));
    }

    public function testAnEmptyValueIsAValue(): void
    {
        $this->ops->set($this->k('empty'), '');
        $this->assertSame('', $this->ops->get($this->k('empty')));
        $this->assertTrue($this->ops->exists($this->k('empty')));
    }

    public function testKeysAndValuesAreBinarySafe(): void
    {
        $key = $this->k("bin\0key\xff");
        $value = "va\0lue\xff\x00end";
        $this->assertTrue($this->ops->set($key, $value));
        $this->assertSame($value, $this->ops->get($key));
        // The NUL does not end the key: its part before the NUL is another key.
        $this->assertNull($this->ops->get($this->k('bin')));
        $big = random_bytes(300_000);
        $this->ops->set($this->k('big'), $big);
        $this->assertSame($big, $this->ops->get($this->k('big')));
    }

    public function testNumericLookingKeysAreDistinctStrings(): void
    {
        // Keys are byte strings: "N", "0N", "N.0" and " N" are four keys. (A
        // PHP array folds the key "N" into the int N: the double must not let
        // that show.) Whole-key numbers live outside this test's prefix, so
        // they are random and removed at the end.
        $n = (string) random_int(10 ** 12, 10 ** 15);
        $keys = [$n, '0' . $n, $n . '.0', ' ' . $n, '-' . $n];
        foreach ($keys as $i => $key) {
            $this->assertTrue($this->ops->set($key, "v$i"));
        }
        foreach ($keys as $i => $key) {
            $this->assertSame("v$i", $this->ops->get($key), "key '$key'");
        }
        if ($this->ops->supportsDelPrefix()) {
            $this->assertSame(2, $this->ops->delPrefix($n), 'N and N.0 start with N');
            $this->assertNull($this->ops->get($n . '.0'));
            $this->assertSame('v1', $this->ops->get('0' . $n));
            $this->assertSame('v3', $this->ops->get(' ' . $n));
        }
        foreach ($keys as $key) {
            $this->ops->del($key);
        }
    }

    public function testTtlAndPttlOfMissingAndPersistentKeys(): void
    {
        $this->assertSame(-2, $this->ops->ttl($this->k('missing')));
        $this->assertSame(-2, $this->ops->pttl($this->k('missing')));
        $this->ops->set($this->k('forever'), 'v');
        $this->assertSame(-1, $this->ops->ttl($this->k('forever')));
        $this->assertSame(-1, $this->ops->pttl($this->k('forever')));
    }

    public function testTtlRoundsUpAndPttlCountsMilliseconds(): void
    {
        $this->ops->set($this->k('t'), 'v', 100);
        $this->assertSame(100, $this->ops->ttl($this->k('t')));
        $pttl = $this->ops->pttl($this->k('t'));
        $this->assertGreaterThan(99_000, $pttl);
        $this->assertLessThanOrEqual(100_000, $pttl);

        $this->advance(0.3);
        // 99.7 s left: rounded up, not down.
        $this->assertSame(100, $this->ops->ttl($this->k('t')));
        $pttl = $this->ops->pttl($this->k('t'));
        $this->assertLessThanOrEqual(99_700, $pttl);
        $this->assertGreaterThan(99_000, $pttl);
    }

    public function testTtlIsRoundedUpEvenBelowHalfASecond(): void
    {
        // 99.4 s left is 100, where Redis's TTL command (nearest) says 99.
        // Bracketed by two PTTL reads, so a slow machine cannot make it fail.
        $this->ops->set($this->k('t'), 'v', 100);
        $this->advance(0.6);
        $before = $this->ops->pttl($this->k('t'));
        $ttl = $this->ops->ttl($this->k('t'));
        $after = $this->ops->pttl($this->k('t'));
        $this->assertGreaterThanOrEqual(intdiv($after + 999, 1000), $ttl);
        $this->assertLessThanOrEqual(intdiv($before + 999, 1000), $ttl);
    }

    public function testSetWithZeroOrNegativeTtlHasNoExpiry(): void
    {
        $this->ops->set($this->k('zero'), 'v', 0);
        $this->ops->set($this->k('neg'), 'v', -5);
        $this->ops->setnx($this->k('nx'), 'v', -1);
        $this->assertSame(-1, $this->ops->ttl($this->k('zero')));
        $this->assertSame(-1, $this->ops->ttl($this->k('neg')));
        $this->assertSame(-1, $this->ops->ttl($this->k('nx')));
    }

    public function testSetReplacesTheTtlToo(): void
    {
        $this->ops->set($this->k('t'), 'v', 100);
        $this->ops->set($this->k('t'), 'v2');
        $this->assertSame(-1, $this->ops->ttl($this->k('t')));
        $this->ops->set($this->k('t'), 'v3', 7);
        $this->assertSame(7, $this->ops->ttl($this->k('t')));
    }

    public function testExpire(): void
    {
        $this->ops->set($this->k('a'), 'v');
        $this->assertTrue($this->ops->expire($this->k('a'), 50));
        $this->assertSame(50, $this->ops->ttl($this->k('a')));
        $this->assertSame('v', $this->ops->get($this->k('a')), 'expire keeps the value');
        $this->assertFalse($this->ops->expire($this->k('missing'), 10));
        $this->assertFalse($this->ops->exists($this->k('missing')), 'expire must not create a key');
        // seconds <= 0 is refused and changes nothing (it does not delete).
        $this->assertFalse($this->ops->expire($this->k('a'), 0));
        $this->assertFalse($this->ops->expire($this->k('a'), -1));
        $this->assertSame(50, $this->ops->ttl($this->k('a')));
        $this->assertSame('v', $this->ops->get($this->k('a')));
    }

    public function testHugeTtlsMeanAVeryLongTimeNotAnError(): void
    {
        // PHP code passes PHP_INT_MAX for "as long as possible": the write
        // succeeds and the key lives (the server saturates or caps the TTL).
        $this->assertTrue($this->ops->set($this->k('set'), 'v', PHP_INT_MAX));
        $this->assertTrue($this->ops->setnx($this->k('nx'), 'v', PHP_INT_MAX));
        $this->ops->set($this->k('exp'), 'v');
        $this->assertTrue($this->ops->expire($this->k('exp'), PHP_INT_MAX));
        $century = 100 * 365 * 86400;
        foreach (['set', 'nx', 'exp'] as $name) {
            $this->assertSame('v', $this->ops->get($this->k($name)), $name);
            $this->assertGreaterThan($century, $this->ops->ttl($this->k($name)), $name);
        }
    }

    public function testExpiredKeysAreAbsentEverywhere(): void
    {
        foreach (['get', 'exists', 'ttl', 'pttl', 'del', 'dif', 'setnx', 'incr', 'expire', 'keep'] as $name) {
            $this->ops->set($this->k($name), $name === 'incr' ? '41' : 'owner', 1);
        }
        $this->ops->set($this->k('keep'), 'kept', 60);
        $this->ops->set($this->k('dp:gone'), 'x', 1);
        $this->ops->set($this->k('dp:live'), 'x', 60);
        $this->advance(1.1);

        $this->assertNull($this->ops->get($this->k('get')));
        $this->assertFalse($this->ops->exists($this->k('exists')));
        $this->assertSame(-2, $this->ops->ttl($this->k('ttl')));
        $this->assertSame(-2, $this->ops->pttl($this->k('pttl')));
        $this->assertSame(0, $this->ops->del($this->k('del')), 'deleting an expired key removes nothing live');
        if ($this->ops->supportsDelIfEquals()) {
            $this->assertFalse($this->ops->delIfEquals($this->k('dif'), 'owner'));
        }
        $this->assertFalse($this->ops->expire($this->k('expire'), 10), 'an expired key cannot be revived');
        $this->assertNull($this->ops->get($this->k('expire')));
        $this->assertTrue($this->ops->setnx($this->k('setnx'), 'new'), 'setnx wins over an expired entry');
        $this->assertSame('new', $this->ops->get($this->k('setnx')));
        $this->assertSame(-1, $this->ops->ttl($this->k('setnx')));
        // An expired counter is gone: incr starts again from 0, without the old TTL.
        $this->assertSame(1, $this->ops->incrBy($this->k('incr'), 1));
        $this->assertSame(-1, $this->ops->ttl($this->k('incr')));
        $this->assertSame('kept', $this->ops->get($this->k('keep')));
        if ($this->ops->supportsDelPrefix()) {
            $this->assertSame(1, $this->ops->delPrefix($this->k('dp:')), 'del_prefix counts live keys only');
        }
    }

    public function testSetnx(): void
    {
        $this->assertTrue($this->ops->setnx($this->k('nx'), 'first', 60));
        $this->assertFalse($this->ops->setnx($this->k('nx'), 'second'));
        $this->assertSame('first', $this->ops->get($this->k('nx')));
        $this->assertSame(60, $this->ops->ttl($this->k('nx')), 'a losing setnx leaves the TTL alone');
    }

    public function testDel(): void
    {
        $this->ops->set($this->k('d'), 'v');
        $this->assertSame(1, $this->ops->del($this->k('d')));
        $this->assertSame(0, $this->ops->del($this->k('d')));
        $this->assertFalse($this->ops->exists($this->k('d')));
    }

    public function testIncrByOnAMissingKeyStartsAtZeroWithoutExpiry(): void
    {
        $this->assertSame(1, $this->ops->incrBy($this->k('c'), 1));
        $this->assertSame(11, $this->ops->incrBy($this->k('c'), 10));
        $this->assertSame(-9, $this->ops->incrBy($this->k('c'), -20));
        $this->assertSame(-9, $this->ops->incrBy($this->k('c'), 0));
        $this->assertSame('-9', $this->ops->get($this->k('c')), 'counters are stored as decimal text');
        $this->assertSame(-1, $this->ops->ttl($this->k('c')));
        $this->assertSame(-5, $this->ops->incrBy($this->k('d'), -5));
    }

    public function testIncrByKeepsTheTtl(): void
    {
        $this->ops->set($this->k('n'), '5', 100);
        $this->assertSame(6, $this->ops->incrBy($this->k('n'), 1));
        $this->assertSame(100, $this->ops->ttl($this->k('n')));
        $this->assertSame('6', $this->ops->get($this->k('n')));
    }

    /** @return array<string, array{string, int}> */
    public static function canonicalIntegers(): array
    {
        return [
            'zero' => ['0', 0],
            'negative' => ['-7', -7],
            'max - 1' => [(string) (PHP_INT_MAX - 1), PHP_INT_MAX - 1],
            'min' => [(string) PHP_INT_MIN, PHP_INT_MIN],
        ];
    }

    /** @dataProvider canonicalIntegers */
    public function testIncrByAcceptsCanonicalDecimalIntegers(string $stored, int $value): void
    {
        $this->ops->set($this->k('i'), $stored);
        $this->assertSame($value + 1, $this->ops->incrBy($this->k('i'), 1));
        $this->assertSame((string) ($value + 1), $this->ops->get($this->k('i')));
    }

    /** @return array<string, array{string}> */
    public static function notIntegers(): array
    {
        return [
            'word' => ['abc'],
            'float' => ['1.5'],
            'empty' => [''],
            'leading space' => [' 5'],
            'trailing space' => ['5 '],
            'trailing newline' => ["5\n"],
            'plus sign' => ['+5'],
            'leading zero' => ['05'],
            'minus zero' => ['-0'],
            'exponent' => ['1e3'],
            'hex' => ['0x1A'],
            'NUL after digits' => ["5\0"],
            'above int64' => ['9223372036854775808'],
            'below int64' => ['-9223372036854775809'],
            'serialized int' => ['i:5;'],
        ];
    }

    /** @dataProvider notIntegers */
    public function testIncrByRefusesAnythingButADecimalInteger(string $stored): void
    {
        $this->ops->set($this->k('x'), $stored, 100);
        $this->assertFalse($this->ops->incrBy($this->k('x'), 1));
        $this->assertSame($stored, $this->ops->get($this->k('x')), 'a refused incr leaves the value untouched');
        $this->assertSame(100, $this->ops->ttl($this->k('x')));
    }

    public function testIncrByRefusesOverflow(): void
    {
        $this->ops->set($this->k('max'), (string) PHP_INT_MAX);
        $this->assertFalse($this->ops->incrBy($this->k('max'), 1));
        $this->assertSame((string) PHP_INT_MAX, $this->ops->get($this->k('max')));
        $this->ops->set($this->k('min'), (string) PHP_INT_MIN);
        $this->assertFalse($this->ops->incrBy($this->k('min'), -1));
        $this->assertSame((string) PHP_INT_MIN, $this->ops->get($this->k('min')));
        $this->assertSame(PHP_INT_MAX, $this->ops->incrBy($this->k('fresh'), PHP_INT_MAX));
        $this->assertSame(PHP_INT_MIN, $this->ops->incrBy($this->k('fresh2'), PHP_INT_MIN));
        $this->assertSame(-1, $this->ops->incrBy($this->k('fresh2'), PHP_INT_MAX));
    }

    public function testDelPrefixRemovesOnlyKeysUnderThePrefix(): void
    {
        if (!$this->ops->supportsDelPrefix()) {
            $this->markTestSkipped('no ephpm_kv_del_prefix');
        }
        foreach (['pre:1', 'pre:2', "pre:\0bin", 'pre:', 'pre', 'prefix:1', 'other'] as $name) {
            $this->ops->set($this->k($name), 'x');
        }
        $this->assertSame(4, $this->ops->delPrefix($this->k('pre:')));
        foreach (['pre:1', 'pre:2', "pre:\0bin", 'pre:'] as $gone) {
            $this->assertFalse($this->ops->exists($this->k($gone)), $gone);
        }
        foreach (['pre', 'prefix:1', 'other'] as $kept) {
            $this->assertSame('x', $this->ops->get($this->k($kept)), $kept);
        }
        $this->assertSame(0, $this->ops->delPrefix($this->k('nothing:')));
    }

    public function testDelIfEqualsComparesTheWholeValue(): void
    {
        if (!$this->ops->supportsDelIfEquals()) {
            $this->markTestSkipped('no ephpm_kv_del_if_equals');
        }
        $this->ops->set($this->k('lock'), "owner-1\0tail");
        $this->assertFalse($this->ops->delIfEquals($this->k('lock'), 'owner-2'));
        $this->assertFalse($this->ops->delIfEquals($this->k('lock'), 'owner-1'), 'a prefix of the value is not equal');
        $this->assertSame("owner-1\0tail", $this->ops->get($this->k('lock')));
        $this->assertTrue($this->ops->delIfEquals($this->k('lock'), "owner-1\0tail"));
        $this->assertFalse($this->ops->exists($this->k('lock')));
        $this->assertFalse($this->ops->delIfEquals($this->k('lock'), "owner-1\0tail"), 'missing');
    }

    public function testFlushAllEmptiesTheStore(): void
    {
        $this->ops->set($this->k('a'), 'x');
        $this->ops->set('elsewhere:' . $this->p, 'x', 30);
        $this->assertTrue($this->ops->flushAll());
        $this->assertFalse($this->ops->exists($this->k('a')));
        $this->assertFalse($this->ops->exists('elsewhere:' . $this->p));
    }

    // ---- the Laravel store (SPEC section 6) through Illuminate\Cache\Repository ----

    public function testRepositoryGetPutHasMissingForgetPull(): void
    {
        $cache = $this->repo();
        $this->assertNull($cache->get('user:42'));
        $this->assertSame('fallback', $cache->get('user:42', 'fallback'));
        $this->assertTrue($cache->missing('user:42'));
        $this->assertTrue($cache->put('user:42', ['name' => 'Alice'], 3600));
        $this->assertSame(['name' => 'Alice'], $cache->get('user:42'));
        $this->assertTrue($cache->has('user:42'));
        $this->assertFalse($cache->missing('user:42'));
        $this->assertTrue($cache->forget('user:42'));
        $this->assertFalse($cache->forget('user:42'), 'nothing left to forget');
        $this->assertFalse($cache->has('user:42'));
        $cache->put('once', 'v', 60);
        $this->assertSame('v', $cache->pull('once'));
        $this->assertNull($cache->get('once'));
    }

    /** @return array<string, array{mixed}> */
    public static function values(): array
    {
        $object = new stdClass();
        $object->name = 'Alice';
        $object->tags = ['a', 'b'];
        return [
            'int' => [5],
            'zero' => [0],
            'negative int' => [-3],
            'int max' => [PHP_INT_MAX],
            'int min' => [PHP_INT_MIN],
            'float' => [0.1 + 0.2],
            'whole float' => [1.0],
            'tiny float' => [5e-324],
            'numeric string' => ['5'],
            'zero string' => ['0'],
            'padded numeric string' => ['007'],
            'float string' => ['1.5'],
            'empty string' => [''],
            'string' => ['Alice'],
            'serialized-looking string' => ['i:5;'],
            'binary string' => ["\0\xff\x01"],
            'true' => [true],
            'false' => [false],
            'array' => [['id' => 42, 'roles' => ['admin'], 'score' => 9.5, 'ok' => true]],
            'list' => [[1, '1', 1.0]],
            'empty array' => [[]],
            'object' => [$object],
            'ArrayObject' => [new ArrayObject(['x' => 1])],
        ];
    }

    /** @dataProvider values */
    public function testValuesComeBackWithTheirExactTypeAndValue($value): void
    {
        $cache = $this->repo();
        $cache->put('v', $value, 60);
        $this->assertEquals($value, $cache->get('v'));
        $this->assertSame(gettype($value), gettype($cache->get('v')));
        if (!is_object($value)) {
            $this->assertSame($value, $cache->get('v'));
        } else {
            $this->assertInstanceOf(get_class($value), $cache->get('v'));
        }
        $cache->forever('f', $value);
        $this->assertEquals($value, $cache->get('f'));
    }

    public function testFloatsAreExactNotRounded(): void
    {
        $cache = $this->repo();
        $cache->put('sum', 0.1 + 0.2, 60);
        $this->assertSame(0.30000000000000004, $cache->get('sum'));
        $this->assertNotSame(0.3, $cache->get('sum'));
    }

    public function testIntegersAreStoredAsDecimalTextAndTheRestSerialized(): void
    {
        $store = $this->store('app');
        $store->put('n', 42, 60);
        $store->put('s', '42', 60);
        $store->put('f', 1.5, 60);
        $this->assertSame('42', $this->ops->get($this->p . 'app:n'));
        $this->assertSame(serialize('42'), $this->ops->get($this->p . 'app:s'));
        $this->assertSame(serialize(1.5), $this->ops->get($this->p . 'app:f'));
    }

    public function testNullIsStoredButReadsAsAMiss(): void
    {
        $store = $this->store();
        $this->assertTrue($store->put('nothing', null, 60));
        $this->assertTrue($this->ops->exists($this->p . 'cache:nothing'));
        $this->assertNull($store->get('nothing'));
        // Laravel's Repository treats a null value as missing.
        $this->assertFalse($this->repo($store)->has('nothing'));
    }

    public function testAValueWrittenWithoutTheStoreReadsBackAsItsString(): void
    {
        // e.g. plain ephpm_kv_set() from other code under the store's prefix
        $store = $this->store();
        $this->ops->set($this->p . 'cache:raw', 'hello');
        $this->ops->set($this->p . 'cache:rawnum', '1.5');
        $this->assertSame('hello', $store->get('raw'));
        $this->assertSame('1.5', $store->get('rawnum'));
        $store->put('no', false, 60);
        $this->assertFalse($store->get('no'));
    }

    public function testKeysUseThePrefixAndAColon(): void
    {
        $store = $this->store('app');
        $this->assertSame($this->p . 'app:', $store->getPrefix());
        $store->put('k', 'v', 60);
        $this->assertTrue($this->ops->exists($this->p . 'app:k'));

        $bare = new EphpmStore('', $this->ops);
        $this->assertSame('', $bare->getPrefix());
        $bare->put($this->k('bare'), 'v', 60);
        $this->assertTrue($this->ops->exists($this->k('bare')), 'no prefix, no colon');
    }

    public function testBinaryAndUnicodeKeysThroughTheStore(): void
    {
        $cache = $this->repo();
        $cache->put("a\0b", 1, 60);
        $cache->put('a', 2, 60);
        $cache->put('ключ🔑', 3, 60);
        $this->assertSame(1, $cache->get("a\0b"));
        $this->assertSame(2, $cache->get('a'));
        $this->assertSame(3, $cache->get('ключ🔑'));
    }

    public function testPutSetsTheTtlAndForeverSetsNone(): void
    {
        $store = $this->store();
        $store->put('hour', 'v', 3600);
        $this->assertSame(3600, $this->ops->ttl($this->p . 'cache:hour'));
        $store->forever('always', 'v');
        $this->assertSame(-1, $this->ops->ttl($this->p . 'cache:always'));
        $this->repo($store)->rememberForever('rf', fn () => 'v');
        $this->assertSame(-1, $this->ops->ttl($this->p . 'cache:rf'));
        $this->repo($store)->put('dt', 'v', new \DateInterval('PT2M'));
        $this->assertSame(120, $this->ops->ttl($this->p . 'cache:dt'));
    }

    public function testTtlHasAOneSecondFloor(): void
    {
        // Called directly, a store TTL of 0 (or a fraction) becomes 1 second,
        // never 0: the KV would read 0 as "no expiry".
        $store = $this->store();
        $store->put('zero', 'v', 0);
        $store->put('fraction', 'v', 0.2);
        $store->add('added', 'v', 0);
        $this->assertSame(1, $this->ops->ttl($this->p . 'cache:zero'));
        $this->assertSame(1, $this->ops->ttl($this->p . 'cache:fraction'));
        $this->assertSame(1, $this->ops->ttl($this->p . 'cache:added'));
        // Through the Repository, 0 seconds means "do not keep": forgotten.
        $cache = $this->repo($store);
        $cache->put('gone', 'old', 60);
        $cache->put('gone', 'new', 0);
        $this->assertNull($cache->get('gone'));
    }

    public function testHugeTtlsKeepTheItem(): void
    {
        // put($k, $v, 9999999999) is a common "forever"; so is PHP_INT_MAX.
        $store = $this->store();
        foreach (['ten-digits' => 9_999_999_999, 'int-max' => PHP_INT_MAX, 'float' => 1e300] as $key => $seconds) {
            $this->assertTrue($store->put($key, 'v', $seconds), $key);
            $this->assertSame('v', $store->get($key), $key);
            $this->assertSame(EphpmStore::MAX_TTL, $this->ops->ttl($this->p . 'cache:' . $key), $key);
        }
        $this->assertTrue($store->touch('ten-digits', 9_999_999_999));
        $this->assertSame('v', $store->get('ten-digits'));
    }

    public function testItemsExpire(): void
    {
        $store = $this->store();
        $cache = $this->repo($store);
        $cache->put('short', 'v', 1);
        $cache->put('long', 'v', 60);
        $cache->add('added', 'first', 1);
        $cache->increment('hits');
        $store->touch('hits', 1);
        $lock = $store->lock('job', 1);
        $this->assertTrue($lock->acquire());
        $this->assertSame('v', $cache->get('short'));

        $this->advance(1.1);

        $this->assertNull($cache->get('short'));
        $this->assertFalse($cache->has('short'));
        $this->assertSame('v', $cache->get('long'));
        $this->assertTrue($cache->add('added', 'second', 60), 'add succeeds once the old item expired');
        $this->assertSame('second', $cache->get('added'));
        $this->assertSame(1, $cache->increment('hits'), 'an expired counter starts again');
        $this->assertTrue($store->lock('job', 1)->acquire(), 'an expired lock is free again');
    }

    public function testRememberRunsTheCallbackOnlyOnAMiss(): void
    {
        $cache = $this->repo();
        $calls = 0;
        $compute = function () use (&$calls) {
            $calls++;
            return ['computed' => $calls];
        };
        $this->assertSame(['computed' => 1], $cache->remember('r', 60, $compute));
        $this->assertSame(['computed' => 1], $cache->remember('r', 60, $compute));
        $this->assertSame(1, $calls);
        $this->assertSame(['computed' => 2], $cache->rememberForever('rf', $compute));
        $this->assertSame(['computed' => 2], $cache->rememberForever('rf', $compute));
        $this->assertSame(2, $calls);
        // A cached false is a hit too (only null is a miss).
        $cache->remember('no', 60, fn () => false);
        $this->assertFalse($cache->remember('no', 60, $compute));
        $this->assertSame(2, $calls);
    }

    public function testIncrementAndDecrement(): void
    {
        $cache = $this->repo();
        $this->assertSame(1, $cache->increment('hits'));
        $this->assertSame(2, $cache->increment('hits'));
        $this->assertSame(7, $cache->increment('hits', 5));
        $this->assertSame(5, $cache->decrement('hits', 2));
        $this->assertSame(-1, $cache->decrement('fresh'));
        $this->assertSame(5, $cache->get('hits'), 'a counter reads back as an int');
    }

    public function testIncrementWorksOnAnIntegerStoredWithPut(): void
    {
        $cache = $this->repo();
        $cache->put('n', 41, 100);
        $this->assertSame(42, $cache->increment('n'));
        $this->assertSame(42, $cache->get('n'));
        $this->assertSame(100, $this->ops->ttl($this->p . 'cache:n'), 'increment keeps the TTL of put');
        $cache->forever('m', -5);
        $this->assertSame(-6, $cache->decrement('m'));
    }

    /** @return array<string, array{mixed}> */
    public static function nonIntegers(): array
    {
        return [
            'numeric string' => ['5'],
            'float' => [1.5],
            'whole float' => [2.0],
            'string' => ['abc'],
            'array' => [[1]],
            'true' => [true],
        ];
    }

    /** @dataProvider nonIntegers */
    public function testIncrementingANonIntegerReturnsFalseAndKeepsTheValue($value): void
    {
        $cache = $this->repo();
        $cache->put('x', $value, 60);
        $this->assertFalse($cache->increment('x'));
        $this->assertFalse($cache->decrement('x'));
        $this->assertSame($value, $cache->get('x'));
    }

    public function testIncrementOverflowReturnsFalse(): void
    {
        $cache = $this->repo();
        $cache->put('big', PHP_INT_MAX, 60);
        $this->assertFalse($cache->increment('big'));
        $this->assertSame(PHP_INT_MAX, $cache->get('big'));
        $cache->put('small', PHP_INT_MIN + 1, 60);
        $this->assertFalse($cache->decrement('small', 2));
        $this->assertFalse($cache->decrement('small', PHP_INT_MIN));
        $this->assertSame(PHP_INT_MIN + 1, $cache->get('small'));
    }

    public function testAddStoresOnlyWhenAbsent(): void
    {
        $cache = $this->repo();
        $this->assertTrue($cache->add('a', 'first', 60));
        $this->assertFalse($cache->add('a', 'second', 60));
        $this->assertSame('first', $cache->get('a'));
        $this->assertSame(60, $this->ops->ttl($this->p . 'cache:a'));
        $this->assertFalse($cache->add('a', 'third', 0), 'Repository refuses a zero TTL');
    }

    public function testManyAndPutMany(): void
    {
        $cache = $this->repo();
        $this->assertTrue($cache->putMany(['a' => 1, 'b' => 'two', 'c' => [3]], 60));
        $this->assertSame(['a' => 1, 'b' => 'two', 'c' => [3], 'd' => null], $cache->many(['a', 'b', 'c', 'd']));
        $this->assertSame(['a' => 1, 'd' => 'default'], $cache->many(['a', 'd' => 'default']));
        $this->assertSame(60, $this->ops->ttl($this->p . 'cache:b'));
    }

    public function testFlushRemovesThisPrefixAndLeavesOthers(): void
    {
        if (!$this->ops->supportsDelPrefix()) {
            $this->markTestSkipped('no ephpm_kv_del_prefix');
        }
        $a = $this->repo($this->store('a'));
        $ab = $this->repo($this->store('ab')); // 'ab:' does not start with 'a:'
        $b = $this->repo($this->store('b'));
        foreach ([$a, $ab, $b] as $cache) {
            $cache->put('k', 'v', 60);
            $cache->forever('f', 1);
        }
        $this->assertTrue($a->flush());
        $this->assertNull($a->get('k'));
        $this->assertNull($a->get('f'));
        $this->assertSame('v', $ab->get('k'));
        $this->assertSame(1, $b->get('f'));
    }

    public function testFlushOnAServerWithoutDelPrefixReturnsFalseAndRemovesNothing(): void
    {
        $cache = $this->repo($this->store('a', new LegacyServerKvOps($this->ops)));
        $cache->put('k', 'v', 60);
        $this->assertFalse($cache->flush());
        $this->assertSame('v', $cache->get('k'));
    }

    public function testFlushWithoutPrefixEmptiesTheWholeKv(): void
    {
        $bare = $this->repo(new EphpmStore('', new LegacyServerKvOps($this->ops)));
        $bare->put($this->k('k'), 'v', 60);
        $this->ops->set('another:' . $this->p, 'x', 30);
        $this->assertTrue($bare->flush(), 'flush_all exists on every server');
        $this->assertNull($bare->get($this->k('k')));
        $this->assertFalse($this->ops->exists('another:' . $this->p));
    }

    public function testTagsScopeAndInvalidate(): void
    {
        $cache = $this->repo();
        $cache->tags(['people', 'artists'])->put('John', 'painter', 60);
        $cache->tags(['people', 'authors'])->put('Anne', 'writer', 60);
        $cache->tags('people')->forever('count', 2);
        $cache->put('John', 'untagged', 60);

        $this->assertSame('painter', $cache->tags(['people', 'artists'])->get('John'));
        $this->assertSame('writer', $cache->tags(['people', 'authors'])->get('Anne'));
        $this->assertSame('untagged', $cache->get('John'), 'tagged and untagged items do not collide');
        $this->assertNull($cache->tags(['artists'])->get('John'), 'a different tag set is a different namespace');

        $cache->tags(['authors'])->flush();
        $this->assertNull($cache->tags(['people', 'authors'])->get('Anne'));
        $this->assertSame('painter', $cache->tags(['people', 'artists'])->get('John'));
        $this->assertSame(2, $cache->tags('people')->get('count'));

        $cache->tags('people')->flush();
        $this->assertNull($cache->tags(['people', 'artists'])->get('John'));
        $this->assertNull($cache->tags('people')->get('count'));
        $this->assertSame('untagged', $cache->get('John'));
    }

    public function testTaggedCountersAndRemember(): void
    {
        $tagged = $this->repo()->tags(['stats']);
        $this->assertSame(1, $tagged->increment('views'));
        $this->assertSame(3, $tagged->increment('views', 2));
        $this->assertSame('x', $tagged->remember('r', 60, fn () => 'x'));
        $this->assertSame('x', $tagged->remember('r', 60, fn () => 'y'));
    }

    public function testALockHasOneHolderAtATime(): void
    {
        $store = $this->store();
        $first = $store->lock('report', 10);
        $second = $store->lock('report', 10);
        $this->assertInstanceOf(EphpmLock::class, $first);
        $this->assertNotSame($first->owner(), $second->owner());

        $this->assertTrue($first->acquire());
        $this->assertFalse($second->acquire());
        $this->assertSame(10, $this->ops->ttl($this->p . 'cache:report'), 'the lock carries its TTL');
        $this->assertSame($first->owner(), $this->ops->get($this->p . 'cache:report'));

        $this->assertFalse($second->release(), 'only the holder releases');
        $this->assertFalse($second->acquire(), 'still held after a foreign release');
        $this->assertTrue($first->release());
        $this->assertFalse($first->release(), 'released already');
        $this->assertTrue($second->acquire());
        $second->release();
    }

    public function testALockWithoutSecondsHasNoExpiry(): void
    {
        $store = $this->store();
        $lock = $store->lock('forever');
        $this->assertTrue($lock->acquire());
        $this->assertSame(-1, $this->ops->ttl($this->p . 'cache:forever'));
        $lock->release();
    }

    public function testRestoreLockLetsAnotherRequestRelease(): void
    {
        $store = $this->store();
        $lock = $store->lock('job', 30);
        $this->assertTrue($lock->acquire());
        $owner = $lock->owner();

        $this->assertFalse($store->restoreLock('job', 'someone-else')->release());
        $restored = $store->restoreLock('job', $owner);
        $this->assertSame($owner, $restored->owner());
        $this->assertTrue($restored->release());
        $this->assertTrue($store->lock('job', 30)->acquire());
    }

    public function testForceReleaseIgnoresTheOwner(): void
    {
        $store = $this->store();
        $this->assertTrue($store->lock('stuck', 30)->acquire());
        $store->lock('stuck')->forceRelease();
        $this->assertTrue($store->lock('stuck', 30)->acquire());
    }

    public function testLockGetRunsTheCallbackAndReleases(): void
    {
        $store = $this->store();
        $this->assertSame('done', $store->lock('cb', 10)->get(fn () => 'done'));
        $this->assertTrue($store->lock('cb', 10)->acquire(), 'released after the callback');
        $this->assertFalse($store->lock('cb', 10)->get(fn () => 'never'), 'held: the callback does not run');
    }

    public function testLockReleaseFallsBackToGetCompareDelOnOlderServers(): void
    {
        $store = $this->store('legacy', new LegacyServerKvOps($this->ops));
        $holder = $store->lock('l', 10);
        $other = $store->lock('l', 10);
        $this->assertTrue($holder->acquire());
        $this->assertFalse($other->release());
        $this->assertTrue($this->ops->exists($this->p . 'legacy:l'));
        $this->assertTrue($holder->release());
        $this->assertFalse($this->ops->exists($this->p . 'legacy:l'));
        $this->assertTrue($other->acquire());
    }

    public function testBlockGivesUpAfterTheTimeout(): void
    {
        $store = $this->store();
        $this->assertTrue($store->lock('busy', 30)->acquire());
        $waiter = $store->lock('busy', 30)->betweenBlockedAttemptsSleepFor(10);
        $this->expectException(LockTimeoutException::class);
        $waiter->block(0);
    }

    public function testBlockWaitsUntilTheLockIsFree(): void
    {
        $store = $this->store();
        $this->assertSame('free', $store->lock('free', 5)->block(1, fn () => 'free'));
        $this->assertTrue($store->lock('free', 5)->acquire(), 'block released after its callback');

        // Held by someone who never releases: block() gets it when the TTL ends.
        $this->assertTrue($store->lock('held', 1)->acquire());
        $waiter = $store->lock('held', 10)->betweenBlockedAttemptsSleepFor(50);
        $started = microtime(true);
        $this->assertTrue($waiter->block(3));
        $this->assertGreaterThan(0.3, microtime(true) - $started, 'it had to wait');
        $this->assertSame($waiter->owner(), $this->ops->get($this->p . 'cache:held'));
    }

    public function testTouchGivesALiveItemANewTtl(): void
    {
        $store = $this->store();
        $store->put('session', 'v', 10);
        $this->assertTrue($store->touch('session', 300));
        $this->assertSame(300, $this->ops->ttl($this->p . 'cache:session'));
        $this->assertSame('v', $store->get('session'));
        $store->forever('pinned', 'v');
        $this->assertTrue($store->touch('pinned', 30), 'touch can give a persistent item a TTL');
        $this->assertSame(30, $this->ops->ttl($this->p . 'cache:pinned'));
        $this->assertTrue($store->touch('session', 0), 'floored to 1 second like put');
        $this->assertSame(1, $this->ops->ttl($this->p . 'cache:session'));
        $this->assertFalse($store->touch('missing', 60));
        $this->assertNull($store->get('missing'), 'touch does not create');
    }

    public function testRateLimiterCountsAttempts(): void
    {
        $limiter = new RateLimiter($this->repo());
        $key = 'send-message:42';
        $this->assertSame(0, $limiter->attempts($key));
        $this->assertFalse($limiter->tooManyAttempts($key, 3));
        $this->assertSame(1, $limiter->hit($key, 60));
        $this->assertSame(2, $limiter->hit($key, 60));
        $this->assertSame(3, $limiter->hit($key, 60));
        $this->assertSame(3, $limiter->attempts($key));
        $this->assertTrue($limiter->tooManyAttempts($key, 3));
        $this->assertSame(0, $limiter->remaining($key, 3));
        $this->assertGreaterThan(55, $limiter->availableIn($key));
        $this->assertLessThanOrEqual(60, $limiter->availableIn($key));
        $this->assertLessThanOrEqual(60, $this->ops->ttl($this->p . 'cache:' . $key), 'the counter expires with the window');
        $this->assertGreaterThan(0, $this->ops->ttl($this->p . 'cache:' . $key));

        $limiter->clear($key);
        $this->assertSame(0, $limiter->attempts($key));
        $this->assertFalse($limiter->tooManyAttempts($key, 3));
    }

    public function testRateLimiterAttemptStopsAtTheLimit(): void
    {
        $limiter = new RateLimiter($this->repo());
        $runs = 0;
        for ($i = 0; $i < 5; $i++) {
            $limiter->attempt('login:alice', 2, function () use (&$runs) {
                $runs++;
            }, 60);
        }
        $this->assertSame(2, $runs);
        $this->assertSame(2, $limiter->attempts('login:alice'));
    }
}
