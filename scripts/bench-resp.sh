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
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/go/bin:$PATH"

BIN=${EPHPM_BIN:-bin/ephpm}
[ -x "$BIN" ] || make --no-print-directory bin/ephpm
OUTFILE=${1:-bench/results/resp.md}
N=${RESP_BENCH_N:-200000}       # requests per test without pipelining
NP=${RESP_BENCH_NP:-1000000}    # with -P 16 (about a second per test)
ROUNDS=${RESP_BENCH_ROUNDS:-5}
mkdir -p bench/tmp "$(dirname "$OUTFILE")"
TMP=$(mktemp -d bench/tmp/resp.XXXXXX)
TMP=$(cd "$TMP" && pwd)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$TMP"; }
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

RPORT=$(free_port)
redis-server --port "$RPORT" --bind 127.0.0.1 --save '' --appendonly no --daemonize no >"$TMP/redis.log" 2>&1 &
pids+=($!)

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
"$BIN" serve --config "$TMP/ephpm.toml" >"$TMP/ephpm.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do
  redis-cli -p "$KPORT" ping >/dev/null 2>&1 && redis-cli -p "$RPORT" ping >/dev/null 2>&1 && break
  sleep 0.1
done
redis-cli -p "$KPORT" ping >/dev/null || { cat "$TMP/ephpm.log"; exit 1; }

TESTS=ping,get,set,incr,mset
echo "== redis-benchmark -t $TESTS -c 50, without pipelining (-n $N) and with -P 16 (-n $NP), $ROUNDS interleaved rounds"
uptime | sed 's/.*load/load/' >"$TMP/load.txt"
for round in $(seq "$ROUNDS"); do
  targets="redis ephpm ephpm-unix"
  [ $((round % 2)) -eq 0 ] && targets="ephpm-unix ephpm redis"
  for pipe in 1 16; do
    n=$N
    [ "$pipe" -gt 1 ] && n=$NP
    for target in $targets; do
      case $target in
        redis) args=(-p "$RPORT") ;;
        ephpm) args=(-p "$KPORT") ;;
        ephpm-unix) args=(-s "$SOCK") ;;
      esac
      redis-benchmark "${args[@]}" -t "$TESTS" -n "$n" -c 50 -P "$pipe" --csv 2>/dev/null \
        | sed "s/^/$target,$pipe,$round,/" >>"$TMP/rb.csv"
    done
  done
  echo "   round $round done ($(uptime | sed 's/.*load/load/'))"
done
uptime | sed 's/.*load/load/' >>"$TMP/load.txt"

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
  php bench/resp/package_client.php "unix://$SOCK" "$RPORT" >"$TMP/pkg.txt" || echo "(package client bench failed)" >"$TMP/pkg.txt"
else
  echo "(bench/resp/package_client.php missing)" >"$TMP/pkg.txt"
fi

python3 - "$TMP/rb.csv" "$TMP/cli.txt" "$TMP/pkg.txt" "$TMP/load.txt" "$ROUNDS" >"$OUTFILE" <<'PY'
import csv, sys, datetime, os, statistics
runs = {}  # (target, pipe, test) -> {round: rps}
for row in csv.reader(open(sys.argv[1])):
    if len(row) < 5 or row[3] == "test":
        continue
    target, pipe, rnd, test, rps = row[0], int(row[1]), int(row[2]), row[3], float(row[4])
    runs.setdefault((target, pipe, test), {})[rnd] = rps
load = open(sys.argv[4]).read().split("\n")
print(f"## The store over RESP ({datetime.datetime.utcnow():%Y-%m-%dT%H:%MZ}, {os.cpu_count()} cores)\n")
print(f"redis-benchmark, 50 clients, {sys.argv[5]} interleaved rounds (target order alternating); req/s as median [min-max] of the rounds; "
      "ratio = ephpm TCP / redis-server, median [min-max] of the per-round ratios (target >= 1.0 on every row). "
      f"Load average before: {load[0].strip()}; after: {load[1].strip() if len(load) > 1 else '?'}.\n")
print("| test | pipeline | redis-server req/s | ephpm TCP req/s | ephpm unix socket req/s | ephpm/redis |")
print("|---|---|---|---|---|---|")
order = ["PING_INLINE", "PING_MBULK", "SET", "GET", "INCR"]
tests = sorted({k[2] for k in runs}, key=lambda t: order.index(t) if t in order else 99)
def cell(v):
    if not v:
        return "n/a"
    v = list(v)
    return f"{statistics.median(v):,.0f} [{min(v):,.0f}-{max(v):,.0f}]"
for pipe in (1, 16):
    for t in tests:
        r = runs.get(("redis", pipe, t), {})
        e = runs.get(("ephpm", pipe, t), {})
        u = runs.get(("ephpm-unix", pipe, t), {})
        ratios = [e[k] / r[k] for k in r if k in e and r[k]]
        ratio = f"{statistics.median(ratios):.2f} [{min(ratios):.2f}-{max(ratios):.2f}]" if ratios else "n/a"
        print(f"| {t} | {'none' if pipe == 1 else pipe} | {cell(r.values())} | {cell(e.values())} | {cell(u.values())} | {ratio} |")
print()
cli = dict((l.split("\t")[0], l.split("\t")[1:]) for l in open(sys.argv[2]).read().strip().splitlines())
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
