#!/usr/bin/env bash
# threads.sh PID URL [SECS]: CPU per request of each thread of PID (and of its
# children's threads) under wrk -t2 -c32, busiest first, with the thread's name
# and context switches (voluntary+involuntary) per request.
set -euo pipefail
P="$1"; U=$2; S=${3:-5}; hz=$(getconf CLK_TCK)
snap() { for p in $P $(pgrep -P "$(echo $P | tr " " ,)" || true); do for t in /proc/$p/task/*; do
  [ -r $t/stat ] || continue
  echo "$p/${t##*/} $(awk '{print $14+$15}' $t/stat) $(awk '/ctxt_switches/ {s+=$2} END {print s}' $t/status) $(cat $t/comm)"; done; done; }
snap >/tmp/lreq-t0
out=$(wrk -t2 -c32 -d${S}s $U)
snap >/tmp/lreq-t1
reqs=$(awk '/requests in/ {print $1}' <<<"$out")
echo "# $reqs requests, $(awk '/^Requests\/sec/ {print $2}' <<<"$out") req/s, load $(cut -d' ' -f1 /proc/loadavg)"
join <(sort /tmp/lreq-t0) <(sort /tmp/lreq-t1) | awk -v r=$reqs -v hz=$hz '{d=($5-$2)*1e6/hz/r; c=($6-$3)/r; tot+=d; cs+=c; if (d>0||c>0.05) printf "%-14s %-16s %8.0f us/req %6.2f cs/req\n", $1, $4, d, c} END {printf "total %.0f us/req, %.1f cs/req\n", tot, cs}' | sort -k3 -nr
