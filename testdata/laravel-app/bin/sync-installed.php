<?php

// Writes vendor/composer/installed.json, the file `composer install` leaves
// for Laravel's package discovery (Illuminate\Foundation\PackageManifest),
// from the package's own composer.json. Run it after changing
// composer/cache-laravel/composer.json:
//
//     php testdata/laravel-app/bin/sync-installed.php
//
// The e2e tests fail when the committed file is out of date.

$app = dirname(__DIR__);
$packageDir = dirname($app, 2) . '/composer/cache-laravel';
$composer = json_decode(file_get_contents($packageDir . '/composer.json'), true, 512, JSON_THROW_ON_ERROR);

$package = [
    'name' => $composer['name'],
    'version' => 'dev-main',
    'version_normalized' => 'dev-main',
    'dist' => ['type' => 'path', 'url' => '../../composer/cache-laravel', 'reference' => null],
    'type' => $composer['type'] ?? 'library',
    'license' => (array)($composer['license'] ?? []),
    'description' => $composer['description'] ?? '',
    'require' => $composer['require'] ?? new stdClass(),
    'autoload' => $composer['autoload'] ?? new stdClass(),
    'extra' => $composer['extra'] ?? new stdClass(),
    'install-path' => '../../../../composer/cache-laravel',
];
$installed = ['packages' => [$package], 'dev' => false, 'dev-package-names' => []];

$file = $app . '/vendor/composer/installed.json';
file_put_contents($file, json_encode($installed, JSON_PRETTY_PRINT | JSON_UNESCAPED_SLASHES) . "\n");
echo "wrote $file\n";
