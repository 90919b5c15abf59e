#!/usr/bin/env bash
# The PGO training run of scripts/build-php-zts.sh: runs an instrumented
# PHP CLI (built from the same objects as libphp.a) on PHP that resembles
# what ephpm serves, so that the second build knows which code is hot.
#
#   build-php-zts-train.sh PHP WORKDIR
#
# What runs, all on loopback, nothing from the network:
#   - the Laravel test app (testdata/laravel-app, over Debian's
#     php-laravel-framework) booted per request, as in ephpm's request mode,
#     by PHP's built-in web server with OPcache on (scripts come from
#     OPcache's shared memory after the first request, as in ephpm);
#   - a hello world the same way (the request cycle itself);
#   - Zend/bench.php (the VM on plain computation).
# Every response is checked: a failure exits nonzero and the build stops,
# rather than going on with a profile of error pages.
set -euo pipefail

php="$1"
work="$2"
repo="$(cd "$(dirname "$0")/.." && pwd)"
say() { printf 'train: %s\n' "$*"; }
fail() { say "$*"; exit 1; }

[ -x "$php" ] || fail "no PHP CLI at $php"
[ -f /usr/share/php/Illuminate/autoload.php ] ||
  fail "Debian's php-laravel-framework is not installed (/usr/share/php/Illuminate)"
rm -rf "$work"
mkdir -p "$work"

# The app is copied: Laravel may write under storage/ and bootstrap/cache/,
# which must not happen in the repository.
cp -a "$repo/testdata/laravel-app" "$work/laravel"
mkdir -p "$work/hello"
cp "$repo/bench/apps/hello/index.php" "$work/hello/index.php"
# The built-in server starts PHP its own way: OPcache must be on there too.
cat >"$work/hello/status.php" <<'PHP'
<?php
$s = function_exists('opcache_get_status') ? opcache_get_status(false) : false;
echo is_array($s) && $s['opcache_enabled'] ? 'opcache:on' : 'opcache:off';
PHP

# No php.ini (-n): only what is compiled in, OPcache on as ephpm has it.
php_flags=(-n -d opcache.enable=1 -d opcache.enable_cli=1 -d memory_limit=256M
  -d display_errors=stderr -d log_errors=0)

"$php" "${php_flags[@]}" -r 'exit(function_exists("opcache_get_status") && opcache_get_status() !== false ? 0 : 1);' ||
  fail "OPcache is not active in the training CLI"

free_port() {
  local p
  for _ in $(seq 50); do
    p=$((20000 + RANDOM % 20000))
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
  done
  fail "no free port"
}

# client PORT PATH EXPECT COUNT: COUNT HTTP/1.0 requests, one process
# (perl: dpkg-dev needs it, and a process per request would cost more
# than PHP's answer); each must be a 200 containing EXPECT.
client() {
  perl -e '
    use strict; use IO::Socket::INET;
    my ($port, $path, $expect, $count) = @ARGV;
    for my $i (1 .. $count) {
      my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port", Proto => "tcp")
        or die "connect: $!\n";
      print $s "GET $path HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
      local $/;
      my $r = <$s>;
      close $s;
      if (!defined $r || $r !~ m{^HTTP/1\.. 200 } || index($r, $expect) < 0) {
        print substr($r // "", 0, 2000), "\n";
        die "request $i to $path did not answer 200 with \"$expect\"\n";
      }
    }' "$@"
}

server_pid=""
stop_server() {
  if [ -n "$server_pid" ]; then
    # SIGINT: the built-in server leaves its loop and exits normally, which
    # is when the profile counters are written.
    kill -INT "$server_pid" 2>/dev/null || true
    wait "$server_pid" || true
    server_pid=""
  fi
}
trap stop_server EXIT

# serve NAME DOCROOT ROUTER PATH EXPECT COUNT: start the built-in server
# (ROUTER "" = none), send COUNT requests to PATH (each must be a 200
# containing EXPECT), stop.
serve() {
  local name="$1" root="$2" router="$3" path="$4" expect="$5" count="$6" port
  port=$(free_port)
  (cd "$root" && exec "$php" "${php_flags[@]}" -S "127.0.0.1:$port" -t "$root" ${router:+"$router"}) \
    >"$work/$name-server.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    kill -0 "$server_pid" 2>/dev/null || { cat "$work/$name-server.log"; fail "$name: the server did not start"; }
    sleep 0.1
  done
  local t0=$SECONDS
  client "$port" "$path" "$expect" "$count" || fail "$name: a request failed"
  stop_server
  say "$name: $count requests to $path in $((SECONDS - t0))s"
}

serve opcache-check "$work/hello" "" /status.php 'opcache:on' 3

# Laravel in request mode: the array stores keep everything in the request
# (the built-in server has no ephpm store), so each request boots the
# framework, routes, runs middleware and the cache lookup.
export CACHE_DRIVER=array SESSION_DRIVER=array
export EPHPM_CACHE_LARAVEL_SRC="$repo/composer/cache-laravel/src"
laravel="$work/laravel/public"
serve laravel-cached "$laravel" "$laravel/index.php" /bench/cached 'Hello from the cache' 1000
serve laravel-home "$laravel" "$laravel/index.php" / '"laravel":' 200
serve laravel-session "$laravel" "$laravel/index.php" /session/counter '"counter":1' 200
serve hello "$work/hello" "" / hello 3000

# Zend/bench.php from the source tree the CLI was built in.
bench="$(cd "$(dirname "$php")/../.." && pwd)/Zend/bench.php"
t0=$SECONDS
out=$("$php" "${php_flags[@]}" "$bench") || fail "Zend/bench.php failed"
case "$out" in *Total*) ;; *) fail "Zend/bench.php printed no total" ;; esac
say "Zend/bench.php in $((SECONDS - t0))s"
say "done"
