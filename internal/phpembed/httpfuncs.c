/*
 * PHP functions about the HTTP response that only the server SAPI has
 * (not `ephpm php`, whose php-cli has none of them either):
 *
 *   headers_send(int $status = 200): int   FrankenPHP's convention for 103
 *       Early Hints: with a 1xx status, the headers set so far go out as an
 *       interim response and stay set for the final one; with another
 *       status, the final headers are sent now (as flush() would).
 *   fastcgi_finish_request(): bool          php-fpm's name, which Laravel and
 *   ephpm_finish_request(): bool            Symfony call when it exists: the
 *       client gets the whole response now; the script goes on, its later
 *       output is dropped.
 */
#include "php.h"
#include "SAPI.h"
#include "php_output.h"
#include "ext/standard/head.h"

#include "ephpm.h"
#include "ephpm_internal.h"
#include "_cgo_export.h"

/* The Go slot of the HTTP request being answered on this thread, 0 if none
 * (a worker script between requests has no client). */
static uintptr_t http_slot(void)
{
	return (uintptr_t)SG(server_context);
}

PHP_FUNCTION(headers_send)
{
	zend_long status = 200;
	ZEND_PARSE_PARAMETERS_START(0, 1)
		Z_PARAM_OPTIONAL
		Z_PARAM_LONG(status)
	ZEND_PARSE_PARAMETERS_END();

	uintptr_t slot = http_slot();
	if (status < 100 || status > 199) {
		/* A final status: send the headers now, as FrankenPHP does. */
		if (ZEND_NUM_ARGS() > 0 && !SG(headers_sent)) {
			SG(sapi_headers).http_response_code = (int)status;
		}
		RETURN_LONG(sapi_send_headers());
	}
	if (!slot || SG(headers_sent) || status == 101) {
		/* No client, the final response has begun, or a protocol switch
		 * this server does not do: nothing can be sent. */
		RETURN_LONG(0);
	}
	/* The headers set so far, "Name: value\0" repeated, as ephpm_send_headers
	 * hands the final ones over; PHP keeps them for the final response. */
	size_t total = 0;
	zend_llist_position pos;
	sapi_header_struct *h;
	for (h = zend_llist_get_first_ex(&SG(sapi_headers).headers, &pos); h; h = zend_llist_get_next_ex(&SG(sapi_headers).headers, &pos)) {
		total += h->header_len + 1;
	}
	char *buf = emalloc(total + 1);
	char *p = buf;
	for (h = zend_llist_get_first_ex(&SG(sapi_headers).headers, &pos); h; h = zend_llist_get_next_ex(&SG(sapi_headers).headers, &pos)) {
		memcpy(p, h->header, h->header_len);
		p += h->header_len;
		*p++ = '\0';
	}
	int sent = ephpm_go_send_interim(slot, (int)status, buf, total);
	efree(buf);
	RETURN_LONG(sent ? SAPI_HEADER_SENT_SUCCESSFULLY : 0);
}

PHP_FUNCTION(ephpm_finish_request)
{
	ZEND_PARSE_PARAMETERS_NONE();
	uintptr_t slot = http_slot();
	if (!slot) {
		RETURN_FALSE;
	}
	/* As php-fpm: every output buffer ends (its content goes out), the
	 * headers are sent if they were not; later output reaches no buffer
	 * and is dropped by Go. */
	php_output_end_all();
	php_header();
	RETURN_BOOL(ephpm_output_push_finish(slot) != 0);
}

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_headers_send, 0, 0, IS_LONG, 0)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, status, IS_LONG, 0, "200")
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_finish_request, 0, 0, _IS_BOOL, 0)
ZEND_END_ARG_INFO()

static const zend_function_entry http_functions[] = {
	PHP_FE(headers_send, arginfo_headers_send)
	PHP_FE(ephpm_finish_request, arginfo_finish_request)
	ZEND_NAMED_FE(fastcgi_finish_request, ZEND_FN(ephpm_finish_request), arginfo_finish_request)
	PHP_FE_END
};

/* Called from the server module's startup; the functions belong to it. */
void ephpm_http_minit(void)
{
	zend_register_functions(NULL, http_functions, NULL, MODULE_PERSISTENT);
}
