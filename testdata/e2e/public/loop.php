<?php
// Runs forever unless max_execution_time stops it.
if (isset($_GET['limit'])) {
    set_time_limit((int)$_GET['limit']);
}
register_shutdown_function(function () {
    error_log('loop.php shutdown function ran');
});
$i = 0;
while (true) {
    $i++;
}
