<?php
/*
 * Runs ephpm/cache-laravel's contract suite (the same test cases the package
 * runs against InMemoryKvOps under phpunit) against SapiKvOps, i.e. the real
 * ephpm_kv_* functions of the server serving this request. Used by
 * tests/e2e/contract_test.go.
 *
 * PHPUnit runs in-process, driven through its API rather than its command
 * line: the command line prints to php://stdout, which under ephpm is the
 * server's own stdout, not this response. Prints one line per problem, then
 * "contract: N passed, M failed, K skipped".
 *
 * Where things are: EPHPM_CACHE_LARAVEL_DIR (the package; default: found
 * from this file in the repository) and PHPUNIT_AUTOLOAD (default: Debian's
 * phpunit package).
 */

declare(strict_types=1);

header('Content-Type: text/plain; charset=utf-8');

$package = getenv('EPHPM_CACHE_LARAVEL_DIR') ?: dirname(__DIR__, 3) . '/composer/cache-laravel';
$phpunit = getenv('PHPUNIT_AUTOLOAD') ?: '/usr/share/php/PHPUnit/Autoload.php';
foreach (['package' => $package . '/tests/bootstrap.php', 'PHPUnit' => $phpunit] as $what => $file) {
    if (!is_file($file)) {
        http_response_code(500);
        echo "setup: $what not found at $file\n";
        exit;
    }
}
require_once $phpunit;
require_once $package . '/tests/bootstrap.php';
require_once dirname(__DIR__) . '/SapiKvOpsContractTest.php';

use PHPUnit\Framework\TestFailure;
use PHPUnit\Framework\TestResult;
use PHPUnit\Framework\TestSuite;

if (!function_exists('ephpm_kv_get')) {
    http_response_code(500);
    echo "setup: not running under ephpm (no ephpm_kv_get)\n";
    exit;
}

$suite = new TestSuite(Ephpm\KvContract\SapiKvOpsContractTest::class);
$result = new TestResult();
$result->convertDeprecationsToExceptions(true);
$suite->run($result);

$problems = [
    'FAIL' => $result->failures(),
    'ERROR' => $result->errors(),
    'WARNING' => $result->warnings(),
    'RISKY' => $result->risky(),
    'INCOMPLETE' => $result->notImplemented(),
    'SKIPPED' => $result->skipped(),
];
$failed = 0;
foreach ($problems as $kind => $list) {
    foreach ($list as $failure) {
        /** @var TestFailure $failure */
        if ($kind !== 'SKIPPED' && $kind !== 'INCOMPLETE') {
            $failed++;
        }
        echo $kind, ' ', $failure->getTestName(), ': ', trim($failure->getExceptionAsString()), "\n";
    }
}
$passed = count($result->passed());
$skipped = $result->skippedCount() + $result->notImplementedCount();
echo "contract: $passed passed, $failed failed, $skipped skipped\n";
