# shellcheck shell=bash
# Sourced by scripts/bench.sh (make bench): the Laravel cached route
# (GET /bench/cached: one value read from the cache, put there on a miss)
# under ephpm in request and in worker mode with the ephpm store, and under
# nginx + php-fpm with Laravel's Redis store and with its APCu store.
# Uses bench.sh's REPO, TMP, CONNS, DUR, pids and its functions free_port,
# start_ephpm, start_fpm_nginx, run and stop.

LARAVEL_PUBLIC="$REPO/testdata/laravel-app/public"
echo "== Laravel cached route ($CONNS connections, ${DUR}s each)"

# ephpm: the ephpm store (what the app's .env says, stated here).
export CACHE_DRIVER=ephpm SESSION_DRIVER=cache
start_ephpm "$LARAVEL_PUBLIC" request
run "Laravel cached route" "ephpm + ephpm store" "$EURL/bench/cached" "$EPID"
stop "$EPID"
start_ephpm "$LARAVEL_PUBLIC" worker worker.php
run "Laravel cached route" "ephpm worker + ephpm store" "$EURL/bench/cached" "$EPID"
stop "$EPID"
unset CACHE_DRIVER SESSION_DRIVER

# nginx + php-fpm: php-fpm clears the environment of its workers, so the
# store is chosen with env[] lines in the pool.
LARAVEL_REDIS_PORT=$(free_port)
redis-server --bind 127.0.0.1 --port "$LARAVEL_REDIS_PORT" --save '' --appendonly no \
  >"$TMP/laravel-redis.log" 2>&1 &
LARAVEL_REDIS_PID=$!; pids+=("$LARAVEL_REDIS_PID")
for _ in $(seq 50); do redis-cli -p "$LARAVEL_REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
start_fpm_nginx "$LARAVEL_PUBLIC" "env[CACHE_DRIVER] = redis
env[SESSION_DRIVER] = redis
env[REDIS_HOST] = 127.0.0.1
env[REDIS_PORT] = $LARAVEL_REDIS_PORT"
run "Laravel cached route" "nginx + php-fpm + Redis store" "$NURL/bench/cached" "$NPID" "$FPID" "$LARAVEL_REDIS_PID"
stop "$NPID" "$FPID" "$LARAVEL_REDIS_PID"

start_fpm_nginx "$LARAVEL_PUBLIC" "env[CACHE_DRIVER] = apc
env[SESSION_DRIVER] = apc"
run "Laravel cached route" "nginx + php-fpm + APCu store" "$NURL/bench/cached" "$NPID" "$FPID"
stop "$NPID" "$FPID"
