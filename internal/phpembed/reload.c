/*
 * Reloads: a deploy swaps a `current -> releases/N` symlink and the
 * server resolves the document root again (internal/server/reload.go).
 * Two caches inside PHP still remember the old release:
 *
 *  - the realpath cache (per thread with ZTS, realpath_cache_ttl = 120 s):
 *    an include through the symlink ("/srv/app/current/config.php") would
 *    still resolve into the old release. Each thread clears its own on its
 *    first request after a reload (only the owning thread may touch it).
 *  - OPcache, keyed by path: a script reached through the symlink path, or
 *    a release deployed in place with its files' times kept (rsync -a, or
 *    opcache.validate_timestamps=0), would still run its old code.
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

#include "ephpm.h"
#include "ephpm_internal.h"
#include "reload.h"

static atomic_ulong release_gen;
static __thread unsigned long thread_release_gen;

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
