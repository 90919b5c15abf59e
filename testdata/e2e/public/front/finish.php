<?php
// fastcgi_finish_request() fixture: ?dir= is a directory of the test's.
// The response ends at the finish call; the script then waits (up to 20 s)
// for dir/go, which the test creates only once it has the whole response,
// and records in dir/after what it saw. ?alias=1 calls ephpm_finish_request(),
// ?flush=1 flushes before the finish.
$dir = $_GET['dir'];
$fn = isset($_GET['alias']) ? 'ephpm_finish_request' : 'fastcgi_finish_request';
header('X-Finish: ' . $fn);
echo "body before finish\n";
if (isset($_GET['flush'])) {
    flush(); // the response is streaming (chunked) when it is finished
}
$first = $fn();
echo "DROPPED after finish\n";
flush();
$second = $fn();
for ($i = 0; $i < 400 && !file_exists("$dir/go"); $i++) {
    usleep(50000);
}
file_put_contents("$dir/after", json_encode(['first' => $first, 'second' => $second, 'go' => file_exists("$dir/go")]));
