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
# The build is profile-guided and link-time optimised by default (together
# 4-6% less CPU per Laravel request than plain -O2, README
# "Performance"; EPHPM_PHP_PGO=0 and EPHPM_PHP_LTO=0 turn each off for a
# quicker build). PGO: PHP is compiled twice. The first build is
# instrumented (-fprofile-generate); its CLI (built from the same objects,
# used only here, never shipped) runs a short training on representative
# PHP (scripts/build-php-zts-train.sh: the Laravel test app and a hello
# world served by PHP's built-in web server with OPcache on, and
# Zend/bench.php); the second build uses the profile (-fprofile-use). A
# training that fails stops the build: no half-trained PHP is installed.
# LTO: see below.
#
# Output: .cache/php-zts/current -> <version>-r<recipe>/, holding prefix/
# (headers, lib/libphp.a) and ephpm-cgo.env (CGO_CFLAGS / CGO_LDFLAGS for
# go build). `current` moves to a new build only once that build is
# complete, so binaries linked against the previous one meanwhile still
# build; older directories are left for the user to delete.
#
# Env: EPHPM_PHP_JOBS (make -j, default: CPUs), EPHPM_PHP_VERSION (a Debian
# source version to build instead of the newest one that downloads),
# EPHPM_PHP_CACHE (cache root instead of .cache/php-zts), EPHPM_PHP_PGO=0
# (no profile-guided build: half the compile time; the build's directory
# is <version>-r<recipe>[-pgo][-lto]/ after what it has), EPHPM_PHP_LTO=0
# (no link-time optimisation),
# EPHPM_PHP_KEEP_CURRENT=1 (build, but leave `current` where it is: a
# later run without it only switches).
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
recipe_version=9 # bump when configure flags, patches or the training change
pgo="${EPHPM_PHP_PGO:-1}"
case "$pgo" in 0 | 1) ;; *) say "EPHPM_PHP_PGO must be 0 or 1"; exit 1 ;; esac
lto="${EPHPM_PHP_LTO:-1}"
case "$lto" in 0 | 1) ;; *) say "EPHPM_PHP_LTO must be 0 or 1"; exit 1 ;; esac
recipe="$recipe_version"
[ "$pgo" = 0 ] || recipe="$recipe-pgo"
[ "$lto" = 0 ] || recipe="$recipe-lto"
complete() { # dir: a finished build of this recipe?
  [ -f "$1/stamp" ] && grep -qx "recipe=$recipe" "$1/stamp" &&
    [ -f "$1/ephpm-cgo.env" ] && [ -f "$1/prefix/lib/libphp.a" ]
}
switch_current() { # dir name: point current at it in one rename
  ln -sfn "$1" "$cache/current.new"
  mv -T "$cache/current.new" "$cache/current"
}
if [ -L "$cache/current" ] && complete "$cache/current"; then
  say "cached: $(readlink "$cache/current") in $cache/current (delete it to rebuild)"
  exit 0
fi
# One build at a time per cache: a second `make release` waits here, then
# finds the first one's build complete.
mkdir -p "$cache"
exec 9>"$cache/.lock"
if ! flock -n 9; then
  say "another build is running in $cache; waiting for it"
  flock 9
fi

# --- build dependencies -------------------------------------------------
build_deps=(build-essential dpkg-dev autoconf bison re2c pkg-config
  libxml2-dev libsqlite3-dev libssl-dev zlib1g-dev libicu-dev liblzma-dev)
# The PGO training runs the Laravel test app, which uses Debian's Laravel.
[ "$pgo" = 1 ] && build_deps+=(php-laravel-framework)
missing=()
for p in "${build_deps[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

# apt-get source needs deb-src entries; Debian images ship only deb ones.
bash "$repo/scripts/ensure-deb-src.sh" php8.2
if [ ${#missing[@]} -gt 0 ]; then
  say "apt-get update"
  $SUDO apt-get update -qq
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
build_name="$upstream-r$recipe"
dest="$cache/$build_name"
if complete "$dest"; then
  if [ "${EPHPM_PHP_KEEP_CURRENT:-0}" = 1 ]; then
    say "built already: $dest (current left as it is)"
  else
    switch_current "$build_name"
    say "built already: $dest; current -> $build_name"
  fi
  exit 0
fi
say "building PHP $upstream (Debian source php8.2=$version) with ZTS, PGO=$pgo, LTO=$lto, $jobs jobs, into $dest"

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

# --- patch: no SIGPROF handler for a timeout that is not armed ---------------
# Every request start calls zend_set_timeout(0, reset_signals=1), which
# installs PHP's SIGPROF handler and unblocks SIGPROF (two system calls)
# even when no timer is armed. ephpm never arms PHP's timer (Go enforces
# max_execution_time, sapi.c) and puts Go's handler back after each start:
# with a zero timeout nothing is installed, so there is nothing to undo.
# A nonzero timeout still installs the handler, as before.
perl -0pi -e 's/(signo = SIGPROF;\n# endif\n\n\t\tif \(reset_signals)\) \{/$1 \&\& seconds) { \/* ephpm: no handler without a timer *\//' \
  Zend/zend_execute_API.c
grep -q 'if (reset_signals && seconds) { /\* ephpm: no handler without a timer \*/' Zend/zend_execute_API.c ||
  { say "patch failed: zend_set_timeout_ex (Zend/zend_execute_API.c) changed upstream"; exit 1; }

# --- patch: no OPcache usage lock in one process ----------------------------
# OPcache marks "this process uses the shared memory" with a POSIX record
# lock (fcntl F_SETLK, F_RDLCK on byte 1 of its lock file) at the first
# compile of each request and drops it at request end: two system calls
# per request. The lock exists for php-fpm's many processes, so a restart
# of the cache (opcache_reset(), out of memory) waits for the others to
# finish. ephpm is one process: the lock file is private to it (mkstemp,
# unlinked, close-on-exec), record locks never conflict within a process,
# so OPcache's own check (accel_is_inactive, F_GETLK) never saw its
# threads' locks anyway and nothing changes without them. The restart
# lock and the write lock for adding scripts stay as they are.
perl -0pi -e 's/(\nstatic inline zend_result accel_activate_add\(void\)\n\{\n)/$1#ifndef ZEND_WIN32\n\treturn SUCCESS; \/* ephpm: one process, no usage lock *\/\n#endif\n/; s/(\nstatic inline void accel_deactivate_sub\(void\)\n\{\n)/$1#ifndef ZEND_WIN32\n\treturn; \/* ephpm: one process, no usage lock *\/\n#endif\n/; s/(\nstatic inline void accel_unlock_all\(void\)\n\{\n)/$1#ifndef ZEND_WIN32\n\treturn; \/* ephpm: one process, no usage lock *\/\n#endif\n/' \
  ext/opcache/ZendAccelerator.c
[ "$(grep -c 'ephpm: one process, no usage lock' ext/opcache/ZendAccelerator.c)" = 3 ] ||
  { say "patch failed: accel_activate_add / accel_deactivate_sub / accel_unlock_all (ext/opcache/ZendAccelerator.c) changed upstream"; exit 1; }

# --- patch: zend_dtoa's free list per thread, without a lock ----------------
# The float <-> string conversions (zend_dtoa, zend_strtod: every float
# echoed, number_format(), round(), printf's %f, json_encode of a float)
# take their big-number buffers from one free list that a thread-safe
# build guards with one process-wide mutex, taken at every Balloc and
# Bfree, dozens of times per conversion. Two PHP threads formatting
# floats at once fight over it: on a 20 KB page of 270 number_format()
# calls, pthread_mutex_lock/unlock and the futex waits and wake-ups were
# about 12% of the server's CPU, where php-fpm's processes have no lock.
# A free list per thread (ZEND_TLS, as the non-thread-safe build's
# dtoa_result already is) needs no lock. Its blocks are plain malloc()
# memory and each conversion frees what it took on the thread that took
# it, so nothing changes but the lock; the pow5mult cache (lock 1, taken
# only while that shared cache grows) keeps its mutex.
perl -0pi -e 's/\n static Bigint \*freelist\[Kmax\+1\];\n/\n ZEND_TLS Bigint *freelist[Kmax+1]; \/* ephpm: per thread, no lock *\/\n/' \
  Zend/zend_strtod.c
perl -0pi -e 's/\tif \(0 == x\) \{ \\\n\t\ttsrm_mutex_lock\(dtoa_mutex\); \\\n/\tif (0 == x) { \/* ephpm: the free list is per thread *\/ \\\n/; s/\tif \(0 == x\) \{ \\\n\t\ttsrm_mutex_unlock\(dtoa_mutex\); \\\n/\tif (0 == x) { \/* ephpm: the free list is per thread *\/ \\\n/' \
  Zend/zend_strtod_int.h
grep -q 'ZEND_TLS Bigint \*freelist\[Kmax+1\]; /\* ephpm: per thread, no lock \*/' Zend/zend_strtod.c &&
  [ "$(grep -c 'ephpm: the free list is per thread' Zend/zend_strtod_int.h)" = 2 ] &&
  ! grep -q 'tsrm_mutex_lock(dtoa_mutex)' Zend/zend_strtod_int.h ||
  { say "patch failed: Balloc's free list (Zend/zend_strtod.c, zend_strtod_int.h) changed upstream"; exit 1; }

# --- patch: the training CLI loads the OPcache linked in ----------------------
# The CLI is built only to run the PGO training; like our SAPI (sapi.c) it
# must register the static OPcache's zend_extension itself, set in main()
# because the CLI and its built-in web server start PHP each their own way.
if [ "$pgo" = 1 ]; then
  perl -0pi -e 's/(static int php_cli_startup\(sapi_module_struct \*sapi_module\) \/\* \{\{\{ \*\/\n)/extern zend_extension ephpm_opcache_zend_extension;\nstatic int ephpm_train_register(void)\n{\n\tif (php_register_internal_extensions() == FAILURE) {\n\t\treturn FAILURE;\n\t}\n\tzend_register_extension(\&ephpm_opcache_zend_extension, NULL);\n\treturn SUCCESS;\n}\n\n$1/' \
    sapi/cli/php_cli.c
  perl -0pi -e 's/(\n\tsapi_module_struct \*sapi_module = \&cli_sapi_module;\n)/$1\tphp_register_internal_extensions_func = ephpm_train_register;\n/' \
    sapi/cli/php_cli.c
  grep -q '^static int ephpm_train_register(void)$' sapi/cli/php_cli.c &&
    grep -q '^\sphp_register_internal_extensions_func = ephpm_train_register;' sapi/cli/php_cli.c ||
    { say "patch failed: php_cli_startup or main (sapi/cli/php_cli.c) changed upstream"; exit 1; }
fi

say "buildconf ($(elapsed))"
./buildconf --force >"$dest/buildconf.log" 2>&1

say "configure ($(elapsed))"
# --disable-zend-signals: Go owns process signals; ephpm enforces
# max_execution_time from Go (sapi.c), so PHP needs no SIGPROF handler.
# --disable-mbregex: mbstring without oniguruma (Laravel needs no mb_ereg).
# phar: `ephpm php composer.phar` and other .phar tools; iconv (glibc's) and
# MySQL through mysqlnd (no client library needed) and intl (ICU, already linked
# for libxml2) for a typical Laravel app.
# The CLI is built (same objects) only when it runs the PGO training.
cli=--disable-cli
[ "$pgo" = 1 ] && cli=--enable-cli
# -fPIE, not -fPIC: libphp.a only ever goes into an executable (ephpm, and
# the training CLI), so the compiler may assume that nothing interposes
# PHP's exported functions (it can inline and specialise them, across
# files under LTO) and that its thread-locals (EG(), CG()) live in the
# executable (one %fs-relative access each), as in Debian's php-fpm.
CFLAGS="-O2 -g0 -fPIE" CXXFLAGS="-O2 -g0 -fPIE" ./configure \
  --prefix="$prefix" \
  --with-config-file-path="$prefix/etc" \
  --enable-embed=static --enable-zts --disable-zend-signals \
  --disable-all $cli --disable-cgi --disable-phpdbg \
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
if [ "$pgo" = 1 ]; then
  grep -q 'phpext_opcache_ptr' main/internal_functions_cli.c ||
    { say "patch failed: opcache not found in main/internal_functions_cli.c"; exit 1; }
  sed -i '/phpext_opcache_ptr/d' main/internal_functions_cli.c
fi

# LTO: the final compile writes GCC's intermediate code, and one
# link-time optimisation over the whole of libphp.a (below, after make
# install) turns it into a single ordinary object, so linking ephpm stays
# as fast as before. PHP's VM keeps execute_data and opline in global
# registers; GCC does not carry that reservation from the compile into the
# link-time code generation, so every function is compiled with those two
# registers reserved (what php-src's configure does for LTO since 8.4).
lto_flags=""
if [ "$lto" = 1 ]; then
  case "$(uname -m)" in
  x86_64) lto_flags="-flto=$jobs -ffixed-r14 -ffixed-r15" ;;
  aarch64) lto_flags="-flto=$jobs -ffixed-x27 -ffixed-x28" ;;
  *) say "EPHPM_PHP_LTO=1: no VM register list for $(uname -m)"; exit 1 ;;
  esac
fi

# make_all LOG PROF_FLAGS: PHP's own build, the profile flags added to
# every compile and link (PHP's Makefile has PROF_FLAGS for this).
make_all() {
  local log="$1" prof="$2"
  say "make -j$jobs PROF_FLAGS='$prof' (about 5 minutes on 2 idle cores; log: $log)"
  CCACHE_DISABLE=1 make -j"$jobs" PROF_FLAGS="$prof" >"$log" 2>&1 &
  local make_pid=$!
  while kill -0 "$make_pid" 2>/dev/null; do
    sleep 20
    kill -0 "$make_pid" 2>/dev/null || break
    say "  ... $(grep -c -- '--mode=compile' "$log" || true) of about 550 files compiled ($(elapsed))"
  done
  wait "$make_pid" || { tail -40 "$log"; say "make failed"; exit 1; }
}

# -fprofile-partial-training: code the training never ran keeps -O2's
# optimisation instead of being optimised for size as cold code.
profile_use=""
[ "$pgo" = 1 ] && profile_use="-fprofile-use -fprofile-partial-training -Wno-missing-profile"

if [ "$pgo" = 1 ]; then
  make_all "$dest/make-instrumented.log" "-fprofile-generate"
  # The build itself ran the CLI (phar.phar): only the training counts.
  find . -name '*.gcda' -delete
  say "PGO training ($(elapsed); log: $dest/train.log)"
  bash "$repo/scripts/build-php-zts-train.sh" "$src/sapi/cli/php" "$dest/train" >"$dest/train.log" 2>&1 ||
    { tail -30 "$dest/train.log"; say "PGO training failed: see $dest/train.log"; exit 1; }
  # The profile must cover the engine, OPcache and the request cycle.
  for f in Zend/zend_execute.gcda Zend/zend_compile.gcda ext/opcache/ZendAccelerator.gcda \
    main/main.gcda ext/standard/string.gcda; do
    [ -s "$f" ] || { say "PGO training wrote no profile for ${f%.gcda}.c: refusing a half-trained build"; exit 1; }
  done
  say "PGO training done: $(find . -name '*.gcda' | wc -l) profiles ($(elapsed))"
  # PHP's prof-clean: every object and library goes, the profiles stay.
  make prof-clean >/dev/null 2>&1
  make_all "$dest/make.log" "$profile_use $lto_flags"
else
  make_all "$dest/make.log" "$lto_flags"
fi

say "make install ($(elapsed))"
make install >"$dest/install.log" 2>&1 || { tail -30 "$dest/install.log"; exit 1; }
[ -f "$prefix/lib/libphp.a" ] || { say "no libphp.a was installed"; exit 1; }
if [ "$lto" = 1 ]; then
  # ephpm's stack guard (internal/phpembed/stackguard.c) reaches
  # zend_call_function and its siblings, all in zend_execute_API.c, through
  # the Go linker's --wrap, which only redirects calls from other objects
  # to a symbol they leave undefined. One LTO object holding that file
  # would define them itself (and inline them): no call would be wrapped,
  # and recursion through __toString or a callback would run off the
  # stack (SIGSEGV) instead of ending in PHP's "Maximum call stack size"
  # error. So that file is compiled again without LTO (same profile) and
  # stays a separate member of the archive.
  rm -f Zend/zend_execute_API.lo Zend/zend_execute_API.o
  CCACHE_DISABLE=1 make PROF_FLAGS="$profile_use" Zend/zend_execute_API.lo >>"$dest/make.log" 2>&1 ||
    { tail -30 "$dest/make.log"; say "compiling zend_execute_API.c without LTO failed"; exit 1; }
  cp Zend/zend_execute_API.o "$dest/zend_execute_API.o"
  cp "$prefix/lib/libphp.a" "$dest/libphp-ir.a"
  [ "$(ar t "$dest/libphp-ir.a" | grep -c '^zend_execute_API\.o$')" = 1 ] ||
    { say "libphp.a has not exactly one zend_execute_API.o"; exit 1; }
  ar d "$dest/libphp-ir.a" zend_execute_API.o
  # One relocatable link (-r) of every other member: GCC optimises across
  # the whole library and writes plain machine code (nolto-rel), so the Go
  # linker gets an ordinary archive of two objects.
  say "link-time optimisation of libphp.a ($(elapsed); log: $dest/lto.log)"
  gcc -O2 -fPIE $lto_flags -r -nostdlib -flinker-output=nolto-rel \
    -o "$dest/libphp-lto.o" -Wl,--whole-archive "$dest/libphp-ir.a" -Wl,--no-whole-archive \
    >"$dest/lto.log" 2>&1 || { tail -30 "$dest/lto.log"; say "link-time optimisation failed"; exit 1; }
  # (nm's output is kept first: `nm | grep -q` fails under pipefail when
  # grep stops reading early.)
  api_syms="$(nm "$dest/zend_execute_API.o")"
  lto_syms="$(nm "$dest/libphp-lto.o")"
  # The wrapped functions, as stackguard_static.go lists them for the linker.
  wrapped="$(grep -o -- '--wrap=[A-Za-z0-9_]*' "$repo/internal/phpembed/stackguard_static.go" | cut -d= -f2)"
  [ -n "$wrapped" ] || { say "no --wrap= list found in internal/phpembed/stackguard_static.go"; exit 1; }
  for sym in $wrapped; do
    grep -q " T $sym\$" <<<"$api_syms" ||
      { say "zend_execute_API.o does not define $sym (wrapped in stackguard_static.go)"; exit 1; }
    if grep -q " [TtWw] $sym\$" <<<"$lto_syms"; then
      say "the LTO object defines $sym: the stack guard's --wrap would miss its calls"; exit 1
    fi
  done
  rm -f "$prefix/lib/libphp.a" "$dest/libphp-ir.a"
  ar rcs "$prefix/lib/libphp.a" "$dest/libphp-lto.o" "$dest/zend_execute_API.o"
  rm -f "$dest/libphp-lto.o" "$dest/zend_execute_API.o"
fi
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
# EPHPM_PHP_SIGPROF_ONLY_WITH_TIMER: this PHP installs its SIGPROF handler
# only when it arms its timer (the patch above), which ephpm never does, so
# the SAPI has no handler of PHP's to take back after a request start.
cat >"$dest/ephpm-cgo.env" <<EOF
# Written by scripts/build-php-zts.sh: flags to link ephpm against this PHP.
CGO_CFLAGS="$includes -DEPHPM_STATIC_OPCACHE=1 -DEPHPM_PHP_SIGPROF_ONLY_WITH_TIMER=1"
CGO_LDFLAGS="$prefix/lib/libphp.a -Wl,-Bstatic$static_libs -Wl,-Bdynamic$dynamic_libs"
EPHPM_PHP_PREFIX="$prefix"
EOF
# The source tree (and the profiles in it) is not needed once installed
# (about 300 MB). With PGO, the training CLI stays in prefix/bin/php (for
# benchmarks such as Zend/bench.php); the binary ephpm links never has it.
rm -rf "$src" "$dest/train"
printf 'recipe=%s\nversion=%s\ndebian=%s\nbuilt=%s\nseconds=%s\n' "$recipe" "$upstream" "$version" "$(date -u +%FT%TZ)" "$(($(date +%s) - start))" >"$dest/stamp"
if [ "${EPHPM_PHP_KEEP_CURRENT:-0}" = 1 ]; then
  say "done: PHP $upstream ZTS in $prefix ($(elapsed)); current left as it is"
else
  switch_current "$build_name"
  say "done: PHP $upstream ZTS in $prefix ($(elapsed)); current -> $build_name"
fi
