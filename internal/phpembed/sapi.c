/*
 * ephpm's SAPI: the sapi_module_struct PHP talks to, and the request
 * lifecycle. Written for PHP 8.2, NTS and ZTS alike.
 */
#include <signal.h>
#include <pthread.h>
#include <string.h>
#include <strings.h>
#include <stdlib.h>

#include "php.h"
#include "php_main.h"
#include "php_variables.h"
#include "php_ini.h"
#include "SAPI.h"
#include "zend_ini.h"
#include "zend_exceptions.h"
#include "zend_extensions.h"
#include "ext/standard/info.h"
#ifdef ZEND_SIGNALS
#include "zend_signal.h"
#endif

#include "ephpm.h"
#include "ephpm_internal.h"
#include "reload.h"
#include "_cgo_export.h"

extern zend_module_entry ephpm_module_entry;

/* The Go worker slot of the request running on this thread (0 = none). */
static __thread uintptr_t cur_slot;
/* max_execution_time as PHP code sees it on this thread; Go enforces it. */
static __thread zend_long cur_time_limit;

/* Go's SIGPROF handler, saved before PHP starts. PHP (re)installs its own
 * timeout handler for SIGPROF at every request start; we put Go's back so
 * that a SIGPROF (Go's CPU profiler) never reaches PHP's handler on a Go
 * thread. PHP never arms its SIGPROF timer here: max_execution_time is
 * enforced from Go (see ephpm_interrupt). */
static struct sigaction go_sigprof;

void ephpm_restore_go_sigprof(void)
{
	sigaction(SIGPROF, &go_sigprof, NULL);
}

/* What every PHP process start needs before sapi_startup, the server's
 * and `ephpm php`'s alike: the linked-in OPcache (single binary), Go's
 * SIGPROF handler saved for ephpm_restore_go_sigprof, PHP's thread-safe
 * resource manager and signal handling. */
void ephpm_process_startup(void)
{
	ephpm_use_static_opcache();
	sigaction(SIGPROF, NULL, &go_sigprof);
#ifdef ZTS
	php_tsrm_startup();
#endif
#ifdef ZEND_SIGNALS
	zend_signal_startup();
#endif
}

/* ---- sapi_module_struct callbacks ---- */

static int ephpm_sapi_startup(sapi_module_struct *module)
{
	return php_module_startup(module, &ephpm_module_entry);
}

/* Output is gathered per thread and handed to Go in pieces of up to
 * OUT_BUF_SIZE: one call into Go per echo made a 20 KB page rendered with
 * many small echos cost thousands of calls (0.46x the requests/s of
 * php-fpm, measured). flush() and the end of the request hand it over at
 * once, so streaming with flush() is unchanged. */
#define OUT_BUF_SIZE 16384
static __thread char *out_buf;
static __thread size_t out_len;

/* The response headers PHP sent (ephpm_send_headers), not yet handed to
 * Go: they go with the first output handed over, in one call into Go
 * instead of two (a request's calls into Go were four: the time limit,
 * the headers, the output, the body; each one is a P Go's scheduler must
 * find again for the thread). Nothing reaches the client sooner either
 * way: net/http sends the headers with the first body bytes or flush.
 * Every path that hands output over (a full buffer, flush(), the end of
 * the request or of a worker's request, fastcgi_finish_request()) goes
 * through ephpm_output_push, which hands them over with or without output. */
static __thread char *hdr_buf;
static __thread size_t hdr_cap, hdr_len;
static __thread int hdr_pending, hdr_status, hdr_default_ct;

int ephpm_output_push(void)
{
	if (!cur_slot) {
		out_len = 0;
		hdr_pending = 0;
		return 0;
	}
	size_t n = out_len;
	out_len = 0;
	if (hdr_pending) {
		hdr_pending = 0;
		return ephpm_go_send_headers_write(cur_slot, hdr_status, hdr_buf, hdr_len, hdr_default_ct, out_buf, n);
	}
	if (n == 0) {
		return 0;
	}
	return ephpm_go_write(cur_slot, out_buf, n);
}

/* fastcgi_finish_request(): what ephpm_output_push hands over, and the end
 * of the response, in one call into Go (frameworks call it on every
 * request: Symfony's and Laravel's Response::send). Returns what
 * ephpm_go_finish_request returns. */
int ephpm_output_push_finish(uintptr_t slot)
{
	size_t n = out_len;
	out_len = 0;
	int pending = hdr_pending;
	hdr_pending = 0;
	if (!cur_slot) {
		n = 0; /* as ephpm_output_push: output with no client is dropped */
	}
	return ephpm_go_output_finish(slot, hdr_status, pending ? hdr_buf : NULL, hdr_len, hdr_default_ct, out_buf, n);
}

/* Worker mode's end of a request: what ephpm_output_push hands over, then
 * ephpm_go_worker_done(status), in one call into Go instead of two (each
 * call is a P the scheduler must find again for the worker's thread). */
void ephpm_output_push_worker_done(int status)
{
	size_t n = out_len;
	out_len = 0;
	int pending = hdr_pending;
	hdr_pending = 0;
	if (!cur_slot) {
		return; /* as ephpm_output_push; ephpm_go_worker_done ignores slot 0 */
	}
	ephpm_go_worker_output_done(cur_slot, hdr_status, pending ? hdr_buf : NULL, hdr_len, hdr_default_ct, out_buf, n, status);
}

void ephpm_output_discard(void)
{
	out_len = 0;
	hdr_pending = 0;
}

static size_t ephpm_ub_write(const char *str, size_t len)
{
	if (!cur_slot) {
		return len;
	}
	int gone = 0, copy = 1;
	if (out_len + len > OUT_BUF_SIZE) {
		gone = ephpm_output_push();
		if (!gone && len >= OUT_BUF_SIZE) {
			gone = ephpm_go_write(cur_slot, (char *)str, len);
			copy = 0;
		}
	}
	if (!gone && copy && len > 0) {
		if (!out_buf) {
			out_buf = malloc(OUT_BUF_SIZE);
		}
		memcpy(out_buf + out_len, str, len);
		out_len += len;
	}
	if (gone) {
		/* The client went away: PHP marks the connection aborted and,
		 * unless ignore_user_abort is set, ends the script. */
		php_handle_aborted_connection();
	}
	return len;
}

static void ephpm_flush(void *server_context)
{
	uintptr_t slot = (uintptr_t)server_context;
	if (!slot) {
		return;
	}
	if (!SG(headers_sent)) {
		sapi_send_headers();
	}
	if (ephpm_output_push() != 0 || ephpm_go_flush(slot) != 0) {
		php_handle_aborted_connection();
	}
}

/* The Content-Type line PHP adds by itself (default_mimetype) when the
 * script set none, while it is being sent. PHP clears
 * send_default_content_type before adding a Content-Type the script set,
 * and only after adding its own, so the header handler tells them apart.
 * Go needs to know: a file sent for X-Sendfile takes its type from its
 * name unless the script named one. */
static __thread const char *default_ct_header;

static int ephpm_header_handler(sapi_header_struct *h, sapi_header_op_enum op, sapi_headers_struct *headers)
{
	if ((op == SAPI_HEADER_ADD || op == SAPI_HEADER_REPLACE) && headers->send_default_content_type &&
		h->header_len >= sizeof("content-type:") - 1 && strncasecmp(h->header, "content-type:", sizeof("content-type:") - 1) == 0) {
		default_ct_header = h->header;
	}
	return SAPI_HEADER_ADD;
}

/* All headers go to Go in one call: "Name: value\0" repeated. */
static int ephpm_send_headers(sapi_headers_struct *headers)
{
	uintptr_t slot = (uintptr_t)SG(server_context);
	if (!slot) {
		return SAPI_HEADER_SENT_SUCCESSFULLY;
	}
	size_t total = 0;
	int default_ct = 0;
	zend_llist_position pos;
	sapi_header_struct *h;
	for (h = zend_llist_get_first_ex(&headers->headers, &pos); h; h = zend_llist_get_next_ex(&headers->headers, &pos)) {
		total += h->header_len + 1;
		if (default_ct_header && h->header == default_ct_header) {
			default_ct = 1;
		}
	}
	default_ct_header = NULL;
	if (total + 1 > hdr_cap) {
		char *grown = realloc(hdr_buf, total + 1);
		if (!grown) {
			return SAPI_HEADER_SEND_FAILED;
		}
		hdr_buf = grown;
		hdr_cap = total + 1;
	}
	char *p = hdr_buf;
	for (h = zend_llist_get_first_ex(&headers->headers, &pos); h; h = zend_llist_get_next_ex(&headers->headers, &pos)) {
		memcpy(p, h->header, h->header_len);
		p += h->header_len;
		*p++ = '\0';
	}
	/* Handed to Go with the first output (ephpm_output_push). */
	hdr_len = total;
	hdr_status = headers->http_response_code ? headers->http_response_code : 200;
	hdr_default_ct = default_ct;
	hdr_pending = 1;
	return SAPI_HEADER_SENT_SUCCESSFULLY;
}

/* The request the SAPI callbacks describe on this thread. */
static __thread const ephpm_request *cur_req;

static size_t ephpm_read_post(char *buf, size_t len)
{
	uintptr_t slot = (uintptr_t)SG(server_context);
	if (!slot) {
		return 0;
	}
	/* A request that has no body (Content-Length 0, as net/http states
	 * it for a GET) has nothing for Go to read: PHP asks anyway, once at
	 * every request's end (sapi_deactivate drains what the script did not
	 * read), and that was one of the four calls into Go of a request. */
	if (cur_req && cur_req->content_length == 0) {
		return 0;
	}
	return ephpm_go_read_body(slot, buf, len);
}

static char *ephpm_read_cookies(void)
{
	return SG(request_info).cookie_data;
}

static __thread double cur_request_time;

static const ephpm_request *cur_request_for_vars(void)
{
	return cur_req;
}

/* $_SERVER comes from Go as one buffer of (u32 length, name, u32 length,
 * value) pairs. next_server_var reads the pair at *p into its arguments and
 * moves *p past it; 0 at the end (or at a truncated pair). */
static int next_server_var(const char **p, const char *end, const char **key, uint32_t *klen, const char **val, uint32_t *vlen)
{
	const char *q = *p;
	if (q + 4 > end) return 0;
	memcpy(klen, q, 4);
	q += 4;
	if (q + *klen + 4 > end) return 0;
	*key = q;
	q += *klen;
	memcpy(vlen, q, 4);
	q += 4;
	if (q + *vlen > end) return 0;
	*val = q;
	*p = q + *vlen;
	return 1;
}

static void ephpm_register_variables(zval *track_vars_array)
{
	const ephpm_request *req = cur_request_for_vars();
	if (!req) {
		return;
	}
	const char *p = req->server_vars;
	const char *end = p + req->server_vars_len;
	char keybuf[256];
	const char *key, *val;
	uint32_t klen, vlen;
	while (next_server_var(&p, end, &key, &klen, &val, &vlen)) {
		/* php_register_variable_safe wants a NUL-terminated name. */
		char *name = klen < sizeof(keybuf) ? keybuf : emalloc(klen + 1);
		memcpy(name, key, klen);
		name[klen] = '\0';
		size_t new_len = vlen;
		char *v = estrndup(val, vlen);
		if (sapi_module.input_filter(PARSE_SERVER, name, &v, vlen, &new_len)) {
			php_register_variable_safe(name, v, new_len, track_vars_array);
		}
		efree(v);
		if (name != keybuf) efree(name);
	}
}

/* getenv() of a request variable (REQUEST_METHOD, REMOTE_ADDR, HTTP_*...)
 * answers from the request, as php-fpm (fcgi_getenv) and mod_php do, so
 * scripts written for them that read getenv('HTTP_HOST') or
 * getenv('REMOTE_ADDR') work; anything else, and any name outside a
 * request, is NULL, which makes PHP read the process environment as
 * before. The variables are the ones $_SERVER is built from (the last of a
 * repeated name wins, as there). sapi_getenv copies the value at once, so
 * one buffer per thread holds it; sapi_getenv also keeps HTTP_PROXY out
 * (httpoxy). */
static __thread char *getenv_buf;
static __thread size_t getenv_cap;

static char *ephpm_getenv(const char *name, size_t name_len)
{
	const ephpm_request *req = cur_request_for_vars();
	if (!req) {
		return NULL;
	}
	const char *p = req->server_vars;
	const char *end = p + req->server_vars_len;
	const char *found = NULL, *key, *val;
	uint32_t found_len = 0, klen, vlen;
	while (next_server_var(&p, end, &key, &klen, &val, &vlen)) {
		if (klen == name_len && memcmp(key, name, klen) == 0) {
			found = val;
			found_len = vlen;
		}
	}
	if (!found) {
		return NULL;
	}
	if ((size_t)found_len + 1 > getenv_cap) {
		size_t cap = found_len + 1 < 256 ? 256 : (size_t)found_len + 1;
		char *b = realloc(getenv_buf, cap);
		if (!b) {
			return NULL;
		}
		getenv_buf = b;
		getenv_cap = cap;
	}
	memcpy(getenv_buf, found, found_len);
	getenv_buf[found_len] = '\0';
	return getenv_buf;
}

static void ephpm_log_message(const char *message, int syslog_type)
{
	ephpm_go_log(cur_slot, (char *)message, syslog_type);
}

static zend_result ephpm_get_request_time(double *t)
{
	*t = cur_request_time;
	return SUCCESS;
}

/* sapi_activate resets proto_num to HTTP/1.0; put the real one back. */
static int ephpm_activate(void)
{
	const ephpm_request *req = cur_request_for_vars();
	if (req) {
		SG(request_info).proto_num = req->proto_num;
	}
	return SUCCESS;
}

static sapi_module_struct ephpm_sapi_module = {
	"ephpm",                        /* name (see rename_php_sapi_constant) */
	"ephpm application server",     /* pretty name */
	ephpm_sapi_startup,             /* startup */
	php_module_shutdown_wrapper,    /* shutdown */
	ephpm_activate,                 /* activate */
	NULL,                           /* deactivate */
	ephpm_ub_write,                 /* unbuffered write */
	ephpm_flush,                    /* flush */
	NULL,                           /* get uid */
	ephpm_getenv,                   /* getenv: request variables, as php-fpm */
	php_error,                      /* error handler */
	ephpm_header_handler,           /* header handler */
	ephpm_send_headers,             /* send headers handler */
	NULL,                           /* send header handler */
	ephpm_read_post,                /* read POST data */
	ephpm_read_cookies,             /* read Cookies */
	ephpm_register_variables,       /* register server variables */
	ephpm_log_message,              /* log message */
	ephpm_get_request_time,         /* get request time */
	NULL,                           /* child terminate */
	STANDARD_SAPI_MODULE_PROPERTIES
};

/* ---- defaults below php.ini ----
 *
 * PHP's built-in defaults are a developer's (errors displayed, not
 * logged). A server's are a production php.ini's: errors go to the server
 * log, never to the visitor. These sit under php.ini, so a php.ini (Debian's
 * or [php] ini_file) and ini_overrides still decide. */
static void set_ini_default(HashTable *configuration_hash, const char *name, const char *value)
{
	zval tmp;
	ZVAL_NEW_STR(&tmp, zend_string_init(value, strlen(value), 1));
	zend_hash_str_update(configuration_hash, name, strlen(name), &tmp);
}

static void ephpm_ini_defaults(HashTable *configuration_hash)
{
	set_ini_default(configuration_hash, "display_errors", "0");
	set_ini_default(configuration_hash, "display_startup_errors", "0");
	set_ini_default(configuration_hash, "log_errors", "1");
	set_ini_default(configuration_hash, "html_errors", "0");
	set_ini_default(configuration_hash, "expose_php", "0");
}

/* ---- max_execution_time, enforced from Go ----
 *
 * PHP's own timer is setitimer(ITIMER_PROF): process-wide CPU time, delivered
 * as SIGPROF to any thread. In a Go process that fires early (it counts Go's
 * threads too) and can land on a Go thread and crash it. So PHP's timer is
 * never armed (EG(timeout_seconds) stays 0 while PHP would arm it), the
 * ini value is kept for PHP code to read, and a Go timer per request calls
 * ephpm_interrupt, which is what PHP itself does on Windows. */
static ZEND_INI_MH(ephpm_on_update_timeout)
{
	zend_long secs = ZEND_ATOL(ZSTR_VAL(new_value));
	cur_time_limit = secs;
	if (stage == ZEND_INI_STAGE_RUNTIME) {
		/* set_time_limit() / ini_set(): restart the limit from now. Go
		 * keeps the value for the timeout message (ephpm_interrupt_limit):
		 * a nonzero EG(timeout_seconds) would make PHP's request shutdown
		 * disarm its (never armed) timer with a setitimer call. */
		if (cur_slot) {
			ephpm_go_set_time_limit(cur_slot, secs);
		}
	}
	return SUCCESS;
}

static void hook_timeout_ini(void)
{
	zend_ini_entry *e = zend_hash_str_find_ptr(EG(ini_directives), "max_execution_time", sizeof("max_execution_time") - 1);
	if (e) {
		e->on_modify = ephpm_on_update_timeout;
		cur_time_limit = e->value ? ZEND_ATOL(ZSTR_VAL(e->value)) : 0;
	}
	EG(timeout_seconds) = 0;
}

void *ephpm_thread_executor_globals(void)
{
	/* EG() resolves to this thread's globals with ZTS and to the one
	 * global struct without; step back from a member to the struct. */
	return (char *)&EG(timed_out) - offsetof(zend_executor_globals, timed_out);
}

/* Interrupts since the process started: a request that saw one may have
 * let PHP reinstall its SIGPROF handler (zend_timeout does), so Go's goes
 * back after it (ephpm_request_run). */
static volatile uint64_t interrupts;

void ephpm_interrupt(void *egp)
{
	zend_executor_globals *eg = egp;
	__atomic_add_fetch(&interrupts, 1, __ATOMIC_SEQ_CST);
	zend_atomic_bool_store(&eg->timed_out, true);
	zend_atomic_bool_store(&eg->vm_interrupt, true);
}

/* A request's timeout from Go: secs is its max_execution_time (or the
 * set_time_limit() value), which PHP's fatal error names. Written only
 * here while the request runs, before the atomic stores that make the
 * thread look at it. */
void ephpm_interrupt_limit(void *egp, long secs)
{
	((zend_executor_globals *)egp)->timeout_seconds = secs;
	ephpm_interrupt(egp);
}

uintptr_t ephpm_thread_self(void)
{
	return (uintptr_t)pthread_self();
}

void ephpm_thread_kick(uintptr_t tid)
{
	/* SIGURG is Go's own preemption signal: Go's handler ignores a spurious
	 * one, and it interrupts sleep()/usleep() in the PHP thread (EINTR) so
	 * the VM sees the timeout flag without waiting for the sleep to end. */
	pthread_kill((pthread_t)tid, SIGURG);
}

/* OPcache turns itself on only for SAPI names on its own list, and a
 * libphp we cannot patch (Debian's) has "ephpm" nowhere on it. So PHP's
 * module startup (where OPcache decides) runs under a listed name, and the
 * SAPI takes its own name back: PHP_SAPI is rewritten in our module's
 * startup (when strings made there are permanent, and before ZTS threads
 * copy the constants), sapi_module.name once startup is over. */
#define EPHPM_SAPI_NAME "ephpm"
#define OPCACHE_LISTED_NAME "fpm-fcgi"

static void rename_php_sapi_constant(void)
{
	zend_constant *c = zend_hash_str_find_ptr(EG(zend_constants), "PHP_SAPI", sizeof("PHP_SAPI") - 1);
	if (c && Z_TYPE(c->value) == IS_STRING) {
		ZVAL_INTERNED_STR(&c->value, zend_string_init_interned(EPHPM_SAPI_NAME, sizeof(EPHPM_SAPI_NAME) - 1, 1));
	}
}

/* ---- our module: PHP functions that call into Go ---- */

extern const zend_function_entry ephpm_functions[];

static PHP_MINIT_FUNCTION(ephpm)
{
	hook_timeout_ini();
	rename_php_sapi_constant();
	ephpm_worker_minit();
	ephpm_http_minit();
	ephpm_stack_guard_minit();
	ephpm_signal_guard_minit();
	return SUCCESS;
}

static PHP_MINFO_FUNCTION(ephpm)
{
	php_info_print_table_start();
	php_info_print_table_row(2, "ephpm", "enabled");
	php_info_print_table_end();
}

zend_module_entry ephpm_module_entry = {
	STANDARD_MODULE_HEADER,
	"ephpm",
	ephpm_functions,
	PHP_MINIT(ephpm),
	NULL,
	NULL,
	NULL,
	PHP_MINFO(ephpm),
	"0.1.0",
	STANDARD_MODULE_PROPERTIES
};

/* ---- process and thread lifecycle ---- */

int ephpm_is_zts(void)
{
#ifdef ZTS
	return 1;
#else
	return 0;
#endif
}

const char *ephpm_php_version(void)
{
	return PHP_VERSION;
}

#ifdef EPHPM_STATIC_OPCACHE
/* Our own thread-safe build links OPcache in (scripts/build-php-zts.sh).
 * A shared OPcache is registered as a zend_extension when php.ini names
 * it; a static one has no php.ini line, so it is registered here, at the
 * point of module startup where built-in modules are registered: after
 * the zend_extension list exists, before extensions start. */
extern zend_extension ephpm_opcache_zend_extension;
static int register_builtin_modules_and_opcache(void)
{
	if (php_register_internal_extensions() == FAILURE) {
		return FAILURE;
	}
	zend_register_extension(&ephpm_opcache_zend_extension, NULL);
	return SUCCESS;
}
#endif

void ephpm_use_static_opcache(void)
{
#ifdef EPHPM_STATIC_OPCACHE
	php_register_internal_extensions_func = register_builtin_modules_and_opcache;
#endif
}

int ephpm_startup(const char *ini_entries, const char *ini_path)
{
	ephpm_process_startup();
	ephpm_sapi_module.name = OPCACHE_LISTED_NAME;
	ephpm_sapi_module.ini_defaults = ephpm_ini_defaults;
	sapi_startup(&ephpm_sapi_module);
	/* ini_entries is parsed after php.ini, so it overrides it; it must
	 * outlive the module, PHP keeps pointers into the parsed hash. */
	ephpm_sapi_module.ini_entries = ini_entries ? strdup(ini_entries) : NULL;
	if (ini_path && *ini_path) {
		ephpm_sapi_module.php_ini_path_override = strdup(ini_path);
	}
	ephpm_sapi_module.php_ini_ignore_cwd = 1;
	if (ephpm_sapi_module.startup(&ephpm_sapi_module) == FAILURE) {
		return -1;
	}
	sapi_module.name = EPHPM_SAPI_NAME;
	/* Scripts resolve relative includes against their own directory through
	 * include_path; never chdir the whole process per request. */
	SG(options) |= SAPI_OPTION_NO_CHDIR;
#ifdef ZEND_SIGNALS
	/* Do not let PHP take over SIGINT/SIGTERM/SIGHUP/SIGUSR* at each request:
	 * Go owns the process's signals (graceful shutdown). */
	SIGG(reset) = 0;
#endif
	ephpm_restore_go_sigprof();
	return 0;
}

void ephpm_shutdown(void)
{
	php_module_shutdown();
	sapi_shutdown();
#ifdef ZTS
	tsrm_shutdown();
#endif
	ephpm_restore_go_sigprof();
}

void ephpm_thread_init(void)
{
#ifdef ZTS
	(void)ts_resource(0);
#ifdef ZEND_SIGNALS
	SIGG(reset) = 0;
#endif
	EG(timeout_seconds) = 0;
#endif
}

/* Request mode runs PHP on whichever OS thread the serving goroutine is
 * on (see runtime.go). With ZTS such a thread gets its own PHP context the
 * first time, and keeps it: Go reuses a small set of threads. */
static __thread int thread_has_context;

void *ephpm_thread_prepare(uintptr_t *tid)
{
	if (tid) {
		*tid = ephpm_thread_self();
	}
#ifdef ZTS
	if (!thread_has_context) {
		ephpm_thread_init();
		thread_has_context = 1;
	}
#endif
	return ephpm_thread_executor_globals();
}

void ephpm_thread_shutdown(void)
{
#ifdef ZTS
	ts_free_thread();
#endif
}

/* ---- one request ---- */

#ifdef ZTS
/* The thread-safe PHP gives each thread a virtual working directory, which
 * php_execute_script sets to the script's directory and back, checking
 * each with a stat (2 per request). When the realpath cache already knows
 * that directory (every request after the thread's first), the same
 * directory is set from the cache without the stats: getcwd(), relative
 * paths and chdir() in the script see what they saw. Returns 1 when it
 * did (PHP is told not to, and ephpm_chdir_back undoes it), 0 to leave
 * it to PHP. */
static int ephpm_chdir_script_dir(const char *filename, cwd_state *outer)
{
	SG(options) &= ~SAPI_OPTION_NO_CHDIR;
	if (!filename || !CWDG(realpath_cache_size_limit) || !CWDG(cwd).cwd) {
		return 0;
	}
	const char *slash = strrchr(filename, '/');
	if (!slash || filename[0] != '/') {
		return 0;
	}
	size_t len = slash == filename ? 1 : (size_t)(slash - filename);
	time_t t = CWDG(realpath_cache_ttl) ? time(NULL) : -1;
	realpath_cache_bucket *b = realpath_cache_lookup(filename, len, t);
	if (!b || !b->is_dir) {
		return 0;
	}
	*outer = CWDG(cwd);
	CWDG(cwd).cwd = emalloc(b->realpath_len + 1);
	memcpy(CWDG(cwd).cwd, b->realpath, b->realpath_len);
	CWDG(cwd).cwd[b->realpath_len] = '\0';
	CWDG(cwd).cwd_length = b->realpath_len;
	SG(options) |= SAPI_OPTION_NO_CHDIR;
	return 1;
}

/* Where php_execute_script would have gone back to: the directory the
 * request started in (its shutdown functions run there). */
static void ephpm_chdir_back(cwd_state *outer)
{
	if (CWDG(cwd).cwd) {
		efree(CWDG(cwd).cwd);
	}
	CWDG(cwd) = *outer;
}
#endif


uintptr_t ephpm_cur_slot(void)
{
	return cur_slot;
}

void ephpm_fill_request_info(uintptr_t slot, const ephpm_request *req)
{
	cur_slot = slot;
	cur_req = req;
	SG(server_context) = (void *)slot;
	SG(sapi_headers).http_response_code = 200;
	SG(request_info).headers_only = 0;
	SG(request_info).no_headers = 0;
	SG(request_info).auth_user = NULL;
	SG(request_info).auth_password = NULL;
	SG(request_info).auth_digest = NULL;
	if (!req) {
		SG(request_info).request_method = NULL;
		SG(request_info).query_string = NULL;
		SG(request_info).request_uri = NULL;
		SG(request_info).path_translated = NULL;
		SG(request_info).content_type = NULL;
		SG(request_info).content_length = 0;
		SG(request_info).cookie_data = NULL;
		return;
	}
	cur_request_time = req->request_time;
	SG(request_info).request_method = req->method;
	SG(request_info).query_string = (char *)req->query_string;
	SG(request_info).request_uri = (char *)req->script_name;
	SG(request_info).path_translated = (char *)req->script_filename;
	SG(request_info).content_type = req->content_type;
	SG(request_info).content_length = req->content_length < 0 ? 0 : req->content_length;
	SG(request_info).cookie_data = (char *)req->cookie;
	SG(request_info).proto_num = req->proto_num;
	/* php_handle_auth_data fills auth_user/auth_password (freed by
	 * sapi_deactivate). */
	if (req->authorization) {
		php_handle_auth_data(req->authorization);
	}
}

void ephpm_kv_request_done(void); /* kvfuncs.c */

void ephpm_request_run(uintptr_t slot, const ephpm_request *req, ephpm_result *res)
{
	zend_file_handle file_handle;

	res->status = 0;
	res->bailout = 0;
	res->startup_failed = 0;
	res->memory = 0;
	res->out_headers = 0;
	res->out_len = 0;
	/* After a reload, the first request on this thread forgets the old
	 * release's resolved paths (reload.c). */
	ephpm_release_thread_check();
	ephpm_worker_thread_reset();
	ephpm_fill_request_info(slot, req);
	/* Zero: PHP's startup arms no timer and its shutdown disarms none
	 * (a late timeout of the previous request may have set it). */
	EG(timeout_seconds) = 0;
	uint64_t interrupts_before = __atomic_load_n(&interrupts, __ATOMIC_SEQ_CST);

	if (php_request_startup() == FAILURE) {
		ephpm_restore_go_sigprof();
		res->startup_failed = 1;
		php_request_shutdown(NULL);
		goto done;
	}
#ifndef EPHPM_PHP_SIGPROF_ONLY_WITH_TIMER
	/* Debian's libphp installs PHP's SIGPROF handler at every request
	 * start; the thread-safe PHP of scripts/build-php-zts.sh only when it
	 * arms a timer, which never happens here: one sigaction less. */
	ephpm_restore_go_sigprof();
#endif
	/* The first request after a reload marks OPcache's scripts stale. */
	ephpm_release_after_startup();
	/* EG(timeout_seconds) stays 0: Go enforces the limit and puts it
	 * there only when it fires, for PHP's message. */
	cur_time_limit = INI_INT("max_execution_time");
	/* Go arms the limit before the call with the value it saw last (one
	 * call into Go less per request); only a different one is told. */
	if (!req->limit_armed || req->armed_limit != cur_time_limit) {
		ephpm_go_request_started(slot, cur_time_limit);
	}

	zend_stream_init_filename(&file_handle, req->script_filename);
	file_handle.primary_script = 1;
	EG(exit_status) = 0;
#ifdef ZTS
	cwd_state outer_cwd;
	int own_chdir = ephpm_chdir_script_dir(req->script_filename, &outer_cwd);
#endif
	zend_try {
		if (!php_execute_script(&file_handle)) {
			res->bailout = 1;
		}
	} zend_catch {
		res->bailout = 1;
	} zend_end_try();
#ifdef ZTS
	if (own_chdir) {
		ephpm_chdir_back(&outer_cwd);
	}
#endif
	/* A handle PHP put on CG(open_files) is freed at request shutdown; with
	 * OPcache serving the script it is not there, and is ours to free. */
	if (!file_handle.in_list) {
		zend_destroy_file_handle(&file_handle);
	}

	if (EG(exit_status) == 255) {
		res->bailout = 1;
	}
	res->status = SG(sapi_headers).http_response_code;
	res->memory = zend_memory_usage(0);

	php_request_shutdown(NULL);
	ephpm_signal_guard_after_request();
#ifndef ZEND_SIGNALS
	/* Only PHP's startup and its timeout error install its SIGPROF
	 * handler; the startup's was undone above. */
	if (__atomic_load_n(&interrupts, __ATOMIC_SEQ_CST) != interrupts_before)
#endif
		ephpm_restore_go_sigprof();
	EG(timeout_seconds) = 0;

done:
	/* The request is gone: KV values it was handed uncopied may be reused
	 * (kvfuncs.c, shared strings). */
	ephpm_kv_request_done();
	/* What PHP wrote last (at shutdown at the latest) is still here. The
	 * request mode's caller hands it to Go itself once this returns, on
	 * this thread before it runs PHP again: a call into Go less per
	 * request (each is a P the scheduler must find for the thread). */
	if (res->defer_output && cur_slot) {
		res->out_headers = hdr_pending;
		res->hdr_status = hdr_status;
		res->hdr_default_ct = hdr_default_ct;
		res->hdr = hdr_buf;
		res->hdr_len = hdr_len;
		res->out = out_buf;
		res->out_len = out_len;
		hdr_pending = 0;
		out_len = 0;
	} else {
		ephpm_output_push();
	}
	SG(server_context) = NULL;
	SG(request_info).request_method = NULL;
	SG(request_info).query_string = NULL;
	SG(request_info).request_uri = NULL;
	SG(request_info).path_translated = NULL;
	SG(request_info).content_type = NULL;
	SG(request_info).cookie_data = NULL;
	cur_slot = 0;
	cur_req = NULL;
}

/* The size of a string ephpm_zval_set_stringl refused to allocate on this
 * thread (0: none), for ephpm_raise_refused_alloc. */
static __thread size_t refused_alloc;

/* Called from Go while PHP is inside one of our functions: the allocation
 * can hit memory_limit, whose fatal error longjmps. Catch it here so the
 * jump never crosses Go frames; the caller re-raises after Go returns.
 * A string of memory_limit bytes or more can never fit, and is not tried:
 * PHP 8.2.36 (Debian's libphp) answers an allocation past twice the limit
 * made this way (as random_bytes() makes one) with "Hard memory limit ...
 * exhausted" and kills the process (the whole server), where str_repeat()'s
 * gets the fatal error. The caller raises that error instead after Go
 * returned (ephpm_raise_refused_alloc). A smaller string is tried: it can
 * only fail within twice the limit, where PHP raises its usual error. */
int ephpm_zval_set_stringl(void *zv, const char *data, size_t len)
{
	zend_long limit = PG(memory_limit);
	if (limit > 0 && len >= (size_t)limit) {
		refused_alloc = len;
		return -1;
	}
	volatile int failed = 0;
	zend_try {
		ZVAL_STRINGL((zval *)zv, data, len);
	} zend_catch {
		failed = 1;
	} zend_end_try();
	return failed ? -1 : 0;
}

/* After a call into Go that returned EPHPM_KV_ALLOC_FAILED: if the string
 * was refused before its allocation (above), raise PHP's memory_limit fatal
 * error for it here, outside Go (else the error was raised already). */
void ephpm_raise_refused_alloc(void)
{
	size_t len = refused_alloc;
	if (len == 0) {
		return;
	}
	refused_alloc = 0;
	/* PHP's own message for an allocation past memory_limit, raised rather
	 * than provoked by allocating (which may get the "Hard memory limit"
	 * kill above). */
	zend_error_noreturn(E_ERROR, "Allowed memory size of " ZEND_LONG_FMT " bytes exhausted (tried to allocate %zu bytes)",
		PG(memory_limit), ZEND_MM_ALIGNED_SIZE(_ZSTR_STRUCT_SIZE(len)));
}
