# shellcheck shell=bash
# Sourced by scripts/bench.sh (make bench; BENCH_ONLY=laravel runs only
# these rows): the Laravel cached route (GET /bench/cached: one value read
# from the cache, put there on a miss) under ephpm in request and in worker
# mode with the ephpm store, and under nginx + php-fpm with Laravel's Redis
# store and with its APCu store. The four stacks run at once, idle but for
# their turns, and are measured in bench.sh's interleaved rounds (one
# comparison group).
# Uses bench.sh's REPO, TMP, CONNS, ROUNDS, RDUR, pids and its functions
# free_port, start_ephpm, start_fpm_nginx, group_add, group_run and stop.

LARAVEL_PUBLIC="$REPO/testdata/laravel-app/public"
echo "== Laravel cached route: all stacks at once, $ROUNDS interleaved rounds of ${RDUR}s per row ($CONNS connections)"

# ephpm: the ephpm store (what the app's .env says, stated here).
export CACHE_DRIVER=ephpm SESSION_DRIVER=cache
start_ephpm "$LARAVEL_PUBLIC" request; LARAVEL_REQ_PID=$EPID; LARAVEL_REQ_URL=$EURL
start_ephpm "$LARAVEL_PUBLIC" worker worker.php; LARAVEL_WRK_PID=$EPID; LARAVEL_WRK_URL=$EURL
unset CACHE_DRIVER SESSION_DRIVER

# nginx + php-fpm: php-fpm clears the environment of its workers, so the
# store is chosen with env[] lines in the pool. Redis belongs to the Redis
# stack: its CPU and RSS count in that row.
LARAVEL_REDIS_PORT=$(free_port)
redis-server --bind 127.0.0.1 --port "$LARAVEL_REDIS_PORT" --save '' --appendonly no \
  >"$TMP/laravel-redis.log" 2>&1 &
LARAVEL_REDIS_PID=$!; pids+=("$LARAVEL_REDIS_PID")
for _ in $(seq 50); do redis-cli -p "$LARAVEL_REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
start_fpm_nginx "$LARAVEL_PUBLIC" "env[CACHE_DRIVER] = redis
env[SESSION_DRIVER] = redis
env[REDIS_HOST] = 127.0.0.1
env[REDIS_PORT] = $LARAVEL_REDIS_PORT"
LARAVEL_RN_PID=$NPID; LARAVEL_RF_PID=$FPID; LARAVEL_R_URL=$NURL
start_fpm_nginx "$LARAVEL_PUBLIC" "env[CACHE_DRIVER] = apc
env[SESSION_DRIVER] = apc"
LARAVEL_AN_PID=$NPID; LARAVEL_AF_PID=$FPID; LARAVEL_A_URL=$NURL

# The rows in the order they are visited (and listed): each ratio's two
# rows next to each other (request mode and APCu, Redis and worker mode).
group_add "Laravel cached route" "ephpm + ephpm store" "$LARAVEL_REQ_URL/bench/cached" "$LARAVEL_REQ_PID"
group_add "Laravel cached route" "nginx + php-fpm + APCu store" "$LARAVEL_A_URL/bench/cached" "$LARAVEL_AN_PID" "$LARAVEL_AF_PID"
group_add "Laravel cached route" "nginx + php-fpm + Redis store" "$LARAVEL_R_URL/bench/cached" "$LARAVEL_RN_PID" "$LARAVEL_RF_PID" "$LARAVEL_REDIS_PID"
group_add "Laravel cached route" "ephpm worker + ephpm store" "$LARAVEL_WRK_URL/bench/cached" "$LARAVEL_WRK_PID"
group_run
stop "$LARAVEL_REQ_PID" "$LARAVEL_WRK_PID" "$LARAVEL_RN_PID" "$LARAVEL_RF_PID" "$LARAVEL_REDIS_PID" \
  "$LARAVEL_AN_PID" "$LARAVEL_AF_PID"
