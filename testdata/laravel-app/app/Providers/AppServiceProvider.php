<?php

namespace App\Providers;

use Illuminate\Queue\Events\Looping;
use Illuminate\Support\Facades\Event;
use Illuminate\Support\ServiceProvider;

class AppServiceProvider extends ServiceProvider
{
    public function register()
    {
    }

    public function boot()
    {
        // For the tests: with QUEUE_LOOP_FILE set, a queue worker writes that
        // file on each turn of its loop, so a test knows the worker has read
        // illuminate:queue:restart (it does before its first turn) and a
        // queue:restart from now on must stop it.
        if ($file = env('QUEUE_LOOP_FILE')) {
            Event::listen(Looping::class, static function () use ($file) {
                file_put_contents($file, (string) getmypid());
            });
        }
    }
}
