/* Shared between the C files of internal/phpembed; not seen by Go. */
#ifndef EPHPM_INTERNAL_H
#define EPHPM_INTERNAL_H

#include "ephpm.h"

/* The Go worker slot of the PHP thread calling (0 = none). */
uintptr_t ephpm_cur_slot(void);
/* Points SG(request_info) and the SAPI callbacks at req (NULL = none). */
void ephpm_fill_request_info(uintptr_t slot, const ephpm_request *req);
/* Output gathered on this thread: hand it to Go (nonzero: the client is
 * gone), or drop it (output of a worker script between requests). */
int ephpm_output_push(void);
void ephpm_output_discard(void);
/* ephpm_output_push and the end of the response (fastcgi_finish_request)
 * in one call into Go; returns 1 if the response was ended now. */
int ephpm_output_push_finish(uintptr_t slot);
/* Worker mode's end of a request: ephpm_output_push and
 * ephpm_go_worker_done(status) in one call into Go. */
void ephpm_output_push_worker_done(int status);
/* Worker mode: class registration at module startup, per-thread reset. */
void ephpm_worker_minit(void);
/* stackguard.c: deep recursion through internal functions throws an
 * Error instead of overflowing the thread's stack (module startup). */
void ephpm_stack_guard_minit(void);
/* signalguard.c: pcntl_signal() in the server leaves the server's signal
 * handlers in place, pcntl_fork() fails there (module startup; after each
 * request). */
void ephpm_signal_guard_minit(void);
void ephpm_signal_guard_after_request(void);
/* This thread's own stack as pthread reports it, learnt on first use by
 * ephpm_learn_thread_stack (hi == 0: not yet; lo == hi == 1: unknown). */
extern __thread uintptr_t ephpm_stack_lo, ephpm_stack_hi;
int ephpm_learn_thread_stack(void);
void ephpm_worker_thread_reset(void);
/* reset.c: worker mode's per-request reset of what request shutdown
 * would reset (ini, env, locale, cwd, session) back to the boot's state. */
void ephpm_reset_minit(void);
void ephpm_reset_run_start(void);
void ephpm_reset_capture(void);
void ephpm_reset_session_end(void);
void ephpm_reset_after_request(void);
/* httpfuncs.c: registers headers_send() and fastcgi_finish_request() (the
 * server's module only; `ephpm php` has neither). */
void ephpm_http_minit(void);
/* In the single binary (EPHPM_STATIC_OPCACHE), has PHP's next module
 * startup register the OPcache linked in; elsewhere a no-op. */
void ephpm_use_static_opcache(void);
/* sapi.c: a PHP process's start before sapi_startup (server and CLI), and
 * Go's SIGPROF handler put back after PHP installed its own. */
void ephpm_process_startup(void);
void ephpm_restore_go_sigprof(void);

#endif
