<?php
// Writes a chunk, flushes, waits, writes another: the client must see the
// first chunk before the second exists.
$n = (int)($_GET['n'] ?? 3);
$ms = (int)($_GET['ms'] ?? 300);
for ($i = 0; $i < $n; $i++) {
    echo "chunk $i " . microtime(true) . "\n";
    flush();
    usleep($ms * 1000);
}
echo "done\n";
