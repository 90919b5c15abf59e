# shellcheck shell=bash
# Sourced by scripts/bench.sh (BENCH_ONLY=front runs only these rows): the
# HTTP front of issue 13 against nginx doing the same job.
#  - A 100 KB HTML page from PHP (bench/apps/front/page100k.php), gzip and
#    zstd: ephpm (compression on, default levels: gzip 1, zstd 1) vs nginx
#    (gzip on, gzip_comp_level = ephpm's default gzip level, text/html) +
#    php-fpm. nginx has no zstd, so ephpm's zstd row is compared with
#    nginx's gzip row.
#  - A static 1 MB file over HTTP/2 with TLS (one self-signed certificate
#    for both): ephpm [server.tls] vs nginx http2, loaded with h2load.
# Both stacks run at once and the loads alternate (ephpm, nginx, ephpm,
# nginx...) so that both see the same machine. Uses bench.sh's TMP, BIN,
# CPUS, CONNS, DUR, RESULTS, pids, free_port, wait_http, stack_pids, rss_of, stop.
# Adds rows to RESULTS and writes $TMP/front-notes.md (bytes, ratios).

FRONT_ROUNDS=${BENCH_FRONT_ROUNDS:-2}
# nginx compresses at ephpm's default gzip level, read from the source so
# that the two never drift apart.
FRONT_GZIP_LEVEL=$(awk '$1 == "defaultGzipLevel" && $2 == "=" {print $3}' internal/server/compress.go)
case "$FRONT_GZIP_LEVEL" in
  [1-9]) ;;
  *) echo "bench-front: cannot read defaultGzipLevel from internal/server/compress.go (got '$FRONT_GZIP_LEVEL')" >&2; exit 1 ;;
esac
FRONT_H2_REQUESTS=${BENCH_FRONT_H2_REQUESTS:-2000}
FRONT_ROOT="$TMP/front-www"
mkdir -p "$FRONT_ROOT"
cp bench/apps/front/page100k.php "$FRONT_ROOT/"
cp "$TMP/static-1mb.bin" "$FRONT_ROOT/static-1mb.bin"
: >"$TMP/front-notes.md"
: >"$TMP/front-cpu.tsv"

echo "== HTTP front: 100 KB HTML compressed, static 1 MB over HTTP/2 + TLS ($FRONT_ROUNDS interleaved rounds)"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost \
  -addext subjectAltName=DNS:localhost,IP:127.0.0.1 \
  -keyout "$TMP/front.key" -out "$TMP/front.crt" 2>/dev/null

# ephpm: plain HTTP for wrk, HTTPS (HTTP/2 by ALPN) on a listener of its own.
FE_PORT=$(free_port)
FE_TLS_PORT=$(free_port)
cat >"$TMP/ephpm-front.toml" <<CFG
[server]
listen = "127.0.0.1:$FE_PORT"
document_root = "$FRONT_ROOT"
[server.response]
compression = true
compression_level = 0
[server.tls]
cert_file = "$TMP/front.crt"
key_file = "$TMP/front.key"
listen = "127.0.0.1:$FE_TLS_PORT"
[php]
workers = 0
queue_size = 4096
mode = "request"
ini_overrides = [["opcache.enable", "1"], ["display_errors", "Off"]]
CFG
"$BIN" serve --config "$TMP/ephpm-front.toml" >"$TMP/ephpm-front.log" 2>&1 &
FE_PID=$!; pids+=($FE_PID)

# nginx + php-fpm: the same two listeners, gzip at ephpm's gzip level.
FN_PORT=$(free_port)
FN_TLS_PORT=$(free_port)
FN=$TMP/fpm-front
mkdir -p "$FN"
cat >"$FN/php-fpm.conf" <<CFG
[global]
error_log = $FN/error.log
daemonize = no
[www]
listen = $FN/fpm.sock
listen.mode = 0666
pm = static
pm.max_children = $CPUS
php_admin_value[opcache.enable] = 1
php_admin_value[display_errors] = Off
CFG
php-fpm8.2 --nodaemonize --fpm-config "$FN/php-fpm.conf" -R >"$FN/stdout.log" 2>&1 &
FF_PID=$!; pids+=($FF_PID)
cat >"$FN/nginx.conf" <<CFG
user root;
worker_processes $CPUS;
pid $FN/nginx.pid;
error_log $FN/nginx-error.log;
daemon off;
events { worker_connections 4096; }
http {
  include /etc/nginx/mime.types;
  access_log off;
  sendfile on;
  keepalive_requests 100000;
  gzip on;
  gzip_comp_level $FRONT_GZIP_LEVEL;  # text/html is always among gzip_types (naming it again warns)
  gzip_min_length 1024;
  gzip_vary on;
  client_body_temp_path $FN/body;
  fastcgi_temp_path $FN/fastcgi;
  proxy_temp_path $FN/proxy;
  uwsgi_temp_path $FN/uwsgi;
  scgi_temp_path $FN/scgi;
  ssl_certificate $TMP/front.crt;
  ssl_certificate_key $TMP/front.key;
  # nginx 1.22 offers TLS 1.3 only when told: without this line it spoke
  # TLS 1.2 (ECDHE-RSA-AES128-GCM-SHA256) to h2load and ephpm TLS 1.3.
  # The check after the curl probes fails the run when the two differ.
  ssl_protocols TLSv1.2 TLSv1.3;
  server {
    listen 127.0.0.1:$FN_PORT;
    listen 127.0.0.1:$FN_TLS_PORT ssl http2;
    root $FRONT_ROOT;
    location ~ \.php$ {
      include /etc/nginx/fastcgi_params;
      fastcgi_param SCRIPT_FILENAME \$document_root\$fastcgi_script_name;
      fastcgi_pass unix:$FN/fpm.sock;
    }
  }
}
CFG
for _ in $(seq 50); do [ -S "$FN/fpm.sock" ] && break; sleep 0.1; done
nginx -c "$FN/nginx.conf" -e "$FN/nginx-error.log" &
FN_PID=$!; pids+=($FN_PID)

wait_http "http://127.0.0.1:$FE_PORT/page100k.php"
wait_http "http://127.0.0.1:$FN_PORT/page100k.php"
for _ in $(seq 100); do # wait_http's curl would not take the self-signed certificate
  [ "$(curl -sk -o /dev/null -w '%{http_code}' "https://127.0.0.1:$FE_TLS_PORT/static-1mb.bin")" != 000 ] && break
  sleep 0.1
done
wait_http "http://127.0.0.1:$FN_PORT/static-1mb.bin"

# body_check URL CODING: "<bytes> <content-encoding>" of one response as
# sent (not decoded); fails the run when the coding is not the one asked
# for, so a row never measures an uncompressed peer by mistake.
body_check() {
  local got
  got=$(curl -sk -H "Accept-Encoding: $2" -o /dev/null -w '%{size_download} %header{content-encoding}' "$1")
  if [ "${got#* }" != "$2" ]; then
    echo "bench-front: $1 with Accept-Encoding: $2 came back as '${got#* }' ($got)" >&2
    return 1
  fi
  echo "$got"
}

# cpu_ticks PID...: utime+stime (clock ticks) of these processes and their
# children (nginx's workers, php-fpm's children), all threads included.
cpu_ticks() {
  local total=0 p
  for p in $(stack_pids "$@"); do
    [ -r "/proc/$p/stat" ] && total=$((total + $(awk '{print $14 + $15}' "/proc/$p/stat")))
  done
  echo "$total"
}

# front_wrk NAME STACK URL CODING PID...: one wrk load with Accept-Encoding.
# Also writes the stack's CPU time per response to $TMP/front-cpu.tsv: on a
# busy machine requests/s follow the load, CPU per response much less. And
# wrk's own CPU per response (bash's time): wrk shares the 2 CPUs, so what a
# stack's responses cost the client (nginx's chunked gzip against ephpm's
# Content-Length in one write) counts in its requests/s as well.
front_wrk() {
  local name=$1 stack=$2 url=$3 coding=$4; shift 4
  local out rps p50 p99 errs c0 c1 n wcpu TIMEFORMAT='%3U %3S'
  c0=$(cpu_ticks "$@")
  { time wrk -t2 -c"$CONNS" -d"${DUR}s" --latency -H "Accept-Encoding: $coding" "$url" >"$TMP/front-wrk.out"; } 2>"$TMP/front-wrk.time"
  out=$(<"$TMP/front-wrk.out")
  c1=$(cpu_ticks "$@")
  n=$(awk '/requests in/ {print $1}' <<<"$out")
  wcpu=$(awk -v n="${n:-0}" 'NF == 2 && n > 0 {printf "%d", ($1 + $2) * 1000000 / n}' "$TMP/front-wrk.time")
  [ "${n:-0}" -gt 0 ] && printf '%s\t%s\t%s\t%s\n' "$name" "${stack%, round*}" \
    "$(( (c1 - c0) * 1000000 / $(getconf CLK_TCK) / n ))" "${wcpu:-0}" >>"$TMP/front-cpu.tsv"
  rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1=="50%" {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  errs=$(awk '/Non-2xx|Socket errors/ {print}' <<<"$out" | tr '\n' ' ')
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$stack" "$rps" "$p50" "$p99" "$(rss_of "$@")" "$errs" >>"$RESULTS"
  printf '  %-28s %-34s %10s req/s  p50 %-9s p99 %-9s %s\n' "$name" "$stack" "$rps" "$p50" "$p99" "$errs"
}

# front_h2 NAME STACK URL PID...: h2load over TLS; records req/s, mean and
# max request time (h2load prints no percentiles) and fails on errors.
front_h2() {
  local name=$1 stack=$2 url=$3; shift 3
  local out rps mean max ok errs
  out=$(h2load -n "$FRONT_H2_REQUESTS" -c 4 -m 4 "$url")
  rps=$(awk '/^finished in/ {gsub(",", "", $4); print $4}' <<<"$out")
  mean=$(awk '/^time for request:/ {print $6}' <<<"$out")
  max=$(awk '/^time for request:/ {print $5}' <<<"$out")
  ok=$(awk '/^requests:/ {print $8}' <<<"$out")
  errs=""
  [ "$ok" = "$FRONT_H2_REQUESTS" ] || errs="only $ok of $FRONT_H2_REQUESTS succeeded"
  grep -q 'Application protocol: h2' <<<"$out" || errs="$errs not HTTP/2"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$stack" "$rps" "$mean" "$max" "$(rss_of "$@")" "$errs" >>"$RESULTS"
  printf '  %-28s %-34s %10s req/s  mean %-9s max %-9s %s\n' "$name" "$stack" "$rps" "$mean" "$max" "$errs"
}

E_PAGE="http://127.0.0.1:$FE_PORT/page100k.php"
N_PAGE="http://127.0.0.1:$FN_PORT/page100k.php"
E_H2="https://127.0.0.1:$FE_TLS_PORT/static-1mb.bin"
N_H2="https://127.0.0.1:$FN_TLS_PORT/static-1mb.bin"
EG=$(body_check "$E_PAGE" gzip)
EZ=$(body_check "$E_PAGE" zstd)
NG=$(body_check "$N_PAGE" gzip)
for u in "$E_H2" "$N_H2"; do
  v=$(curl -sk --http2 -o /dev/null -w '%{http_version} %{size_download}' "$u")
  [ "$v" = "2 1048576" ] || { echo "bench-front: $u gave '$v', want HTTP/2 and 1048576 bytes" >&2; exit 1; }
done
# tls_of URL: the TLS protocol and cipher h2load gets, "TLSv1.3 TLS_AES_128_GCM_SHA256".
tls_of() {
  local out
  out=$(h2load -n 1 -c 1 "$1" 2>&1)
  awk '/^TLS Protocol:/ {p = $3} /^Cipher:/ {c = $2} END {print p, c}' <<<"$out"
}
# The same protocol and cipher on both sides, or the row compares
# different work (record framing, AES key size).
FRONT_TLS=$(tls_of "$E_H2")
FRONT_TLS_NGINX=$(tls_of "$N_H2")
if [ "$FRONT_TLS" != "$FRONT_TLS_NGINX" ] || [ -z "${FRONT_TLS// /}" ]; then
  echo "bench-front: ephpm speaks '$FRONT_TLS', nginx '$FRONT_TLS_NGINX' to h2load: not the same TLS" >&2
  exit 1
fi
echo "  HTTP/2 + TLS: both $FRONT_TLS"
echo "  bytes per 100 KB response: ephpm gzip ${EG% *}, ephpm zstd ${EZ% *}, nginx gzip ${NG% *}"

FRONT_LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
# Warm up both (OPcache, TLS session, pools), then alternate.
for u in "$E_PAGE" "$N_PAGE"; do wrk -t2 -c"$CONNS" -d2s -H 'Accept-Encoding: gzip' "$u" >/dev/null 2>&1 || true; done
h2load -n 200 -c 4 -m 4 "$E_H2" >/dev/null 2>&1 || true
h2load -n 200 -c 4 -m 4 "$N_H2" >/dev/null 2>&1 || true
for r in $(seq "$FRONT_ROUNDS"); do
  front_wrk "100 KB HTML, gzip" "ephpm, round $r" "$E_PAGE" gzip "$FE_PID"
  front_wrk "100 KB HTML, gzip" "nginx + php-fpm, round $r" "$N_PAGE" gzip "$FN_PID" "$FF_PID"
  front_wrk "100 KB HTML, zstd" "ephpm, round $r" "$E_PAGE" zstd "$FE_PID"
  front_h2 "static 1 MB, HTTP/2 + TLS" "ephpm, round $r" "$E_H2" "$FE_PID"
  front_h2 "static 1 MB, HTTP/2 + TLS" "nginx, round $r" "$N_H2" "$FN_PID"
done
stop "$FE_PID" "$FN_PID" "$FF_PID"

# Ratios over the rounds' sums, with bytes per response.
python3 - "$RESULTS" "$EG" "$EZ" "$NG" "$FRONT_ROUNDS" "$FRONT_H2_REQUESTS" "$FRONT_LOAD" "$FRONT_GZIP_LEVEL" "$TMP/front-cpu.tsv" "$CPUS" "$FRONT_TLS" >"$TMP/front-notes.md" <<'PY'
import statistics
import sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
eg, ez, ng = (int(a.split()[0]) for a in sys.argv[2:5])
rounds, h2n, load, gzl = sys.argv[5], sys.argv[6], sys.argv[7], sys.argv[8]
ncpu = int(sys.argv[10])
tls = sys.argv[11]
def total(test, stack):
    return sum(float(r[2]) for r in rows if r[0] == test and r[1].startswith(stack + ", round"))
eg_r, ez_r = total("100 KB HTML, gzip", "ephpm"), total("100 KB HTML, zstd", "ephpm")
ng_r = total("100 KB HTML, gzip", "nginx + php-fpm")
eh, nh = total("static 1 MB, HTTP/2 + TLS", "ephpm"), total("static 1 MB, HTTP/2 + TLS", "nginx")
def verdict(ok): return "met" if ok else "missed"
print(f"HTTP front ({rounds} interleaved rounds, load average {load} before them; ratios of the rounds' sums). 100 KB HTML page from PHP "
      f"(bench/apps/front/page100k.php, 102,400 bytes), wrk with Accept-Encoding; nginx has gzip_comp_level {gzl} "
      "(ephpm's default gzip level) and no zstd, so ephpm's zstd row is set against nginx's gzip row. "
      f"Static 1 MB over HTTP/2 + TLS: h2load -n {h2n} -c 4 -m 4, {tls} on both sides (the p50/p99 columns of these rows are h2load's "
      "mean and max request time).\n")
print("| comparison | requests/s ratio | bytes per response | target | |")
print("|---|---|---|---|---|")
if ng_r:
    print(f"| 100 KB HTML, gzip: ephpm vs nginx + php-fpm | {eg_r/ng_r:.2f}x | {eg:,} vs {ng:,} | >= 1.5x, fewer bytes | {verdict(eg_r/ng_r >= 1.5 and eg < ng)} |")
    print(f"| 100 KB HTML: ephpm zstd vs nginx + php-fpm gzip | {ez_r/ng_r:.2f}x | {ez:,} vs {ng:,} | >= 1.5x, fewer bytes | {verdict(ez_r/ng_r >= 1.5 and ez < ng)} |")
if nh:
    print(f"| static 1 MB, HTTP/2 + TLS: ephpm vs nginx | {eh/nh:.2f}x | 1,048,576 (incompressible) | >= 0.9x | {verdict(eh/nh >= 0.9)} |")
cpu, wrk = {}, {}
for line in open(sys.argv[9]):
    test, stack, us, wus = line.rstrip("\n").split("\t")
    cpu.setdefault((test, stack), []).append(int(us))
    wrk.setdefault((test, stack), []).append(int(wus))
def med(d, test, stack):
    v = d.get((test, stack))
    return statistics.median(v) if v else None
G, Z, E, N = "100 KB HTML, gzip", "100 KB HTML, zstd", "ephpm", "nginx + php-fpm"
eg_c, ez_c, ng_c = med(cpu, G, E), med(cpu, Z, E), med(cpu, G, N)
eg_w, ez_w, ng_w = med(wrk, G, E), med(wrk, Z, E), med(wrk, G, N)
if eg_c and ez_c and ng_c:
    print(f"\nCPU per 100 KB response (utime+stime of the stack's processes over wrk's requests, median of the rounds): "
          f"ephpm gzip {eg_c:.0f} us, ephpm zstd {ez_c:.0f} us, nginx + php-fpm gzip {ng_c:.0f} us "
          f"(nginx / ephpm: gzip {ng_c/eg_c:.2f}x, zstd row {ng_c/ez_c:.2f}x); "
          f"wrk's own CPU per response: {eg_w:.0f}, {ez_w:.0f} and {ng_w:.0f} us. "
          f"Of the {ncpu} CPUs' time per response ({ncpu} s / requests/s), nginx + php-fpm's rows left "
          f"{max(0, ncpu * 1e6 / (ng_r / int(rounds)) - ng_c - ng_w):.0f} us that neither the stack nor wrk used (idle, or other processes), "
          f"ephpm's gzip rows {max(0, ncpu * 1e6 / (eg_r / int(rounds)) - eg_c - eg_w):.0f} us.")
PY
cat "$TMP/front-notes.md"
