#!/usr/bin/env bash
# Ad hoc A/B for issue 15's Laravel request-mode row (helper lreq, session 12).
# Starts ephpm variants and nginx + php-fpm + APCu the way scripts/bench.sh and
# testdata/laravel-app/bench/cached-route.sh do, then runs interleaved rounds
# of wrk -t2 -c32 against each, recording req/s and the server process tree's
# CPU (utime+stime from /proc) per request.
#   VARIANTS="name|ENV=.. ENV2=..|binary|workers ..." (space-separated specs, ';' between)
#   ROUNDS=5 DUR=4 FPM=1 (include nginx+php-fpm+APCu; FPM_CHILDREN=2)
#   MODE=worker WORKER_SCRIPT=worker.php: ephpm in worker mode
#   GOHELLO=1: add Go's net/http hello (bench/gohello) as the stack "go"
set -euo pipefail
cd "$(dirname "$0")/../.."
REPO=$PWD
ROUNDS=${ROUNDS:-5}; DUR=${DUR:-4}; CONNS=${CONNS:-32}; FPM=${FPM:-1}
FPM_CHILDREN=${FPM_CHILDREN:-2}
URLPATH=${URLPATH:-/bench/cached}
DOCROOT=${DOCROOT:-$REPO/testdata/laravel-app/public}
TMP=$(mktemp -d /tmp/lreq-ab.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; sleep 0.5
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done; rm -rf "$TMP"; }
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_http() { for _ in $(seq 100); do [ "$(curl -s -o /dev/null -w '%{http_code}' "$1")" != 000 ] && return 0; sleep 0.1; done; echo "no answer $1" >&2; return 1; }
tree_pids() { for r in "$@"; do echo "$r"; pgrep -P "$r" || true; done | sort -u; }
cpu_ticks() { local t=0 p; for p in $(tree_pids "$@"); do
  [ -r /proc/$p/stat ] && t=$((t + $(awk '{print $14+$15}' /proc/$p/stat))); done; echo $t; }
ctxsw() { local t=0 p f; for p in $(tree_pids "$@"); do for f in /proc/$p/task/*/status; do
  t=$((t + $(awk '/ctxt_switches/ {s+=$2} END {print s+0}' "$f" 2>/dev/null || echo 0))); done; done; echo $t; }

names=(); urls=(); roots=()
IFS=';' read -ra specs <<<"${VARIANTS:-base||bin/ephpm-static|0}"
for spec in "${specs[@]}"; do
  IFS='|' read -r name envs bin workers <<<"$spec"
  port=$(free_port)
  cat >"$TMP/e-$port.toml" <<CFG
[server]
listen = "127.0.0.1:$port"
document_root = "$DOCROOT"
[server.request]
max_body_size = 10485760
[php]
workers = ${workers:-0}
queue_size = 4096
mode = "${MODE:-request}"
worker_script = "${WORKER_SCRIPT:-}"
ini_overrides = [["opcache.enable", "1"], ["display_errors", "Off"]]
CFG
  env CACHE_DRIVER=ephpm SESSION_DRIVER=cache $envs "${bin:-bin/ephpm-static}" serve --config "$TMP/e-$port.toml" >"$TMP/e-$port.log" 2>&1 &
  pid=$!; pids+=($pid)
  wait_http "http://127.0.0.1:$port/"
  names+=("$name"); urls+=("http://127.0.0.1:$port$URLPATH"); roots+=("$pid")
done
if [ "$FPM" = 1 ]; then
  port=$(free_port); d=$TMP/fpm-$port; mkdir -p $d
  cat >$d/php-fpm.conf <<CFG
[global]
error_log = $d/error.log
daemonize = no
[www]
listen = $d/fpm.sock
listen.mode = 0666
pm = static
pm.max_children = $FPM_CHILDREN
php_admin_value[opcache.enable] = 1
php_admin_value[display_errors] = Off
env[CACHE_DRIVER] = apc
env[SESSION_DRIVER] = apc
CFG
  php-fpm8.2 --nodaemonize --fpm-config $d/php-fpm.conf -R >$d/stdout.log 2>&1 &
  FPID=$!; pids+=($FPID)
  cat >$d/nginx.conf <<CFG
user root;
worker_processes 2;
pid $d/nginx.pid;
error_log $d/nginx-error.log;
daemon off;
events { worker_connections 4096; }
http {
  include /etc/nginx/mime.types;
  access_log off;
  sendfile on;
  keepalive_requests 100000;
  client_body_temp_path $d/body; fastcgi_temp_path $d/fastcgi; proxy_temp_path $d/proxy;
  uwsgi_temp_path $d/uwsgi; scgi_temp_path $d/scgi;
  server {
    listen 127.0.0.1:$port;
    root $DOCROOT;
    index index.php;
    location / { try_files \$uri \$uri/ /index.php?\$query_string; }
    location ~ \.php$ {
      include /etc/nginx/fastcgi_params;
      fastcgi_param SCRIPT_FILENAME \$document_root\$fastcgi_script_name;
      fastcgi_pass unix:$d/fpm.sock;
    }
  }
}
CFG
  for _ in $(seq 50); do [ -S $d/fpm.sock ] && break; sleep 0.1; done
  nginx -c $d/nginx.conf -e $d/nginx-error.log &
  NPID=$!; pids+=($NPID)
  wait_http "http://127.0.0.1:$port/"
  names+=("fpm"); urls+=("http://127.0.0.1:$port$URLPATH"); roots+=("$NPID $FPID")
fi
# GOHELLO=1: Go's net/http answering hello (bench/gohello), the hello-world ceiling.
if [ "${GOHELLO:-0}" = 1 ]; then
  go build -o "$TMP/gohello" ./bench/gohello
  port=$(free_port); "$TMP/gohello" "127.0.0.1:$port" & gpid=$!; pids+=($gpid)
  wait_http "http://127.0.0.1:$port/"
  names+=("go"); urls+=("http://127.0.0.1:$port/"); roots+=("$gpid")
fi
hz=$(getconf CLK_TCK)
# warm-up
for i in "${!names[@]}"; do curl -sf -o /dev/null "${urls[$i]}" || { echo "warm-up failed: ${names[$i]}" >&2; curl -s "${urls[$i]}" | head -5; exit 1; }
  wrk -t$((CONNS<2?1:2)) -c$CONNS -d2s "${urls[$i]}" >/dev/null 2>&1 || true; done
# PERF_OUT=dir: one perf record (cpu-clock, PERF_ARGS) per stack under load, then the rounds.
if [ -n "${PERF_OUT:-}" ]; then mkdir -p "$PERF_OUT"
  for i in "${!names[@]}"; do
    wrk -t$((CONNS<2?1:2)) -c$CONNS -d$((DUR+2))s "${urls[$i]}" > "$PERF_OUT/${names[$i]}.wrk" &
    wpid=$!; sleep 1
    perf record -e cpu-clock -F 1999 ${PERF_ARGS:-} -o "$PERF_OUT/${names[$i]}.data" \
      -p "$(tree_pids ${roots[$i]} | paste -sd,)" -- sleep $DUR 2>"$PERF_OUT/${names[$i]}.err" >/dev/null || true
    wait $wpid
  done
fi
echo "# $(date -u +%H:%M:%S) load: $(cut -d' ' -f1-3 /proc/loadavg)"
printf 'round\tstack\treq/s\tcpu_us/req\tcs/req\tload\tp99_ms\n'
# SEQ=seconds: one sequential client over all stacks (bench/lreq/seq.py), latency percentiles.
if [ -n "${SEQ:-}" ]; then
  for i in "${!names[@]}"; do echo "# ${names[$i]} = ${urls[$i]}"; done
  python3 bench/lreq/seq.py "$SEQ" "${urls[@]}"
  echo "# $(date -u +%H:%M:%S) load: $(cut -d' ' -f1-3 /proc/loadavg)"
fi
for r in $(seq $ROUNDS); do
  for i in "${!names[@]}"; do
    c0=$(cpu_ticks ${roots[$i]}); s0=$(ctxsw ${roots[$i]})
    out=$(wrk --latency -t$((CONNS<2?1:2)) -c$CONNS -d${DUR}s "${urls[$i]}")
    c1=$(cpu_ticks ${roots[$i]}); s1=$(ctxsw ${roots[$i]})
    reqs=$(awk '/requests in/ {print $1}' <<<"$out")
    rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
    non2=$(awk '/Non-2xx/ {print $NF}' <<<"$out")
    # wrk's 99th percentile, in ms
    p99=$(awk '$1 == "99%" {v=$2; u=v; sub(/[a-z]+$/, "", v); sub(/^[0-9.]+/, "", u);
      print (u == "us" ? v/1000 : u == "s" ? v*1000 : v)}' <<<"$out")
    printf '%s\t%s\t%s\t%.0f\t%.1f\t%s\t%s%s\n' $r "${names[$i]}" $rps \
      $(echo "($c1-$c0)*1000000/$hz/$reqs" | bc -l) $(echo "($s1-$s0)/$reqs" | bc -l) \
      "$(cut -d' ' -f1 /proc/loadavg)" "${p99:-0}" "${non2:+ NON2XX=$non2}"
  done
done
