/* Reloads (reload.c): what a new release needs from the PHP threads. */
#ifndef EPHPM_RELOAD_H
#define EPHPM_RELOAD_H

/* Counts releases; Go bumps it at each reload. */
void ephpm_release_bump(void);
/* Called by each PHP thread before a request (or a worker script run):
 * on the first one after a reload, clears the thread's realpath cache. */
void ephpm_release_thread_check(void);
/* Called by each request right after php_request_startup: the first
 * request after a reload (on any thread) marks every script OPcache holds
 * as stale (opcache_invalidate(..., true)), which is safe while other
 * threads run (unlike a reset). */
void ephpm_release_after_startup(void);
/* Resets OPcache on the calling thread. Only while no other PHP thread is
 * inside a request. 1 = reset, 0 = OPcache not loaded or not enabled,
 * -1 = PHP could not start the internal request. */
int ephpm_opcache_reset(void);

#endif
