#!/usr/bin/env bash
# Proves the release binary needs no PHP on the machine: it runs inside a
# chroot holding only the binary, the C libraries ldd lists, and a PHP page.
# Needs root (chroot). Usage: scripts/check-standalone.sh bin/ephpm-static
set -euo pipefail
bin="$(readlink -f "${1:-bin/ephpm-static}")"
root="$(mktemp -d)"
trap 'kill "${pid:-0}" 2>/dev/null || true; rm -rf "$root"' EXIT
mkdir -p "$root/app/public" "$root/tmp" "$root/dev"
chmod 1777 "$root/tmp"
cp "$bin" "$root/ephpm"
# Only what the dynamic loader needs: libc and friends.
for lib in $(ldd "$bin" | grep -o '/[^ ]*'); do
  mkdir -p "$root$(dirname "$lib")"
  cp -L "$lib" "$root$lib"
done
for d in null zero urandom; do cp -a "/dev/$d" "$root/dev/" 2>/dev/null || true; done
cat >"$root/app/public/index.php" <<'PHP'
<?php
$s = function_exists('opcache_get_status') ? opcache_get_status(false) : false;
echo json_encode(['php' => PHP_VERSION, 'zts' => PHP_ZTS, 'sapi' => PHP_SAPI,
    'opcache' => $s ? $s['opcache_enabled'] : false,
    'kv' => ephpm_kv_set('k', 'v') && ephpm_kv_get('k') === 'v',
    'mb' => mb_strtoupper('é') === 'É', 'dom' => class_exists('DOMDocument'),
    'pdo_sqlite' => in_array('sqlite', PDO::getAvailableDrivers(), true)]);
PHP
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
if find "$root" -name 'libphp*' | grep -c . >/dev/null; then echo "check-standalone: libphp in the chroot"; exit 1; fi
SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
$SUDO chroot "$root" /ephpm serve --document-root /app/public --listen "127.0.0.1:$port" >"$root/log" 2>&1 &
pid=$!
for _ in $(seq 50); do
  if out=$(curl -sf "http://127.0.0.1:$port/index.php"); then break; fi
  sleep 0.1
done
echo "check-standalone: $out"
for want in '"zts":1' '"opcache":true' '"kv":true' '"mb":true' '"dom":true' '"pdo_sqlite":true'; do
  case "$out" in *"$want"*) ;; *) echo "check-standalone: missing $want"; cat "$root/log"; exit 1 ;; esac
done
echo "check-standalone: $bin serves PHP in a chroot with no PHP installed (only: $(ldd "$bin" | awk '{print $1}' | tr '\n' ' '))"

# The same binary is the machine's php: `ephpm php` in the chroot, with
# what artisan and composer.phar need.
cli=$($SUDO chroot "$root" /ephpm php -r 'echo json_encode(["sapi" => PHP_SAPI, "phar" => extension_loaded("phar"),
    "mysql" => in_array("mysql", PDO::getAvailableDrivers(), true), "iconv" => function_exists("iconv"),
    "intl" => class_exists("Normalizer") && Normalizer::normalize("e\u{301}") === "\u{e9}",
    "kv" => ephpm_kv_set("k", "v") && ephpm_kv_get("k") === "v"]);' 2>"$root/cli.err") || true
echo "check-standalone: ephpm php: $cli"
for want in '"sapi":"cli"' '"phar":true' '"mysql":true' '"iconv":true' '"intl":true' '"kv":true'; do
  case "$cli" in *"$want"*) ;; *) echo "check-standalone: ephpm php: missing $want"; cat "$root/cli.err"; exit 1 ;; esac
done
