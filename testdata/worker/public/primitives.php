<?php
// Worker-mode fixture in the original ePHPm style: take_request() and
// send_response().
use function Ephpm\Worker\take_request;
use function Ephpm\Worker\send_response;

$boots = ephpm_kv_incr('primitives:boots');
while (($env = take_request()) !== null) {
    $server = $env->serverVars();
    $body = json_encode([
        'boots' => $boots,
        'method' => $server['REQUEST_METHOD'],
        'uri' => $server['REQUEST_URI'],
        'headers' => $env->headers(),
        'cookies' => $env->cookies(),
        'query' => $env->query(),
        'raw' => $env->rawBody(),
        'class' => get_class($env),
    ]);
    send_response((int)($env->query()['status'] ?? 200), ['Content-Type' => 'application/json', 'X-Multi' => ['a', 'b']], $body);
}
