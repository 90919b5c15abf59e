/*
 * The C half of ephpm's PHP SAPI. Go owns the logic (routing, the request
 * queue, timeouts, the KV store); C only does what must happen inside PHP:
 * the sapi_module_struct callbacks, the request lifecycle calls, and the PHP
 * functions that call into Go. Everything here works with a thread-safe
 * (ZTS) and a non-thread-safe (NTS) libphp; the difference is handled with
 * PHP's own ZTS macro.
 */
#ifndef EPHPM_H
#define EPHPM_H

#include <stddef.h>
#include <stdint.h>

/* One HTTP request as Go hands it to a PHP thread. Strings are owned by Go's
 * C allocations and live until ephpm_request_run returns. */
typedef struct {
	const char *method;
	const char *request_uri;     /* raw path + query, as received */
	const char *query_string;    /* without '?', "" if none */
	const char *script_filename; /* absolute path of the script to run */
	const char *script_name;     /* URL path of the script, e.g. /index.php */
	const char *content_type;    /* NULL if absent */
	int64_t content_length;      /* -1 if unknown */
	const char *cookie;          /* joined Cookie headers, NULL if absent */
	const char *authorization;   /* Authorization header, NULL if absent */
	int proto_num;               /* 1000 for HTTP/1.0, 1001 for HTTP/1.1, 2000 for HTTP/2 */
	double request_time;         /* unix seconds */
	/* $_SERVER, encoded as repeated: u32 key length, key bytes, u32 value
	 * length, value bytes (native endianness). */
	const char *server_vars;
	size_t server_vars_len;
	/* Go has armed max_execution_time (armed_limit seconds) before the
	 * call: ephpm_request_run calls ephpm_go_request_started only when
	 * PHP's value at startup differs. 0: Go armed nothing. */
	int limit_armed;
	long armed_limit;
} ephpm_request;

/* Result of one request, filled by ephpm_request_run. */
typedef struct {
	int status;       /* final http_response_code */
	int bailout;      /* 1 if the script ended through a fatal error/bailout */
	int startup_failed;
	size_t memory;    /* zend_memory_usage(0) at the end of the script, before shutdown */
	/* In: 1 = leave the request's last output to the caller (below)
	 * instead of calling into Go for it. Out: what that output is, in
	 * this thread's buffers, valid until the thread's next PHP call. */
	int defer_output;
	int out_headers;  /* 1: the headers are not handed over yet */
	int hdr_status;
	int hdr_default_ct;
	const char *hdr;  /* "Name: value\0" repeated */
	size_t hdr_len;
	const char *out;
	size_t out_len;
} ephpm_result;

/* Process lifecycle, called once from Go on one locked OS thread. */
int ephpm_startup(const char *ini_entries, const char *ini_path);
void ephpm_shutdown(void);
int ephpm_is_zts(void);
const char *ephpm_php_version(void);

/* Per PHP thread (ZTS: allocates this thread's PHP globals; NTS: no-op). */
void ephpm_thread_init(void);
/* Gives the calling thread a PHP context if it has none (ZTS) and returns
 * its executor globals; *tid, if not NULL, gets ephpm_thread_self(). */
void *ephpm_thread_prepare(uintptr_t *tid);
void ephpm_thread_shutdown(void);

/* Runs one request on the calling (PHP) thread. slot identifies the Go
 * worker; every callback into Go carries it. */
void ephpm_request_run(uintptr_t slot, const ephpm_request *req, ephpm_result *res);

/* The executor globals of the calling PHP thread, for ephpm_interrupt. */
void *ephpm_thread_executor_globals(void);
/* Asks the PHP thread owning eg to stop with PHP's "Maximum execution time"
 * fatal error at its next VM check; safe to call from any thread. */
void ephpm_interrupt(void *eg);
/* ephpm_interrupt for a request's timeout, naming its limit (seconds) in
 * PHP's "Maximum execution time" error. */
void ephpm_interrupt_limit(void *eg, long secs);
/* Wakes the PHP thread from a blocking sleep so it sees the interrupt. */
void ephpm_thread_kick(uintptr_t pthread_id);
uintptr_t ephpm_thread_self(void);

/* ephpm_go_kv_get results other than a length. */
#define EPHPM_KV_MISS (-1)
#define EPHPM_KV_IN_RETVAL (-2)
#define EPHPM_KV_ALLOC_FAILED (-3)

/* Helpers the Go side calls while PHP is inside one of our functions. */
int ephpm_zval_set_stringl(void *zv, const char *data, size_t len);
void ephpm_raise_refused_alloc(void);

#endif
