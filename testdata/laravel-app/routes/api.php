<?php

use App\Support\Point;
use Illuminate\Contracts\Cache\LockTimeoutException;
use Illuminate\Foundation\PackageManifest;
use Illuminate\Http\Request;
use Illuminate\Support\Carbon;
use Illuminate\Support\Facades\App;
use Illuminate\Support\Facades\Cache;
use Illuminate\Support\Facades\RateLimiter;
use Illuminate\Support\Facades\Route;

// Stateless JSON routes (no session): what an application does with the
// cache, each behaviour reachable over HTTP for the end-to-end tests.
// ?store=NAME picks a store from config/cache.php; the default store
// (CACHE_DRIVER) otherwise.

$store = fn (Request $request) => Cache::store($request->query('store'));

// The request body as JSON, exactly as sent (TrimStrings and
// ConvertEmptyStringsToNull would otherwise rewrite string values).
$body = fn (Request $request) => json_decode($request->getContent() ?: '{}', true, 512, JSON_THROW_ON_ERROR);

$ttl = function ($ttl) {
    return $ttl === null || $ttl === 'forever' ? null : (int) $ttl;
};

// The key a store of this app keeps in ePHPm's KV (SPEC: prefix ':' key).
$kvKey = function (Request $request, string $key): string {
    $name = $request->query('store') ?: config('cache.default');
    $prefix = config("cache.stores.$name.prefix", '');
    return $prefix === '' ? $key : "$prefix:$key";
};

// Liveness of the whole chain: ePHPm's functions, the ephpm store, the
// provider registered by package discovery.
Route::get('/health', function () {
    $sapi = function_exists('ephpm_kv_get');
    $roundtrip = false;
    $error = null;
    try {
        $key = 'health:' . bin2hex(random_bytes(6));
        Cache::store('ephpm')->put($key, 'ok', 5);
        $roundtrip = Cache::store('ephpm')->get($key) === 'ok';
        Cache::store('ephpm')->forget($key);
    } catch (Throwable $e) {
        $error = get_class($e) . ': ' . $e->getMessage();
    }
    $healthy = $sapi && $roundtrip;

    return response()->json([
        'status' => $healthy ? 'ok' : 'fail',
        'ephpm_kv_functions' => $sapi,
        'ephpm_store_roundtrip' => $roundtrip,
        'error' => $error,
        'cache_default' => config('cache.default'),
        'session_driver' => config('session.driver'),
        'discovered_providers' => app(PackageManifest::class)->providers(),
        'loaded_providers' => array_keys(app()->getLoadedProviders()),
        'laravel' => app()->version(),
        'php_sapi' => PHP_SAPI,
    ], $healthy ? 200 : 503);
});

// The benchmark's route: one cached value, computed on a miss.
Route::get('/bench/cached', function () {
    return response()->json(Cache::remember('bench:cached', 3600, function () {
        return ['message' => 'Hello from the cache', 'items' => range(1, 10)];
    }));
});

// Worker mode: how often the application was booted, and how many
// requests this boot has served (public/worker.php binds worker.stats).
Route::get('/worker/boots', function () {
    $stats = app()->bound('worker.stats') ? app('worker.stats') : null;

    return [
        'mode' => $stats ? 'worker' : 'request',
        'boots' => $stats ? $stats['boots'] : null,
        'served' => $stats ? $stats['served'] : null,
        'app' => spl_object_id(app()),
        'memory' => memory_get_usage(),
    ];
});

// The locale: ?set=xx changes it (and config app.locale) for this request.
Route::get('/locale', function (Request $request) {
    $before = ['locale' => App::getLocale(), 'config' => config('app.locale'), 'marker' => config('app.marker')];
    if ($request->query('set')) {
        App::setLocale($request->query('set'));
        config(['app.marker' => $request->query('set')]);
    }
    return ['before' => $before, 'locale' => App::getLocale(), 'config' => config('app.locale'), 'marker' => config('app.marker')];
});

// A slow page (?ms milliseconds), for clients that give up waiting.
Route::get('/slow', function (Request $request) {
    usleep(1000 * min((int) $request->query('ms', 100), 5000));
    return ['slept_ms' => (int) $request->query('ms', 100)];
});

Route::prefix('api')->group(function () use ($store, $body, $ttl, $kvKey) {
    $describe = function ($value) {
        return ['value' => $value, 'type' => get_debug_type($value)];
    };

    // Every kind of PHP value, put and read back.
    Route::get('/types', function (Request $request) use ($store) {
        $point = new Point(3, 4);
        $values = [
            'int' => 42,
            'negative_int' => -7,
            'zero' => 0,
            'int_max' => PHP_INT_MAX,
            'float' => 0.1 + 0.2,
            'whole_float' => 5.0,
            'numeric_string' => '5',
            'float_string' => '0.30000000000000004',
            'string' => "héllo\0wörld",
            'empty_string' => '',
            'true' => true,
            'false' => false,
            'array' => ['a' => 1, 'b' => [1, 2, 3], 'c' => ['d' => null]],
            'list' => [1, '2', 3.5],
            'stdclass' => (object) ['x' => 1, 'y' => 'two'],
            'object' => $point,
            'carbon' => Carbon::parse('2024-01-02 03:04:05.678901', 'UTC'),
            'collection' => collect(['a' => 1, 'b' => 2]),
        ];
        $out = [];
        foreach ($values as $name => $value) {
            $store($request)->put("types:$name", $value, 60);
            $got = $store($request)->get("types:$name", 'MISSING');
            $same = is_object($value)
                ? is_object($got) && get_class($got) === get_class($value) && $got == $value
                : $got === $value;
            $out[$name] = [
                'same' => $same,
                'put' => get_debug_type($value),
                'got' => get_debug_type($got),
                'got_export' => $same ? null : var_export($got, true),
            ];
        }
        return $out;
    });

    Route::get('/many', function (Request $request) use ($store) {
        $keys = array_values(array_filter(explode(',', (string) $request->query('keys'))));
        return ['values' => $store($request)->many($keys)];
    });

    Route::post('/many', function (Request $request) use ($store, $body, $ttl) {
        $in = $body($request);
        return ['stored' => $store($request)->putMany($in['values'], $ttl($in['ttl'] ?? null) ?? 3600)];
    });

    Route::post('/flush', function (Request $request) use ($store) {
        return ['flushed' => $store($request)->flush()];
    });

    Route::get('/cache/{key}', function (Request $request, string $key) use ($store, $describe) {
        $cache = $store($request);
        return ['key' => $key, 'has' => $cache->has($key), 'missing' => $cache->missing($key)]
            + $describe($cache->get($key));
    })->where('key', '[^/]+');

    // Body {"value": any JSON, "ttl": seconds | null (forever)}.
    Route::put('/cache/{key}', function (Request $request, string $key) use ($store, $body, $ttl) {
        $in = $body($request);
        $seconds = $ttl($in['ttl'] ?? null);
        $stored = $seconds === null
            ? $store($request)->forever($key, $in['value'])
            : $store($request)->put($key, $in['value'], $seconds);
        return ['stored' => $stored];
    });

    Route::delete('/cache/{key}', function (Request $request, string $key) use ($store) {
        return ['forgotten' => $store($request)->forget($key)];
    });

    Route::post('/cache/{key}/add', function (Request $request, string $key) use ($store, $body, $ttl) {
        $in = $body($request);
        return ['added' => $store($request)->add($key, $in['value'], $ttl($in['ttl'] ?? 60))];
    });

    Route::post('/cache/{key}/increment', function (Request $request, string $key) use ($store) {
        return ['value' => $store($request)->increment($key, (int) $request->query('by', 1))];
    });

    Route::post('/cache/{key}/decrement', function (Request $request, string $key) use ($store) {
        return ['value' => $store($request)->decrement($key, (int) $request->query('by', 1))];
    });

    // remember (?ttl=N) or rememberForever (?ttl=forever): the closure
    // runs only on a miss.
    Route::post('/cache/{key}/remember', function (Request $request, string $key) use ($store, $ttl) {
        $computed = 0;
        $compute = function () use (&$computed) {
            $computed++;
            return ['token' => bin2hex(random_bytes(8))];
        };
        $seconds = $ttl($request->query('ttl', 60));
        $value = $seconds === null
            ? $store($request)->rememberForever($key, $compute)
            : $store($request)->remember($key, $seconds, $compute);
        return ['value' => $value, 'computed' => $computed];
    });

    // What ePHPm's KV holds for this key (its TTL in seconds, -1 none,
    // -2 missing), read with the ephpm_kv_* functions directly.
    Route::get('/kv/{key}', function (Request $request, string $key) use ($kvKey) {
        $raw = $kvKey($request, $key);
        return [
            'kv_key' => $raw,
            'exists' => ephpm_kv_exists($raw),
            'ttl' => ephpm_kv_ttl($raw),
        ];
    });

    // Tags: body {"tags": [...], "key": ..., "value": ...}.
    Route::post('/tags/put', function (Request $request) use ($store, $body) {
        $in = $body($request);
        return ['stored' => $store($request)->tags($in['tags'])->put($in['key'], $in['value'], 3600)];
    });

    Route::post('/tags/get', function (Request $request) use ($store, $body, $describe) {
        $in = $body($request);
        return $describe($store($request)->tags($in['tags'])->get($in['key']));
    });

    Route::post('/tags/flush', function (Request $request) use ($store, $body) {
        $in = $body($request);
        return ['flushed' => $store($request)->tags($in['tags'])->flush()];
    });

    // Locks. acquire takes the lock for ?seconds and keeps it (no release):
    // another acquire fails until the owner releases or it expires.
    Route::post('/lock/{name}/acquire', function (Request $request, string $name) use ($store) {
        $lock = $store($request)->lock($name, (int) $request->query('seconds', 10), $request->query('owner'));
        $acquired = $lock->get();
        return ['acquired' => $acquired, 'owner' => $lock->owner()];
    });

    Route::post('/lock/{name}/release', function (Request $request, string $name) use ($store) {
        return ['released' => $store($request)->restoreLock($name, (string) $request->query('owner'))->release()];
    });

    Route::post('/lock/{name}/force-release', function (Request $request, string $name) use ($store) {
        $store($request)->lock($name)->forceRelease();
        return ['released' => true];
    });

    // block(): waits up to ?wait seconds for the lock, runs the critical
    // section and releases it.
    Route::post('/lock/{name}/block', function (Request $request, string $name) use ($store) {
        $started = microtime(true);
        try {
            $result = $store($request)->lock($name, 10)->block((int) $request->query('wait', 1), function () {
                return 'ran';
            });
            return ['acquired' => true, 'result' => $result, 'waited' => microtime(true) - $started];
        } catch (LockTimeoutException $e) {
            return ['acquired' => false, 'result' => null, 'waited' => microtime(true) - $started];
        }
    });

    // RateLimiter directly: ?max attempts per minute for this key.
    Route::post('/ratelimit/{key}', function (Request $request, string $key) {
        $max = (int) $request->query('max', 3);
        $allowed = RateLimiter::attempt($key, $max, fn () => true, 60);
        return [
            'allowed' => $allowed === true,
            'attempts' => RateLimiter::attempts($key),
            'remaining' => RateLimiter::remaining($key, $max),
            'too_many' => RateLimiter::tooManyAttempts($key, $max),
            'available_in' => RateLimiter::availableIn($key),
        ];
    });

    Route::delete('/ratelimit/{key}', function (string $key) {
        RateLimiter::clear($key);
        return ['cleared' => true];
    });
});
