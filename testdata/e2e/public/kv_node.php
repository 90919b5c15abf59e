<?php
// One ephpm_kv_* call per request, for the tests that drive several nodes
// (and a store that may be down or hung): ?op= names the function, ?key=,
// ?value=, ?ttl=, ?by=, ?expected=, ?prefix= are its arguments. With
// ?hex=1 the string arguments arrive hex-encoded and a string result leaves
// hex-encoded (binary keys and values survive the URL and JSON).
// Answers {"result": <what the function returned>, "ms": <the call's time>,
// "warnings": [...]}.
header('Content-Type: application/json');
$hex = isset($_GET['hex']);
$arg = function (string $name, string $default = '') use ($hex): string {
    $v = $_GET[$name] ?? $default;
    return $hex ? hex2bin($v) : $v;
};
$key = $arg('key', 'k');
$ttl = (int)($_GET['ttl'] ?? 0);
$calls = [
    'get' => fn() => ephpm_kv_get($key),
    'set' => fn() => ephpm_kv_set($key, $arg('value'), $ttl),
    'setnx' => fn() => ephpm_kv_setnx($key, $arg('value'), $ttl),
    'del' => fn() => ephpm_kv_del($key),
    'exists' => fn() => ephpm_kv_exists($key),
    'incr' => fn() => ephpm_kv_incr_by($key, (int)($_GET['by'] ?? 1)),
    'decr' => fn() => ephpm_kv_decr($key),
    'expire' => fn() => ephpm_kv_expire($key, $ttl),
    'ttl' => fn() => ephpm_kv_ttl($key),
    'pttl' => fn() => ephpm_kv_pttl($key),
    'flush_all' => fn() => ephpm_kv_flush_all(),
    'del_prefix' => fn() => ephpm_kv_del_prefix($arg('prefix')),
    'del_if_equals' => fn() => ephpm_kv_del_if_equals($key, $arg('expected')),
];
$op = $_GET['op'] ?? 'get';
if (!isset($calls[$op])) {
    http_response_code(400);
    echo json_encode(['error' => "unknown op $op"]);
    return;
}
// A store outage may come with a PHP warning: kept in the answer rather
// than printed before it.
$warnings = [];
set_error_handler(function (int $no, string $msg) use (&$warnings) {
    $warnings[] = $msg;
    return true;
});
$t0 = hrtime(true);
$r = $calls[$op]();
$ms = (hrtime(true) - $t0) / 1e6;
restore_error_handler();
if ($hex && is_string($r)) {
    $r = bin2hex($r);
}
echo json_encode(['result' => $r, 'ms' => $ms, 'warnings' => $warnings]);
