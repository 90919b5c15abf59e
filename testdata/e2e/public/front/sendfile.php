<?php
// X-Sendfile fixture (tests/e2e/front_test.go): ?path= is the file named,
// ?accel=1 names it with X-Accel-Redirect instead, ?type= sets a
// Content-Type, ?status= a status. The body must never reach the client
// when the server sends the file.
header((isset($_GET['accel']) ? 'X-Accel-Redirect' : 'X-Sendfile') . ': ' . ($_GET['path'] ?? ''));
header('X-App: kept');
if (isset($_GET['type'])) {
    header('Content-Type: ' . $_GET['type']);
}
if (isset($_GET['status'])) {
    http_response_code((int) $_GET['status']);
}
echo str_repeat("SCRIPT BODY ", 200);
