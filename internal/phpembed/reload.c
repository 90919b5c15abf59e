/*
 * Reloads: a deploy swaps a `current -> releases/N` symlink and the
 * server resolves the document root again (internal/server/reload.go).
 * Two caches inside PHP still remember the old release:
 *
 *  - the realpath cache (per thread with ZTS, realpath_cache_ttl = 120 s):
 *    an include through the symlink ("/srv/app/current/config.php") would
 *    still resolve into the old release. Each thread clears its own on its
 *    first request after a reload (only the owning thread may touch it).
 *  - OPcache, keyed by path: a script reached through the symlink path
 *    (OPcache remembers which file that path resolved to), or a release
 *    deployed in place with its files' times kept (rsync -a, or
 *    opcache.validate_timestamps=0), would still run its old code.
 *    The first request after a reload, on whichever thread, marks every
 *    cached script stale with opcache_invalidate($file, true): a flag
 *    under OPcache's lock, safe while other threads (workers) run code
 *    from the cache; the next lookup of any path compiles again. The
 *    memory is reclaimed only by a reset:
 *    ephpm_opcache_reset asks for PHP's own reset (opcache_reset()) and
 *    runs the next request startup, where OPcache performs it. OPcache
 *    reclaims its shared memory there and checks only that no other
 *    *process* uses it (an fcntl lock, which never sees the threads of its
 *    own process), so the caller must make sure no other thread is inside
 *    PHP: the Go side holds every PHP thread while this runs.
 */
#include <stdatomic.h>

#include "php.h"
#include "php_main.h"
#include "SAPI.h"
#include "zend_virtual_cwd.h"
#include "zend_exceptions.h"

#include "ephpm.h"
#include "ephpm_internal.h"
#include "reload.h"

static atomic_ulong release_gen;
static __thread unsigned long thread_release_gen;
/* The release whose first request has marked OPcache's scripts stale. */
static atomic_ulong swept_gen;

void ephpm_release_bump(void)
{
	atomic_fetch_add(&release_gen, 1);
}

void ephpm_release_thread_check(void)
{
	unsigned long gen = atomic_load_explicit(&release_gen, memory_order_relaxed);
	if (gen != thread_release_gen) {
		thread_release_gen = gen;
		realpath_cache_clean();
	}
}

static zend_function *find_function(const char *name)
{
	return zend_hash_str_find_ptr(CG(function_table), name, strlen(name));
}

/* opcache_invalidate(f, true) for every f in opcache_get_status(true)'s
 * scripts; a no-op without OPcache. */
static void invalidate_all_scripts(void)
{
	zend_function *status = find_function("opcache_get_status");
	zend_function *invalidate = find_function("opcache_invalidate");
	if (!status || !invalidate) {
		return;
	}
	zval all, ret, args[2];
	ZVAL_UNDEF(&ret);
	ZVAL_TRUE(&all);
	zend_try {
		zend_call_known_function(status, NULL, NULL, &ret, 1, &all, NULL);
		zval *scripts = Z_TYPE(ret) == IS_ARRAY ? zend_hash_str_find(Z_ARRVAL(ret), "scripts", sizeof("scripts") - 1) : NULL;
		if (scripts && Z_TYPE_P(scripts) == IS_ARRAY) {
			zend_string *path;
			ZEND_HASH_FOREACH_STR_KEY(Z_ARRVAL_P(scripts), path) {
				if (!path) {
					continue;
				}
				zval r;
				ZVAL_STR(&args[0], path);
				ZVAL_TRUE(&args[1]);
				zend_call_known_function(invalidate, NULL, NULL, &r, 2, args, NULL);
				zval_ptr_dtor(&r);
			} ZEND_HASH_FOREACH_END();
		}
	} zend_end_try();
	zval_ptr_dtor(&ret);
	if (EG(exception)) {
		zend_clear_exception();
	}
}

void ephpm_release_after_startup(void)
{
	unsigned long gen = atomic_load(&release_gen);
	unsigned long swept = atomic_load(&swept_gen);
	if (swept == gen || !atomic_compare_exchange_strong(&swept_gen, &swept, gen)) {
		return;
	}
	invalidate_all_scripts();
}

/* One request with no script and no client, on the calling thread. */
static int internal_request_start(void)
{
	ephpm_fill_request_info(0, NULL);
	if (php_request_startup() == FAILURE) {
		ephpm_restore_go_sigprof();
		php_request_shutdown(NULL);
		return -1;
	}
	ephpm_restore_go_sigprof();
	return 0;
}

static void internal_request_end(void)
{
	php_request_shutdown(NULL);
	ephpm_restore_go_sigprof();
	ephpm_output_discard();
	EG(timeout_seconds) = 0;
	SG(server_context) = NULL;
}

int ephpm_opcache_reset(void)
{
	ephpm_release_thread_check();
	if (internal_request_start() != 0) {
		return -1;
	}
	int rc = 0;
	zend_function *fn = zend_hash_str_find_ptr(CG(function_table), "opcache_reset", sizeof("opcache_reset") - 1);
	if (fn) {
		zval ret;
		ZVAL_UNDEF(&ret);
		zend_try {
			zend_call_known_function(fn, NULL, NULL, &ret, 0, NULL, NULL);
		} zend_end_try();
		/* false: OPcache is off for this SAPI, or opcache.restrict_api
		 * forbids it, or a restart is already pending. */
		rc = Z_TYPE(ret) == IS_TRUE ? 1 : 0;
		zval_ptr_dtor(&ret);
	}
	internal_request_end();
	if (rc == 1) {
		/* opcache_reset() only schedules; the next request startup
		 * performs the restart (ZendAccelerator.c, accel_activate). */
		if (internal_request_start() != 0) {
			return -1;
		}
		internal_request_end();
	}
	return rc;
}
