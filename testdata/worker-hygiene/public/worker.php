<?php
// Worker script for tests/e2e/worker_hygiene_test.go. Every response is a
// JSON report of the per-request state PHP resets between requests in
// request mode, taken when the request starts (before ?do=... changes it),
// plus which run of the worker script answered.

// What the boot sets up is the baseline every request starts from.
putenv('BOOT_VAR=boot');
$_ENV['BOOT_ENV_KEY'] = 'boot';
ini_set('highlight.comment', '#123456');
date_default_timezone_set('Europe/Paris');
umask(0022);

$boot = ['id' => bin2hex(random_bytes(8)), 'at' => microtime(true)];
$served = 0;
$keep = []; // memory a request leaves behind (?do=grow)

function state(): array
{
    return [
        'getenv_hyg' => getenv('HYG_VAR'),
        'env_hyg' => $_ENV['HYG_VAR'] ?? null,
        'getenv_boot' => getenv('BOOT_VAR'),
        'env_boot' => $_ENV['BOOT_ENV_KEY'] ?? null,
        'env_path' => isset($_ENV['PATH']),
        'precision' => ini_get('precision'),
        'highlight' => ini_get('highlight.comment'),
        'max_execution_time' => ini_get('max_execution_time'),
        'session_name' => ini_get('session.name'),
        'session_status' => session_status(),
        'session_id' => session_id(),
        'session_set' => isset($_SESSION),
        'ob_level' => ob_get_level(),
        'locale' => setlocale(LC_ALL, '0'),
        'cwd' => getcwd(),
        'timezone' => date_default_timezone_get(),
        'umask' => umask(),
    ];
}

$handler = function () use (&$served, &$keep, $boot) {
    $served++;
    $report = ['boot' => $boot['id'], 'boot_at' => $boot['at'], 'now' => microtime(true), 'served' => $served, 'state' => state()];
    switch ($_GET['do'] ?? '') {
        case 'env':
            putenv('HYG_VAR=request');
            putenv('BOOT_VAR=request');
            $_ENV['HYG_VAR'] = 'request';
            $_ENV['BOOT_ENV_KEY'] = 'request';
            break;
        case 'unsetenv':
            putenv('BOOT_VAR'); // unset what the boot set
            unset($_ENV['BOOT_ENV_KEY']);
            break;
        case 'ini':
            ini_set('precision', '3');
            ini_set('highlight.comment', '#000000');
            ini_set('session.name', 'HYGSESS');
            ini_restore('highlight.comment'); // back to php.ini's, not the boot's
            break;
        case 'time':
            set_time_limit(1);
            break;
        case 'sleep':
            usleep((int)($_GET['ms'] ?? 0) * 1000);
            break;
        case 'session':
            session_start();
            $_SESSION['n'] = ($_SESSION['n'] ?? 0) + 1;
            $report['session_n'] = $_SESSION['n'];
            $report['session_started_id'] = session_id();
            break; // never closed: the end of the request writes it
        case 'session_id':
            session_id('fixedsessionid123');
            break;
        case 'headers':
            header('X-Req: first');
            header_remove(); // PHP's X-Powered-By too
            header('Content-Type: text/plain'); // instead of PHP's default
            echo json_encode($report);
            return;
        case 'ob':
            ob_start(fn ($b) => strtoupper($b));
            ob_start();
            echo "lowercase output\n";
            return; // both buffers left open
        case 'locale':
            $report['set'] = setlocale(LC_ALL, 'C.UTF-8');
            break;
        case 'chdir':
            chdir('/tmp');
            break;
        case 'timezone':
            date_default_timezone_set('Asia/Tokyo');
            break;
        case 'umask':
            umask(0077);
            break;
        case 'throw':
            putenv('HYG_VAR=thrown');
            ini_set('precision', '4');
            chdir('/tmp');
            session_start();
            throw new RuntimeException('request failed');
        case 'grow':
            $keep[] = str_repeat('x', (int)($_GET['mb'] ?? 1) << 20);
            break;
    }
    $report['kept_mb'] = count($keep);
    $report['memory'] = memory_get_usage();
    echo json_encode($report); // with PHP's default Content-Type
};

// An application that catches what a request throws and serves on.
for (;;) {
    try {
        if (!ephpm_handle_request($handler)) {
            break;
        }
    } catch (Throwable $e) {
    }
}
