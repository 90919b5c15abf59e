#!/usr/bin/env bash
# Builds the thread-safe (ZTS) PHP 8.2 that `make release` links into one
# static-PHP ephpm binary: the embed SAPI as a static library (libphp.a),
# the extensions a Laravel app needs compiled in, and OPcache compiled in
# as well (PHP 8.2's build only makes it a shared .so; a small patch below
# changes that).
#
# The source is Debian's source package (`apt-get source php8.2`): php.net
# is not reachable from every machine we build on, Debian's mirror is.
# The result is cached under .cache/php-zts/<version>/ and reused: this
# script does nothing when the cache is complete. The install path is
# compiled into PHP, so the cache is only valid at the path it was built.
#
# Output: .cache/php-zts/current -> <version>/, holding prefix/ (headers,
# lib/libphp.a) and ephpm-cgo.env (CGO_CFLAGS / CGO_LDFLAGS for go build).
#
# Env: EPHPM_PHP_JOBS (make -j, default: CPUs), EPHPM_PHP_VERSION (a Debian
# source version to build instead of the newest one that downloads).
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
cache="${EPHPM_PHP_CACHE:-$repo/.cache/php-zts}"
jobs="${EPHPM_PHP_JOBS:-$(nproc)}"
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

say() { printf 'php-zts: %s\n' "$*"; }
elapsed() { echo "$(( $(date +%s) - start ))s"; }
start=$(date +%s)

# The stamp records the inputs of a build; a complete cache whose stamp
# matches is reused as it is.
recipe_version=5 # bump when configure flags or patches below change
if [ -L "$cache/current" ] && [ -f "$cache/current/stamp" ] &&
  grep -qx "recipe=$recipe_version" "$cache/current/stamp" &&
  [ -f "$cache/current/ephpm-cgo.env" ] && [ -f "$cache/current/prefix/lib/libphp.a" ]; then
  say "cached: $(grep '^version=' "$cache/current/stamp" | cut -d= -f2) in $cache/current (delete it to rebuild)"
  exit 0
fi

# --- build dependencies -------------------------------------------------
build_deps=(build-essential dpkg-dev autoconf bison re2c pkg-config
  libxml2-dev libsqlite3-dev libssl-dev zlib1g-dev libicu-dev liblzma-dev)
missing=()
for p in "${build_deps[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

# apt-get source needs deb-src entries; Debian images ship only deb ones.
src_list=/etc/apt/sources.list.d/ephpm-debian-src.sources
need_update=0
if ! apt-cache showsrc php8.2 2>/dev/null | grep -c '^Version:' >/dev/null; then
  say "adding Debian deb-src entries ($src_list)"
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
  need_update=1
fi
if [ "$need_update" = 1 ] || [ ${#missing[@]} -gt 0 ]; then
  say "apt-get update"
  $SUDO apt-get update -qq
fi
if [ ${#missing[@]} -gt 0 ]; then
  say "installing build dependencies: ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# --- source ---------------------------------------------------------------
# Newest first. A mirror can list a security update whose files are gone
# (404), so each version is tried in turn and the one built is printed.
mapfile -t versions < <(apt-cache showsrc php8.2 | awk '/^Version:/ {print $2}' | sort -rV | uniq)
if [ -n "${EPHPM_PHP_VERSION:-}" ]; then versions=("$EPHPM_PHP_VERSION"); fi
[ ${#versions[@]} -gt 0 ] || { say "no php8.2 source package known to apt"; exit 1; }

dl="$cache/downloads"
mkdir -p "$dl"
version=""
for v in "${versions[@]}"; do
  if ls "$dl/php8.2_${v#*:}.dsc" >/dev/null 2>&1; then version="$v"; break; fi
  say "downloading Debian source php8.2=$v"
  if (cd "$dl" && apt-get source --download-only -qq "php8.2=$v" >"$dl/apt-$v.log" 2>&1); then
    version="$v"
    break
  fi
  say "  php8.2=$v is not downloadable from this mirror ($(grep -m1 -iE 'err|404|fail' "$dl/apt-$v.log" || echo 'failed')); trying an older one"
done
[ -n "$version" ] || { say "no php8.2 source version could be downloaded"; exit 1; }
upstream="${version#*:}"
upstream="${upstream%%-*}"
say "building PHP $upstream (Debian source php8.2=$version) with ZTS, $jobs jobs"

dest="$cache/$upstream"
src="$dest/src"
prefix="$dest/prefix"
rm -rf "$dest"
mkdir -p "$dest"
# dpkg-source unpacks the upstream tarball and applies Debian's patches.
(cd "$dl" && dpkg-source --no-check -x "php8.2_${version#*:}.dsc" "$src" >/dev/null)

# --- patch: OPcache as part of the static library -------------------------
# PHP 8.2 forces OPcache to be a shared zend_extension. Built statically,
# three things must change: config.m4 must honour the static choice; the
# zend_extension entry gets a name of its own (the shared one's symbol,
# zend_extension_entry, is what dlopen looks up); and the PHP module half
# of OPcache must not be listed among the built-in modules, because
# OPcache's zend_extension startup registers it itself. Our SAPI registers
# the zend_extension entry at startup (sapi.c, EPHPM_STATIC_OPCACHE).
cd "$src"
sed -i -e 's/^\(\s*\)ext_shared=yes/\1: # ephpm: static allowed/' \
  -e 's/^\(\s*\)shared,,"/\1$ext_shared,,"/' \
  ext/opcache/config.m4
grep -q '^\s*\$ext_shared,,"' ext/opcache/config.m4 ||
  { say "patch failed: ext/opcache/config.m4 changed upstream"; exit 1; }
sed -i -e 's/^ZEND_EXTENSION();$/\/* ephpm: static build, no version info symbol *\//' \
  -e 's/^ZEND_EXT_API zend_extension zend_extension_entry = {/zend_extension ephpm_opcache_zend_extension = {/' \
  ext/opcache/ZendAccelerator.c
grep -q '^zend_extension ephpm_opcache_zend_extension = {' ext/opcache/ZendAccelerator.c ||
  { say "patch failed: ext/opcache/ZendAccelerator.c changed upstream"; exit 1; }
# OPcache enables itself only for SAPI names on its list: add ours.
sed -i 's/^\(\s*\)"fpm-fcgi",$/\1"fpm-fcgi",\n\1"ephpm",/' ext/opcache/ZendAccelerator.c
grep -q '^\s*"ephpm",$' ext/opcache/ZendAccelerator.c ||
  { say "patch failed: accel_find_sapi changed upstream"; exit 1; }

say "buildconf ($(elapsed))"
./buildconf --force >"$dest/buildconf.log" 2>&1

say "configure ($(elapsed))"
# --disable-zend-signals: Go owns process signals; ephpm enforces
# max_execution_time from Go (sapi.c), so PHP needs no SIGPROF handler.
# --disable-mbregex: mbstring without oniguruma (Laravel needs no mb_ereg).
# phar: `ephpm php composer.phar` and other .phar tools; iconv (glibc's) and
# MySQL through mysqlnd (no client library needed) and intl (ICU, already linked
# for libxml2) for a typical Laravel app.
CFLAGS="-O2 -g0 -fPIC" CXXFLAGS="-O2 -g0 -fPIC" ./configure \
  --prefix="$prefix" \
  --with-config-file-path="$prefix/etc" \
  --enable-embed=static --enable-zts --disable-zend-signals \
  --disable-all --disable-cli --disable-cgi --disable-phpdbg \
  --enable-opcache --enable-ctype --enable-dom --enable-fileinfo --enable-filter \
  --enable-mbstring --disable-mbregex --with-openssl --enable-pdo --with-pdo-sqlite \
  --with-sqlite3 --enable-session --enable-tokenizer --enable-xml --enable-simplexml \
  --enable-xmlreader --enable-xmlwriter --with-libxml --with-zlib --enable-bcmath \
  --enable-posix --enable-phar --with-iconv --enable-mysqlnd --with-pdo-mysql=mysqlnd \
  --with-mysqli=mysqlnd --enable-intl \
  >"$dest/configure.log" 2>&1 || { tail -30 "$dest/configure.log"; exit 1; }

# configure wrote the list of built-in modules (main/internal_functions.c);
# OPcache's module half is registered by its zend_extension, so not here.
grep -q 'phpext_opcache_ptr' main/internal_functions.c ||
  { say "patch failed: opcache not found in main/internal_functions.c"; exit 1; }
sed -i '/phpext_opcache_ptr/d' main/internal_functions.c

say "make -j$jobs (about 4 minutes on 2 cores; log: $dest/make.log)"
make -j"$jobs" >"$dest/make.log" 2>&1 &
make_pid=$!
while kill -0 "$make_pid" 2>/dev/null; do
  sleep 20
  kill -0 "$make_pid" 2>/dev/null || break
  say "  ... $(grep -c -- '--mode=compile' "$dest/make.log" || true) of about 440 files compiled ($(elapsed))"
done
wait "$make_pid" || { tail -40 "$dest/make.log"; say "make failed"; exit 1; }

say "make install ($(elapsed))"
make install >"$dest/install.log" 2>&1 || { tail -30 "$dest/install.log"; exit 1; }
[ -f "$prefix/lib/libphp.a" ] || { say "no libphp.a was installed"; exit 1; }
nm "$prefix/lib/libphp.a" 2>/dev/null | grep -c ' [TDR] ephpm_opcache_zend_extension$' >/dev/null ||
  { say "OPcache is not in libphp.a"; exit 1; }

# --- cgo flags --------------------------------------------------------------
# libphp.a itself, then its dependencies. Those that have a static archive
# on this machine are linked in too, so the binary needs only libraries
# every Linux system has (libc, libm, libstdc++): no libphp, no libxml2.
php_config="$prefix/bin/php-config"
includes="$("$php_config" --includes)"
extra_libs="$("$php_config" --libs)"
static_libs=""
dynamic_libs=""
# ICU is C++; the rest is what libphp itself needs on any Linux system.
for flag in $extra_libs $(pkg-config --static --libs-only-l libxml-2.0 icu-uc 2>/dev/null) -lstdc++ -lm -ldl -lresolv -lpthread; do
  case "$flag" in
  -l*)
    name="${flag#-l}"
    case " $static_libs $dynamic_libs " in *" $flag "*) continue ;; esac
    case "$name" in
    m | c | dl | rt | pthread | resolv | stdc++ | gcc_s) dynamic_libs+=" $flag" ;;
    *)
      if [ -f "/usr/lib/$(gcc -dumpmachine)/lib$name.a" ]; then static_libs+=" $flag"; else dynamic_libs+=" $flag"; fi
      ;;
    esac
    ;;
  esac
done
cat >"$dest/ephpm-cgo.env" <<EOF
# Written by scripts/build-php-zts.sh: flags to link ephpm against this PHP.
CGO_CFLAGS="$includes -DEPHPM_STATIC_OPCACHE=1"
CGO_LDFLAGS="$prefix/lib/libphp.a -Wl,-Bstatic$static_libs -Wl,-Bdynamic$dynamic_libs"
EPHPM_PHP_PREFIX="$prefix"
EOF
printf 'recipe=%s\nversion=%s\ndebian=%s\nbuilt=%s\n' "$recipe_version" "$upstream" "$version" "$(date -u +%FT%TZ)" >"$dest/stamp"
ln -sfn "$upstream" "$cache/current"
# The source tree is not needed once installed (about 300 MB).
rm -rf "$src"
say "done: PHP $upstream ZTS in $prefix ($(elapsed))"
