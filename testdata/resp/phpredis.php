<?php
// phpredis (php8.2-redis) against ephpm's [kv.resp]: argv host port password.
[$_, $host, $port, $password] = $argv;
$r = new Redis();
$r->connect($host, (int)$port, 5.0);
$out = [];
try {
    $r->get('x');
    $out['before_auth'] = 'no error';
} catch (RedisException $e) {
    $out['before_auth'] = $e->getMessage();
}
$out['auth'] = $r->auth($password);
$out['ping'] = $r->ping();
$out['set'] = $r->set('phpredis:k', 'v1');
$out['get'] = $r->get('phpredis:k');
$out['get_missing'] = $r->get('phpredis:missing');
$out['incr'] = $r->incr('phpredis:n');
$out['incrby'] = $r->incrBy('phpredis:n', 41);
$out['expire'] = $r->expire('phpredis:k', 100);
$out['ttl'] = $r->ttl('phpredis:k');
$out['setex'] = $r->setex('phpredis:e', 50, 'x');
$out['pttl_le'] = $r->pttl('phpredis:e') <= 50000;
$out['set_nx'] = $r->set('phpredis:k', 'v2', ['nx', 'ex' => 10]);
$out['mget'] = $r->mGet(['phpredis:k', 'phpredis:missing', 'phpredis:n']);
$out['del'] = $r->del('phpredis:k', 'phpredis:e', 'phpredis:missing');
$out['exists'] = $r->exists('phpredis:k');
$out['multi'] = $r->multi()->set('phpredis:t', 'a')->append('phpredis:t', 'b')->get('phpredis:t')->exec();
$out['delifeq'] = $r->rawCommand('EPHPM.DELIFEQ', 'phpredis:t', 'ab');
echo json_encode($out), "\n";
