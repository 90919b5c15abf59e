<?php
// Worker script for the HTTP front tests: each request runs the fixture of
// this directory its URL names, so request and worker mode run the same code.
while (ephpm_handle_request(function () {
    $file = $_SERVER['SCRIPT_FILENAME'];
    if (dirname($file) !== __DIR__ || $file === __FILE__ || !is_file($file)) {
        http_response_code(404);
        echo "no such fixture\n";
        return;
    }
    include $file;
})) {
}
