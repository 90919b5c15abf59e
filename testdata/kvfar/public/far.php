<?php
// The far-expiry e2e test's window on the store from PHP inside the server
// (tests/e2e/kv_far_expiry_test.go).
header('Content-Type: application/json');
$k = $_GET['key'] ?? 'k';
switch ($_GET['op'] ?? '') {
    case 'set':
        $out = ephpm_kv_set($k, $_GET['value'] ?? 'v', (int)$_GET['ttl']);
        break;
    case 'setnx':
        $out = ephpm_kv_setnx($k, $_GET['value'] ?? 'v', (int)$_GET['ttl']);
        break;
    case 'expire':
        $out = ephpm_kv_expire($k, (int)$_GET['ttl']);
        break;
    default:
        // Read the key a few times 20 ms apart: from the second read on it
        // is published and answered by C (kvfuncs.c), which compares
        // deadlines too.
        $gets = [];
        for ($i = 0; $i < 6; $i++) {
            $gets[] = ephpm_kv_get($k);
            usleep(20000);
        }
        $out = ['gets' => $gets, 'exists' => ephpm_kv_exists($k), 'ttl' => ephpm_kv_ttl($k), 'pttl' => ephpm_kv_pttl($k)];
}
echo json_encode($out);
