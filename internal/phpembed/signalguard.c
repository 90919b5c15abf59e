/*
 * pcntl_signal() and pcntl_fork() in a server request must not take the
 * server's signals or hang it.
 *
 * Go owns the process's signals: SIGTERM/SIGINT/SIGQUIT stop the server
 * gracefully, SIGHUP/SIGUSR2 reload it, SIGUSR1 reopens the access log.
 * Debian's PHP loads pcntl in the embed SAPI too, and pcntl_signal()
 * installs a process-wide handler; at request end pcntl resets every
 * signal it touched to SIG_DFL. So a script calling
 * pcntl_signal(SIGUSR1, ...) made the next log rotation (SIGUSR1) kill the
 * whole server on the spot, pcntl_signal(SIGTERM, ...) made SIGTERM during
 * the request vanish and any later SIGTERM kill the process without the
 * graceful shutdown (every in-flight request lost), and a signal caught
 * while PHP's handler was installed could end in Go's "non-Go code set up
 * signal handler without SA_ONSTACK flag" fatal error.
 *
 * In the server (not `ephpm php`, which has php-cli's signals), our
 * pcntl_signal runs PHP's own (argument checks, its table) and then puts
 * the handler the process had at startup (Go's) back for that signal at
 * once, with a warning saying the PHP handler is not called; right after
 * pcntl's request shutdown (which resets the signal to SIG_DFL) the same
 * handler is put back again. No cost unless pcntl_signal was called.
 *
 * pcntl_fork() in a server request forked the whole multi-threaded server
 * into a child with one thread: the child's output reached the client in
 * place of the parent's, its calls into Go hung (the Go runtime's other
 * threads are not in the child), and the hung child held the listening
 * socket, so the server stopped answering and did not stop on SIGTERM.
 * In the server pcntl_fork() fails as a fork that cannot be made does:
 * -1 and a warning. `ephpm php` forks as php-cli does.
 */
#include "php.h"
#include "ephpm_internal.h"

#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#ifdef ZEND_SIGNALS
#include "zend_signal.h"
#endif

#define EPHPM_MAX_SIG 64

/* The dispositions at module startup (Go's), by signal number. */
static struct sigaction startup_action[EPHPM_MAX_SIG + 1];
static int startup_saved[EPHPM_MAX_SIG + 1];
/* Signals a pcntl_signal call changed (bit n-1 for signal n); put back
 * after the request. Any thread may set it (a thread-safe PHP may load
 * pcntl): atomics. */
static uint64_t touched;

static zif_handler php_pcntl_signal;
static zend_result (*pcntl_rshutdown)(SHUTDOWN_FUNC_ARGS);

static ZEND_NAMED_FUNCTION(ephpm_pcntl_fork)
{
	ZEND_PARSE_PARAMETERS_NONE();
	php_error_docref(NULL, E_WARNING,
		"Not available in the server (ephpm serve): forking its multi-threaded process would hang it");
	RETURN_LONG(-1);
}

static void put_back(int sig)
{
	if (sig >= 1 && sig <= EPHPM_MAX_SIG && startup_saved[sig]) {
		sigaction(sig, &startup_action[sig], NULL);
	}
}

static ZEND_NAMED_FUNCTION(ephpm_pcntl_signal)
{
	zend_long sig = 0;
	if (ZEND_CALL_NUM_ARGS(execute_data) >= 1 && Z_TYPE_P(ZEND_CALL_ARG(execute_data, 1)) == IS_LONG) {
		sig = Z_LVAL_P(ZEND_CALL_ARG(execute_data, 1));
	}
	php_pcntl_signal(execute_data, return_value);
	if (sig < 1 || sig > EPHPM_MAX_SIG || !startup_saved[sig]) {
		return;
	}
	__atomic_fetch_or(&touched, (uint64_t)1 << (sig - 1), __ATOMIC_SEQ_CST);
	put_back((int)sig);
	if (!EG(exception) && Z_TYPE_P(return_value) == IS_TRUE) {
		php_error_docref(NULL, E_WARNING,
			"Signal %d belongs to the server (ephpm serve): the handler is not installed", (int)sig);
	}
}

/* pcntl's request shutdown resets every signal a pcntl_signal call touched
 * to SIG_DFL. The server's handlers go back right after it: put back only
 * at the end of php_request_shutdown, they were missing while the rest of
 * the shutdown ran (freeing the script's variables: milliseconds for a
 * large array), and a SIGUSR1 (log rotation) or SIGTERM arriving then
 * killed the server on the spot. */
static zend_result ephpm_pcntl_rshutdown(SHUTDOWN_FUNC_ARGS)
{
	if (EXPECTED(__atomic_load_n(&touched, __ATOMIC_RELAXED) == 0)) {
		return pcntl_rshutdown(type, module_number);
	}
#ifdef ZEND_SIGNALS
	/* Inside pcntl's shutdown, between its reset and its return, PHP's
	 * deferring handler is installed with SIG_DFL as the action: a signal
	 * then killed the process. Blocked (zend_signal's depth), the handler
	 * queues it instead; the server's handlers back, the queued signals
	 * are taken off PHP's queue and sent again, to them. */
	SIGG(depth)++;
	zend_result r = pcntl_rshutdown(type, module_number);
	ephpm_signal_guard_after_request();
	uint64_t again = 0;
	while (SIGG(phead) != NULL) {
		zend_signal_queue_t *q = SIGG(phead);
		int sig = q->zend_signal.signo;
		if (sig >= 1 && sig <= EPHPM_MAX_SIG) {
			again |= (uint64_t)1 << (sig - 1);
		}
		SIGG(phead) = q->next;
		q->zend_signal.signo = 0;
		q->next = SIGG(pavail);
		SIGG(pavail) = q;
	}
	SIGG(ptail) = NULL;
	SIGG(blocked) = 0;
	SIGG(depth)--;
	for (int sig = 1; sig <= EPHPM_MAX_SIG; sig++) {
		if (again & ((uint64_t)1 << (sig - 1))) {
			kill(getpid(), sig);
		}
	}
	return r;
#else
	zend_result r = pcntl_rshutdown(type, module_number);
	ephpm_signal_guard_after_request();
	return r;
#endif
}

void ephpm_signal_guard_minit(void)
{
	for (int sig = 1; sig <= EPHPM_MAX_SIG; sig++) {
		if (sig == SIGKILL || sig == SIGSTOP) {
			continue;
		}
		startup_saved[sig] = sigaction(sig, NULL, &startup_action[sig]) == 0;
	}
	/* pcntl (a shared extension loaded from php.ini) registered its
	 * functions before any module's startup ran. Replaced here, in the
	 * global function table, before PHP threads copy it. */
	zend_function *f = zend_hash_str_find_ptr(CG(function_table), ZEND_STRL("pcntl_signal"));
	if (f != NULL && f->type == ZEND_INTERNAL_FUNCTION && f->internal_function.handler != ephpm_pcntl_signal) {
		php_pcntl_signal = f->internal_function.handler;
		f->internal_function.handler = ephpm_pcntl_signal;
	}
	f = zend_hash_str_find_ptr(CG(function_table), ZEND_STRL("pcntl_fork"));
	if (f != NULL && f->type == ZEND_INTERNAL_FUNCTION) {
		f->internal_function.handler = ephpm_pcntl_fork;
	}
	/* (The registry's entry: zend_deactivate_modules calls the pointer it
	 * holds at each request's end.) */
	zend_module_entry *m = zend_hash_str_find_ptr(&module_registry, ZEND_STRL("pcntl"));
	if (m != NULL && m->request_shutdown_func != NULL && m->request_shutdown_func != ephpm_pcntl_rshutdown) {
		pcntl_rshutdown = m->request_shutdown_func;
		m->request_shutdown_func = ephpm_pcntl_rshutdown;
	}
}

void ephpm_signal_guard_after_request(void)
{
	if (EXPECTED(__atomic_load_n(&touched, __ATOMIC_RELAXED) == 0)) {
		return;
	}
	uint64_t t = __atomic_exchange_n(&touched, 0, __ATOMIC_SEQ_CST);
	for (int sig = 1; sig <= EPHPM_MAX_SIG; sig++) {
		if (t & ((uint64_t)1 << (sig - 1))) {
			put_back(sig);
		}
	}
}
