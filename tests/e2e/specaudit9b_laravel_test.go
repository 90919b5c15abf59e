package e2e

// Spec audit (session 9, second pass): the ephpm/cache-laravel package as
// its README (the seed's, the "Supported behavior" table and patterns),
// SPEC section 6 and issue 11 describe it, run through the bundled Laravel
// app's container (package discovery, config/cache.php's "ephpm" store) in
// every place a user runs Laravel: a web request inside `ephpm serve`, Debian's
// php over the unix socket and over password-protected TCP with phpredis
// loaded and with it not loaded (php -n: the package's own RESP client),
// `ephpm php --config` and `ephpm php` with EPHPM_KV_URL. One PHP probe does
// every check (values of every type back with their type, increment and
// decrement, many/putMany, forever/forget, Laravel's TTL contract, add,
// remember/pull, locks with get/block/release/owner/forceRelease/
// restoreLock, a prefix-scoped flush, tags, RateLimiter, the cache session
// handler) and prints "ok NAME" or "FAIL NAME: ..." lines. And the clear
// errors: no connection outside ePHPm, a wrong password, no server.

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// laravelAndPHP fails the test unless Debian's Laravel and php CLI are
// installed (scripts/install-deps.sh installs both); it returns php's path.
func laravelAndPHP(t *testing.T) string {
	t.Helper()
	if _, err := os.Stat("/usr/share/php/Illuminate/autoload.php"); err != nil {
		t.Fatalf("the Laravel app needs Debian's php-laravel-framework: %v", err)
	}
	php, err := exec.LookPath("php")
	if err != nil {
		t.Fatalf("Debian's php (php8.2-cli) is needed: %v", err)
	}
	return php
}

// auditLaravelChecks is how many "ok" lines a clean run prints.
const auditLaravelChecks = 126

func TestSpecAudit9bLaravelStoreEverywhere(t *testing.T) {
	php := laravelAndPHP(t)
	dir := artisanShortDir(t)
	probe := filepath.Join(dir, "probe.php")
	must(t, os.WriteFile(probe, []byte(auditLaravelProbe), 0o644))
	root := filepath.Join(dir, "docroot")
	must(t, os.Mkdir(root, 0o755))
	must(t, os.WriteFile(filepath.Join(root, "probe.php"), []byte(fmt.Sprintf(
		"<?php\nputenv('LARAVEL_APP=%s');\nrequire %q;\n", laravelApp(), probe)), 0o644))
	sock := filepath.Join(dir, "kv.sock")
	tcp := artisanFreeAddr(t)
	const pass = "audit-pass"
	s := start(t, root, fmt.Sprintf("[kv.resp]\nsocket = %q\nlisten = %q\npassword = %q\n", sock, tcp, pass))
	cfg := filepath.Join(s.Dir, "ephpm.toml")

	// php -n loads no extension: give Laravel what it needs, leave out redis.
	noRedis := []string{"-n", "-d", "extension=ctype", "-d", "extension=mbstring", "-d", "extension=tokenizer",
		"-d", "extension=iconv", "-d", "extension=posix"}
	unixURL := "unix://" + sock + "?password=" + pass
	tcpURL := "tcp://" + tcp + "?password=" + pass
	run := func(t *testing.T, tag string, env []string, argv ...string) (int, string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), artisanTimeout)
		defer cancel()
		cmd := exec.CommandContext(ctx, argv[0], append(argv[1:], probe)...)
		cmd.Dir = laravelApp()
		cmd.Env = artisanEnv(append([]string{"LARAVEL_APP=" + laravelApp(), "PROBE_TAG=" + tag}, env...)...)
		out, err := cmd.CombinedOutput()
		if ctx.Err() != nil {
			t.Fatalf("no exit within %s:\n%s", artisanTimeout, out)
		}
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return code, string(out)
	}
	wantAllOK := func(t *testing.T, out string) {
		t.Helper()
		ok := 0
		for _, line := range strings.Split(out, "\n") {
			switch {
			case strings.HasPrefix(line, "ok "):
				ok++
			case strings.HasPrefix(line, "FAIL "):
				t.Error(line)
			}
		}
		if ok != auditLaravelChecks {
			t.Errorf("%d checks passed, want %d; output:\n%s", ok, auditLaravelChecks, out)
		}
	}

	t.Run("web", func(t *testing.T) {
		r := s.get(t, "/probe.php?tag=web")
		wantAllOK(t, string(r.Body))
	})
	for _, c := range []struct {
		name string
		env  []string
		argv []string
	}{
		{"php_phpredis_unix", []string{"EPHPM_KV_URL=" + unixURL}, []string{php}},
		{"php_phpredis_tcp", []string{"EPHPM_KV_URL=" + tcpURL}, []string{php}},
		{"php_stream_unix", []string{"EPHPM_KV_URL=" + unixURL}, append([]string{php}, noRedis...)},
		{"php_stream_tcp", []string{"EPHPM_KV_URL=" + tcpURL}, append([]string{php}, noRedis...)},
		{"php_redis_url", []string{"EPHPM_KV_URL=redis://:" + pass + "@" + tcp}, append([]string{php}, noRedis...)},
		{"ephpm_php_config", nil, []string{binPath, "php", "--config", cfg}},
		{"ephpm_php_url", []string{"EPHPM_KV_URL=" + unixURL}, []string{binPath, "php"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, out := run(t, c.name, c.env, c.argv...)
			wantAllOK(t, out)
		})
	}

	// The errors a user meets, each naming its cause, never a silent miss.
	for _, c := range []struct {
		name, url, want string
		argv            []string
	}{
		{"no_connection_phpredis", "", "ephpm_kv_* functions are not available", []string{php}},
		{"no_connection_stream", "", "ephpm_kv_* functions are not available", append([]string{php}, noRedis...)},
		{"wrong_password", "tcp://" + tcp + "?password=nope", "WRONGPASS", append([]string{php}, noRedis...)},
		{"wrong_password_phpredis", "tcp://" + tcp + "?password=nope", "WRONGPASS", []string{php}},
		{"no_password", "unix://" + sock, "NOAUTH", append([]string{php}, noRedis...)},
		{"no_server", "tcp://" + artisanFreeAddr(t), "cannot connect", append([]string{php}, noRedis...)},
	} {
		t.Run(c.name, func(t *testing.T) {
			start := time.Now()
			// The probe's exit status is Laravel's exception handler's
			// business; what counts is that no check ran and the cause shows.
			code, out := run(t, "err", []string{"EPHPM_KV_URL=" + c.url}, c.argv...)
			if !strings.Contains(out, c.want) || strings.Contains(out, "ok provider") {
				t.Errorf("exit %d after %v, want a failure naming %q:\n%.2000s", code, time.Since(start), c.want, out)
			}
		})
	}
}

const auditLaravelProbe = `
<?php
// Audit probe: every documented behaviour of the "ephpm" cache store, through
// the Laravel app's container (package discovery, config/cache.php), printed as
// "ok name" / "FAIL name: detail" lines.
$base = getenv('LARAVEL_APP');
require $base . '/vendor/autoload.php';
$app = require $base . '/bootstrap/app.php';
$app->make(Illuminate\Contracts\Console\Kernel::class)->bootstrap();
use Illuminate\Support\Facades\Cache;
use Illuminate\Support\Facades\RateLimiter;
$out = [];
$check = function (string $name, $got, $want) use (&$out) {
    $ok = $got === $want;
    $out[] = ($ok ? 'ok ' : 'FAIL ') . $name . ($ok ? '' : ': got ' . var_export($got, true) . ' want ' . var_export($want, true));
};
$tag = getenv('PROBE_TAG') ?: ($_GET['tag'] ?? 'x');
$c = Cache::store('ephpm');
$st = $c->getStore();
$check('provider registered', in_array('Ephpm\\Cache\\Laravel\\EphpmCacheServiceProvider', array_keys($app->getLoadedProviders()), true), true);
$check('store class', get_class($st), 'Ephpm\\Cache\\Laravel\\EphpmStore');
$check('prefix', $st->getPrefix(), 'cache:');
$k = "p:$tag:";
$o = new stdClass; $o->a = 1; $o->b = [1, 'x'];
$vals = ['int' => 5, 'neg' => -17, 'max' => PHP_INT_MAX, 'min' => PHP_INT_MIN, 'float' => 0.1 + 0.2, 'f1' => 1.0, 'numstr' => '5',
 'numstr2' => '05', 'str' => 'hello', 'empty' => '', 'false' => false, 'true' => true, 'arr' => ['a' => [1, 2.5, null]],
 'bin' => "a\0b\xff", 'zero' => 0, 'zerostr' => '0', 'negzero' => -0.0, 'nan_like' => '1e3', 'sp' => ' 5'];
foreach ($vals as $n => $v) {
    $check("put $n", $c->put($k . $n, $v, 60), true);
    $check("get $n", $c->get($k . $n), $v);
}
$c->put($k . 'obj', $o, 60);
$check('get obj', $c->get($k . 'obj'), $o) ; // objects compare by identity with ===; use ==
$out[count($out) - 1] = ($c->get($k . 'obj') == $o && $c->get($k . 'obj') instanceof stdClass ? 'ok ' : 'FAIL ') . 'get obj ==';
$check('null stored is a miss/has=false', $c->has($k . 'nullv'), false);
$check('put null', $c->put($k . 'nullv', null, 60), true);
$check('get null', $c->get($k . 'nullv', 'dflt'), 'dflt'); // Laravel: a stored null reads as a miss
$check('missing default', $c->get($k . 'nope', 'd'), 'd');
$check('missing closure default', $c->get($k . 'nope', fn () => 'cd'), 'cd');
$check('raw key layout', $app->make('cache')->store('ephpm')->getStore()->getOps()->get('cache:' . $k . 'int'), '5');
$check('raw float serialized', $st->getOps()->get('cache:' . $k . 'float'), serialize(0.1 + 0.2));
// increment / decrement
$check('incr missing', $c->increment($k . 'ctr'), 1);
$check('incr 5', $c->increment($k . 'ctr', 5), 6);
$check('decr 2', $c->decrement($k . 'ctr', 2), 4);
$check('decr missing', $c->decrement($k . 'ctr2'), -1);
$check('incr put int', $c->increment($k . 'int'), 6);
$check('incr after put keeps ttl', $st->getOps()->ttl('cache:' . $k . 'int') > 50, true);
$check('incr on float', $c->increment($k . 'float'), false);
$check('incr on numstr', $c->increment($k . 'numstr'), false);
$check('numstr untouched', $c->get($k . 'numstr'), '5');
$check('incr overflow', $c->increment($k . 'max'), false);
$check('max untouched', $c->get($k . 'max'), PHP_INT_MAX);
$check('incr by string "3"', $c->increment($k . 'ctr', '3'), 7);
// many / putMany
$check('putMany', $c->putMany([$k . 'm1' => 1, $k . 'm2' => 'two', $k . 'm3' => [3]], 60), true);
$check('many', $c->many([$k . 'm1', $k . 'm2', $k . 'm3', $k . 'mX']), [$k . 'm1' => 1, $k . 'm2' => 'two', $k . 'm3' => [3], $k . 'mX' => null]);
$check('many with defaults', $c->many([$k . 'm1' => 'd', $k . 'mX' => 'dx']), [$k . 'm1' => 1, $k . 'mX' => 'dx']);
// forever / forget / ttl
$check('forever', $c->forever($k . 'fv', 'F'), true);
$check('forever ttl', $st->getOps()->ttl('cache:' . $k . 'fv'), -1);
$t = $st->getOps()->ttl('cache:' . $k . 'str'); $check('put ttl 60', $t >= 55 && $t <= 60, true);
$check('forget', $c->forget($k . 'fv'), true);
$check('forget again', $c->forget($k . 'fv'), false);
$check('has after forget', $c->has($k . 'fv'), false);
$check('missing', $c->missing($k . 'fv'), true);
// TTL contract: 0 and negative remove; DateInterval; DateTime; floats via store
$c->put($k . 't0', 'v', 60);
$check('put ttl 0 returns', $c->put($k . 't0', 'v', 0), true);  // Repository: forget, returns bool of forget
$check('put ttl 0 removes', $c->has($k . 't0'), false);
$check('put ttl -5', $c->put($k . 'tneg', 'v', -5), false);
$check('put ttl -5 absent', $c->has($k . 'tneg'), false);
$c->put($k . 'tdi', 'v', new DateInterval('PT90S'));
$t = $st->getOps()->ttl('cache:' . $k . 'tdi'); $check('DateInterval ttl', $t >= 85 && $t <= 90, true);
$c->put($k . 'tdt', 'v', now()->addMinutes(2));
$t = $st->getOps()->ttl('cache:' . $k . 'tdt');
$check('DateTime ttl ~120', $t >= 115 && $t <= 120, true);
$check('store put 0 floors to 1', $st->put($k . 'st0', 'v', 0) && in_array($st->getOps()->ttl('cache:' . $k . 'st0'), [1, -2], true), true);
$check('put null ttl is forever', $c->put($k . 'tnull', 'v', null) && $st->getOps()->ttl('cache:' . $k . 'tnull') === -1, true);
// add
$check('add new', $c->add($k . 'a', 'one', 60), true);
$check('add existing', $c->add($k . 'a', 'two', 60), false);
$check('add kept', $c->get($k . 'a'), 'one');
$check('add ttl 0', $c->add($k . 'a0', 'x', 0), false);
$check('add forever(null)', $c->add($k . 'an', 'x'), true);
$check('add forever ttl', $st->getOps()->ttl('cache:' . $k . 'an'), -1);
// remember
$calls = 0;
$r1 = $c->remember($k . 'rem', 60, function () use (&$calls) { $calls++; return ['v' => 1]; });
$r2 = $c->remember($k . 'rem', 60, function () use (&$calls) { $calls++; return ['v' => 2]; });
$check('remember', [$r1, $r2, $calls], [['v' => 1], ['v' => 1], 1]);
$check('rememberForever', $c->rememberForever($k . 'remf', fn () => 'z'), 'z');
$check('pull', $c->pull($k . 'remf'), 'z');
$check('pull gone', $c->has($k . 'remf'), false);
// locks
$l1 = $c->lock($k . 'lk', 10);
$check('lock get', $l1->get(), true);
$t = $st->getOps()->ttl('cache:' . $k . 'lk'); $check('lock ttl', $t >= 5 && $t <= 10, true);
$l2 = $c->lock($k . 'lk', 10);
$check('lock get other', $l2->get(), false);
$check('release by other', $l2->release(), false);
$check('still held', $c->lock($k . 'lk', 10)->get(), false);
$check('owner', $l1->owner() !== '' && $l1->owner() === $st->getOps()->get('cache:' . $k . 'lk'), true);
$r = $c->restoreLock($k . 'lk', $l1->owner());
$check('restoreLock release', $r->release(), true);
$check('released', $c->lock($k . 'lk', 10)->get(), true);
$c->lock($k . 'lk')->forceRelease();
$check('forceRelease', $c->lock($k . 'lk', 10)->get(), true);
$c->lock($k . 'lk')->forceRelease();
$check('get callback', $c->lock($k . 'lk2', 10)->get(fn () => 'cb'), 'cb');
$check('released after callback', $c->lock($k . 'lk2', 10)->get(), true);
$c->lock($k . 'lk2')->forceRelease();
$check('lock 0 no expiry', $c->lock($k . 'lk3', 0)->get() && $st->getOps()->ttl('cache:' . $k . 'lk3') === -1, true);
$c->lock($k . 'lk3')->forceRelease();
$owned = $c->lock($k . 'lk4', 10, 'me');
$owned->get();
$check('custom owner stored', $st->getOps()->get('cache:' . $k . 'lk4'), 'me');
$t0 = microtime(true);
try { $c->lock($k . 'lk4', 10)->block(1); $check('block times out', 'acquired', 'timeout'); }
catch (Illuminate\Contracts\Cache\LockTimeoutException $e) { $check('block times out', true, true); }
$check('block waited ~1s', microtime(true) - $t0 >= 0.2, true);
$owned->release();
$check('block acquires when free', $c->lock($k . 'lk4', 10)->block(1, fn () => 'blk'), 'blk');
// flush only its prefix
$other = Cache::store('ephpm_other');
$other->put($k . 'o', 'keep', 60);
$st->getOps()->set('cachex:' . $k, 'keep2', 60); // a key sharing "cache" but not "cache:"
$check('flush', $c->flush(), true);
$check('flushed', $c->get($k . 'str'), null);
$check('other prefix kept', $other->get($k . 'o'), 'keep');
$check('cachex kept', $st->getOps()->get('cachex:' . $k), 'keep2');
$st->getOps()->del('cachex:' . $k);
$other->forget($k . 'o');
// tags
try { $c->tags(['t1'])->put($k . 'tg', 'T', 60); $check('tags', $c->tags(['t1'])->get($k . 'tg'), 'T'); $c->tags(['t1'])->flush(); $check('tags flush', $c->tags(['t1'])->get($k . 'tg'), null); }
catch (Throwable $e) { $check('tags', get_class($e) . $e->getMessage(), 'no exception'); }
// RateLimiter
$rk = "rl:$tag";
RateLimiter::clear($rk);
$check('rl hit 1', RateLimiter::hit($rk, 60), 1);
$check('rl hit 2', RateLimiter::hit($rk, 60), 2);
$check('rl attempts', RateLimiter::attempts($rk), 2);
$check('rl remaining', RateLimiter::remaining($rk, 3), 1);
$check('rl tooMany 3', RateLimiter::tooManyAttempts($rk, 3), false);
RateLimiter::hit($rk, 60);
$check('rl tooMany after 3', RateLimiter::tooManyAttempts($rk, 3), true);
$ai = RateLimiter::availableIn($rk);
$check('rl availableIn <= 60', $ai >= 50 && $ai <= 60, true);
$check('rl attempt refused', RateLimiter::attempt($rk, 3, fn () => 'ran', 60), false);
RateLimiter::clear($rk);
$check('rl cleared', RateLimiter::attempts($rk), 0);
$check('rl attempt runs', RateLimiter::attempt($rk, 3, fn () => 'ran', 60), 'ran');
RateLimiter::clear($rk);
// default store is ephpm
$check('default store', get_class(Cache::getStore()), 'Ephpm\\Cache\\Laravel\\EphpmStore');
// session via cache
$h = $app['session']->driver('cache');
$check('session handler', get_class($h->getHandler()), 'Illuminate\\Session\\CacheBasedSessionHandler');
$sid = str_repeat('a', 39) . substr(md5($tag), 0, 1);
$h->getHandler()->write($sid, 'payload');
$check('session write/read', $h->getHandler()->read($sid), 'payload');
$check('session in store', $c->get($sid), 'payload');
$h->getHandler()->destroy($sid);
$check('session destroyed', $h->getHandler()->read($sid), '');
echo implode("\n", $out), "\n";
`
