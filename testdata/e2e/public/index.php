<?php
// Front controller: answers every path that names no file.
header('Content-Type: application/json');
echo json_encode([
    'front' => true,
    'request_uri' => $_SERVER['REQUEST_URI'],
    'script_name' => $_SERVER['SCRIPT_NAME'],
    'path_info' => $_SERVER['PATH_INFO'] ?? null,
    'php_self' => $_SERVER['PHP_SELF'],
], JSON_UNESCAPED_SLASHES);
