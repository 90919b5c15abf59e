#!/usr/bin/env bash
# make bench: ephpm side by side with nginx + php-fpm (and Redis/APCu for
# the Laravel route), all started and stopped here, loopback only, one run
# on this machine. Prints a Markdown table and writes bench/results/.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/go/bin:$PATH"
EPHPM_BENCH_DEPS=1 bash scripts/install-deps.sh

DUR=${BENCH_DURATION:-10}
CPUS=$(nproc)
CONNS=${BENCH_CONNECTIONS:-32}
OUT=bench/results
mkdir -p "$OUT" bench/tmp
TMP=$(cd "$(mktemp -d bench/tmp/run.XXXXXX)" && pwd)
REPO=$PWD
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  sleep 0.5
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  rm -rf "$TMP"
}
trap cleanup EXIT
[ -n "${BENCH_KEEP:-}" ] && trap - EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# wait_http URL: until the server answers at all (any status: a Laravel
# docroot has no static-1mb.bin, and its / may be a 404).
wait_http() {
  for _ in $(seq 100); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' "$1")" != 000 ] && return 0
    sleep 0.1
  done
  echo "bench: $1 did not answer" >&2
  return 1
}

# Which ephpm: the thread-safe single binary when it is built, else the
# quick NTS build (one PHP thread), said so in the table.
if [ -n "${EPHPM_BIN:-}" ]; then BIN=$EPHPM_BIN
elif [ -x bin/ephpm-static ]; then BIN=bin/ephpm-static
else make --no-print-directory bin/ephpm >/dev/null; BIN=bin/ephpm; fi
BIN_DESC=$("$BIN" version | tr '\n' ' ')
echo "== ephpm: $BIN_DESC"

head -c 1048576 /dev/urandom >"$TMP/static-1mb.bin"
DOCROOT="$TMP/www"
mkdir -p "$DOCROOT"
cp bench/apps/hello/*.php "$DOCROOT/"
cp "$TMP/static-1mb.bin" "$DOCROOT/static-1mb.bin"

RESULTS="$TMP/results.tsv"
: >"$RESULTS"

# stack_pids PID...: these processes and their children (nginx's workers,
# php-fpm's children), each once.
stack_pids() {
  local root
  for root in "$@"; do echo "$root"; pgrep -P "$root" || true; done | sort -u
}

# rss_of PID...: total resident KB of the processes and their children.
rss_of() {
  local total=0 p
  for p in $(stack_pids "$@"); do
    [ -r "/proc/$p/status" ] && total=$((total + $(awk '/^VmRSS/ {print $2}' "/proc/$p/status")))
  done
  echo "$total"
}

# run NAME STACK URL PID...: warm up, load with wrk, record req/s, p50, p99, RSS.
run() {
  local name=$1 stack=$2 url=$3; shift 3
  curl -sf -o /dev/null "$url"
  wrk -t2 -c"$CONNS" -d2s "$url" >/dev/null 2>&1 || true
  local out
  out=$(wrk -t2 -c"$CONNS" -d"${DUR}s" --latency "$url")
  local rps p50 p99 errs
  rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1=="50%" {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  errs=$(awk '/Non-2xx|Socket errors/ {print}' <<<"$out" | tr '\n' ' ')
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$stack" "$rps" "$p50" "$p99" "$(rss_of "$@")" "$errs" >>"$RESULTS"
  printf '  %-28s %-28s %10s req/s  p50 %-9s p99 %-9s %s\n' "$name" "$stack" "$rps" "$p50" "$p99" "$errs"
}

start_ephpm() { # DOCROOT MODE [WORKER_SCRIPT] -> sets EPID, EURL
  local root=$1 mode=$2 script=${3:-}
  local port; port=$(free_port)
  cat >"$TMP/ephpm-$port.toml" <<CFG
[server]
listen = "127.0.0.1:$port"
document_root = "$root"
[server.request]
max_body_size = 10485760
[php]
workers = 0
queue_size = 4096
mode = "$mode"
worker_script = "$script"
ini_overrides = [["opcache.enable", "1"], ["display_errors", "Off"]]
CFG
  # EPHPM_ENV: extra environment for this server (the GOMAXPROCS rows).
  env ${EPHPM_ENV:-} "$BIN" serve --config "$TMP/ephpm-$port.toml" >"$TMP/ephpm-$port.log" 2>&1 &
  EPID=$!; pids+=($EPID)
  EURL="http://127.0.0.1:$port"
  wait_http "$EURL/"
}

start_fpm_nginx() { # DOCROOT EXTRA_FPM_INI -> sets NPID FPID NURL
  local root=$1 extra=${2:-}
  local port; port=$(free_port)
  mkdir -p "$TMP/fpm-$port"
  cat >"$TMP/fpm-$port/php-fpm.conf" <<CFG
[global]
error_log = $TMP/fpm-$port/error.log
daemonize = no
[www]
listen = $TMP/fpm-$port/fpm.sock
listen.mode = 0666
pm = static
pm.max_children = $CPUS
php_admin_value[opcache.enable] = 1
php_admin_value[display_errors] = Off
$extra
CFG
  php-fpm8.2 --nodaemonize --fpm-config "$TMP/fpm-$port/php-fpm.conf" -R >"$TMP/fpm-$port/stdout.log" 2>&1 &
  FPID=$!; pids+=($FPID)
  cat >"$TMP/fpm-$port/nginx.conf" <<CFG
user root;
worker_processes $CPUS;
pid $TMP/fpm-$port/nginx.pid;
error_log $TMP/fpm-$port/nginx-error.log;
daemon off;
events { worker_connections 4096; }
http {
  include /etc/nginx/mime.types;
  access_log off;
  sendfile on;
  keepalive_requests 100000;
  client_body_temp_path $TMP/fpm-$port/body;
  fastcgi_temp_path $TMP/fpm-$port/fastcgi;
  proxy_temp_path $TMP/fpm-$port/proxy;
  uwsgi_temp_path $TMP/fpm-$port/uwsgi;
  scgi_temp_path $TMP/fpm-$port/scgi;
  server {
    listen 127.0.0.1:$port;
    root $root;
    index index.php;
    location / { try_files \$uri \$uri/ /index.php?\$query_string; }
    location ~ \.php$ {
      include /etc/nginx/fastcgi_params;
      fastcgi_param SCRIPT_FILENAME \$document_root\$fastcgi_script_name;
      fastcgi_pass unix:$TMP/fpm-$port/fpm.sock;
    }
  }
}
CFG
  for _ in $(seq 50); do [ -S "$TMP/fpm-$port/fpm.sock" ] && break; sleep 0.1; done
  nginx -c "$TMP/fpm-$port/nginx.conf" -e "$TMP/fpm-$port/nginx-error.log" &
  NPID=$!; pids+=($NPID)
  NURL="http://127.0.0.1:$port"
  wait_http "$NURL/"
}

stop() { for p in "$@"; do kill "$p" 2>/dev/null || true; done; sleep 0.5; }

# BENCH_ONLY=nodes runs only the Laravel rows on nodes sharing Redis
# (scripts/bench-laravel-nodes.sh), BENCH_ONLY=front only the HTTP front
# rows (scripts/bench-front.sh), BENCH_ONLY=hello only the hello-world rows
# (ephpm both modes, also at GOMAXPROCS = CPUs, nginx + php-fpm, Go's
# net/http), for working on them.
if [ -z "${BENCH_ONLY:-}" ] || [ "${BENCH_ONLY:-}" = hello ]; then
HELLO_ONLY=${BENCH_ONLY:-}
echo "== hello world, 20 KB page, 1 MB static file ($CONNS connections, ${DUR}s each)"
start_ephpm "$DOCROOT" request
run "hello world" "ephpm (request mode)" "$EURL/index.php" "$EPID"
if [ -z "$HELLO_ONLY" ]; then
  run "20 KB page" "ephpm (request mode)" "$EURL/page.php" "$EPID"
  run "static 1 MB" "ephpm" "$EURL/static-1mb.bin" "$EPID"
fi
stop "$EPID"
start_ephpm "$DOCROOT" worker worker.php
run "hello world" "ephpm (worker mode)" "$EURL/" "$EPID"
stop "$EPID"
# ephpm's default GOMAXPROCS is CPUs + PHP threads (capped at 2x CPUs,
# see internal/phpembed/runtime.go); these rows run it at Go's default,
# the CPU count, as other Go servers run.
EPHPM_ENV="GOMAXPROCS=$CPUS" start_ephpm "$DOCROOT" request
run "hello world" "ephpm (request mode, GOMAXPROCS=$CPUS)" "$EURL/index.php" "$EPID"
stop "$EPID"
EPHPM_ENV="GOMAXPROCS=$CPUS" start_ephpm "$DOCROOT" worker worker.php
run "hello world" "ephpm (worker mode, GOMAXPROCS=$CPUS)" "$EURL/" "$EPID"
stop "$EPID"
start_fpm_nginx "$DOCROOT"
run "hello world" "nginx + php-fpm" "$NURL/index.php" "$NPID" "$FPID"
if [ -z "$HELLO_ONLY" ]; then
  run "20 KB page" "nginx + php-fpm" "$NURL/page.php" "$NPID" "$FPID"
  run "static 1 MB" "nginx" "$NURL/static-1mb.bin" "$NPID"
fi
stop "$NPID" "$FPID"

# The ceiling: Go's net/http alone, no PHP (what worker mode is bounded by).
go build -o "$TMP/gohello" ./bench/gohello
GPORT=$(free_port)
"$TMP/gohello" "127.0.0.1:$GPORT" &
GPID=$!; pids+=($GPID)
wait_http "http://127.0.0.1:$GPORT/"
run "hello world" "Go net/http alone (no PHP)" "http://127.0.0.1:$GPORT/" "$GPID"
stop "$GPID"

LARAVEL=testdata/laravel-app
if [ -n "$HELLO_ONLY" ]; then
  :
elif [ -f "$LARAVEL/public/index.php" ] && [ -f "$LARAVEL/bench/cached-route.sh" ]; then
  # shellcheck source=/dev/null
  source "$LARAVEL/bench/cached-route.sh"
else
  echo "== Laravel cached route: skipped (testdata/laravel-app has no bench hook yet)"
fi
fi

# Two nodes pinned to a CPU each: needs 2 CPUs.
if [ "${BENCH_ONLY:-}" != front ] && [ "${BENCH_ONLY:-}" != hello ] && [ -f testdata/laravel-app/public/index.php ] && [ "$CPUS" -ge 2 ]; then
  # shellcheck source=scripts/bench-laravel-nodes.sh
  source scripts/bench-laravel-nodes.sh
fi

# Compression and HTTP/2 + TLS against nginx (issue 13).
if [ "${BENCH_ONLY:-}" != nodes ] && [ "${BENCH_ONLY:-}" != hello ]; then
  # shellcheck source=scripts/bench-front.sh
  source scripts/bench-front.sh
fi

python3 - "$RESULTS" "$BIN_DESC" "$DUR" "$CONNS" "$CPUS" >"$TMP/table.md" <<'PY'
import sys, re
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
desc, dur, conns, cpus = sys.argv[2:6]
def ms(v):
    m = re.match(r"([\d.]+)(us|ms|s)", v or "")
    if not m: return None
    x = float(m.group(1)); return x / 1000 if m.group(2) == "us" else x * 1000 if m.group(2) == "s" else x
print(f"wrk, {conns} connections, {dur} s per row, {cpus} CPUs, loopback. ephpm: {desc}\n")
print("| test | stack | requests/s | p50 | p99 | RSS of the stack | errors |")
print("|---|---|---|---|---|---|---|")
for name, stack, rps, p50, p99, rss, errs in rows:
    print(f"| {name} | {stack} | {float(rps):,.0f} | {p50} | {p99} | {int(rss)/1024:.0f} MB | {errs.strip() or '-'} |")
by = {(r[0], r[1]): r for r in rows}
def ratio(test, a, b, target):
    if (test, a) in by and (test, b) in by:
        ra, rb = float(by[(test, a)][2]), float(by[(test, b)][2])
        pa, pb = ms(by[(test, a)][4]), ms(by[(test, b)][4])
        header()
        print(f"| {test} | {a} vs {b} | {ra/rb:.2f}x | p99 {pa:.2f} ms vs {pb:.2f} ms | {target} |")
printed = []
def header():  # only when there is a ratio to show (BENCH_ONLY runs have none)
    if not printed:
        print("\n| ratio | stacks | requests/s ratio | latency | target |")
        print("|---|---|---|---|---|")
        printed.append(1)
ratio("hello world", "ephpm (request mode)", "nginx + php-fpm", ">= 1.5x, p99 no worse")
ratio("20 KB page", "ephpm (request mode)", "nginx + php-fpm", "-")
ratio("static 1 MB", "ephpm", "nginx", ">= 0.8x")
ratio("hello world", "ephpm (worker mode)", "ephpm (request mode)", ">= 3x")
ratio("hello world", "Go net/http alone (no PHP)", "ephpm (request mode)", "(the ceiling)")
for mode in ("request", "worker"):
    for stack in (f"ephpm ({mode} mode)", f"ephpm ({mode} mode, GOMAXPROCS={cpus})"):
        ratio("hello world", stack, "Go net/http alone (no PHP)", ">= 0.6x")
        if stack != "ephpm (request mode)":  # that one is above
            ratio("hello world", stack, "nginx + php-fpm", "p99 no worse")
ratio("Laravel cached route", "ephpm + ephpm store", "nginx + php-fpm + Redis store", ">= 1.5x")
ratio("Laravel cached route", "ephpm + ephpm store", "nginx + php-fpm + APCu store", "> 1x")
ratio("Laravel cached route", "ephpm worker + ephpm store", "nginx + php-fpm + Redis store", ">= 5x, p99 no worse")
# Nodes sharing one Redis: per-node req/s of the two-node run (mean of A
# and B) against node A alone, each node and its wrk on a CPU of its own.
for mode in ("worker", "request"):
    test = f"Laravel cached route, {mode} mode, 1 CPU per node"
    one, a, b = (by.get((test, s)) for s in ("1 node, Redis store", "2 nodes, Redis store: node A", "2 nodes, Redis store: node B"))
    mem = by.get((test, "1 node, memory store"))
    if one and a and b:
        per = (float(a[2]) + float(b[2])) / 2 / float(one[2])
        ctx = f"; 1 node on Redis vs memory store {float(one[2]) / float(mem[2]):.2f}x" if mem else ""
        header()
        print(f"| {test} | 2 nodes vs 1 node on one Redis, per node | {per:.2f}x (total {(float(a[2]) + float(b[2])) / float(one[2]):.2f}x) | p99 {ms(a[4]):.2f} / {ms(b[4]):.2f} ms vs {ms(one[4]):.2f} ms{ctx} | >= 0.9x per node |")
PY
LATEST=$OUT/latest.md
[ "${BENCH_ONLY:-}" = nodes ] && LATEST=$OUT/laravel-nodes.md  # a partial run keeps latest.md
[ "${BENCH_ONLY:-}" = front ] && LATEST=$OUT/front.md
[ "${BENCH_ONLY:-}" = hello ] && LATEST=$OUT/hello.md
{
  echo "# ephpm benchmark, $(date -u +%Y-%m-%dT%H:%MZ), load average $(cut -d' ' -f1-3 /proc/loadavg) at the end of the run"
  echo
  cat "$TMP/table.md"
  if [ -s "$TMP/nodes-notes.md" ]; then
    printf '\nLaravel on nodes sharing one Redis (scripts/bench-laravel-nodes.sh): each node and its wrk (1 thread, %s connections) pinned to a CPU of its own; in the one-node runs CPU 1 serves the app on its own memory store under the same load; best of %s interleaved rounds of %s s:\n\n' "$NODES_CONNS" "$NODES_ROUNDS" "$NODES_DURATION"
    cat "$TMP/nodes-notes.md"
  fi
  if [ -s "$TMP/front-notes.md" ]; then
    echo
    cat "$TMP/front-notes.md"
  fi
} >"$LATEST"
echo
cat "$LATEST"
echo "(written to $LATEST)"
