<?php

return [
    // ephpm under `ephpm serve`; the benchmark runs the same app under
    // nginx + php-fpm with CACHE_DRIVER=redis or CACHE_DRIVER=apc.
    'default' => env('CACHE_DRIVER', 'ephpm'),

    'stores' => [
        // ePHPm's in-process KV store (ephpm/cache-laravel). Outside the
        // server (php artisan, queue workers, php-fpm) the same store over
        // its [kv.resp] endpoint, e.g. EPHPM_KV_URL=unix:///run/ephpm/kv.sock.
        'ephpm' => [
            'driver' => 'ephpm',
            'prefix' => 'cache',
            'connection' => env('EPHPM_KV_URL'),
        ],

        // A second store on the same KV with its own prefix: flushing one
        // leaves the other's keys alone.
        'ephpm_other' => [
            'driver' => 'ephpm',
            'prefix' => 'other',
            'connection' => env('EPHPM_KV_URL'),
        ],

        'redis' => [
            'driver' => 'redis',
            'connection' => 'cache',
            'lock_connection' => 'default',
        ],

        'apc' => [
            'driver' => 'apc',
        ],

        'array' => [
            'driver' => 'array',
            'serialize' => false,
        ],

        'file' => [
            'driver' => 'file',
            'path' => storage_path('framework/cache/data'),
        ],
    ],

    // Laravel's global prefix, used by the redis and apc stores. The ephpm
    // stores use their own 'prefix' above.
    'prefix' => env('CACHE_PREFIX', 'laravel_cache'),
];
