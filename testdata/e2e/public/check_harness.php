<?php
// The check harness of the KV fixtures (kv_functions.php, wait_checks.php):
// check() and throws() count a pass or note a failure; report() prints one
// line per failure and a final "N passed, M failed".
$passed = 0;
$failed = [];

function check(string $name, $got, $want): void {
    global $passed, $failed;
    if ($got === $want) {
        $passed++;
    } else {
        $failed[] = "FAIL $name: got " . var_export($got, true) . ', want ' . var_export($want, true);
    }
}

function throws(string $name, callable $fn, string $class): void {
    global $passed, $failed;
    try {
        $fn();
        $failed[] = "FAIL $name: no $class thrown";
    } catch (Throwable $e) {
        if ($e instanceof $class) {
            $passed++;
        } else {
            $failed[] = "FAIL $name: threw " . get_class($e) . ': ' . $e->getMessage();
        }
    }
}

function report(): void {
    global $passed, $failed;
    foreach ($failed as $line) {
        echo $line, "\n";
    }
    echo $passed, ' passed, ', count($failed), " failed\n";
}
