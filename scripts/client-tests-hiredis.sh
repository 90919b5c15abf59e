#!/usr/bin/env bash
# hiredis's own test program (test.c of Debian's hiredis source package,
# the version of libhiredis on bookworm, 0.14.1, with Debian's patches),
# for tests/e2e's TestClientSuiteHiredis: a C Redis client's tests run
# against ephpm's RESP endpoint over TCP, the unix socket and an inherited
# descriptor. Downloaded once into .cache/hiredis-tests/src (the whole
# source: test.c is built with the library's own files); prints that
# directory. Fails (loudly) when the source cannot be had, so that the
# test is not silently skipped. Building it needs cc and make
# (build-essential).
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
dest="$repo/.cache/hiredis-tests"
if [ -f "$dest/src/test.c" ]; then
  echo "$dest/src"
  exit 0
fi
bash "$repo/scripts/ensure-deb-src.sh" hiredis >&2
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && apt-get source -qq hiredis >"$tmp/apt.log" 2>&1) || { cat "$tmp/apt.log" >&2; exit 1; }
# find's output is read whole before it is searched (pipefail: a reader
# that stops early would fail the script with SIGPIPE).
found="$(find "$tmp" -maxdepth 2 -name test.c -path '*/hiredis-*')"
suite="${found%%$'\n'*}"
[ -n "$suite" ] && [ -f "$suite" ] || { echo "client-tests-hiredis: no test.c in the hiredis source" >&2; exit 1; }
suite="$(dirname "$suite")"
[ -f "$suite/hiredis.c" ] || { echo "client-tests-hiredis: $suite has no hiredis.c" >&2; exit 1; }
mkdir -p "$dest"
rm -rf "$dest/src.new" && cp -r "$suite" "$dest/src.new" && mv "$dest/src.new" "$dest/src"
echo "$dest/src"
