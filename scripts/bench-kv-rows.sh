#!/usr/bin/env bash
# The KV hit and set rows of make bench-kv (issue 16): ephpm_kv_get (hit)
# vs apcu_fetch and ephpm_kv_set vs apcu_store, by value size (16 B, 1 KB,
# 64 KB, 1000 keys) and by key count (16 B values, 1000 and 1,000,000
# keys), in one embedded PHP with php8.2-apcu loaded (bench/kv/public/
# kvrows.php: interleaved rounds, medians). RUNS runs in a row (default 3),
# each on a fresh server; prints a markdown table with each run's ratios
# and their spread. Usage: bench-kv-rows.sh [OUT.md] (KV_ROWS_RUNS=n runs,
# KV_ROWS_ONLY="size:keys ..." a subset of the rows, KV_ROWS_ROUNDS=n rounds
# per row instead of 61, KV_ROWS_CPU=1 rounds timed by the process's CPU
# time instead of wall time: for A/B runs on a busy machine)
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/go/bin:$PATH"
BIN=${EPHPM_BIN:-bin/ephpm}
[ -x "$BIN" ] || make --no-print-directory bin/ephpm
RUNS=${KV_ROWS_RUNS:-3}
OUT=${1:-bench/results/kv-rows.md}
mkdir -p bench/tmp "$(dirname "$OUT")"
TMP=$(mktemp -d bench/tmp/kvrows.XXXXXX)
TMP=$(cd "$TMP" && pwd)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$TMP"; }
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# size keys calls-per-round
ROWS=("16 1000 20000" "1024 1000 10000" "65536 1000 1000" "16 1000000 50000")
# KV_ROWS_ONLY="16:1000000 1024:1000" runs only those rows (size:keys).
if [ -n "${KV_ROWS_ONLY:-}" ]; then
  keep=()
  for row in "${ROWS[@]}"; do
    read -r size keys _ <<<"$row"
    case " $KV_ROWS_ONLY " in *" $size:$keys "*) keep+=("$row") ;; esac
  done
  [ ${#keep[@]} -gt 0 ] || { echo "KV_ROWS_ONLY=$KV_ROWS_ONLY matches no row" >&2; exit 2; }
  ROWS=("${keep[@]}")
fi
for run in $(seq "$RUNS"); do
  port=$(free_port)
  # APCu sized for the largest row (1M entries, 64 MB of values), with a
  # hash table to match: its default (4096 slots) would chain 1M keys.
  cat >"$TMP/ephpm.toml" <<EOT
[server]
listen = "127.0.0.1:$port"
document_root = "$PWD/bench/kv/public"
[server.timeouts]
request = 900
[php]
max_execution_time = 900
memory_limit = "2G"
ini_overrides = [["apc.shm_size", "1G"], ["apc.entries_hint", "2000000"]]
[kv]
memory_limit = 0
EOT
  "$BIN" serve --config "$TMP/ephpm.toml" >"$TMP/ephpm.log" 2>&1 &
  pid=$!
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/loop.php?n=1" >/dev/null 2>&1 && break; sleep 0.2; done
  for row in "${ROWS[@]}"; do
    read -r size keys n <<<"$row"
    echo "== run $run: $keys keys of $size bytes" >&2
    curl -sf "http://127.0.0.1:$port/kvrows.php?size=$size&keys=$keys&n=$n&rounds=${KV_ROWS_ROUNDS:-61}&cpu=${KV_ROWS_CPU:-0}" >>"$TMP/run$run.jsonl"
    echo >>"$TMP/run$run.jsonl"
  done
  kill "$pid"; wait "$pid" 2>/dev/null || true; pid=
done

python3 - "$TMP" "$RUNS" "$(uptime)" >"$OUT" <<'PY'
import json, sys, os
tmp, runs, up = sys.argv[1], int(sys.argv[2]), sys.argv[3]
data = []
for r in range(1, runs + 1):
    rows = [json.loads(l) for l in open(os.path.join(tmp, f"run{r}.jsonl")) if l.strip()]
    for d in rows:
        if "error" in d:
            sys.exit("kvrows.php: " + d["error"])
    data.append(rows)
first = data[0][0]
print(f"PHP {first['php']} ({'ZTS' if first['zts'] else 'NTS'}), php8.2-apcu in the same embedded PHP; "
      f"{'CPU time (getrusage) per call; ' if first.get('clock') == 'cpu' else ''}"
      f"{runs} runs in a row, each on a fresh server; per row, ephpm and APCu interleaved in "
      f"{first['rounds']} rounds (alternating which goes first), median round of each, minus the median "
      f"of the same loop without the call. Load at the end: {up.split('load average:')[-1].strip()}.\n")
def label(d):
    k = f"{d['keys'] // 1000}K" if d['keys'] < 1000000 else f"{d['keys'] // 1000000}M"
    s = {16: "16 B", 1024: "1 KB", 65536: "64 KB"}.get(d["size"], f"{d['size']} B")
    return f"{s} x {k} keys"
hdr = "| row | op | " + " | ".join(f"run {r} ephpm / APCu ns (ratio)" for r in range(1, runs + 1)) + " | spread | target |"
print(hdr)
print("|" + "---|" * (runs + 4))
for i, d0 in enumerate(data[0]):
    for op, target in (("get", 0.7), ("set", 0.8)):
        cells, ratios = [], []
        for r in range(runs):
            d = data[r][i]
            e, a = d[op]["ephpm"], d[op]["apcu"]
            ratios.append(e / a)
            cells.append(f"{e:,.0f} / {a:,.0f} ({e / a:.2f})")
        met = "met" if max(ratios) <= target else ("missed" if min(ratios) > target else "not every run")
        print(f"| {label(d0)} | {op} | " + " | ".join(cells) + f" | {min(ratios):.2f}-{max(ratios):.2f} | <= {target} {met} |")
PY
cat "$OUT"
