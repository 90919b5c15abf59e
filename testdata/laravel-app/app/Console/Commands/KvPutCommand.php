<?php

namespace App\Console\Commands;

use Illuminate\Console\Command;
use Illuminate\Support\Facades\Cache;

/** Writes a value through a cache store, as a tinker session would: `php artisan kv:put key value`. */
class KvPutCommand extends Command
{
    protected $signature = 'kv:put {key} {value} {--ttl= : seconds; none = forever} {--store= : a store of config/cache.php (default store otherwise)} {--int : store the value as an integer}';

    protected $description = 'Put a value in a cache store';

    public function handle()
    {
        $store = Cache::store($this->option('store') ?: null);
        $value = $this->option('int') ? (int) $this->argument('value') : $this->argument('value');
        $ttl = $this->option('ttl');
        $ok = $ttl === null ? $store->forever($this->argument('key'), $value) : $store->put($this->argument('key'), $value, (int) $ttl);
        $inner = $store->getStore();
        $this->line(json_encode(['stored' => $ok, 'ops' => method_exists($inner, 'getOps') ? get_class($inner->getOps()) : get_class($inner)]));
        return $ok ? 0 : 1;
    }
}
