<?php
// Reports and then sets state that must not survive into the next request.
header('Content-Type: application/json');
echo json_encode([
    'global_before' => $GLOBALS['ephpm_leak'] ?? null,
    'const_before' => defined('EPHPM_LEAK') ? EPHPM_LEAK : null,
    'static_fn_before' => function_exists('ephpm_leak_fn'),
    'ini_before' => ini_get('precision'),
    'get' => $_GET,
    'cookie' => $_COOKIE,
]);
$GLOBALS['ephpm_leak'] = 'leaked';
define('EPHPM_LEAK', 'leaked');
if (!function_exists("ephpm_leak_fn")) { function ephpm_leak_fn() {} }
ini_set('precision', '5');
header('X-Leak: set');
