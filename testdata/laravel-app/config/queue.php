<?php

return [
    // sync runs a job at once, in the process that dispatches it. For a
    // worker it is a queue that never has a job, so `php artisan queue:work
    // sync --sleep=1` idles in its loop and, on every turn, reads
    // illuminate:queue:restart from the default cache store: what
    // `queue:restart` (from any process on the same store) stops it with.
    'default' => env('QUEUE_CONNECTION', 'sync'),

    'connections' => [
        'sync' => [
            'driver' => 'sync',
        ],
    ],

    'failed' => [
        'driver' => 'null',
    ],
];
