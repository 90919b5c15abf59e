<?php

namespace App\Console;

use App\Console\Commands\KvGetCommand;
use App\Console\Commands\KvPutCommand;
use App\Console\Commands\OverlapAppendCommand;
use Illuminate\Console\Scheduling\Schedule;
use Illuminate\Foundation\Console\Kernel as ConsoleKernel;

class Kernel extends ConsoleKernel
{
    protected $commands = [
        KvGetCommand::class,
        KvPutCommand::class,
        OverlapAppendCommand::class,
    ];

    protected function schedule(Schedule $schedule)
    {
        // withoutOverlapping() keeps a mutex in the default cache store
        // (Cache::add, then forget when done): with CACHE_DRIVER=ephpm, two
        // `schedule:run` on one machine, or on many sharing the server's
        // store, run this once at a time.
        $schedule->command('overlap:append')->everyMinute()->withoutOverlapping();
    }
}
