<?php
// One ephpm_kv_wait in the server, for tests that wake it from another
// process: ?key=&last=&timeout= (ms). Answers the result and the time
// waited.
header('Content-Type: application/json');
$t = hrtime(true);
$r = ephpm_kv_wait($_GET['key'] ?? 'k', (int)($_GET['last'] ?? 0), (int)($_GET['timeout'] ?? 0));
echo json_encode(['result' => $r, 'ms' => intdiv(hrtime(true) - $t, 1000000)]);
