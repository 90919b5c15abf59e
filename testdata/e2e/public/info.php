<?php
// Dumps what the script sees, for the end-to-end tests.
header('Content-Type: application/json');
echo json_encode([
    'sapi' => PHP_SAPI,
    'server' => $_SERVER,
    'get' => $_GET,
    'post' => $_POST,
    'cookie' => $_COOKIE,
    'files' => $_FILES,
    'input' => file_get_contents('php://input'),
    'request' => $_REQUEST,
    'headers_sent' => headers_sent(),
    'ini' => [
        'max_execution_time' => ini_get('max_execution_time'),
        'memory_limit' => ini_get('memory_limit'),
        'display_errors' => ini_get('display_errors'),
        'output_buffering' => ini_get('output_buffering'),
        'post_max_size' => ini_get('post_max_size'),
    ],
], JSON_PRETTY_PRINT | JSON_UNESCAPED_SLASHES);
