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
if apt-cache showsrc "$pkg" 2>/dev/null | grep -q '^Version:'; then
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
apt-cache showsrc "$pkg" 2>/dev/null | grep -q '^Version:' || { echo "ensure-deb-src: $pkg still has no source package" >&2; exit 1; }
