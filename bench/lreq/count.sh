#!/usr/bin/env bash
# count.sh "ENV..." [BIN] [WORKERS]: events per request of one ephpm (Laravel
# cached route, request mode) under wrk -t2 -c32: sysmon's nanosleeps, futex,
# context switches, and Go runtime uprobes (probe_ephpm:lreq_*, added with
# perf probe -x BIN beforehand). CONNS, SECS.
set -euo pipefail
cd "$(dirname "$0")/../.."
ENVS=${1:-}; BIN=${2:-bin/ephpm-static}; WORKERS=${3:-0}; CONNS=${CONNS:-32}; SECS=${SECS:-5}
URLPATH=${URLPATH:-/bench/cached}; DOCROOT=${DOCROOT:-$PWD/testdata/laravel-app/public}
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cfg=$(mktemp /tmp/lreq-count.XXXXXX.toml)
cat >$cfg <<CFG
[server]
listen = "127.0.0.1:$port"
document_root = "$DOCROOT"
[php]
workers = $WORKERS
queue_size = 4096
mode = "request"
ini_overrides = [["opcache.enable", "1"], ["display_errors", "Off"]]
CFG
env CACHE_DRIVER=ephpm SESSION_DRIVER=cache $ENVS $BIN serve --config $cfg >/tmp/lreq-count.log 2>&1 &
P=$!; trap 'kill $P 2>/dev/null; rm -f $cfg' EXIT
for _ in $(seq 100); do curl -s -o /dev/null http://127.0.0.1:$port/ && break; sleep 0.1; done
U=http://127.0.0.1:$port$URLPATH
wrk -t2 -c$CONNS -d2s $U >/dev/null
probes=$(perf probe -l 2>/dev/null | awk '/lreq_/ {print $1}' | paste -sd,)
wrk -t2 -c$CONNS -d$((SECS+2))s $U >/tmp/lreq-count.wrk &
W=$!; sleep 1
out=$(perf stat -x, -e "syscalls:sys_enter_nanosleep,syscalls:sys_enter_futex,sched:sched_switch${probes:+,$probes}" -p $P -- sleep $SECS 2>&1)
wait $W
rps=$(awk '/^Requests\/sec/ {print $2}' /tmp/lreq-count.wrk)
reqs=$(echo "$rps*$SECS" | bc -l)
echo "# [$ENVS] $rps req/s, load $(cut -d' ' -f1 /proc/loadavg)"
echo "$out" | awk -F, -v r=$reqs '$1 ~ /^[0-9]+$/ {printf "  %-40s %8.2f /req\n", $3, $1/r}'
