#!/usr/bin/env bash
# redis-py's own test suite (tests/ of the redis-py release that Debian's
# python3-redis is, 4.3.4 on bookworm), for tests/e2e's
# TestClientSuiteRedisPy: a real Redis client's tests run against ephpm's
# RESP endpoint. Downloaded once into .cache/redispy-tests/tests; prints
# that directory. The source is the copy in testdata/redis-py-tests when
# its version is the installed client's, else Debian's python-redis source
# package (apt-get source), else the same release's tag on GitHub.
# Fails (loudly) when neither can be had, so that the test is not
# silently skipped. Running it needs python3-redis, python3-pytest,
# python3-pytest-asyncio and python3-hiredis (scripts/install-deps.sh).
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
dest="$repo/.cache/redispy-tests"
if [ -f "$dest/tests/conftest.py" ]; then
  echo "$dest/tests"
  exit 0
fi
# The suite must match the client it tests: the installed python3-redis.
ver="$(dpkg-query -W -f='${Version}' python3-redis 2>/dev/null || true)"
ver="${ver%%-*}"
[ -n "$ver" ] || { echo "client-tests-redispy: python3-redis is not installed (scripts/install-deps.sh)" >&2; exit 1; }
# The files the test runs, from the v4.3.4 tag, are kept in the repository
# (testdata/redis-py-tests, MIT, identical to upstream): this machine's
# Debian mirror serves python-redis's .dsc but 404s its tarballs, and
# GitHub does not resolve here, so a fresh CI machine may reach neither.
vendored="$repo/testdata/redis-py-tests"
if [ "$(cat "$vendored/VERSION" 2>/dev/null)" = "$ver" ]; then
  mkdir -p "$dest"
  rm -rf "$dest/tests.new" && cp -r "$vendored/tests" "$dest/tests.new" && mv "$dest/tests.new" "$dest/tests"
  echo "$ver" >"$dest/VERSION"
  echo "$dest/tests"
  exit 0
fi
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
if ! { bash "$repo/scripts/ensure-deb-src.sh" python-redis >&2 &&
  (cd "$tmp" && apt-get source -qq "python-redis=$ver-*" >"$tmp/apt.log" 2>&1 ||
    apt-get source -qq python-redis >"$tmp/apt.log" 2>&1); }; then
  cat "$tmp/apt.log" >&2 2>/dev/null || true
  echo "client-tests-redispy: apt-get source python-redis failed; trying GitHub's v$ver" >&2
  curl -fsSL --retry 3 "https://github.com/redis/redis-py/archive/refs/tags/v$ver.tar.gz" -o "$tmp/src.tar.gz"
  tar -xzf "$tmp/src.tar.gz" -C "$tmp"
fi
# find's output is read whole before it is searched (pipefail: a reader
# that stops early would fail the script with SIGPIPE).
found="$(find "$tmp" -path '*/tests/conftest.py' -not -path '*/test_asyncio/*' -not -path '*/.pc/*')"
suite="$(sort <<<"$found")"
suite="${suite%%$'\n'*}"
[ -n "$suite" ] && [ -f "$suite" ] || { echo "client-tests-redispy: no tests/conftest.py in the redis-py source" >&2; exit 1; }
suite="$(dirname "$suite")"
[ -f "$suite/test_commands.py" ] || { echo "client-tests-redispy: $suite has no test_commands.py" >&2; exit 1; }
mkdir -p "$dest"
rm -rf "$dest/tests.new" && cp -r "$suite" "$dest/tests.new" && mv "$dest/tests.new" "$dest/tests"
echo "$ver" >"$dest/VERSION"
echo "$dest/tests"
