<?php

/*
| Worker mode ([php] mode = "worker", worker_script = "worker.php"): boots the
| Laravel application and its HTTP kernel once, then serves request after
| request with ephpm_handle_request(), as Laravel Octane does. Per request:
| a fresh Illuminate\Http\Request from the superglobals ephpm filled in, and
| what Octane resets as far as this app uses it (session, cookies queued,
| auth, config and locale as booted, the request in the container and the
| facades, the URL generator). What is meant to live on (providers, routes,
| the cache stores, rate limiters) is kept: that is the point of worker mode.
|
| Outside ephpm (php-fpm, CLI) this file does nothing; under ephpm in request
| mode, ephpm_handle_request() throws.
*/

use Illuminate\Contracts\Http\Kernel;
use Illuminate\Http\Request;
use Illuminate\Session\Middleware\StartSession;
use Illuminate\Support\Facades\Facade;

if (!function_exists('ephpm_handle_request')) {
    http_response_code(404);
    return;
}

define('LARAVEL_START', microtime(true));

// A client that goes away mid-request must not stop the worker (PHP would
// end the whole script, i.e. the booted application, at its next output):
// finish the request, then take the next.
ignore_user_abort(true);

require __DIR__ . '/../vendor/autoload.php';

$app = require __DIR__ . '/../bootstrap/app.php';

/** @var \App\Http\Kernel $kernel */
$kernel = $app->make(Kernel::class);
// Load .env and config, register and boot every provider: once.
$kernel->bootstrap();

// Boots of the application in this server process (all PHP threads), and
// requests served by this boot: GET /worker/boots, header X-Worker-Boots.
$stats = new ArrayObject([
    'boots' => function_exists('ephpm_kv_incr') ? ephpm_kv_incr('laravel-app:worker:boots') : 1,
    'served' => 0,
]);
$app->instance('worker.stats', $stats);

// Config as booted: what a request changes at runtime (config([...]),
// App::setLocale()) is changed for that request only.
$bootConfig = $app['config'];

// The request-scoped services Laravel would build fresh in a new process.
// StartSession is a singleton (Laravel 8-10) holding the session manager.
$forget = ['session', 'session.store', StartSession::class, 'auth', 'auth.driver', 'cookie'];

$handler = function () use ($app, $kernel, $stats, $forget, $bootConfig) {
    $stats['served']++;

    // The router, the error pages and Symfony's base-URL detection should
    // see the front controller, as under public/index.php.
    $_SERVER['SCRIPT_NAME'] = $_SERVER['PHP_SELF'] = '/index.php';
    $_SERVER['SCRIPT_FILENAME'] = __DIR__ . '/index.php';

    $request = Request::capture();

    // Fresh session manager and store (the store keeps the previous
    // client's attributes and id otherwise), no cookies queued by the
    // previous request, no user from the previous request, the config and
    // locale as booted.
    foreach ($forget as $abstract) {
        $app->forgetInstance($abstract);
        Facade::clearResolvedInstance($abstract);
    }
    $app->instance('config', clone $bootConfig);
    Facade::clearResolvedInstance('config');
    if ($app->resolved('translator')) {
        $app['translator']->setLocale($bootConfig->get('app.locale'));
    }
    $app->instance('request', $request);
    Facade::clearResolvedInstance('request');
    if ($app->resolved('url')) {
        $app['url']->setRequest($request);
    }
    if ($app->resolved('redirect')) {
        // The redirector flashes to the session it was given when built.
        $app['redirect']->setSession($app['session.store']);
    }

    $response = $kernel->handle($request);
    $response->headers->set('X-Worker-Boots', (string) $stats['boots']);
    $response->send();

    $kernel->terminate($request, $response);
};

// Collect garbage cycles between requests when memory grew by 16 MB since
// the last collection, not after every request: a full collection over a
// booted Laravel costs more than serving a cached page (Octane does the
// same with its garbage threshold).
$collectedAt = memory_get_usage();
while (ephpm_handle_request($handler)) {
    if (memory_get_usage() - $collectedAt > 16 * 1024 * 1024) {
        gc_collect_cycles();
        $collectedAt = memory_get_usage();
    }
}
