<?php
// Calls one ephpm_kv_* function in the server: ?fn=ttl&args=["key"] (JSON
// array of arguments); answers {"result": ...}.
header('Content-Type: application/json');
$fn = 'ephpm_kv_' . ($_GET['fn'] ?? '');
$args = json_decode($_GET['args'] ?? '[]', true);
if (!preg_match('/^ephpm_kv_[a-z_]+$/', $fn) || !function_exists($fn) || !is_array($args)) {
    http_response_code(400);
    exit;
}
echo json_encode(['result' => $fn(...$args)]);
