#!/usr/bin/env bash
# Installs what a fresh Debian bookworm machine lacks to build and test
# ephpm: PHP's embed library and headers, the PHP extensions and Laravel the
# tests use, PHPUnit, and the Go modules. Safe to run again: it installs
# only what is missing. Needs root (or sudo) for apt-get.
set -euo pipefail

packages=(
  build-essential pkg-config curl ca-certificates
  libphp8.2-embed php8.2-dev php8.2-cli
  php8.2-mbstring php8.2-xml php8.2-sqlite3 php8.2-curl
  php-laravel-framework phpunit
  redis-server redis-tools php8.2-redis composer
  tcl  # tclsh8.6: Redis's own test suite (tests/e2e/redis_suite_test.go)
  python3-redis python3-pytest python3-pytest-asyncio python3-hiredis  # redis-py's own suite (tests/e2e/clientsuite_redispy_test.go)
)
if [ "${EPHPM_BENCH_DEPS:-0}" = 1 ]; then
  packages+=(php8.2-apcu nginx php8.2-fpm wrk hyperfine nghttp2-client)  # h2load: the HTTP/2 rows
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "install-deps: Debian packages present"
fi

if ! command -v go >/dev/null 2>&1; then
  if [ -x /usr/local/go/bin/go ]; then
    export PATH="/usr/local/go/bin:$PATH"
  else
    echo "install-deps: Go is not installed (need Go 1.26; see https://go.dev/doc/install)" >&2
    exit 1
  fi
fi
cd "$(dirname "$0")/.."
go mod download
echo "install-deps: done ($(go version), PHP $(php-config --version))"
