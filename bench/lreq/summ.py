#!/usr/bin/env python3
"""Summarise ab.sh output: per stack medians [range] of req/s and CPU us/req,
and paired per-round ratios of each stack against REF (default fpm)."""
import sys, statistics as st, collections
ref = sys.argv[1] if len(sys.argv) > 1 else "fpm"
rows = collections.defaultdict(dict)
for line in sys.stdin:
    f = line.rstrip("\n").split("\t")
    if len(f) < 5 or not f[0].isdigit():
        continue
    p99 = float(f[6].split()[0]) if len(f) > 6 and f[6].strip() else 0.0
    rows[int(f[0])][f[1]] = (float(f[2]), float(f[3]), float(f[4]), p99)
stacks = []
for r in rows.values():
    for s in r:
        if s not in stacks:
            stacks.append(s)
def mr(v):
    return "%.3g [%.3g-%.3g]" % (st.median(v), min(v), max(v))
for s in stacks:
    v = [r[s] for r in rows.values() if s in r]
    line = "%-12s rps %s  cpu %s  cs %s  p99 %s" % (s, mr([x[0] for x in v]), mr([x[1] for x in v]), mr([x[2] for x in v]), mr([x[3] for x in v]))
    if s != ref:
        pr = [(r[s][0] / r[ref][0], r[s][1] / r[ref][1]) for r in rows.values() if s in r and ref in r]
        if pr:
            line += "   vs %s: rps x%s  cpu x%s" % (ref, mr([p[0] for p in pr]), mr([p[1] for p in pr]))
    print(line)
