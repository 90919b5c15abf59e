<?php
// Writes until the client goes away, then records connection_aborted().
ignore_user_abort(true);
$marker = sys_get_temp_dir() . '/ephpm-abort-' . preg_replace('/\W/', '', $_GET['id'] ?? 'x');
for ($i = 0; $i < 200; $i++) {
    echo str_repeat('.', 8192);
    flush();
    if (connection_aborted()) {
        file_put_contents($marker, "aborted at $i");
        exit;
    }
    usleep(20000);
}
file_put_contents($marker, 'never aborted');
