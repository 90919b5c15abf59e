<?php
// Tiny KV probe used by the server tests.
header('Content-Type: application/json');
$op = $_GET['op'] ?? 'get';
$key = $_GET['key'] ?? 'k';
switch ($op) {
    case 'set': $r = ephpm_kv_set($key, $_GET['value'] ?? '', (int)($_GET['ttl'] ?? 0)); break;
    case 'incr': $r = ephpm_kv_incr_by($key, (int)($_GET['by'] ?? 1)); break;
    case 'setnx': $r = ephpm_kv_setnx($key, $_GET['value'] ?? '', (int)($_GET['ttl'] ?? 0)); break;
    default: $r = ephpm_kv_get($key);
}
echo json_encode(['result' => $r]);
