# shellcheck shell=bash
# Sourced by scripts/bench.sh (make bench): the Laravel cached route
# (testdata/laravel-app, GET /bench/cached, CACHE_DRIVER=ephpm) on ephpm
# nodes sharing one Redis ([kv] backend = "redis"): two nodes at once
# against one node alone, throughput per node (target: within 10%, i.e.
# per-node req/s of the two-node run >= 0.9x the one-node run).
#
# Fair on a 2-core machine: each node is pinned to a CPU of its own
# (taskset), and so is the wrk that drives it, on that same CPU: node A and
# its wrk on CPU 0, node B and its wrk on CPU 1. The one-node run is node A
# on the Redis while CPU 1 runs node C, the same app on its own memory
# store, under the same load (see companion_on); the two-node run loads A
# and B at once, so what the second node costs the first is only the
# sharing of Redis (unpinned). The one-node
# memory-backend figure is measured the same way for context. Idle nodes
# stay up between runs (an idle node takes no CPU). Each node has
# one PHP thread (workers = 0 is one per CPU it may run on).
# Uses bench.sh's REPO, TMP, BIN, pids, RESULTS and its functions
# free_port, wait_http, rss_of and stop. NODES_MODES (default "worker
# request") chooses the PHP modes measured.

NODES_PUBLIC="$REPO/testdata/laravel-app/public"
NODES_CONNS=${NODES_CONNECTIONS:-16}
echo "== Laravel cached route on ephpm nodes sharing one Redis ($NODES_CONNS connections per node, best of ${NODES_ROUNDS:-5} interleaved rounds of ${NODES_DURATION:-4}s)"

NODES_REDIS_PORT=$(free_port)
redis-server --bind 127.0.0.1 --port "$NODES_REDIS_PORT" --save '' --appendonly no \
  >"$TMP/nodes-redis.log" 2>&1 &
NODES_REDIS_PID=$!; pids+=("$NODES_REDIS_PID")
for _ in $(seq 50); do redis-cli -p "$NODES_REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done

# start_node CPU MODE BACKEND -> sets NPID_LAST, NURL_LAST: an ephpm on the
# Laravel app pinned to CPU, its store the shared Redis or its own memory.
start_node() {
  local cpu=$1 mode=$2 backend=$3 port kv
  port=$(free_port)
  if [ "$backend" = redis ]; then
    kv="[kv]
backend = \"redis\"
[kv.redis]
addresses = [\"127.0.0.1:$NODES_REDIS_PORT\"]
key_prefix = \"laravel-bench:\""
  else
    kv="[kv]
memory_limit = \"256MB\""
  fi
  cat >"$TMP/node-$port.toml" <<CFG
[server]
listen = "127.0.0.1:$port"
document_root = "$NODES_PUBLIC"
[php]
workers = 0
queue_size = 4096
mode = "$mode"
worker_script = "$([ "$mode" = worker ] && echo worker.php)"
ini_overrides = [["opcache.enable", "1"], ["display_errors", "Off"]]
$kv
CFG
  CACHE_DRIVER=ephpm SESSION_DRIVER=cache \
    taskset -c "$cpu" "$BIN" serve --config "$TMP/node-$port.toml" >"$TMP/node-$port.log" 2>&1 &
  NPID_LAST=$!; pids+=("$NPID_LAST")
  NURL_LAST="http://127.0.0.1:$port/bench/cached"
  wait_http "$NURL_LAST"
  curl -sf -o /dev/null "$NURL_LAST" || { echo "bench: $NURL_LAST failed" >&2; cat "$TMP/node-$port.log" >&2; return 1; }
}

# companion_on CPU SECONDS: load node C (the same app on its own memory
# store, pinned to CPU) with a wrk on that CPU, in the background. On this
# VM an idle vCPU halts, and the busy one pays for waking it: node A alone
# did 1,760-1,980 req/s (worker mode) with CPU 1 idle and 2,520-2,650 with
# a busy loop on CPU 1 (2026-12-01, load average 13). So in the one-node
# runs CPU 1 does what node B does in the two-node run, a Laravel node
# under load, only on a store of its own: what differs is only whether the
# second node shares the Redis.
companion_on() {
  wrk_on "$1" "$C_URL" /dev/null "$2" &
  NODES_COMPANION=$!
}

# wrk_on CPU URL OUTFILE [DURATION]: one wrk thread pinned to CPU.
wrk_on() {
  taskset -c "$1" wrk -t1 -c"$NODES_CONNS" -d"${4:-$DUR}s" --latency "$2" >"$3" 2>&1
}

# record NAME STACK WRKOUT PID...: a row of bench.sh's results from a wrk output.
record() {
  local name=$1 stack=$2 out; out=$(cat "$3"); shift 3
  local rps p50 p99 errs
  rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1=="50%" {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  errs=$(awk '/Non-2xx|Socket errors/ {print}' <<<"$out" | tr '\n' ' ')
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$stack" "$rps" "$p50" "$p99" "$(rss_of "$@")" "$errs" >>"$RESULTS"
  printf '  %-28s %-40s %10s req/s  p50 %-9s p99 %-9s %s\n' "$name" "$stack" "$rps" "$p50" "$p99" "$errs"
}

# best FILE...: the wrk output with the most requests/s.
best() {
  local f b="" br=-1 r
  for f in "$@"; do
    r=$(awk '/^Requests\/sec/ {print $2}' "$f"); r=${r:-0}
    if awk -v a="$r" -v b="$br" 'BEGIN {exit !(a > b)}'; then b=$f; br=$r; fi
  done
  echo "$b"
}

# The three setups run interleaved, NODES_ROUNDS rounds of NODES_DURATION s
# in alternating order (the machine is shared: a burst of other work then
# hits every setup alike), each keeping its best round; the two-node run's
# best round is the one with the most requests/s of A and B together.
NODES_ROUNDS=${NODES_ROUNDS:-5}
NODES_DURATION=${NODES_DURATION:-4}
for NODES_MODE in ${NODES_MODES:-worker request}; do
  NODES_NAME="Laravel cached route, $NODES_MODE mode, 1 CPU per node"
  redis-cli -p "$NODES_REDIS_PORT" flushall >/dev/null
  start_node 0 "$NODES_MODE" memory; M_PID=$NPID_LAST; M_URL=$NURL_LAST
  start_node 0 "$NODES_MODE" redis; A_PID=$NPID_LAST; A_URL=$NURL_LAST
  start_node 1 "$NODES_MODE" redis; B_PID=$NPID_LAST; B_URL=$NURL_LAST
  start_node 1 "$NODES_MODE" memory; C_PID=$NPID_LAST; C_URL=$NURL_LAST
  for u in "$M_URL" "$A_URL"; do wrk_on 0 "$u" /dev/null 2; done
  for u in "$B_URL" "$C_URL"; do wrk_on 1 "$u" /dev/null 2; done
  for r in $(seq "$NODES_ROUNDS"); do
    order="mem one two"; [ $((r % 2)) = 0 ] && order="two one mem"
    for setup in $order; do
      case $setup in
      mem)
        companion_on 1 "$NODES_DURATION"
        wrk_on 0 "$M_URL" "$TMP/nodes-mem-$r.txt" "$NODES_DURATION"
        wait "$NODES_COMPANION" ;;
      one)
        companion_on 1 "$NODES_DURATION"
        wrk_on 0 "$A_URL" "$TMP/nodes-one-$r.txt" "$NODES_DURATION"
        wait "$NODES_COMPANION" ;;
      two)
        wrk_on 0 "$A_URL" "$TMP/nodes-a-$r.txt" "$NODES_DURATION" & NODES_WA=$!
        wrk_on 1 "$B_URL" "$TMP/nodes-b-$r.txt" "$NODES_DURATION" & NODES_WB=$!
        wait "$NODES_WA" "$NODES_WB"
        # Sum of A and B, for choosing the best two-node round.
        awk '/^Requests\/sec/ {s += $2} END {print "Requests/sec: " s}' \
          "$TMP/nodes-a-$r.txt" "$TMP/nodes-b-$r.txt" >"$TMP/nodes-two-$r.txt" ;;
      esac
    done
  done
  record "$NODES_NAME" "1 node, memory store" "$(best "$TMP"/nodes-mem-*.txt)" "$M_PID"
  record "$NODES_NAME" "1 node, Redis store" "$(best "$TMP"/nodes-one-*.txt)" "$A_PID" "$NODES_REDIS_PID"
  NODES_BEST=$(best "$TMP"/nodes-two-*.txt); NODES_BEST=${NODES_BEST##*-}
  record "$NODES_NAME" "2 nodes, Redis store: node A" "$TMP/nodes-a-$NODES_BEST" "$A_PID"
  record "$NODES_NAME" "2 nodes, Redis store: node B" "$TMP/nodes-b-$NODES_BEST" "$B_PID"
  # Every round, and the per-node ratio of the medians beside the best
  # rounds' (bench.sh prints these notes under its tables).
  python3 - "$NODES_MODE" "$NODES_ROUNDS" "$TMP" >>"$TMP/nodes-notes.md" <<'PY'
import re, statistics, sys
mode, rounds, tmp = sys.argv[1], int(sys.argv[2]), sys.argv[3]
def rps(name):
    m = re.search(r"^Requests/sec:\s+([\d.]+)", open(f"{tmp}/nodes-{name}.txt").read(), re.M)
    return float(m.group(1)) if m else 0.0
mem = [rps(f"mem-{r}") for r in range(1, rounds + 1)]
one = [rps(f"one-{r}") for r in range(1, rounds + 1)]
two = [(rps(f"a-{r}") + rps(f"b-{r}")) / 2 for r in range(1, rounds + 1)]
f = lambda xs: ", ".join(f"{x:,.0f}" for x in xs)
# Within a round the setups run back to back, so a round's own ratio
# cancels what drifts slowly on a shared machine.
per_round = [t / o for t, o in zip(two, one) if o]
print(f"- {mode} mode, req/s per round (in run order): 1 node memory store {f(mem)}; 1 node Redis {f(one)}; "
      f"2 nodes Redis, per node {f(two)}. Per node, 2 nodes / 1 node: each round {', '.join(f'{x:.2f}' for x in per_round)}, "
      f"median of the rounds' ratios {statistics.median(per_round):.2f}x, ratio of the medians {statistics.median(two) / statistics.median(one):.2f}x, "
      f"of the best rounds {max(two) / max(one):.2f}x.")
PY
  rm -f "$TMP"/nodes-*.txt
  stop "$M_PID" "$A_PID" "$B_PID" "$C_PID"
done
stop "$NODES_REDIS_PID"
