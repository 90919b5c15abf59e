<?php

/*
 * Loads Laravel and this package's classes for the test suite, without
 * Composer when need be: vendor/autoload.php after `composer install`, else
 * the system's Laravel (Debian's php-laravel-framework, or the autoloader
 * named by ILLUMINATE_AUTOLOAD). Also used by ePHPm's in-server contract run
 * (testdata/kv-contract), which has no Composer either.
 */

declare(strict_types=1);

$vendor = dirname(__DIR__) . '/vendor/autoload.php';
if (is_file($vendor)) {
    require_once $vendor;
} else {
    $illuminate = getenv('ILLUMINATE_AUTOLOAD') ?: '/usr/share/php/Illuminate/autoload.php';
    if (!is_file($illuminate)) {
        fwrite(STDERR, "Laravel not found: run `composer install` in " . dirname(__DIR__)
            . " or set ILLUMINATE_AUTOLOAD to Illuminate's autoload.php\n");
        exit(1);
    }
    require_once $illuminate;
}

// PSR-4 for the package and its tests, as composer.json declares them.
spl_autoload_register(static function (string $class): void {
    $roots = [
        'Ephpm\\Cache\\Laravel\\Tests\\' => __DIR__ . '/',
        'Ephpm\\Cache\\Laravel\\' => dirname(__DIR__) . '/src/',
    ];
    foreach ($roots as $prefix => $dir) {
        if (str_starts_with($class, $prefix)) {
            $file = $dir . str_replace('\\', '/', substr($class, strlen($prefix))) . '.php';
            if (is_file($file)) {
                require $file;
            }
            return;
        }
    }
});
