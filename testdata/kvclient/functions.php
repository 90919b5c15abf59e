<?php
// The in-server checks of every ephpm_kv_* function (SPEC section 1),
// flush_all included, for `ephpm php --config`: the same results through
// the server's [kv.resp] as inside the server.
$_GET['flush'] = '1';
require __DIR__ . '/../e2e/public/kv_functions.php';
