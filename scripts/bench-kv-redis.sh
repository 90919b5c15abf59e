#!/usr/bin/env bash
# Part of make bench-kv: the ephpm_kv_* functions on the Redis backend
# ([kv] backend = "redis"), from PHP inside ephpm, against
#  - the memory backend (another ephpm on the same machine) and APCu (in the
#    same embedded PHP as that node) for a get answered by the client cache;
#  - phpredis (in the same PHP as the Redis node) to the same Redis for get
#    miss, set and incr_by; and a get with client_cache = "0" (every read a
#    round trip) for context.
# One redis-server and three ephpm nodes (redis with the client cache,
# redis without it, memory), loopback only, started and stopped here. Each
# HTTP request times one chunk of one op on one side (bench/kv/public/
# kvredis.php); the sides of a row are interleaved round by round, in
# alternating order, and each side keeps its best round (the median is
# printed beside it). Writes a markdown section to the file named by $1
# (default bench/results/kv-redis.md).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/go/bin:$PATH"

BIN=${EPHPM_BIN:-bin/ephpm}
[ -x "$BIN" ] || make --no-print-directory bin/ephpm
OUTFILE=${1:-bench/results/kv-redis.md}
ROUNDS=${KV_REDIS_ROUNDS:-12}
N_LOCAL=${KV_REDIS_N_LOCAL:-50000}  # calls per chunk answered in-process
N_RT=${KV_REDIS_N_RT:-2000}         # calls per chunk that go to Redis
mkdir -p bench/tmp "$(dirname "$OUTFILE")"
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
TMP=$(mktemp -d bench/tmp/kvredis.XXXXXX)
TMP=$(cd "$TMP" && pwd)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$TMP"; }
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

RPORT=$(free_port)
redis-server --port "$RPORT" --bind 127.0.0.1 --save '' --appendonly no --daemonize no >"$TMP/redis.log" 2>&1 &
pids+=($!)
for _ in $(seq 50); do redis-cli -p "$RPORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
redis-cli -p "$RPORT" ping >/dev/null

# start_node NAME KV_SECTION: an ephpm serving bench/kv/public; sets PORT_<NAME>.
start_node() {
  local name=$1 kv=$2 port
  port=$(free_port)
  cat >"$TMP/$name.toml" <<EOF
[server]
listen = "127.0.0.1:$port"
document_root = "$PWD/bench/kv/public"
[server.timeouts]
request = 600
[php]
max_execution_time = 600
$kv
EOF
  "$BIN" serve --config "$TMP/$name.toml" >"$TMP/$name.log" 2>&1 &
  pids+=($!)
  printf -v "PORT_$name" %s "$port"
  for _ in $(seq 100); do
    curl -sf "http://127.0.0.1:$port/kvredis.php?side=ephpm&op=get_hit&n=10" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "bench-kv-redis: node $name did not answer" >&2
  cat "$TMP/$name.log" >&2
  return 1
}

start_node memory '[kv]
memory_limit = 0'
start_node cached "[kv]
backend = \"redis\"
[kv.redis]
addresses = [\"127.0.0.1:$RPORT\"]
key_prefix = \"cached:\""
start_node nocache "[kv]
backend = \"redis\"
[kv.redis]
addresses = [\"127.0.0.1:$RPORT\"]
key_prefix = \"nocache:\"
client_cache = \"0\""

echo "== KV on Redis from PHP: $ROUNDS interleaved rounds, $N_LOCAL calls per in-process chunk, $N_RT per Redis chunk"
python3 - "$ROUNDS" "$N_LOCAL" "$N_RT" "$RPORT" "$PORT_memory" "$PORT_cached" "$PORT_nocache" "$(redis-server --version | awk '{print $3}')" >"$TMP/table.md" <<'PY'
import json, statistics, sys, urllib.request
rounds, n_local, n_rt, rport = (int(x) for x in sys.argv[1:5])
port = {"memory": sys.argv[5], "cached": sys.argv[6], "nocache": sys.argv[7]}
redis_version = sys.argv[8]

def chunk(node, side, op, n):
    url = f"http://127.0.0.1:{port[node]}/kvredis.php?side={side}&op={op}&n={n}&redis_port={rport}"
    with urllib.request.urlopen(url, timeout=600) as r:
        return json.load(r)["ns"]

# A row: sides (label, node, side, n), timed interleaved; a b c, then c b a.
def row(op, sides):
    times = {s[0]: [] for s in sides}
    for r in range(rounds):
        for label, node, side, n in (sides if r % 2 == 0 else sides[::-1]):
            times[label].append(chunk(node, side, op, n))
    return {k: (min(v), statistics.median(v)) for k, v in times.items()}

M, R, Z = "ephpm memory backend", "ephpm redis backend", "ephpm redis, client_cache 0"
A, P = "APCu", "phpredis"
res = {
    "get_hit": row("get_hit", [(R, "cached", "ephpm", n_local), (M, "memory", "ephpm", n_local), (A, "memory", "apcu", n_local)]),
    "get_hit_rt": row("get_hit", [(Z, "nocache", "ephpm", n_rt), (P, "cached", "phpredis", n_rt)]),
    "get_miss": row("get_miss", [(R, "cached", "ephpm", n_rt), (P, "cached", "phpredis", n_rt), (Z, "nocache", "ephpm", n_rt)]),
    "set": row("set", [(R, "cached", "ephpm", n_rt), (P, "cached", "phpredis", n_rt), (Z, "nocache", "ephpm", n_rt)]),
    "incr_by": row("incr_by", [(R, "cached", "ephpm", n_rt), (P, "cached", "phpredis", n_rt), (Z, "nocache", "ephpm", n_rt)]),
}
f = lambda v: f"{v[0]:,.1f} ({v[1]:,.1f})"
print(f"ns per call from PHP inside ephpm, best round of {rounds} interleaved (median in brackets), "
      f"empty loop subtracted; redis-server {redis_version} on loopback; the Redis nodes use "
      f"`key_prefix`es of their own and phpredis its own keys in the same Redis.\n")
g = res["get_hit"]
print("| get (hit), answered in-process | redis backend, client cache | memory backend | APCu | redis / memory (target <= 2.0) | redis / APCu |")
print("|---|---|---|---|---|---|")
rm = g[R][0] / g[M][0]
print(f"| get (hit) | {f(g[R])} | {f(g[M])} | {f(g[A])} | {rm:.2f} ({'met' if rm <= 2.0 else 'missed'}) | {g[R][0] / g[A][0]:.2f} |")
print()
print("| operation (a round trip unless said) | ephpm redis backend | phpredis, same Redis | phpredis / ephpm (target >= 1.0) |")
print("|---|---|---|---|")
for op, label, side, target in [
        ("get_miss", "get (miss), answered by the client cache (a miss is cached too)", R, True),
        ("get_miss", "get (miss), client_cache = \"0\"", Z, False),
        ("get_hit_rt", "get (hit), client_cache = \"0\" (context)", Z, False),
        ("set", "set", R, True),
        ("set", "set, client_cache = \"0\" (no write fence)", Z, False),
        ("incr_by", "incr_by", R, True),
        ("incr_by", "incr_by, client_cache = \"0\" (no write fence)", Z, False)]:
    v = res[op]
    q = v[P][0] / v[side][0]
    tgt = (" met" if q >= 1.0 else " missed") if target else " (context)"
    print(f"| {label} | {f(v[side])} | {f(v[P])} | {q:.2f}{tgt} |")
PY
{
  echo "## KV on Redis ([kv] backend = \"redis\"), from PHP"
  echo
  echo "$(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, load average $LOAD_BEFORE before the run, $(cut -d' ' -f1-3 /proc/loadavg) after."
  echo
  cat "$TMP/table.md"
} >"$OUTFILE"
cat "$OUTFILE"
