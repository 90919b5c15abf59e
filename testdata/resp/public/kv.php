<?php
// The RESP e2e tests' window on the store from PHP inside the server.
header('Content-Type: application/json');
$op = $_GET['op'] ?? 'get';
$key = $_GET['key'] ?? 'k';
switch ($op) {
    case 'set': $r = ephpm_kv_set($key, $_GET['value'] ?? '', (int)($_GET['ttl'] ?? 0)); break;
    case 'ttl': $r = ephpm_kv_ttl($key); break;
    case 'incr': $r = ephpm_kv_incr_by($key, (int)($_GET['by'] ?? 1)); break;
    case 'del': $r = ephpm_kv_del($key); break;
    default: $r = ephpm_kv_get($key);
}
echo json_encode(['result' => $r]);
