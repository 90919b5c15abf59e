<?php
// A page for the compression tests. ?bytes=N of HTML (default 20480),
// ?type= its Content-Type, ?etag=, ?cc= (Cache-Control), ?status=,
// ?length=1 sends Content-Length, ?encode=gzip has the script encode the
// body itself (with its own Content-Encoding).
if (isset($_GET['status'])) {
    http_response_code((int)$_GET['status']);
}
if (isset($_GET['type'])) {
    header('Content-Type: ' . $_GET['type']);
}
if (isset($_GET['etag'])) {
    header('ETag: ' . $_GET['etag']);
}
if (isset($_GET['cc'])) {
    header('Cache-Control: ' . $_GET['cc']);
}
$want = (int)($_GET['bytes'] ?? 20480);
$body = '';
for ($i = 0; strlen($body) < $want; $i++) {
    $body .= "<p>line $i: the quick brown fox jumps over the lazy dog</p>\n";
}
$body = substr($body, 0, $want);
if (($_GET['encode'] ?? '') === 'gzip') {
    header('Content-Encoding: gzip');
    $body = gzencode($body);
}
if (!empty($_GET['length'])) {
    header('Content-Length: ' . strlen($body));
}
// In pieces, as templates print.
foreach (str_split($body, 1000) as $piece) {
    echo $piece;
}
