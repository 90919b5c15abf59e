<?php

namespace App\Console\Commands;

use Illuminate\Console\Command;
use Illuminate\Support\Facades\Cache;

/** Reads a value through a cache store and prints it as JSON: `php artisan kv:get key`. */
class KvGetCommand extends Command
{
    protected $signature = 'kv:get {key} {--store= : a store of config/cache.php (default store otherwise)}';

    protected $description = 'Get a value from a cache store, as JSON';

    public function handle()
    {
        $value = Cache::store($this->option('store') ?: null)->get($this->argument('key'));
        $this->line(json_encode(['value' => $value, 'type' => get_debug_type($value)]));
        return 0;
    }
}
