#!/usr/bin/env bash
# make bench-kv: the built-in KV store from PHP, side by side with APCu and
# phpredis (all in the same embedded PHP, same run, same machine), memory
# per key against redis-server, the Go benchmarks of internal/kv, and the
# store from outside the server ([kv.resp] vs redis-server, `ephpm php`).
# Loopback only; every server is started and stopped here.
# KV_BENCH_ONLY=hits: only the memory per key and the hit/set rows by
# value size and key count (scripts/bench-kv-rows.sh), into
# bench/results/kv-hits.md.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/go/bin:$PATH"
EPHPM_BENCH_DEPS=1 bash scripts/install-deps.sh

BIN=${EPHPM_BIN:-bin/ephpm}
[ -x "$BIN" ] || make --no-print-directory bin/ephpm
N=${KV_BENCH_N:-200000}
ONLY=${KV_BENCH_ONLY:-all}
KEYS=${KV_BENCH_KEYS:-1000000}
OUT=bench/results
mkdir -p "$OUT" bench/tmp
TMP=$(mktemp -d bench/tmp/kv.XXXXXX)
TMP=$(cd "$TMP" && pwd)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$TMP"; }
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

echo "== starting redis-server (loopback)"
RPORT=$(free_port)
redis-server --port "$RPORT" --bind 127.0.0.1 --save '' --appendonly no --daemonize no >"$TMP/redis.log" 2>&1 &
RPID=$!
pids+=($RPID)

echo "== starting ephpm"
EPORT=$(free_port)
cat >"$TMP/ephpm.toml" <<EOF
[server]
listen = "127.0.0.1:$EPORT"
document_root = "$PWD/bench/kv/public"
[server.timeouts]
request = 600
[php]
max_execution_time = 600
memory_limit = "1G"
[kv]
memory_limit = 0
EOF
"$BIN" serve --config "$TMP/ephpm.toml" >"$TMP/ephpm.log" 2>&1 &
EPID=$!
pids+=($EPID)
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$EPORT/kvbench.php?n=10&redis_n=10" >/dev/null 2>&1 && break; sleep 0.2; done
redis-cli -p "$RPORT" ping >/dev/null

if [ "$ONLY" = hits ]; then
  echo '{"ops": {}, "php": "", "zts": 0, "n": 0, "loop_ns": 0}' >"$TMP/calls.json"
else
  echo "== timing calls from PHP (n=$N per op)"
  curl -sf "http://127.0.0.1:$EPORT/kvbench.php?n=$N&redis_port=$RPORT" >"$TMP/calls.json"
fi

echo "== memory: $KEYS keys of 16 bytes with 32-byte values"
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
before=$(rss_kb "$EPID")
curl -sf "http://127.0.0.1:$EPORT/fill.php?n=$KEYS" >/dev/null
sleep 2  # at rest: the store returns outgrown map tables on its next sweep (1 s)
after=$(rss_kb "$EPID")
rbefore=$(redis-cli -p "$RPORT" info memory | awk -F: '/^used_memory:/ {print $2}' | tr -d '\r')
rrss_before=$(rss_kb "$RPID")
curl -sf "http://127.0.0.1:$EPORT/fill_redis.php?n=$KEYS&redis_port=$RPORT" >/dev/null
rafter=$(redis-cli -p "$RPORT" info memory | awk -F: '/^used_memory:/ {print $2}' | tr -d '\r')
sleep 2  # at rest: the store returns outgrown map tables on its next sweep (1 s)
rrss_after=$(rss_kb "$RPID")

python3 - "$TMP/calls.json" "$before" "$after" "$rbefore" "$rafter" "$KEYS" "$rrss_before" "$rrss_after" >"$TMP/table.md" <<'PY'
import json, sys
calls = json.load(open(sys.argv[1]))
before, after, rb, ra, keys, rrb, rra = (int(x) for x in sys.argv[2:9])
ops = calls["ops"]
e, a, r = ops.get("ephpm", {}), ops.get("apcu", {}), ops.get("phpredis", {})
rounds = calls.get("rounds", 3)
print(f"PHP {calls['php']} ({'ZTS' if calls['zts'] else 'NTS'}); ephpm and APCu timed interleaved in {rounds} rounds of {max(1000, calls['n'] // 4)} calls per op, best round of each; phpredis best of 3 x {calls.get('redis_n', 20000)}; loop overhead ({calls['loop_ns']:.1f} ns) subtracted\n")
print("| operation | ephpm ns/call | APCu ns/call | ephpm/APCu (target <= 1.0) | phpredis ns/call | phpredis/ephpm (target >= 100) |")
print("|---|---|---|---|---|---|")
for op, label in [("get_hit", "get (hit)"), ("get_miss", "get (miss)"), ("set", "set"), ("incr_by", "incr_by")]:
    ev, av, rv = e.get(op), a.get(op), r.get(op)
    f = lambda v: f"{v:.1f}" if v is not None else "n/a"
    ratio = f"{ev/av:.2f}" if ev and av else "n/a"
    rratio = f"{rv/ev:.0f}x" if ev and rv else "n/a"
    print(f"| {label} | {f(ev)} | {f(av)} | {ratio} | {f(rv)} | {rratio} |")
ephpm_b = (after - before) * 1024 / keys
redis_b = (ra - rb) / keys
print()
redis_rss_b = (rra - rrb) * 1024 / keys
print(f"| memory for {keys} keys (16 B key, 32 B value) | ephpm (process RSS growth) | redis-server (used_memory growth) | ephpm/redis (target <= 1.0) | redis-server (process RSS growth) | ephpm/redis RSS |")
print("|---|---|---|---|---|---|")
print(f"| bytes per key | {ephpm_b:.1f} | {redis_b:.1f} | {ephpm_b/redis_b:.2f} | {redis_rss_b:.1f} | {ephpm_b/redis_rss_b:.2f} |")
PY

if [ "$ONLY" = hits ]; then
  kill "$EPID" "$RPID" 2>/dev/null || true
  echo "== hits and sets by value size and key count (scripts/bench-kv-rows.sh)"
  EPHPM_BIN="$BIN" bash scripts/bench-kv-rows.sh "$TMP/rows.md"
  {
    echo "# KV hits and sets vs APCu, and memory per key, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores"
    echo
    sed -n '/^| memory/,$p' "$TMP/table.md"
    echo
    cat "$TMP/rows.md"
  } >"$OUT/kv-hits.md"
  cat "$OUT/kv-hits.md"
  echo "(written to $OUT/kv-hits.md)"
  exit 0
fi

echo "== Go benchmarks of internal/kv"
go test -run '^$' -bench . -benchmem -benchtime 1s ./internal/kv/ | tee "$TMP/go-bench.txt"

{
  echo "# KV benchmark, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores"
  echo
  cat "$TMP/table.md"
  echo
  echo '```'
  grep -E '^(Benchmark|goos|goarch|cpu)' "$TMP/go-bench.txt" || true
  echo '```'
} >"$OUT/kv.md"

echo "== hits and sets by value size and key count (scripts/bench-kv-rows.sh)"
EPHPM_BIN="$BIN" bash scripts/bench-kv-rows.sh "$TMP/rows.md"
{ echo; echo "## ephpm_kv_get (hit) and ephpm_kv_set vs APCu by value size and key count"; echo; cat "$TMP/rows.md"; } >>"$OUT/kv.md"
cp "$TMP/rows.md" "$OUT/kv-rows.md"

echo "== the store from outside the server (scripts/bench-resp.sh)"
EPHPM_BIN="$BIN" bash scripts/bench-resp.sh "$TMP/resp.md"
{ echo; cat "$TMP/resp.md"; } >>"$OUT/kv.md"

echo "== the store on Redis ([kv] backend = \"redis\", scripts/bench-kv-redis.sh)"
EPHPM_BIN="$BIN" bash scripts/bench-kv-redis.sh "$TMP/kv-redis.md"
{ echo; cat "$TMP/kv-redis.md"; } >>"$OUT/kv.md"
cp "$TMP/kv-redis.md" "$OUT/kv-redis.md"
echo
cat "$OUT/kv.md"
echo "(written to $OUT/kv.md)"
