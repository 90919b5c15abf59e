#!/usr/bin/env python3
"""seq.py SECONDS URL...: one keep-alive client, requests one after another,
URLs taken in turn in blocks of 0.5 s for SECONDS each (interleaved at a fine
grain so load bursts hit all alike); prints min, p10, p25, p50 latency in ms per URL."""
import sys, time, http.client, urllib.parse
secs = float(sys.argv[1]); urls = sys.argv[2:]
conns, lat = [], [[] for _ in urls]
for u in urls:
    p = urllib.parse.urlsplit(u)
    conns.append((http.client.HTTPConnection(p.hostname, p.port), p.path))
spent = [0.0] * len(urls)
while min(spent) < secs:
    for i, (c, path) in enumerate(conns):
        t_end = time.perf_counter() + 0.5
        while time.perf_counter() < t_end:
            t0 = time.perf_counter()
            c.request("GET", path); r = c.getresponse(); r.read()
            if r.status != 200: sys.exit("status %d from %s" % (r.status, urls[i]))
            lat[i].append(time.perf_counter() - t0)
        spent[i] += 0.5
for u, l in zip(urls, lat):
    l.sort(); n = len(l)
    q = lambda f: l[int(f * (n - 1))] * 1000
    print("%-40s n=%5d min %.3f p10 %.3f p25 %.3f p50 %.3f" % (u, n, q(0), q(.1), q(.25), q(.5)))
