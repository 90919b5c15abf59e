<?php
// Worker mode and KV values (issue 16): a worker's request never ends, so
// values must come back copied (a static could keep one for ever). Each
// request reads the hot 64 KB key, keeps what it read across requests,
// overwrites the key, and reports whether everything it kept is intact
// and whether its reads were copies (memory grows by the value's size).
$kept = [];
ephpm_handle_request(function () use (&$kept) {}); // (the first request: boot)
while (ephpm_handle_request(function () use (&$kept) {
    header('Content-Type: application/json');
    $n = 65536;
    $i = count($kept);
    $want = str_repeat(chr(65 + $i % 26), $n);
    ephpm_kv_set('wsh:k', $want);
    for ($j = 0; $j < 4; $j++) { ephpm_kv_get('wsh:k'); }
    $m0 = memory_get_usage();
    $reads = [];
    for ($j = 0; $j < 20; $j++) { $reads[] = ephpm_kv_get('wsh:k'); }
    $grew = memory_get_usage() - $m0;
    $kept[] = [$want, $reads[0]];
    ephpm_kv_set('wsh:k', str_repeat('z', $n)); // overwrite what was read
    $bad = 0;
    foreach ($kept as [$w, $r]) { if ($w !== $r) { $bad++; } }
    foreach ($reads as $r) { if ($r !== $want) { $bad++; } }
    echo json_encode(['kept' => count($kept), 'bad' => $bad, 'copied' => $grew >= 20 * $n]);
})) {}
