<?php
// Server-sent events: ?n events, each echoed and flush()ed, ?ms
// milliseconds of sleep after each. With ?gate=TOKEN the script instead
// waits after event i until the file gate-TOKEN-i exists next to it: the
// test creates it once it has read event i, which proves the event reached
// the client while the script was still running.
header('Content-Type: text/event-stream');
header('Cache-Control: no-cache');
$n = (int)($_GET['n'] ?? 3);
$ms = (int)($_GET['ms'] ?? 200);
$gate = preg_replace('/[^A-Za-z0-9]/', '', $_GET['gate'] ?? '');
for ($i = 1; $i <= $n; $i++) {
    echo "id: $i\ndata: event $i at " . microtime(true) . "\n\n";
    flush();
    if ($gate === '') {
        usleep($ms * 1000);
        continue;
    }
    $file = __DIR__ . "/gate-$gate-$i";
    for ($t = 0; $t < 400 && !file_exists($file); $t++) {
        usleep(50000);
    }
    if (!file_exists($file)) {
        echo "data: gate $i never opened\n\n";
        exit;
    }
}
echo "data: end\n\n";
