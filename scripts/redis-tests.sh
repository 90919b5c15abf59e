#!/usr/bin/env bash
# Redis's own test suite (tests/ of Debian's redis source package, the
# version of the installed redis-server, 7.0), for tests/e2e's
# TestRedisOwnSuite: Redis's unit tests run in external-server mode
# against ephpm's RESP endpoint. Downloaded once into
# .cache/redis-tests/tests; prints that directory. Fails (loudly) when the
# source cannot be had, so that the test is not silently skipped. Running
# it needs tclsh 8.6 (Debian's tcl package).
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
dest="$repo/.cache/redis-tests"
if [ -f "$dest/tests/test_helper.tcl" ]; then
  echo "$dest/tests"
  exit 0
fi
bash "$repo/scripts/ensure-deb-src.sh" redis >&2
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && apt-get source -qq redis >"$tmp/apt.log" 2>&1) || { cat "$tmp/apt.log" >&2; exit 1; }
# find's output is read whole before it is searched (pipefail: a reader
# that stops early would fail the script with SIGPIPE).
found="$(find "$tmp" -path '*/tests/test_helper.tcl')"
suite="$(sort -V <<<"$found" | tail -n 1)"
[ -n "$suite" ] && [ -f "$suite" ] || { echo "redis-tests: no tests/test_helper.tcl in the redis source" >&2; exit 1; }
suite="$(dirname "$suite")"
mkdir -p "$dest"
rm -rf "$dest/tests.new" && cp -r "$suite" "$dest/tests.new" && mv "$dest/tests.new" "$dest/tests"
echo "$dest/tests"
