<?php

use Illuminate\Http\Request;
use Illuminate\Support\Facades\Cookie;
use Illuminate\Support\Facades\Route;

// Stateful routes: encrypted cookies, a session (SESSION_DRIVER=cache keeps
// it in the default cache store), CSRF protection.

Route::get('/', function () {
    return ['app' => config('app.name'), 'laravel' => app()->version()];
});

// Counts this client's visits in its session.
Route::get('/session/counter', function (Request $request) {
    $n = $request->session()->get('counter', 0) + 1;
    $request->session()->put('counter', $n);

    return [
        'counter' => $n,
        'id' => $request->session()->getId(),
        'name' => $request->session()->get('name'),
        'driver' => config('session.driver'),
    ];
});

// The CSRF token of this session (a form would embed it).
Route::get('/session/token', function (Request $request) {
    return ['token' => csrf_token(), 'id' => $request->session()->getId()];
});

// A form post: needs the session's CSRF token (419 without it).
Route::post('/session/name', function (Request $request) {
    $data = $request->validate(['name' => 'required|string|max:50']);
    $request->session()->put('name', $data['name']);

    return ['name' => $data['name'], 'id' => $request->session()->getId()];
});

// A cookie queued with Cookie::queue(), sent with this response only.
Route::get('/cookie/queue', function (Request $request) {
    Cookie::queue('greeting', (string) $request->query('value', 'hello'), 10);

    return ['queued' => true];
});

// Laravel's throttle middleware on the cache: the 4th hit within a minute
// from one client is answered 429.
Route::get('/throttled', function () {
    return ['ok' => true];
})->middleware('throttle:3,1');

// A named limiter from RouteServiceProvider.
Route::get('/throttled/named', function () {
    return ['ok' => true];
})->middleware('throttle:two-per-minute');
