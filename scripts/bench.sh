#!/usr/bin/env bash
# make bench: ephpm side by side with nginx + php-fpm (and Redis/APCu for
# the Laravel route), all started and stopped here, loopback only, one run
# on this machine. Prints a Markdown table and writes bench/results/.
#
# The compared rows (hello world, 20 KB page, static 1 MB; the Laravel
# cached route) run interleaved: every stack of a comparison group is
# started once, each on its own loopback port, and the group runs
# BENCH_ROUNDS rounds (default 3) of BENCH_DURATION s (default 4) per row,
# each round visiting the rows forward, the next backward, after a warm-up of
# BENCH_WARMUP s (default 1) per row, and each measurement after BENCH_REWARM
# s (default 1) of its own load, unmeasured (see measure). This VM's speed
# drifts over minutes and in phases of seconds, so
# rows measured one after another for 10 s each moved their ratios by a
# fifth to a third from run to run; a ratio taken within one round sees the
# same machine on both sides. Each row reports the median of its rounds
# (req/s, p50, p99, RSS); each ratio the median of its per-round ratios and
# their range [min-max]. A stack waits idle while the others are measured;
# what the idle stacks of the group used meanwhile is printed beside the CPU
# figures (nginx, php-fpm and Go's net/http: nothing; an idle ephpm about
# 0.5% of a CPU, its KV store's clock ticking every 100 ms). A second table
# gives each of these rows its server CPU per request (utime+stime of the
# stack's processes over wrk's requests) and how many of the CPUs the whole
# machine kept busy during its loads (/proc/stat): issue 15 found ephpm
# keeping fewer of them busy than its peers under Laravel in request mode.
#
# Knobs: BENCH_ONLY=hello (the hello-world rows alone, into
# bench/results/hello.md), laravel (the Laravel cached route alone, into
# laravel.md), stacks (both interleaved groups whole, into stacks.md),
# nodes, front (see below); BENCH_ROUNDS, BENCH_DURATION,
# BENCH_WARMUP, BENCH_CONNECTIONS (wrk's connections, default 32).
# BENCH_DURATION also sets the front rows' duration (default 10 s there,
# scripts/bench-front.sh); the nodes rows have their own knobs.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/go/bin:$PATH"
EPHPM_BENCH_DEPS=1 bash scripts/install-deps.sh

ROUNDS=${BENCH_ROUNDS:-3}
RDUR=${BENCH_DURATION:-4}
WARM=${BENCH_WARMUP:-1}
REWARM=${BENCH_REWARM:-1}
DUR=${BENCH_DURATION:-10} # the front rows (scripts/bench-front.sh), one after another
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

# A comparison group: group_add registers a row (a stack already started,
# with its URL and the PIDs whose CPU and RSS are its own), group_run
# measures the group's rows in interleaved rounds and appends each row's
# medians to RESULTS. Every round is a line of ROUNDS_TSV.
ROUNDS_TSV="$TMP/rounds.tsv"
: >"$ROUNDS_TSV"
CLK_TCK=$(getconf CLK_TCK)
GROUP=0
G_NAME=() G_STACK=() G_URL=() G_PIDS=() G_PROCS=()
group_add() { # NAME STACK URL PID...
  G_NAME+=("$1"); G_STACK+=("$2"); G_URL+=("$3"); shift 3; G_PIDS+=("$*")
}

# snapshot "PID..." "PID...": "mine others busy total": utime+stime (clock
# ticks, all threads) of the first and of the second list of processes,
# and the busy and total ticks of all CPUs since boot from /proc/stat's cpu
# line (busy = total - idle - iowait). One awk: it runs right before and
# right after each load, on a machine that may be busy.
snapshot() {
  local p files=() nmine=0
  for p in $1; do files+=("/proc/$p/stat"); nmine=$((nmine + 1)); done
  for p in $2; do files+=("/proc/$p/stat"); done
  awk -v nmine="$nmine" '
    FILENAME == "/proc/stat" { if ($1 == "cpu") { for (i = 2; i <= 9; i++) t += $i; b = t - $5 - $6 } next }
    { if (++k <= nmine) m += $14 + $15; else o += $14 + $15 }
    END { print m + 0, o + 0, b, t }' /proc/stat "${files[@]}" || {
    echo "bench: a server of the group has exited during the run (its PID is in the error above)" >&2
    return 1
  }
}

# measure ROUND I: one wrk load of row I of the group; records req/s, p50,
# p99, RSS, wrk's request count, the CPU ticks of the row's stack and of the
# group's other (idle) stacks, and the machine's busy and total ticks over
# the load.
measure() {
  local r=$1 i=$2 p mine others="" out s0 s1
  mine=${G_PROCS[$i]}
  # The other rows' processes (some rows share a server: not those).
  for p in $(tr ' ' '\n' <<<"${G_PROCS[*]}" | sort -u); do
    [[ " $mine " == *" $p "* ]] || others+="$p "
  done
  # A second of this row's load first, unmeasured: some rows share a
  # server (the 20 KB page and the hello world run on the same request-mode
  # ephpm), and ephpm's GOMAXPROCS tuner, which looks once a second,
  # lowers GOMAXPROCS under the 20 KB page's long PHP requests; measured
  # at once, a hello world that followed it ran its first second at the
  # other row's level. The re-warm lets the row be measured at its own.
  [ "$REWARM" != 0 ] && { wrk -t2 -c"$CONNS" -d"${REWARM}s" "${G_URL[$i]}" >/dev/null 2>&1 || true; }
  s0=$(snapshot "$mine" "$others")
  out=$(wrk -t2 -c"$CONNS" -d"${RDUR}s" --latency "${G_URL[$i]}")
  s1=$(snapshot "$mine" "$others")
  local rps p50 p99 n errs rss ticks
  read -r rps p50 p99 n < <(awk '/^Requests\/sec/ {r = $2} $1 == "50%" {a = $2} $1 == "99%" {b = $2}
    / requests in / {n = $1} END {print r, a, b, n + 0}' <<<"$out")
  errs=$(awk '/Non-2xx|Socket errors/ {print}' <<<"$out" | tr '\n' ' ')
  # shellcheck disable=SC2046,SC2086 # the PID list splits on purpose
  rss=$(cd /proc && awk '/^VmRSS/ {s += $2} END {print s + 0}' $(printf '%s/status ' $mine))
  # "mine others busy total" after minus before.
  ticks=$(awk '{for (i = 1; i <= 4; i++) a[i] = $i; getline; print $1 - a[1], $2 - a[2], $3 - a[3], $4 - a[4]}' <<<"$s0
$s1")
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$GROUP" "$r" "$i" \
    "${G_NAME[$i]}" "${G_STACK[$i]}" "$rps" "$p50" "$p99" "$rss" "$errs" "$n" "${ticks// /$'\t'}" >>"$ROUNDS_TSV"
  printf '  %s %-22s %-38s %10s req/s  p50 %-9s p99 %-9s %s%s\n' "$r" "${G_NAME[$i]}" "${G_STACK[$i]}" "$rps" "$p50" "$p99" \
    "$(awk -v n="$n" -v hz="$CLK_TCK" -v cpus="$CPUS" '{if (n > 0 && $4 > 0) printf "server CPU %.1f us/req, machine busy %.2f of %d CPUs, idle stacks %.1f%% of a CPU",
      $1 * 1e6 / hz / n, $3 / $4 * cpus, cpus, $2 / ($4 / cpus) * 100}' <<<"$ticks")" "${errs:+ $errs}"
}

# group_run: warm every row up (one request that must succeed, then
# BENCH_WARMUP s of wrk), then ROUNDS rounds, odd ones down the list and
# even ones back up it: rows next to each other in the list are measured
# one right after the other in every round, in turns which first, so a
# ratio of neighbours sees the machine within seconds on both sides. (The
# rounds used to start at rotated rows, which split one neighbouring pair
# per round: the Laravel group's ephpm and php-fpm + APCu rows ran three
# rows apart in one round of three, with the machine's speed moving 1.6x
# between rounds.) Appends the medians to RESULTS and empties the group.
group_run() {
  local n=${#G_NAME[@]} i r k
  GROUP=$((GROUP + 1))
  for i in "${!G_URL[@]}"; do
    curl -sf -o /dev/null "${G_URL[$i]}" || { echo "bench: ${G_URL[$i]} failed" >&2; return 1; }
    wrk -t2 -c"$CONNS" -d"${WARM}s" "${G_URL[$i]}" >/dev/null 2>&1 || true
  done
  # The processes of each row, children included (php-fpm's children are
  # static and nginx's workers fixed: looked up once, not on every load).
  for i in "${!G_PIDS[@]}"; do
    # shellcheck disable=SC2086
    G_PROCS[i]=$(stack_pids ${G_PIDS[$i]} | tr '\n' ' ')
  done
  for r in $(seq "$ROUNDS"); do
    for k in $(seq 0 $((n - 1))); do
      if (( r % 2 )); then measure "$r" "$k"; else measure "$r" $((n - 1 - k)); fi
    done
  done
  python3 - "$ROUNDS_TSV" "$GROUP" >>"$RESULTS" <<'PY'
import statistics, sys, re
def ms(v):
    m = re.match(r"([\d.]+)(us|ms|s)$", v)
    x = float(m.group(1))
    return x / 1000 if m.group(2) == "us" else x * 1000 if m.group(2) == "s" else x
rows = {}
for l in open(sys.argv[1]):
    f = l.rstrip("\n").split("\t")
    if f[0] == sys.argv[2]:
        rows.setdefault(int(f[2]), []).append(f)
for i in sorted(rows):
    rs = rows[i]
    med = lambda k, conv=float: statistics.median(conv(r[k]) for r in rs)
    errs = "; ".join(sorted({r[9].strip() for r in rs if r[9].strip()}))
    print(f"{rs[0][3]}\t{rs[0][4]}\t{med(5):.2f}\t{med(6, ms):.2f}ms\t{med(7, ms):.2f}ms\t{med(8):.0f}\t{errs}")
PY
  G_NAME=() G_STACK=() G_URL=() G_PIDS=() G_PROCS=()
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
  # EPHPM_ENV: extra environment for this server (the GOMAXPROCS rows),
  # NAME=VALUE words.
  # shellcheck disable=SC2086
  env ${EPHPM_ENV:-} "$BIN" serve --config "$TMP/ephpm-$port.toml" >"$TMP/ephpm-$port.log" 2>&1 &
  EPID=$!; pids+=("$EPID")
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
  FPID=$!; pids+=("$FPID")
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
  NPID=$!; pids+=("$NPID")
  NURL="http://127.0.0.1:$port"
  wait_http "$NURL/"
}

stop() { for p in "$@"; do kill "$p" 2>/dev/null || true; done; sleep 0.5; }

# BENCH_ONLY=nodes runs only the Laravel rows on nodes sharing Redis
# (scripts/bench-laravel-nodes.sh), BENCH_ONLY=front only the HTTP front
# rows (scripts/bench-front.sh), BENCH_ONLY=hello only the hello-world rows
# (ephpm both modes, also at GOMAXPROCS = CPUs, nginx + php-fpm, Go's
# net/http), BENCH_ONLY=laravel only the Laravel cached route
# (testdata/laravel-app/bench/cached-route.sh), BENCH_ONLY=stacks both
# groups whole (the hello world group with the 20 KB page and the static
# file, and the Laravel cached route: all the interleaved rows), for working
# on them.
ONLY=${BENCH_ONLY:-}
case "$ONLY" in
  "" | hello | laravel | stacks | nodes | front) ;;
  *) echo "bench: BENCH_ONLY=$ONLY: not one of hello, laravel, stacks, nodes, front" >&2; exit 2 ;;
esac
if [ -z "$ONLY" ] || [ "$ONLY" = hello ] || [ "$ONLY" = stacks ]; then
if [ "$ONLY" != hello ]; then
  echo "== hello world, 20 KB page, 1 MB static file: all stacks at once, $ROUNDS interleaved rounds of ${RDUR}s per row ($CONNS connections)"
else
  echo "== hello world: all stacks at once, $ROUNDS interleaved rounds of ${RDUR}s per row ($CONNS connections)"
fi
# The ceiling: Go's net/http alone, no PHP (what worker mode is bounded by).
go build -o "$TMP/gohello" ./bench/gohello
GPORT=$(free_port)
"$TMP/gohello" "127.0.0.1:$GPORT" &
GPID=$!; pids+=("$GPID")
GURL="http://127.0.0.1:$GPORT"
wait_http "$GURL/"
start_ephpm "$DOCROOT" request; REQ_PID=$EPID; REQ_URL=$EURL
start_ephpm "$DOCROOT" worker worker.php; WRK_PID=$EPID; WRK_URL=$EURL
# ephpm's default GOMAXPROCS is CPUs + PHP threads (capped at 2x CPUs,
# see internal/phpembed/runtime.go); these rows run it at Go's default,
# the CPU count, as other Go servers run.
EPHPM_ENV="GOMAXPROCS=$CPUS" start_ephpm "$DOCROOT" request; REQ_GMP_PID=$EPID; REQ_GMP_URL=$EURL
EPHPM_ENV="GOMAXPROCS=$CPUS" start_ephpm "$DOCROOT" worker worker.php; WRK_GMP_PID=$EPID; WRK_GMP_URL=$EURL
start_fpm_nginx "$DOCROOT"
# The rows in the order they are visited (and listed). Go's net/http sits
# between the two modes it is the ceiling of, nginx + php-fpm next to
# worker mode and two rows from request mode: a ratio's two rows are
# measured within seconds of each other in every round, where the
# machine's speed has moved the least.
group_add "hello world" "ephpm (request mode)" "$REQ_URL/index.php" "$REQ_PID"
group_add "hello world" "Go net/http alone (no PHP)" "$GURL/" "$GPID"
group_add "hello world" "ephpm (worker mode)" "$WRK_URL/" "$WRK_PID"
group_add "hello world" "nginx + php-fpm" "$NURL/index.php" "$NPID" "$FPID"
group_add "hello world" "ephpm (request mode, GOMAXPROCS=$CPUS)" "$REQ_GMP_URL/index.php" "$REQ_GMP_PID"
group_add "hello world" "ephpm (worker mode, GOMAXPROCS=$CPUS)" "$WRK_GMP_URL/" "$WRK_GMP_PID"
if [ "$ONLY" != hello ]; then
  group_add "20 KB page" "ephpm (request mode)" "$REQ_URL/page.php" "$REQ_PID"
  group_add "20 KB page" "nginx + php-fpm" "$NURL/page.php" "$NPID" "$FPID"
  group_add "static 1 MB" "ephpm" "$REQ_URL/static-1mb.bin" "$REQ_PID"
  group_add "static 1 MB" "nginx" "$NURL/static-1mb.bin" "$NPID"
fi
group_run
stop "$GPID" "$REQ_PID" "$WRK_PID" "$REQ_GMP_PID" "$WRK_GMP_PID" "$NPID" "$FPID"
fi

LARAVEL=testdata/laravel-app
if [ -z "$ONLY" ] || [ "$ONLY" = laravel ] || [ "$ONLY" = stacks ]; then
  if [ -f "$LARAVEL/public/index.php" ] && [ -f "$LARAVEL/bench/cached-route.sh" ]; then
    # shellcheck source=/dev/null
    source "$LARAVEL/bench/cached-route.sh"
  else
    echo "== Laravel cached route: skipped (testdata/laravel-app has no bench hook yet)"
  fi
fi

# Two nodes pinned to a CPU each: needs 2 CPUs.
if { [ -z "$ONLY" ] || [ "$ONLY" = nodes ]; } && [ -f testdata/laravel-app/public/index.php ] && [ "$CPUS" -ge 2 ]; then
  # shellcheck source=scripts/bench-laravel-nodes.sh
  source scripts/bench-laravel-nodes.sh
fi

# Compression and HTTP/2 + TLS against nginx (issue 13).
if [ -z "$ONLY" ] || [ "$ONLY" = front ]; then
  # shellcheck source=scripts/bench-front.sh
  source scripts/bench-front.sh
fi

python3 - "$RESULTS" "$BIN_DESC" "$DUR" "$CONNS" "$CPUS" "$ROUNDS_TSV" "$ROUNDS" "$RDUR" "$WARM" "$CLK_TCK" "$REWARM" >"$TMP/table.md" <<'PY'
import statistics, sys, re
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
desc, dur, conns, cpus = sys.argv[2:6]
nrounds, rdur, warm, hz, rewarm = sys.argv[7], sys.argv[8], sys.argv[9], float(sys.argv[10]), sys.argv[11]
def ms(v):
    m = re.match(r"([\d.]+)(us|ms|s)", v or "")
    if not m: return None
    x = float(m.group(1)); return x / 1000 if m.group(2) == "us" else x * 1000 if m.group(2) == "s" else x
# The interleaved rows, round by round: (test, stack) -> {round: fields}.
# Fields: group round index test stack rps p50 p99 rss errs requests
# stack_ticks others_ticks machine_busy machine_total.
per = {}
for l in open(sys.argv[6]):
    f = l.rstrip("\n").split("\t")
    per.setdefault((f[3], f[4]), {})[int(f[1])] = f
def rng(xs, fmt):
    return f"{fmt(statistics.median(xs))} [{fmt(min(xs))}-{fmt(max(xs))}]"
head = f"wrk -t2, {conns} connections, {cpus} CPUs, loopback. ephpm: {desc}\n"
if per:
    tests = list(dict.fromkeys(k[0] for k in per))
    head += (f"\n{', '.join(tests)}: every stack of a group started at once "
             f"(idle but for its turns), {nrounds} interleaved rounds of {rdur} s per row after a {warm} s warm-up each, "
             f"each measurement after {rewarm} s of its own load (unmeasured), "
             "odd rounds down the list of rows, even ones back up; per row the median of the rounds (requests/s also [min-max]); "
             "per ratio the median of the rounds' own ratios [min-max].")
if any((r[0], r[1]) not in per for r in rows):
    nodes = "; the nodes rows as said below them" if any("1 CPU per node" in r[0] for r in rows) else ""
    head += (" Other rows: " if per else "\n") + f"{dur} s per row, one after another{nodes}."
print(head + "\n")
print("| test | stack | requests/s | p50 | p99 | RSS of the stack | errors |")
print("|---|---|---|---|---|---|---|")
for name, stack, rps, p50, p99, rss, errs in rows:
    rs = per.get((name, stack))
    cell = rng([float(f[5]) for f in rs.values()], lambda x: f"{x:,.0f}") if rs else f"{float(rps):,.0f}"
    print(f"| {name} | {stack} | {cell} | {p50} | {p99} | {int(rss)/1024:.0f} MB | {errs.strip() or '-'} |")
by = {(r[0], r[1]): r for r in rows}
def ratio(test, a, b, target):
    if (test, a) not in by or (test, b) not in by:
        return
    pa, pb = ms(by[(test, a)][4]), ms(by[(test, b)][4])
    ra, rb = per.get((test, a), {}), per.get((test, b), {})
    both = sorted(r for r in set(ra) & set(rb) if float(rb[r][5]) > 0)
    header()
    if both:  # interleaved: each round's ratio, then their median and range
        xs = [float(ra[r][5]) / float(rb[r][5]) for r in both]
        cell = f"{statistics.median(xs):.2f}x [{min(xs):.2f}-{max(xs):.2f}]"
        lat = f"p99 {pa:.2f} ms vs {pb:.2f} ms"
        if "p99" in target:
            lower = sum(ms(ra[r][7]) <= ms(rb[r][7]) for r in both)
            lat += f" (no higher in {lower} of {len(both)} rounds)"
    else:
        cell = f"{float(by[(test, a)][2]) / float(by[(test, b)][2]):.2f}x"
        lat = f"p99 {pa:.2f} ms vs {pb:.2f} ms"
    print(f"| {test} | {a} vs {b} | {cell} | {lat} | {target} |")
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
ratio("Laravel cached route", "ephpm + ephpm store", "nginx + php-fpm + APCu store", ">= 1.05x")
ratio("Laravel cached route", "ephpm worker + ephpm store", "nginx + php-fpm + Redis store", ">= 12x, p99 no worse")
# Nodes sharing one Redis: per-node req/s of the two-node run (mean of A
# and B) against node A alone, each node and its wrk on a CPU of its own.
for mode in ("worker", "request"):
    test = f"Laravel cached route, {mode} mode, 1 CPU per node"
    one, a, b = (by.get((test, s)) for s in ("1 node, Redis store", "2 nodes, Redis store: node A", "2 nodes, Redis store: node B"))
    mem = by.get((test, "1 node, memory store"))
    if one and a and b:
        pn = (float(a[2]) + float(b[2])) / 2 / float(one[2])
        ctx = f"; 1 node on Redis vs memory store {float(one[2]) / float(mem[2]):.2f}x" if mem else ""
        header()
        print(f"| {test} | 2 nodes vs 1 node on one Redis, per node | {pn:.2f}x (total {(float(a[2]) + float(b[2])) / float(one[2]):.2f}x) | p99 {ms(a[4]):.2f} / {ms(b[4]):.2f} ms vs {ms(one[4]):.2f} ms{ctx} | >= 0.9x per node |")
# CPU of the interleaved rows: the stack's own per request, and how busy
# the whole machine was while it ran (wrk included): under Laravel in
# request mode issue 15 compares how much of the CPUs each stack keeps busy.
if per:
    def us(x):
        return f"{x:,.0f}" if x >= 1000 else f"{x:.1f}"
    print(f"\nCPU, medians of the rounds [min-max]: server CPU per request = utime+stime of the stack's processes "
          f"(children included) over wrk's requests; machine busy = (total - idle - iowait) / total of /proc/stat over "
          f"the same seconds x {cpus} CPUs, wrk and anything else running included; idle stacks = what the group's other "
          f"stacks (waiting for their turn) used meanwhile, in % of one CPU.\n")
    print("| test | stack | server CPU per request (us) | machine busy | idle stacks (% of a CPU) |")
    print("|---|---|---|---|---|")
    for name, stack, *_ in rows:
        rs = per.get((name, stack))
        if not rs:
            continue
        fs = [f for f in rs.values() if int(f[10]) > 0 and int(f[14]) > 0]
        if not fs:
            continue
        cpu = [int(f[11]) / hz * 1e6 / int(f[10]) for f in fs]
        busy = [int(f[13]) / int(f[14]) * int(cpus) for f in fs]
        idle = [int(f[12]) / (int(f[14]) / int(cpus)) * 100 for f in fs]
        b = f"{statistics.median(busy):.2f} of {cpus} CPUs [{min(busy):.2f}-{max(busy):.2f}]"
        print(f"| {name} | {stack} | {rng(cpu, us)} | {b} | {rng(idle, lambda x: f'{x:.1f}')} |")
PY
LATEST=$OUT/latest.md
[ "${BENCH_ONLY:-}" = nodes ] && LATEST=$OUT/laravel-nodes.md  # a partial run keeps latest.md
[ "${BENCH_ONLY:-}" = front ] && LATEST=$OUT/front.md
[ "${BENCH_ONLY:-}" = hello ] && LATEST=$OUT/hello.md
[ "${BENCH_ONLY:-}" = laravel ] && LATEST=$OUT/laravel.md
[ "${BENCH_ONLY:-}" = stacks ] && LATEST=$OUT/stacks.md
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
echo "(written to $LATEST; $SECONDS s in all)"
