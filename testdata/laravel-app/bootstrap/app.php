<?php

/*
| Creates the application, as in every Laravel app. One addition: where the
| app's own storage/ or bootstrap/cache/ is not writable (e.g. php-fpm running
| as www-data over a checkout owned by someone else), Laravel's writable state
| goes to a directory under sys_get_temp_dir() instead.
*/

$app = new Illuminate\Foundation\Application(
    $_ENV['APP_BASE_PATH'] ?? dirname(__DIR__)
);

(static function (Illuminate\Foundation\Application $app): void {
    $fallback = null;
    $writable = static function (string $dir) use ($app, &$fallback): string {
        if (is_dir($dir) && is_writable($dir)) {
            return $dir;
        }
        $fallback ??= sys_get_temp_dir() . '/laravel-app-' . substr(md5($app->basePath()), 0, 12) . '-' . (function_exists('posix_geteuid') ? posix_geteuid() : getmyuid());
        return $fallback . '/' . basename($dir);
    };
    $storage = $writable($app->storagePath());
    foreach (['app', 'framework/cache', 'framework/sessions', 'framework/views', 'logs'] as $sub) {
        if (!is_dir("$storage/$sub")) {
            @mkdir("$storage/$sub", 0775, true);
        }
    }
    $app->useStoragePath($storage);

    $cache = $writable($app->bootstrapPath('cache'));
    if ($cache !== $app->bootstrapPath('cache')) {
        @mkdir($cache, 0775, true);
        foreach (['APP_PACKAGES_CACHE' => 'packages.php', 'APP_SERVICES_CACHE' => 'services.php'] as $key => $file) {
            $_SERVER[$key] = $_ENV[$key] = "$cache/$file";
            putenv("$key=$cache/$file");
        }
    }
    // Composer runs `artisan package:discover` after every install; here the
    // package manifest is rebuilt whenever vendor/composer/installed.json is
    // newer than it.
    $manifest = $app->getCachedPackagesPath();
    $installed = $app->basePath('vendor/composer/installed.json');
    if (is_file($manifest) && @filemtime($manifest) < @filemtime($installed)) {
        @unlink($manifest);
    }
})($app);

$app->singleton(
    Illuminate\Contracts\Http\Kernel::class,
    App\Http\Kernel::class
);

$app->singleton(
    Illuminate\Contracts\Console\Kernel::class,
    App\Console\Kernel::class
);

$app->singleton(
    Illuminate\Contracts\Debug\ExceptionHandler::class,
    App\Exceptions\Handler::class
);

return $app;
