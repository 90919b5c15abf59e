#!/usr/bin/env bash
# Makes `apt-get source` work: Debian images ship only deb entries, so this
# adds the deb-src ones (bookworm, its updates and security) once and runs
# apt-get update. Used by build-php-zts.sh (php8.2's source) and
# phpredis-tests.sh (phpredis's own test suite). Idempotent; needs root or
# sudo only when it has to add the entries. $1: a source package that must
# then be known to apt (default php8.2).
set -euo pipefail
pkg="${1:-php8.2}"
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
# known: whether apt has a source package of that name. The output is read
# whole before it is searched: `apt-cache showsrc | grep -q` under pipefail
# fails whenever grep stops reading before apt-cache has written everything
# (SIGPIPE, status 141), which php8.2's 9 KB of records always did on a
# machine that had the entries: CI's fresh machine then refused to build.
known() {
  local out
  out="$(apt-cache showsrc "$1" 2>/dev/null || true)"
  grep -q '^Version:' <<<"$out"
}
if known "$pkg"; then
  exit 0
fi
src_list=/etc/apt/sources.list.d/ephpm-debian-src.sources
echo "ensure-deb-src: adding Debian deb-src entries ($src_list)"
$SUDO tee "$src_list" >/dev/null <<'EOF'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb-src
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
$SUDO apt-get update -qq
known "$pkg" || { echo "ensure-deb-src: $pkg still has no source package" >&2; exit 1; }
