<?php
// tests/e2e/kv_inplace_test.go: one PHP thread overwrites four keys with
// values of varying length (written in place by the store, or replacing
// its version when too long), others read them: every value read must be
// one written whole, and a key's values never seen going backwards.
header('Content-Type: application/json');
function inplace_value(int $i): string {
    $n = $i % 97 === 0 ? 5000 : 1000 + ($i % 3) * 10;
    return sprintf('%08d:', $i) . str_repeat(chr(97 + $i % 26), $n);
}
$n = (int)($_GET['n'] ?? 1000);
if (($_GET['op'] ?? '') === 'write') {
    // from: the first number written; a writer that follows a warm-up
    // goes on from the warm-up's last number, so the values it writes
    // only ever go forwards.
    for ($i = (int)($_GET['from'] ?? 1); $i <= $n; $i++) {
        ephpm_kv_set('ip:' . ($i % 4), inplace_value($i));
    }
    echo json_encode(['written' => $n]);
    return;
}
$last = [0, 0, 0, 0];
$bad = $backwards = $reads = $changes = 0;
for ($j = 0; $j < $n; $j++) {
    $k = $j % 4;
    $v = ephpm_kv_get('ip:' . $k);
    if ($v === null) {
        continue;
    }
    $reads++;
    $i = (int)substr($v, 0, 8);
    if ($i % 4 !== $k || $v !== inplace_value($i)) {
        $bad++;
        continue;
    }
    if ($i < $last[$k]) {
        $backwards++;
    }
    if ($i !== $last[$k]) {
        $changes++; // (how much the read overlapped the writes: logged)
    }
    $last[$k] = $i;
}
echo json_encode(['reads' => $reads, 'bad' => $bad, 'backwards' => $backwards, 'changes' => $changes, 'last' => max($last)]);
