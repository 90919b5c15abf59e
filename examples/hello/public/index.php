<?php
// The bundled example app: a page rendered by PHP embedded in ephpm, with a
// visit counter kept in ephpm's built-in KV store (no Redis, no socket).
$visits = function_exists('ephpm_kv_incr') ? ephpm_kv_incr('hello:visits') : 'n/a';
$path = htmlspecialchars(parse_url($_SERVER['REQUEST_URI'], PHP_URL_PATH) ?? '/');
?>
<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>ephpm says hello</title>
<link rel="stylesheet" href="/style.css"></head>
<body>
<h1>Hello from ephpm</h1>
<p>PHP <?= PHP_VERSION ?> (<?= PHP_ZTS ? 'thread-safe' : 'non-thread-safe' ?>) running inside
<?= htmlspecialchars($_SERVER['SERVER_SOFTWARE']) ?>, SAPI <code><?= PHP_SAPI ?></code>.</p>
<p>You asked for <code><?= $path ?></code>; every path without a file lands here (front controller).</p>
<p>Visits counted in the built-in KV store: <strong><?= $visits ?></strong></p>
</body>
</html>
