<?php
// An application's own conditional GET, as frameworks do it: ETag "v42",
// and 304 when If-None-Match names it.
header('Content-Type: text/html; charset=UTF-8');
header('ETag: "v42"');
$inm = $_SERVER['HTTP_IF_NONE_MATCH'] ?? '';
header('X-Seen-If-None-Match: ' . $inm);
if ($inm === '"v42"') {
    http_response_code(304);
    exit;
}
echo str_repeat("<p>a page worth caching</p>\n", 200);
