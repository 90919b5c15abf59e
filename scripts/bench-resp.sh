#!/usr/bin/env bash
# Part of make bench-kv: the store from outside the server.
#  1. redis-benchmark against ephpm's [kv.resp] (TCP and unix socket) and
#     against Debian's redis-server, same run, interleaved rounds (the
#     order of the targets alternates): the median of each and its range,
#     and the median of the per-round ratios (runs next to each other in
#     time, so a busy machine disturbs both alike);
#  2. `ephpm php -r 'echo 1;'` wall time against Debian's `php -r 'echo 1;'`;
#  3. from plain php (no ephpm functions): the Laravel package's RESP path over
#     ephpm's unix socket against phpredis to redis-server over TCP.
# Loopback only; every server is started and stopped here. Writes a markdown
# section to the file named by $1 (default bench/results/resp.md).
#
# CPU placement (the same for both servers; see the README, "The store from
# outside the server"). Unpinned on 2 cores, redis-benchmark and the server
# competed for both cores, and the scheduler, not the server, decided the
# rate. So each server runs pinned to CPU $RESP_BENCH_SERVER_CPU (default 0)
# and redis-benchmark to CPU $RESP_BENCH_CLIENT_CPU (default 1), with
# `taskset`. redis-server is single-threaded; ephpm runs as it does by
# default, which on one allowed CPU means one RESP event loop and
# GOMAXPROCS=2 (Go counts the CPUs of its affinity mask, 1, and
# internal/phpembed adds a P per PHP thread, up to the CPUs; a test binary
# of internal/resp runs with 1). redis-benchmark runs with
# one thread: a second one (--threads 2) on the same CPU only adds switches.
# Two setups, interleaved in each round:
#  "core": a whole core each. redis-benchmark needs more CPU per request
#     than either server (about 1.0-1.1 us with -P 16 against 0.8-0.95 us:
#     scripts/resp-cpu-per-request.py), so its core saturates first and at
#     -P 16 both servers show the client's rate, not their own.
#  "half": the same, and each server limited to half of its CPU by a CFS
#     bandwidth quota (cgroup cpu.max / cpu.cfs_quota_us: 10 ms per 20 ms).
#     The client, with a whole core, is then faster than the server, so
#     requests/s is the server's own: requests per half core of CPU time.
#     Needs a writable cgroup cpu controller (root); skipped with a note
#     otherwise. RESP_BENCH_SETUPS="core" or "half" runs one of them.
# Each test is its own redis-benchmark run, and every row also gives the
# server's CPU time per request (utime + stime, all threads, around the
# run): the figure that a busy machine disturbs least.
# Narrowing, for A/B runs while working on the server: RESP_BENCH_TESTS
# (default ping,get,set,incr,mset), RESP_BENCH_PIPES (default "1 16"),
# RESP_BENCH_RESP_ONLY=1 skips parts 2 and 3; RESP_BENCH_PKG_ONLY=1 runs
# part 3 alone (the package's rows, about 20 s). E.g. one quick round of the
# server-bound rows without pipelining:
#   RESP_BENCH_SETUPS=half RESP_BENCH_PIPES=1 RESP_BENCH_ROUNDS=1 \
#   RESP_BENCH_RESP_ONLY=1 EPHPM_BIN=... scripts/bench-resp.sh /tmp/x.md
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/go/bin:$PATH"

BIN=${EPHPM_BIN:-bin/ephpm}
[ -x "$BIN" ] || make --no-print-directory bin/ephpm
OUTFILE=${1:-bench/results/resp.md}
N=${RESP_BENCH_N:-100000}       # requests per test without pipelining (2-4 s per test)
NP=${RESP_BENCH_NP:-1000000}    # with -P 16 (about a second per test)
ROUNDS=${RESP_BENCH_ROUNDS:-5}
mkdir -p bench/tmp "$(dirname "$OUTFILE")"
TMP=$(mktemp -d bench/tmp/resp.XXXXXX)
TMP=$(cd "$TMP" && pwd)
SCPU=${RESP_BENCH_SERVER_CPU:-0}
CCPU=${RESP_BENCH_CLIENT_CPU:-1}
SPIN=(taskset -c "$SCPU") CPIN=(taskset -c "$CCPU")
if [ "$(nproc)" -lt 2 ]; then # one CPU: nothing to separate
  SPIN=() CPIN=() SCPU=all CCPU=all
fi
SETUPS=${RESP_BENCH_SETUPS:-core half}
PERIOD_US=20000 QUOTA_US=10000 # "half": 10 ms of CPU per 20 ms
pids=()
cgroups=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  for d in "${cgroups[@]}"; do rmdir "$d" 2>/dev/null || true; done
  rm -rf "$TMP"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# cpu_cgroup NAME: makes a child of this shell's cgroup whose members get at
# most QUOTA_US of CPU time per PERIOD_US; prints its directory, or nothing
# when cgroups cannot be written here (not root, no cpu controller).
cpu_cgroup() {
  local self dir
  if [ -f /sys/fs/cgroup/cgroup.controllers ]; then # cgroup v2
    self=$(awk -F: '$1 == "0" { print $3 }' /proc/self/cgroup)
    dir=/sys/fs/cgroup${self%/}/$1
    if mkdir "$dir" 2>/dev/null; then
      if echo "$QUOTA_US $PERIOD_US" >"$dir/cpu.max" 2>/dev/null; then
        echo "$dir"
        return
      fi
      rmdir "$dir"
    fi
  elif [ -f /sys/fs/cgroup/cpu/cpu.cfs_quota_us ]; then # cgroup v1
    self=$(awk -F: '$2 ~ /(^|,)cpu(,|$)/ { print $3 }' /proc/self/cgroup)
    dir=/sys/fs/cgroup/cpu${self%/}/$1
    [ -d "/sys/fs/cgroup/cpu${self%/}" ] || dir=/sys/fs/cgroup/cpu/$1
    if mkdir "$dir" 2>/dev/null; then
      if echo "$PERIOD_US" >"$dir/cpu.cfs_period_us" 2>/dev/null &&
        echo "$QUOTA_US" >"$dir/cpu.cfs_quota_us" 2>/dev/null; then
        echo "$dir"
        return
      fi
      rmdir "$dir"
    fi
  fi
}

# Every server starts pinned; the "half" rounds move the whole process (all
# its threads; threads made later follow) into its own quota group and back.
RPORT=$(free_port)
"${SPIN[@]}" redis-server --port "$RPORT" --bind 127.0.0.1 --save '' --appendonly no --daemonize no >"$TMP/redis.log" 2>&1 &
RPID=$!
pids+=($RPID)

EPORT=$(free_port)
KPORT=$(free_port)
SOCK="$TMP/kv.sock"
mkdir -p "$TMP/public"
echo '<?php echo "ok";' >"$TMP/public/index.php"
cat >"$TMP/ephpm.toml" <<EOF
[server]
listen = "127.0.0.1:$EPORT"
document_root = "$TMP/public"
[kv]
memory_limit = 0
[kv.resp]
listen = "127.0.0.1:$KPORT"
socket = "$SOCK"
EOF
"${SPIN[@]}" "$BIN" serve --config "$TMP/ephpm.toml" >"$TMP/ephpm.log" 2>&1 &
EPID=$!
pids+=($EPID)
for _ in $(seq 100); do
  redis-cli -p "$KPORT" ping >/dev/null 2>&1 && redis-cli -p "$RPORT" ping >/dev/null 2>&1 && break
  sleep 0.1
done
redis-cli -p "$KPORT" ping >/dev/null || { cat "$TMP/ephpm.log"; exit 1; }

# RESP_BENCH_PKG_ONLY=1: only part 3 (the package's rows), same servers.
if [ "${RESP_BENCH_PKG_ONLY:-0}" = 1 ]; then
  echo "== the Laravel package's RESP client (plain php) vs phpredis"
  php bench/resp/package_client.php "unix://$SOCK" "$RPORT" 20000 "$EPID" "$RPID" >"$OUTFILE"
  cat "$OUTFILE"
  echo "(written to $OUTFILE)"
  exit 0
fi

HALF_NOTE=""
CG_REDIS="" CG_EPHPM=""
if [[ " $SETUPS " == *" half "* ]]; then
  CG_REDIS=$(cpu_cgroup "ephpm-bench-redis-$$")
  [ -n "$CG_REDIS" ] && cgroups+=("$CG_REDIS")
  CG_EPHPM=$(cpu_cgroup "ephpm-bench-ephpm-$$")
  [ -n "$CG_EPHPM" ] && cgroups+=("$CG_EPHPM")
  if [ -z "$CG_REDIS" ] || [ -z "$CG_EPHPM" ]; then
    HALF_NOTE='The "half" setup was skipped: no writable cgroup cpu controller here (it needs root).'
    echo "   $HALF_NOTE"
    SETUPS=${SETUPS//half/}
  fi
fi
# The group the servers came from, to move them back after a "half" round.
CG_HOME=$(dirname "${CG_REDIS:-/x/x}")
# quota_move PID DIR: moves the process, all its threads, into DIR.
quota_move() { echo "$1" >"$2/cgroup.procs" || { echo "cannot move process $1 into $2" >&2; exit 1; }; }

TESTS=${RESP_BENCH_TESTS:-ping,get,set,incr,mset}
PIPES=${RESP_BENCH_PIPES:-1 16}
TICK_NS=$((1000000000 / $(getconf CLK_TCK)))
# cpu_ticks PID: the process's user + system CPU time, in clock ticks.
cpu_ticks() {
  local f
  read -r -a f <"/proc/$1/stat"
  echo $((f[13] + f[14])) # comm ("redis-server", "ephpm") has no spaces
}
echo "== redis-benchmark -t $TESTS -c 50, pipeline $PIPES (-n $N without pipelining, $NP with), $ROUNDS interleaved rounds"
echo "   servers on CPU $SCPU, redis-benchmark on CPU $CCPU (taskset); setups: $SETUPS"
uptime | sed 's/.*load/load/' >"$TMP/load.txt"
for round in $(seq "$ROUNDS"); do
  for setup in $SETUPS; do
    targets="redis ephpm ephpm-unix"
    [ "$setup" = half ] && targets="redis ephpm" # the ratio's two
    if [ $((round % 2)) -eq 0 ]; then
      targets=$(echo "$targets" | tr ' ' '\n' | tac | tr '\n' ' ')
    fi
    if [ "$setup" = half ]; then
      quota_move "$RPID" "$CG_REDIS"
      quota_move "$EPID" "$CG_EPHPM"
    fi
    for pipe in $PIPES; do
      n=$N
      [ "$pipe" -gt 1 ] && n=$NP
      [ "$setup" = half ] && n=$((n / 2)) # about half the rate: the same time
      for target in $targets; do
        case $target in
          redis) args=(-p "$RPORT") ;;
          ephpm) args=(-p "$KPORT") ;;
          ephpm-unix) args=(-s "$SOCK") ;;
        esac
        pid=$EPID
        [ "$target" = redis ] && pid=$RPID
        # One test per redis-benchmark run, to read the server's CPU
        # time (utime + stime, all threads) around each.
        for t in ${TESTS//,/ }; do
          c0=$(cpu_ticks "$pid")
          "${CPIN[@]}" redis-benchmark "${args[@]}" -t "$t" -n "$n" -c 50 -P "$pipe" --csv 2>/dev/null |
            sed "s/^/$setup,$target,$pipe,$round,/" >>"$TMP/rb.csv"
          reqs=$n
          [ "$t" = ping ] && reqs=$((2 * n)) # PING_INLINE and PING_MBULK
          echo "$setup,$target,$pipe,$round,$t,$(($(cpu_ticks "$pid") - c0)),$reqs" >>"$TMP/cpu.csv"
        done
      done
    done
    if [ "$setup" = half ]; then
      quota_move "$RPID" "$CG_HOME"
      quota_move "$EPID" "$CG_HOME"
    fi
  done
  echo "   round $round done ($(uptime | sed 's/.*load/load/'))"
done
uptime | sed 's/.*load/load/' >>"$TMP/load.txt"

if [ "${RESP_BENCH_RESP_ONLY:-0}" = 1 ]; then
  : >"$TMP/cli.txt"
  : >"$TMP/pkg.txt"
else
echo "== ephpm php -r vs php -r (wall time, 40 runs each, interleaved)"
STATIC=${EPHPM_STATIC_BIN:-bin/ephpm-static}
[ -x "$STATIC" ] || STATIC=""
python3 - "$BIN" "$STATIC" >"$TMP/cli.txt" <<'PY'
import subprocess, sys, time, statistics
binp, static = sys.argv[1], sys.argv[2]
cmds = {"ephpm php": [binp, "php", "-r", "echo 1;"], "php": ["php", "-r", "echo 1;"]}
if static:
    cmds["ephpm-static php"] = [static, "php", "-r", "echo 1;"]
times = {k: [] for k in cmds}
for _ in range(40):
    for k, c in cmds.items():
        t = time.perf_counter()
        out = subprocess.run(c, capture_output=True)
        times[k].append(time.perf_counter() - t)
        if out.stdout != b"1":
            sys.exit(f"{k}: unexpected output {out.stdout!r} {out.stderr!r}")
for k, v in times.items():
    print(f"{k}\t{statistics.median(v)*1000:.2f}\t{min(v)*1000:.2f}")
PY

echo "== the Laravel package's RESP client (plain php) vs phpredis"
if [ -f bench/resp/package_client.php ]; then
  php bench/resp/package_client.php "unix://$SOCK" "$RPORT" 20000 "$EPID" "$RPID" >"$TMP/pkg.txt" || echo "(package client bench failed)" >"$TMP/pkg.txt"
else
  echo "(bench/resp/package_client.php missing)" >"$TMP/pkg.txt"
fi
fi

python3 - "$TMP/rb.csv" "$TMP/cli.txt" "$TMP/pkg.txt" "$TMP/load.txt" "$ROUNDS" "$SCPU" "$CCPU" "$HALF_NOTE" "$TMP/cpu.csv" "$TICK_NS" >"$OUTFILE" <<'PY'
import csv, sys, datetime, os, statistics
runs = {}  # (setup, target, pipe, test) -> {round: rps}
for row in csv.reader(open(sys.argv[1])):
    if len(row) < 6 or row[4] == "test":
        continue
    setup, target, pipe, rnd, test, rps = row[0], row[1], int(row[2]), int(row[3]), row[4], float(row[5])
    runs.setdefault((setup, target, pipe, test), {})[rnd] = rps
load = open(sys.argv[4]).read().split("\n")
scpu, ccpu, note = sys.argv[6], sys.argv[7], sys.argv[8]
tick_ns = int(sys.argv[10])
cpu = {}  # (setup, target, pipe, redis-benchmark -t name) -> {round: server CPU ns per request}
for row in csv.reader(open(sys.argv[9])):
    setup, target, pipe, rnd, t, ticks, reqs = row
    cpu.setdefault((setup, target, int(pipe), t), {})[int(rnd)] = int(ticks) * tick_ns / int(reqs)
def tname(test):  # the -t name a row of redis-benchmark's output came from
    return "ping" if test.startswith("PING") else test.split()[0].lower()
print(f"## The store over RESP ({datetime.datetime.utcnow():%Y-%m-%dT%H:%MZ}, {os.cpu_count()} cores)\n")
print(f"redis-benchmark, 50 clients, one thread, {sys.argv[5]} interleaved rounds (target order alternating); req/s as median [min-max] of the rounds; "
      "ratio = ephpm TCP / redis-server, median [min-max] of the per-round ratios (target >= 1.0 on every row). "
      f"Each server pinned to CPU {scpu} (`taskset`; ephpm as it runs by default: one allowed CPU gives one event loop and GOMAXPROCS=2: one P for the CPU and one for the PHP thread), "
      f"redis-benchmark to CPU {ccpu}. "
      f"Load average before: {load[0].strip()}; after: {load[1].strip() if len(load) > 1 else '?'}.\n")
order = ["PING_INLINE", "PING_MBULK", "SET", "GET", "INCR"]
tests = sorted({k[3] for k in runs}, key=lambda t: order.index(t) if t in order else 99)
def cell(v):
    if not v:
        return "n/a"
    v = list(v)
    return f"{statistics.median(v):,.0f} [{min(v):,.0f}-{max(v):,.0f}]"
titles = {
    "core": "A whole core each (server on its CPU, redis-benchmark on the other). "
            "With -P 16 redis-benchmark needs more CPU per request than either server, so these rows show the client's rate for both.",
    "half": "The server on half a core (the same pinning, and a CFS quota of 10 ms of CPU per 20 ms on the server's process, "
            "the same for both), redis-benchmark on a whole core: the client is faster than the server, so req/s is the server's own.",
}
for setup in ("core", "half"):
    if not any(k[0] == setup for k in runs):
        continue
    print(f"**{setup}**: {titles[setup]}\n")
    cpuhead = " server CPU ns/request, redis / ephpm TCP (ratio) |"
    if setup == "core":
        print("| test | pipeline | redis-server req/s | ephpm TCP req/s | ephpm unix socket req/s | ephpm/redis |" + cpuhead)
        print("|---|---|---|---|---|---|---|")
    else:
        print("| test | pipeline | redis-server req/s | ephpm TCP req/s | ephpm/redis |" + cpuhead)
        print("|---|---|---|---|---|---|")
    for pipe in (1, 16):
        for t in tests:
            r = runs.get((setup, "redis", pipe, t), {})
            e = runs.get((setup, "ephpm", pipe, t), {})
            u = runs.get((setup, "ephpm-unix", pipe, t), {})
            if not r and not e:
                continue  # not run (RESP_BENCH_PIPES)
            ratios = [e[k] / r[k] for k in r if k in e and r[k]]
            ratio = f"{statistics.median(ratios):.2f} [{min(ratios):.2f}-{max(ratios):.2f}]" if ratios else "n/a"
            unix = f" {cell(u.values())} |" if setup == "core" else ""
            rc = cpu.get((setup, "redis", pipe, tname(t)), {})
            ec = cpu.get((setup, "ephpm", pipe, tname(t)), {})
            cr = [ec[k] / rc[k] for k in rc if k in ec and rc[k]]
            cpucell = (f"{statistics.median(rc.values()):,.0f} / {statistics.median(ec.values()):,.0f} ({statistics.median(cr):.2f})"
                       if rc and ec and cr else "n/a")
            print(f"| {t} | {'none' if pipe == 1 else pipe} | {cell(r.values())} | {cell(e.values())} |{unix} {ratio} | {cpucell} |")
    print()
print("Server CPU per request: the server process's utime + stime (all threads, /proc/PID/stat, "
      f"{tick_ns // 1000000} ms ticks) around each redis-benchmark run, median of the rounds; the PING rows share one run "
      "(-t ping). Ratio ephpm / redis: below 1 is less CPU than redis-server.\n")
if note:
    print(note + "\n")
cli = dict((l.split("\t")[0], l.split("\t")[1:]) for l in open(sys.argv[2]).read().strip().splitlines())
if not cli:  # RESP_BENCH_RESP_ONLY
    sys.exit(0)
e, p = float(cli["ephpm php"][0]), float(cli["php"][0])
print("| command | median wall ms | best ms |")
print("|---|---|---|")
print(f"| `php -r 'echo 1;'` (Debian's php-cli) | {p:.2f} | {float(cli['php'][1]):.2f} |")
print(f"| `ephpm php -r 'echo 1;'` (quick build, Debian's libphp.so) | {e:.2f} | {float(cli['ephpm php'][1]):.2f} |")
if "ephpm-static php" in cli:
    st = float(cli["ephpm-static php"][0])
    print(f"| `ephpm-static php -r 'echo 1;'` (single binary) | {st:.2f} | {float(cli['ephpm-static php'][1]):.2f} |")
print(f"| ratio quick build / php (target <= 1.2) | {e/p:.2f} | |")
if "ephpm-static php" in cli:
    print(f"| ratio single binary / php (target <= 1.2) | {st/p:.2f} | |")
print()
print(open(sys.argv[3]).read().strip())
PY
cat "$OUTFILE"
echo "(written to $OUTFILE)"
