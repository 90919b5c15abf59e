<?php
// Large values against a store that may hang. ?op=set writes ?n values of
// ?size bytes, value i being one letter repeated, and drops each string
// right after its call (PHP may reuse or unmap its memory at once);
// ?op=scribble fills PHP's memory with other bytes; ?op=verify says, for
// each key, whether it is absent or holds exactly its value (anything else
// means the store wrote bytes PHP had freed).
header('Content-Type: application/json');
$n = (int)($_GET['n'] ?? 8);
$size = (int)($_GET['size'] ?? 3000000);
$warnings = [];
set_error_handler(function (int $no, string $msg) use (&$warnings) {
    $warnings[] = $msg;
    return true;
});
$out = [];
switch ($_GET['op'] ?? 'set') {
    case 'set':
        for ($i = 0; $i < $n; $i++) {
            $v = str_repeat(chr(65 + $i), $size);
            $t0 = hrtime(true);
            $ok = ephpm_kv_set("big:$i", $v);
            $out[] = ['result' => $ok, 'ms' => (hrtime(true) - $t0) / 1e6];
            unset($v);
        }
        break;
    case 'scribble':
        $keep = [];
        for ($i = 0; $i < 20; $i++) {
            $keep[] = str_repeat('#', $size);
        }
        $out = count($keep);
        break;
    case 'verify':
        for ($i = 0; $i < $n; $i++) {
            $got = ephpm_kv_get("big:$i");
            $out[] = $got === null ? 'absent' : ($got === str_repeat(chr(65 + $i), $size) ? 'exact'
                : sprintf('CORRUPT (%d bytes, starts %s)', strlen($got), bin2hex(substr($got, 0, 8))));
        }
        break;
}
echo json_encode(['out' => $out, 'warnings' => $warnings]);
