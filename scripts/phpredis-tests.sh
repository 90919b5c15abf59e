#!/usr/bin/env bash
# phpredis's own test suite (tests/ of Debian's php-redis source package, the
# version of the installed php8.2-redis), for tests/e2e's
# TestConformPhpredisSuite: a real Redis client's tests run against
# ephpm's RESP endpoint. Downloaded once into .cache/phpredis/tests; prints
# that directory. Fails (loudly) when the source cannot be had, so that the
# test is not silently skipped.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
dest="$repo/.cache/phpredis"
if [ -f "$dest/tests/RedisTest.php" ]; then
  echo "$dest/tests"
  exit 0
fi
bash "$repo/scripts/ensure-deb-src.sh" php-redis >&2
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && apt-get source -qq php-redis >"$tmp/apt.log" 2>&1) || { cat "$tmp/apt.log" >&2; exit 1; }
# The source package holds more than one phpredis (e.g. redis-5.3.7 and
# redis-4.3.0): the newest one's tests, the version php8.2-redis is built from.
suite="$(find "$tmp" -path '*/tests/RedisTest.php' | sort -V | tail -n 1)"
suite="$(dirname "$suite")"
[ -f "$suite/RedisTest.php" ] || { echo "phpredis-tests: no tests/RedisTest.php in the php-redis source" >&2; exit 1; }
mkdir -p "$dest"
rm -rf "$dest/tests.new" && cp -r "$suite" "$dest/tests.new" && mv "$dest/tests.new" "$dest/tests"
echo "$dest/tests"
