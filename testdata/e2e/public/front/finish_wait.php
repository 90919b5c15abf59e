<?php
// After fastcgi_finish_request() the script has no client, and a KV wait
// still waits (to its timeout): it is not cut short as if the client had
// left. Records in ?dir=/after how long it waited.
$dir = $_GET['dir'];
echo "finished\n";
fastcgi_finish_request();
$v = ephpm_kv_wait('front:finish-wait', 0, 0)['version'];
$t = microtime(true);
$r = ephpm_kv_wait('front:finish-wait', $v, 800);
file_put_contents("$dir/after", json_encode(['waited' => microtime(true) - $t, 'result' => $r]));
