/*
 * Worker mode: the worker script runs as one long PHP request per PHP thread
 * and takes HTTP requests one after another. Between two HTTP requests the
 * per-request SAPI state (superglobals, headers, status, output buffers,
 * uploaded files, the request body) is torn down and built again, the way
 * php_request_shutdown/php_request_startup do it, without touching what the
 * application keeps in memory.
 */
#include "php.h"
#include "php_main.h"
#include "php_variables.h"
#include "SAPI.h"
#include "php_output.h"
#include "rfc1867.h"
#include "zend_exceptions.h"
#include "zend_interfaces.h"
#include "ext/standard/head.h"

#include "ephpm.h"
#include "ephpm_internal.h"
#include "_cgo_export.h"

static zend_class_entry *envelope_ce;

/* 1 while an HTTP request taken by the worker script is being answered. */
static __thread int serving;

/* Whether this run's slot is a worker (1), not (0), or not asked yet (-1).
 * A slot's mode is fixed for the runtime's life, so it is asked from Go
 * once per run (ephpm_worker_thread_reset) instead of at every
 * ephpm_handle_request(): a call into Go less per worker-mode request. */
static __thread int worker_mode = -1;

/* ext/filter keeps raw copies of every request variable for
 * filter_input() and frees them only at its request shutdown, which a
 * worker never reaches: without this they pile up, a few KB per request.
 * Its shutdown handler does nothing else, so it is safe to run here. */
static void reset_filter_copies(void)
{
	static __thread zend_module_entry *filter = NULL;
	static __thread int looked = 0;
	if (!looked) {
		filter = zend_hash_str_find_ptr(&module_registry, "filter", sizeof("filter") - 1);
		looked = 1;
	}
	if (filter && filter->request_shutdown_func) {
		filter->request_shutdown_func(filter->type, filter->module_number);
	}
}

/* Tears down the per-request SAPI state of the current (HTTP or idle)
 * request. Answers the HTTP request first if one is being served. */
static void worker_end_state(void)
{
	zend_try {
		php_output_end_all();
		if (!SG(headers_sent)) {
			sapi_send_headers();
		}
	} zend_end_try();

	int served = serving;
	if (serving) {
		/* A session the request started is saved before the client
		 * hears the end of the response (and may send the next one). */
		ephpm_reset_session_end();
		serving = 0;
		ephpm_output_push_worker_done(SG(sapi_headers).http_response_code);
	}

	zend_try {
		php_output_deactivate();
	} zend_end_try();
	for (int i = 0; i < NUM_TRACK_VARS; i++) {
		zval_ptr_dtor(&PG(http_globals)[i]);
		ZVAL_UNDEF(&PG(http_globals)[i]);
	}
	if (SG(request_info).request_body) {
		php_stream_close(SG(request_info).request_body);
		SG(request_info).request_body = NULL;
	}
	reset_filter_copies();
	sapi_deactivate();
	/* sapi_deactivate frees these without clearing them. */
	SG(request_info).content_type_dup = NULL;
	SG(request_info).current_user = NULL;
	if (served) {
		/* ini, env, locale, cwd back to the boot's (reset.c). */
		ephpm_reset_after_request();
	}
}

/* $_SERVER and $_REQUEST are "just in time" globals (auto_globals_jit, on
 * by default): PHP builds one when code naming it is compiled, or loaded
 * from OPcache, or when PHP itself asks (filter_input(INPUT_SERVER)), and
 * a request whose code never names $_SERVER never pays for building it
 * (about 20 variables, 1.5-2 us). A worker's code was compiled at boot and
 * is not compiled again for each request, so the worker builds them
 * itself for every request, but only once something on this thread has
 * wanted them (the callbacks below note it, and it stays so): a worker
 * that never names $_SERVER skips it as request mode does. Until then
 * PHP's own trigger stays armed for each request, so code compiled or
 * loaded during one builds it with that request's values. */
static struct {
	const char *name;
	size_t len;
	zend_auto_global_callback php; /* PHP's own; NULL: not wrapped */
} jit_globals[] = {
	{ZEND_STRL("_SERVER"), NULL},
	{ZEND_STRL("_REQUEST"), NULL},
};
#define JIT_GLOBALS (sizeof(jit_globals) / sizeof(jit_globals[0]))
static __thread bool jit_wanted[JIT_GLOBALS];

static bool jit_global_built(zend_string *name)
{
	for (size_t i = 0; i < JIT_GLOBALS; i++) {
		if (zend_string_equals_cstr(name, jit_globals[i].name, jit_globals[i].len)) {
			jit_wanted[i] = 1;
			return jit_globals[i].php(name);
		}
	}
	return 0;
}

/* At module startup, before any PHP thread copies the compiler's table of
 * auto globals (ZTS). */
static void watch_jit_globals(void)
{
	for (size_t i = 0; i < JIT_GLOBALS; i++) {
		zend_auto_global *ag = zend_hash_str_find_ptr(CG(auto_globals), jit_globals[i].name, jit_globals[i].len);
		if (ag && ag->auto_global_callback && ag->auto_global_callback != jit_global_built) {
			jit_globals[i].php = ag->auto_global_callback;
			ag->auto_global_callback = jit_global_built;
		}
	}
}

/* After php_hash_environment (which arms the JIT globals again): builds
 * the wanted ones, and takes any other out of the global scope, where the
 * previous request's would otherwise still be. */
static void jit_globals_begin(void)
{
	for (size_t i = 0; i < JIT_GLOBALS; i++) {
		if (jit_wanted[i] || !jit_globals[i].php) {
			zend_is_auto_global_str(jit_globals[i].name, jit_globals[i].len);
		} else {
			zend_hash_str_del(&EG(symbol_table), jit_globals[i].name, jit_globals[i].len);
		}
	}
}

/* Builds the per-request SAPI state for req (NULL: an idle state with no
 * client, so the worker script always runs inside a valid request). */
static void worker_begin_state(const ephpm_request *req)
{
	/* Output made between requests (at boot, say) has no client. */
	ephpm_output_discard();
	ephpm_fill_request_info(ephpm_cur_slot(), req);
	if (!req) {
		SG(server_context) = NULL;
	}
	php_output_activate();
	sapi_activate();
	SG(sapi_headers).http_response_code = 200;
	if (req && PG(expose_php)) {
		/* What php_request_startup adds; a header_remove() of the
		 * previous request must not outlive it. */
		sapi_add_header(SAPI_PHP_VERSION_HEADER, sizeof(SAPI_PHP_VERSION_HEADER) - 1, 1);
	}
	PG(connection_status) = PHP_CONNECTION_NORMAL;
	PG(header_is_being_sent) = 0;
	if (PG(output_handler) && PG(output_handler)[0]) {
		zval oh;
		ZVAL_STRING(&oh, PG(output_handler));
		php_output_start_user(&oh, 0, PHP_OUTPUT_HANDLER_STDFLAGS);
		zval_ptr_dtor(&oh);
	} else if (PG(output_buffering)) {
		php_output_start_user(NULL, PG(output_buffering) > 1 ? PG(output_buffering) : 0, PHP_OUTPUT_HANDLER_STDFLAGS);
	} else if (PG(implicit_flush)) {
		php_output_set_implicit_flush(1);
	}
	php_hash_environment();
	jit_globals_begin();
	if (req) {
		serving = 1;
		/* A client that hangs up ends its request in request mode; here
		 * the request is the worker script, and ending it would reboot
		 * the application. connection_aborted() still tells. */
		PG(ignore_user_abort) = 1;
		/* Go armed the limit when it handed req over, with the value it
		 * saw last; only a different one is told (a worker script may
		 * set its own at boot, which every request starts from). */
		zend_long limit = INI_INT("max_execution_time");
		if (!req->limit_armed || req->armed_limit != limit) {
			ephpm_go_request_started(ephpm_cur_slot(), limit);
		}
	}
}

/* Ends the current request and waits for the next. Returns 0 when the
 * worker should stop (shutdown, or recycling after worker_max_requests). */
static int worker_next(void)
{
	/* The first request of this run: what the boot set up is the state
	 * every request starts from. */
	ephpm_reset_capture();
	worker_end_state();
	/* The heap once the request's state is gone: what the application
	 * keeps (worker_max_memory, the threads view). */
	const ephpm_request *req = ephpm_go_worker_next(ephpm_cur_slot(), zend_memory_usage(0));
	worker_begin_state(req);
	return req != NULL;
}

void ephpm_worker_thread_reset(void)
{
	serving = 0;
	worker_mode = -1;
	ephpm_reset_run_start();
}

/* ---- \Ephpm\Worker\Envelope ---- */

static void envelope_set(zval *obj, const char *name, zval *value)
{
	zend_update_property(envelope_ce, Z_OBJ_P(obj), name, strlen(name), value);
}

static void build_headers(zval *out)
{
	array_init(out);
	zval *server = &PG(http_globals)[TRACK_VARS_SERVER];
	if (Z_TYPE_P(server) != IS_ARRAY) {
		return;
	}
	zend_string *key;
	zval *val;
	ZEND_HASH_FOREACH_STR_KEY_VAL(Z_ARRVAL_P(server), key, val) {
		if (!key || Z_TYPE_P(val) != IS_STRING) continue;
		const char *k = ZSTR_VAL(key);
		size_t klen = ZSTR_LEN(key);
		const char *name;
		size_t nlen;
		if (klen > 5 && strncmp(k, "HTTP_", 5) == 0) {
			name = k + 5;
			nlen = klen - 5;
		} else if (strcmp(k, "CONTENT_TYPE") == 0 || strcmp(k, "CONTENT_LENGTH") == 0) {
			name = k;
			nlen = klen;
		} else {
			continue;
		}
		/* HTTP_X_FORWARDED_FOR -> X-Forwarded-For */
		zend_string *h = zend_string_alloc(nlen, 0);
		int upper = 1;
		for (size_t i = 0; i < nlen; i++) {
			char c = name[i];
			if (c == '_') {
				ZSTR_VAL(h)[i] = '-';
				upper = 1;
			} else {
				ZSTR_VAL(h)[i] = upper ? toupper((unsigned char)c) : tolower((unsigned char)c);
				upper = 0;
			}
		}
		ZSTR_VAL(h)[nlen] = '\0';
		Z_TRY_ADDREF_P(val);
		zend_symtable_update(Z_ARRVAL_P(out), h, val);
		zend_string_release(h);
	} ZEND_HASH_FOREACH_END();
}

static void copy_global(zval *dst, int track)
{
	zval *src = &PG(http_globals)[track];
	if (Z_TYPE_P(src) == IS_ARRAY) {
		ZVAL_ARR(dst, zend_array_dup(Z_ARRVAL_P(src)));
	} else {
		array_init(dst);
	}
}

/* The envelope's getters return the property filled when it was made. */
#define ENVELOPE_GETTER(method, prop) \
	PHP_METHOD(Envelope, method) \
	{ \
		ZEND_PARSE_PARAMETERS_NONE(); \
		zval rv; \
		RETURN_COPY(zend_read_property(envelope_ce, Z_OBJ_P(ZEND_THIS), prop, sizeof(prop) - 1, 0, &rv)); \
	}

ENVELOPE_GETTER(serverVars, "server")
ENVELOPE_GETTER(headers, "headers")
ENVELOPE_GETTER(cookies, "cookies")
ENVELOPE_GETTER(query, "query")

PHP_METHOD(Envelope, rawBody)
{
	ZEND_PARSE_PARAMETERS_NONE();
	zval rv;
	zval *body = zend_read_property(envelope_ce, Z_OBJ_P(ZEND_THIS), "body", sizeof("body") - 1, 0, &rv);
	if (Z_TYPE_P(body) == IS_STRING) {
		RETURN_COPY(body);
	}
	/* Read on first use: the body streams from the client. */
	php_stream *s = php_stream_open_wrapper("php://input", "rb", 0, NULL);
	zend_string *data = NULL;
	if (s) {
		data = php_stream_copy_to_mem(s, PHP_STREAM_COPY_ALL, 0);
		php_stream_close(s);
	}
	if (!data) {
		data = ZSTR_EMPTY_ALLOC();
	}
	zval zdata;
	ZVAL_STR(&zdata, data);
	envelope_set(ZEND_THIS, "body", &zdata);
	RETURN_STR(data);
}

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_envelope_array, 0, 0, IS_ARRAY, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_envelope_string, 0, 0, IS_STRING, 0)
ZEND_END_ARG_INFO()

static const zend_function_entry envelope_methods[] = {
	PHP_ME(Envelope, serverVars, arginfo_envelope_array, ZEND_ACC_PUBLIC)
	PHP_ME(Envelope, headers, arginfo_envelope_array, ZEND_ACC_PUBLIC)
	PHP_ME(Envelope, cookies, arginfo_envelope_array, ZEND_ACC_PUBLIC)
	PHP_ME(Envelope, query, arginfo_envelope_array, ZEND_ACC_PUBLIC)
	PHP_ME(Envelope, rawBody, arginfo_envelope_string, ZEND_ACC_PUBLIC)
	PHP_FE_END
};

void ephpm_worker_minit(void)
{
	ephpm_reset_minit();
	watch_jit_globals();
	zend_class_entry ce;
	INIT_NS_CLASS_ENTRY(ce, "Ephpm\\Worker", "Envelope", envelope_methods);
	envelope_ce = zend_register_internal_class_ex(&ce, NULL);
	envelope_ce->ce_flags |= ZEND_ACC_FINAL | ZEND_ACC_NO_DYNAMIC_PROPERTIES;
	zend_declare_property_null(envelope_ce, "server", sizeof("server") - 1, ZEND_ACC_PRIVATE);
	zend_declare_property_null(envelope_ce, "headers", sizeof("headers") - 1, ZEND_ACC_PRIVATE);
	zend_declare_property_null(envelope_ce, "cookies", sizeof("cookies") - 1, ZEND_ACC_PRIVATE);
	zend_declare_property_null(envelope_ce, "query", sizeof("query") - 1, ZEND_ACC_PRIVATE);
	zend_declare_property_null(envelope_ce, "body", sizeof("body") - 1, ZEND_ACC_PRIVATE);
}

static int require_worker_mode(void)
{
	if (worker_mode < 0) {
		worker_mode = ephpm_go_worker_mode(ephpm_cur_slot()) ? 1 : 0;
	}
	if (!worker_mode) {
		zend_throw_error(NULL, "%s() is only available in worker mode ([php] mode = \"worker\")", get_active_function_name());
		return 0;
	}
	return 1;
}

/* \Ephpm\Worker\take_request(): ?Envelope */
PHP_FUNCTION(ephpm_worker_take_request)
{
	ZEND_PARSE_PARAMETERS_NONE();
	if (!require_worker_mode()) {
		RETURN_THROWS();
	}
	if (!worker_next()) {
		RETURN_NULL();
	}
	object_init_ex(return_value, envelope_ce);
	zval tmp;
	zend_is_auto_global_str(ZEND_STRL("_SERVER")); /* the envelope carries it */
	copy_global(&tmp, TRACK_VARS_SERVER);
	envelope_set(return_value, "server", &tmp);
	zval_ptr_dtor(&tmp);
	build_headers(&tmp);
	envelope_set(return_value, "headers", &tmp);
	zval_ptr_dtor(&tmp);
	copy_global(&tmp, TRACK_VARS_COOKIE);
	envelope_set(return_value, "cookies", &tmp);
	zval_ptr_dtor(&tmp);
	copy_global(&tmp, TRACK_VARS_GET);
	envelope_set(return_value, "query", &tmp);
	zval_ptr_dtor(&tmp);
}

/* \Ephpm\Worker\send_response(int $status, array $headers, string $body): void */
PHP_FUNCTION(ephpm_worker_send_response)
{
	zend_long status;
	HashTable *headers;
	zend_string *body;
	ZEND_PARSE_PARAMETERS_START(3, 3)
		Z_PARAM_LONG(status)
		Z_PARAM_ARRAY_HT(headers)
		Z_PARAM_STR(body)
	ZEND_PARSE_PARAMETERS_END();
	if (!require_worker_mode()) {
		RETURN_THROWS();
	}
	if (!serving) {
		zend_throw_error(NULL, "send_response(): no request is being served (call take_request() first)");
		RETURN_THROWS();
	}
	if (!SG(headers_sent)) {
		SG(sapi_headers).http_response_code = (int)status;
		zend_string *name;
		zval *val;
		ZEND_HASH_FOREACH_STR_KEY_VAL(headers, name, val) {
			if (!name) continue;
			zval *one;
			zval single;
			HashTable *values;
			HashTable tmp;
			if (Z_TYPE_P(val) == IS_ARRAY) {
				values = Z_ARRVAL_P(val);
			} else {
				zend_hash_init(&tmp, 1, NULL, ZVAL_PTR_DTOR, 0);
				ZVAL_COPY(&single, val);
				zend_hash_next_index_insert(&tmp, &single);
				values = &tmp;
			}
			int first = 1;
			ZEND_HASH_FOREACH_VAL(values, one) {
				zend_string *s = zval_get_string(one);
				sapi_header_line ctr = {0};
				zend_string *line = zend_strpprintf(0, "%s: %s", ZSTR_VAL(name), ZSTR_VAL(s));
				ctr.line = ZSTR_VAL(line);
				ctr.line_len = ZSTR_LEN(line);
				sapi_header_op(first ? SAPI_HEADER_REPLACE : SAPI_HEADER_ADD, &ctr);
				first = 0;
				zend_string_release(line);
				zend_string_release(s);
			} ZEND_HASH_FOREACH_END();
			if (values == &tmp) {
				zend_hash_destroy(&tmp);
			}
		} ZEND_HASH_FOREACH_END();
		/* sapi_header_op may have changed the code (Location: 302). */
		SG(sapi_headers).http_response_code = (int)status;
	}
	PHPWRITE(ZSTR_VAL(body), ZSTR_LEN(body));
	worker_end_state();
	worker_begin_state(NULL);
}

/* ephpm_handle_request(callable $handler): bool */
PHP_FUNCTION(ephpm_handle_request)
{
	zend_fcall_info fci;
	zend_fcall_info_cache fcc;
	ZEND_PARSE_PARAMETERS_START(1, 1)
		Z_PARAM_FUNC(fci, fcc)
	ZEND_PARSE_PARAMETERS_END();
	if (!require_worker_mode()) {
		RETURN_THROWS();
	}
	if (!worker_next()) {
		RETURN_FALSE;
	}
	zval retval;
	ZVAL_UNDEF(&retval);
	fci.retval = &retval;
	zend_call_function(&fci, &fcc);
	zval_ptr_dtor(&retval);
	/* An exception (exit() included) leaves the handler: the response so
	 * far is sent and the exception goes on up the worker script. An
	 * uncaught error with nothing sent yet is a 500, as in request mode. */
	if (EG(exception) && !zend_is_unwind_exit(EG(exception)) && !SG(headers_sent)) {
		SG(sapi_headers).http_response_code = 500;
	}
	worker_end_state();
	worker_begin_state(NULL);
	if (EG(exception)) {
		RETURN_THROWS();
	}
	RETURN_TRUE;
}
