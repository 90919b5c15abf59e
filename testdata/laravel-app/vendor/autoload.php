<?php

// What `composer install` would generate for this app, written by hand:
// Packagist is not reachable here, so the framework comes from Debian's
// php-laravel-framework (Laravel 8.83) and the ephpm/cache-laravel package
// from this repository (composer/cache-laravel), as a Composer "path"
// repository would install it. vendor/composer/installed.json lists the
// package for Laravel's package discovery (bin/sync-installed.php writes it).

if (!defined('LARAVEL_START')) {
    define('LARAVEL_START', microtime(true));
}

// Debian's autoloaders require their dependencies through the include path.
if (!in_array('/usr/share/php', explode(PATH_SEPARATOR, get_include_path()), true)) {
    set_include_path(get_include_path() . PATH_SEPARATOR . '/usr/share/php');
}
require_once '/usr/share/php/Illuminate/autoload.php';

(static function (): void {
    $app = dirname(__DIR__);
    // EPHPM_CACHE_LARAVEL_SRC points at another copy of the package's src/
    // (e.g. when this app is copied out of the repository).
    $package = getenv('EPHPM_CACHE_LARAVEL_SRC') ?: dirname($app, 2) . '/composer/cache-laravel/src';
    $psr4 = [
        'App\\' => $app . '/app/',
        'Ephpm\\Cache\\Laravel\\' => rtrim($package, '/') . '/',
    ];
    spl_autoload_register(static function (string $class) use ($psr4): void {
        foreach ($psr4 as $prefix => $dir) {
            if (strncmp($class, $prefix, strlen($prefix)) === 0) {
                $file = $dir . str_replace('\\', '/', substr($class, strlen($prefix))) . '.php';
                if (is_file($file)) {
                    require $file;
                }
                return;
            }
        }
    });
})();
