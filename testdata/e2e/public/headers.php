<?php
http_response_code((int)($_GET['status'] ?? 200));
header('X-Custom: one');
header('X-Multi: a');
header('X-Multi: b', false);
setcookie('flavor', 'choc chip', ['expires' => time() + 3600, 'path' => '/', 'httponly' => true, 'samesite' => 'Lax']);
setcookie('second', 'two');
if (isset($_GET['location'])) {
    header('Location: ' . $_GET['location']);
}
if (isset($_GET['type'])) {
    header('Content-Type: ' . $_GET['type']);
}
echo "headers_sent_before_output=" . var_export(headers_sent(), true) . "\n";
echo "headers_sent_after_output=" . var_export(headers_sent(), true) . "\n";
