<?php

namespace App\Console\Commands;

use Illuminate\Console\Command;

/**
 * The scheduled task of the overlap test: appends one line (its pid) to
 * OVERLAP_FILE (default storage/app/overlap.log), then stays busy until
 * OVERLAP_FILE.release exists or OVERLAP_SECONDS (default 2) pass, so a
 * second `schedule:run` meanwhile finds it still running.
 */
class OverlapAppendCommand extends Command
{
    protected $signature = 'overlap:append';

    protected $description = 'Append a line to OVERLAP_FILE and stay busy for a while (the withoutOverlapping test)';

    public function handle()
    {
        $file = env('OVERLAP_FILE') ?: storage_path('app/overlap.log');
        file_put_contents($file, getmypid() . "\n", FILE_APPEND | LOCK_EX);
        $until = microtime(true) + (float) (env('OVERLAP_SECONDS') ?: 2);
        while (microtime(true) < $until && !file_exists($file . '.release')) {
            usleep(50_000);
        }
        return 0;
    }
}
