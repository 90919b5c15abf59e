#!/usr/bin/env python3
# Server CPU time per request under redis-benchmark: a steadier figure than
# requests/s on a machine other jobs share. Runs redis-server and, for each
# given test binary of internal/resp (go test -c -o X ./internal/resp), its
# TestBenchServe (one event loop, a fresh store) on loopback ports, then
# interleaved rounds of `redis-benchmark -t <test> -n $N -c 50 -P <pipe>`,
# reading each server's utime+stime (/proc/<pid>/stat) and voluntary context
# switches (all threads) around each run, and the client's CPU (rusage).
# Prints per test and target: the median and range of req/s and of server
# CPU ns per request, the client's CPU ns per request, context switches per
# 1000 requests. A binary may carry environment settings: path:NAME=value.
# As scripts/bench-resp.sh does, every server is pinned to CPU $SERVER_CPU
# (default 0) and redis-benchmark to CPU $CLIENT_CPU (default 1) with
# taskset, so client and server never share a core (PIN=0: unpinned).
# A Go server on one allowed CPU runs with GOMAXPROCS=1 and one event loop.
# QUOTA=1: bench-resp.sh's "half" setup: each server in a cgroup of its own
# with a CPU quota of 10 ms per 20 ms (needs root and a cgroup cpu
# controller), so the client has CPU to spare and the server is the bound.
# SYSCALLS=1: also count each server's system calls per request (perf stat
# -e raw_syscalls:sys_enter -p PID around each run; the tracepoint costs a
# little CPU per call, on every target alike).
#
# A BIN not ending in .test is an ephpm binary: it runs `serve` with
# [kv.resp] on a loopback port (its default GOMAXPROCS and PHP thread, as
# in bench-resp.sh). The same binary given twice runs as two servers.
# usage: N=600000 python3 scripts/resp-cpu-per-request.py ROUNDS PIPE TESTS BIN [BIN...]
#   e.g. ... 4 16 set,get,incr,mset /tmp/old.test /tmp/new.test
import subprocess, sys, time, os, statistics, resource, itertools
rounds, pipe, tests = int(sys.argv[1]), sys.argv[2], sys.argv[3].split(',')
bins = sys.argv[4:]
N = int(os.environ.get('N', '1000000'))
pin = os.environ.get('PIN', '1') != '0' and (os.cpu_count() or 1) >= 2
srv_pin = ['taskset', '-c', os.environ.get('SERVER_CPU', '0')] if pin else []
cli_pin = ['taskset', '-c', os.environ.get('CLIENT_CPU', '1')] if pin else []
import socket
def free_port():
    with socket.socket() as sk:
        sk.bind(('127.0.0.1', 0))
        return sk.getsockname()[1]
base = free_port()
procs = {}
tmpdirs = []
env = dict(os.environ)
procs['redis'] = (subprocess.Popen(srv_pin + ['redis-server', '--port', str(base), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], stdout=subprocess.DEVNULL), base)
for spec in bins:
    p = free_port()
    b, *kv = spec.split(':')
    e = dict(env, RESP_BENCH_ADDR=f'127.0.0.1:{p}', RESP_BENCH_SECS='3000')
    for x in kv:
        e[x.split('=')[0]] = x.split('=')[1]
    if b.endswith('.test'):
        cmd = [b, '-test.run', 'TestBenchServe$']
    else:
        # An ephpm binary: `serve` with [kv.resp] on p, as bench-resp.sh
        # runs it (its own GOMAXPROCS, its PHP thread).
        import tempfile
        d = tempfile.mkdtemp(prefix='resp-cpu-')
        tmpdirs.append(d)
        os.mkdir(f'{d}/public')
        open(f'{d}/public/index.php', 'w').write('<?php echo "ok";')
        open(f'{d}/ephpm.toml', 'w').write(f'[server]\nlisten = "127.0.0.1:{free_port()}"\ndocument_root = "{d}/public"\n'
                                           f'[kv]\nmemory_limit = 0\n[kv.resp]\nlisten = "127.0.0.1:{p}"\n')
        cmd = [b, 'serve', '--config', f'{d}/ephpm.toml']
    name = os.path.basename(b) + ':'.join(['']+kv)
    while name in procs:
        name += "'"
    procs[name] = (subprocess.Popen(srv_pin + cmd, env=e, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL), p)
time.sleep(3)
cgroups = []
def quota_group(name, pid):
    # cgroup v2 or v1, as scripts/bench-resp.sh's cpu_cgroup.
    if os.path.exists('/sys/fs/cgroup/cgroup.controllers'):
        d = f'/sys/fs/cgroup/resp-cpu-{os.getpid()}-{name}'
        os.mkdir(d)
        open(f'{d}/cpu.max', 'w').write('10000 20000')
    else:
        d = f'/sys/fs/cgroup/cpu/resp-cpu-{os.getpid()}-{name}'
        os.mkdir(d)
        open(f'{d}/cpu.cfs_period_us', 'w').write('20000')
        open(f'{d}/cpu.cfs_quota_us', 'w').write('10000')
    cgroups.append(d)
    open(f'{d}/cgroup.procs', 'w').write(str(pid))
if os.environ.get('QUOTA') == '1':
    for i, (pr, _) in enumerate(procs.values()):
        quota_group(str(i), pr.pid)
syscalls = os.environ.get('SYSCALLS') == '1'
import glob
def csw(pid):
    n = 0
    for f in glob.glob(f'/proc/{pid}/task/*/status'):
        try:
            for l in open(f):
                if l.startswith('voluntary_ctxt_switches'): n += int(l.split()[1])
        except OSError: pass
    return n
def cpu(pid):
    f = open(f'/proc/{pid}/stat').read().rsplit(')', 1)[1].split()
    return (int(f[11]) + int(f[12])) * 10_000_000  # ns
res = {}
try:
    for r in range(rounds):
        for t in tests:
            order = list(procs)
            if r % 2: order.reverse()
            for name in order:
                pr, port = procs[name]
                c0 = cpu(pr.pid); w0 = csw(pr.pid)
                ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
                perf = ['perf', 'stat', '-x', ',', '-e', 'raw_syscalls:sys_enter', '-p', str(pr.pid), '--'] if syscalls else []
                out = subprocess.run(perf + cli_pin + ['redis-benchmark', '-p', str(port), '-t', t, '-n', str(N), '-c', '50', '-P', pipe, '--csv'], capture_output=True, text=True)
                sc = float('nan')
                if syscalls:
                    sc = [int(l.split(',')[0]) for l in out.stderr.splitlines() if 'raw_syscalls' in l][0] / N
                out = out.stdout
                ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
                c1 = cpu(pr.pid); w1 = csw(pr.pid)
                line = [l for l in out.splitlines() if not l.startswith('"test"')][0].replace('"', '').split(',')
                rps = float(line[1])
                cl = (ru1.ru_utime + ru1.ru_stime - ru0.ru_utime - ru0.ru_stime) * 1e9 / N
                res.setdefault((line[0], name), []).append((rps, (c1 - c0) / N, cl, (w1-w0)*1000/N, (ru1.ru_nvcsw-ru0.ru_nvcsw)*1000/N, sc))
        print(f'round {r+1} done, load {os.getloadavg()[0]:.2f}', file=sys.stderr)
finally:
    for pr, _ in procs.values():
        pr.terminate()
    for pr, _ in procs.values():
        pr.wait()
    for d in cgroups:
        os.rmdir(d)
    import shutil
    for d in tmpdirs:
        shutil.rmtree(d, ignore_errors=True)
for (t, name), v in sorted(res.items()):
    rps = [x[0] for x in v]; s = [x[1] for x in v]; c = [x[2] for x in v]
    print(f'{t:6} {name:22} rps med {statistics.median(rps):9,.0f} [{min(rps):9,.0f}..{max(rps):9,.0f}]  srv ns/req med {statistics.median(s):5.0f} [{min(s):4.0f}..{max(s):4.0f}]  cli ns/req {statistics.median(c):5.0f}  csw/1k srv {statistics.median([x[3] for x in v]):4.1f} cli {statistics.median([x[4] for x in v]):4.1f}'
          + (f'  syscalls/req {statistics.median([x[5] for x in v]):.3f} [{min(x[5] for x in v):.3f}..{max(x[5] for x in v):.3f}]' if syscalls else ''))
