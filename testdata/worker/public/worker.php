<?php
// Worker-mode fixture: boots once, then answers requests with
// ephpm_handle_request(). ?crash=... makes the request die in various ways.
$boots = ephpm_kv_incr('worker:boots');
$bootedAt = microtime(true);
$served = 0;

$handler = function () use (&$served, $boots) {
    $served++;
    switch ($_GET['crash'] ?? '') {
        case 'fatal': undefined_function_in_worker(); break;
        case 'exception': throw new RuntimeException('worker exception');
        case 'exit': echo "exiting\n"; exit(0);
        case 'memory': $a = []; while (true) { $a[] = str_repeat('x', 1 << 20); }
        case 'loop': while (true) {}
    }
    if (isset($_GET['stream'])) {
        // Streams for about a second; a client that leaves meanwhile must
        // end this request only, never the worker.
        for ($i = 0; $i < 20; $i++) {
            echo "tick $i\n";
            flush();
            usleep(50000);
        }
        ephpm_kv_set('worker:aborted', connection_aborted() ? 'yes' : 'no');
        return;
    }
    if (isset($_GET['sleep'])) {
        usleep((int)((float)$_GET['sleep'] * 1e6));
    }
    if (isset($_GET['status'])) {
        http_response_code((int)$_GET['status']);
    }
    if (isset($_GET['header'])) {
        header('X-Set: ' . $_GET['header']);
    }
    if (isset($_GET['cookie'])) {
        setcookie('wc', $_GET['cookie']);
    }
    $files = [];
    foreach ($_FILES as $k => $f) {
        $files[$k] = ['name' => $f['name'], 'size' => $f['size'], 'sha1' => sha1_file($f['tmp_name']), 'tmp' => $f['tmp_name']];
    }
    header('Content-Type: application/json');
    echo json_encode([
        'boots' => (int)ephpm_kv_get('worker:boots'),
        'this_boot' => $boots,
        'served' => $served,
        'get' => $_GET,
        'post' => $_POST,
        'cookie' => $_COOKIE,
        'files' => $files,
        'input' => file_get_contents('php://input'),
        'uri' => $_SERVER['REQUEST_URI'],
        'method' => $_SERVER['REQUEST_METHOD'],
        'script_name' => $_SERVER['SCRIPT_NAME'],
        'has_x_req' => $_SERVER['HTTP_X_REQ'] ?? null,
        'thread' => PHP_ZTS ? spl_object_id(new stdClass()) : 0,
        'memory' => memory_get_usage(),
        'kv' => isset($_GET['kv']) ? ephpm_kv_get($_GET['kv']) : null,
    ]);
};

while (ephpm_handle_request($handler)) {
    gc_collect_cycles();
}
