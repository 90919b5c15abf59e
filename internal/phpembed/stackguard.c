/*
 * Deep recursion ends the request, not the server.
 *
 * PHP 8.2's VM runs userland calls without recursing in C (deep userland
 * recursion reaches memory_limit: a fatal error of that request), but
 * some cycles recurse on the thread's C stack, and at its end the thread
 * hits its guard page: SIGSEGV, the whole process gone with every request
 * in it (php-fpm only loses one worker). Two kinds:
 *  - through an internal function (array_map('f', ...) calling f, usort
 *    or preg_replace_callback callbacks, call_user_function);
 *  - through a method the engine calls by itself, with no internal
 *    function in the cycle: __toString (`(string)$this` in __toString),
 *    __get/__set/__isset/__unset, ArrayAccess offsetGet/offsetSet,
 *    Iterator methods of a foreach, __clone, __destruct, autoloaders.
 *    The engine calls these through zend_call_function (directly or by
 *    zend_call_known_function and friends).
 * PHP 8.3 added zend.max_allowed_stack_size for this; 8.2 has no check, so
 * ephpm makes one at both doors: every internal function call goes
 * through zend_execute_internal, and every zend_call_function is routed
 * through ours (below: the executable's definition takes the shared
 * libphp's calls; the single binary uses the linker's --wrap). Near the
 * end of the stack they throw PHP 8.3's Error ("Maximum call stack size
 * of N bytes reached. Infinite recursion?") before the function runs. The
 * script may catch it; uncaught, its request ends with a fatal error (500)
 * and the server keeps serving.
 *
 * The stack checked is the one the code runs on: the thread's own, or a
 * PHP Fiber's (mmap'ed by zend_fibers.c, found through
 * EG(current_fiber_context)). Cost on the common path: two thread-local
 * loads, a subtraction and a compare per internal call and per
 * zend_call_function (plus, in the shared-libphp build, the indirect call
 * to the real zend_call_function).
 */
#include "php.h"
#include "zend_fibers.h"
#include "ephpm_internal.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#ifndef EPHPM_WRAP_CALL_FUNCTION
#include <dlfcn.h>
#endif

/* Left for what runs between two checks (a VM frame, a callback's setup,
 * an internal function's own recursion such as var_dump's of a nested
 * array, PCRE) and for the error's own throw and unwinding. A stack not
 * larger than twice this is never checked. */
#define EPHPM_STACK_RESERVE (256 * 1024)

static void (*prev_execute_internal)(zend_execute_data *execute_data, zval *return_value);

/* This thread's own stack as pthread reports it (shared with
 * fiberstack_linux.c): hi == 0 until first learnt, lo == hi == 1 when it
 * cannot be known (then nothing is compared against it). */
__thread uintptr_t ephpm_stack_lo, ephpm_stack_hi;

/* The fast test: sp - guard_lo < guard_span holds exactly when sp lies on
 * the thread's stack above its reserve. Both 0 until the stack is learnt
 * (and when it is unknown or too small), so that every test fails and
 * takes the slow path, stack_exhausted(). */
static __thread uintptr_t guard_lo, guard_span;

int ephpm_learn_thread_stack(void)
{
	pthread_attr_t attr;
	void *addr;
	size_t size;
	ephpm_stack_lo = ephpm_stack_hi = 1;
	if (pthread_getattr_np(pthread_self(), &attr) != 0) {
		return 0;
	}
	int ok = pthread_attr_getstack(&attr, &addr, &size) == 0;
	pthread_attr_destroy(&attr);
	if (ok) {
		ephpm_stack_lo = (uintptr_t)addr;
		ephpm_stack_hi = (uintptr_t)addr + size;
		if (size > 2 * EPHPM_STACK_RESERVE) {
			guard_lo = ephpm_stack_lo + EPHPM_STACK_RESERVE;
			guard_span = size - EPHPM_STACK_RESERVE;
		}
	}
	return ok;
}

/* The head of zend_fibers.c's private struct _zend_fiber_stack (PHP 8.1
 * to 8.3): the usable stack, above the guard page, and its size. */
struct fiber_stack_head {
	void *pointer;
	size_t size;
};

/* Size of the stack sp is on when that stack is nearly used up (less than
 * EPHPM_STACK_RESERVE left), else 0. */
static ZEND_COLD zend_never_inline size_t stack_exhausted(uintptr_t sp)
{
	if (ephpm_stack_hi == 0) {
		ephpm_learn_thread_stack();
	}
	uintptr_t lo = ephpm_stack_lo, size = ephpm_stack_hi - ephpm_stack_lo;
	if (sp - lo >= size) {
		/* Not on the thread's stack: a Fiber's? */
		zend_fiber_context *ctx = EG(current_fiber_context);
		if (ctx == NULL || ctx == EG(main_fiber_context) || ctx->stack == NULL) {
			return 0;
		}
		const struct fiber_stack_head *fs = (const struct fiber_stack_head *)ctx->stack;
		lo = (uintptr_t)fs->pointer;
		size = fs->size;
		if (sp - lo >= size) {
			return 0; /* neither: leave it alone */
		}
	}
	if (size > 2 * EPHPM_STACK_RESERVE && sp - lo < EPHPM_STACK_RESERVE) {
		return size;
	}
	return 0;
}

/* Size of the current stack when it is nearly used up, else 0. */
static zend_always_inline size_t stack_check(void)
{
	uintptr_t sp = (uintptr_t)__builtin_frame_address(0);
	if (EXPECTED(sp - guard_lo < guard_span)) {
		return 0;
	}
	return stack_exhausted(sp);
}

static ZEND_COLD zend_never_inline void throw_overflow(size_t size)
{
	zend_throw_error(NULL, "Maximum call stack size of %zu bytes reached. Infinite recursion?", size);
}

static void ephpm_execute_internal(zend_execute_data *execute_data, zval *return_value)
{
	size_t size = stack_check();
	if (UNEXPECTED(size != 0)) {
		throw_overflow(size);
		ZVAL_NULL(return_value);
		return;
	}
	if (prev_execute_internal) {
		prev_execute_internal(execute_data, return_value);
	} else {
		execute_data->func->internal_function.handler(execute_data, return_value);
	}
}

/* Before a call through zend_call_function and friends: near the end of
 * the stack, throw. The real function then sees the pending exception and
 * returns at once, as it does for any exception pending at a call
 * (retval UNDEF, the callable's cache released), so its callers unwind as
 * they would from a callee that threw. */
static zend_always_inline void call_guard(void)
{
	size_t size = stack_check();
	if (UNEXPECTED(size != 0) && EG(active) && !EG(exception)) {
		throw_overflow(size);
	}
}

#ifdef EPHPM_WRAP_CALL_FUNCTION
/* The single binary links libphp.a statically: the linker's --wrap
 * (stackguard_static.go) routes the calls other objects make to these
 * entry points through the wrappers below. Calls inside
 * zend_execute_API.o itself are not wrapped (--wrap only rewrites
 * undefined references), hence every exported door of that file that
 * leads to zend_call_function is wrapped, not only zend_call_function. */
zend_result __real_zend_call_function(zend_fcall_info *fci, zend_fcall_info_cache *fci_cache);
zend_result __wrap_zend_call_function(zend_fcall_info *fci, zend_fcall_info_cache *fci_cache)
{
	call_guard();
	return __real_zend_call_function(fci, fci_cache);
}

void __real_zend_call_known_function(zend_function *fn, zend_object *object, zend_class_entry *called_scope,
	zval *retval_ptr, uint32_t param_count, zval *params, HashTable *named_params);
void __wrap_zend_call_known_function(zend_function *fn, zend_object *object, zend_class_entry *called_scope,
	zval *retval_ptr, uint32_t param_count, zval *params, HashTable *named_params)
{
	call_guard();
	__real_zend_call_known_function(fn, object, called_scope, retval_ptr, param_count, params, named_params);
}

void __real_zend_call_known_instance_method_with_2_params(zend_function *fn, zend_object *object,
	zval *retval_ptr, zval *param1, zval *param2);
void __wrap_zend_call_known_instance_method_with_2_params(zend_function *fn, zend_object *object,
	zval *retval_ptr, zval *param1, zval *param2)
{
	call_guard();
	__real_zend_call_known_instance_method_with_2_params(fn, object, retval_ptr, param1, param2);
}

zend_result __real_zend_call_method_if_exists(zend_object *object, zend_string *method_name, zval *retval,
	uint32_t param_count, zval *params);
zend_result __wrap_zend_call_method_if_exists(zend_object *object, zend_string *method_name, zval *retval,
	uint32_t param_count, zval *params)
{
	call_guard();
	return __real_zend_call_method_if_exists(object, method_name, retval, param_count, params);
}

zend_result __real__call_user_function_impl(zval *object, zval *function_name, zval *retval_ptr,
	uint32_t param_count, zval params[], HashTable *named_params);
zend_result __wrap__call_user_function_impl(zval *object, zval *function_name, zval *retval_ptr,
	uint32_t param_count, zval params[], HashTable *named_params)
{
	call_guard();
	return __real__call_user_function_impl(object, function_name, retval_ptr, param_count, params, named_params);
}

static void resolve_real_call_function(void)
{
}
#else
/* The shared libphp calls its own exported functions through its PLT
 * (every call to zend_call_function in it does, zend_call_known_function's
 * included), so this definition in the executable takes them all; the
 * real one is found next in the lookup order. */
static zend_result (*real_zend_call_function)(zend_fcall_info *fci, zend_fcall_info_cache *fci_cache);

static void resolve_real_call_function(void)
{
	if (real_zend_call_function == NULL) {
		real_zend_call_function = (zend_result(*)(zend_fcall_info *, zend_fcall_info_cache *))dlsym(RTLD_NEXT, "zend_call_function");
		if (real_zend_call_function == NULL) {
			fprintf(stderr, "ephpm: zend_call_function not found in libphp: %s\n", dlerror());
			abort();
		}
	}
}

/* Resolved before main: the first call may come from any PHP thread. */
__attribute__((constructor)) static void resolve_at_load(void)
{
	resolve_real_call_function();
}

zend_result zend_call_function(zend_fcall_info *fci, zend_fcall_info_cache *fci_cache)
{
	call_guard();
	return real_zend_call_function(fci, fci_cache);
}
#endif

void ephpm_stack_guard_minit(void)
{
	resolve_real_call_function();
	if (zend_execute_internal != ephpm_execute_internal) {
		prev_execute_internal = zend_execute_internal;
		zend_execute_internal = ephpm_execute_internal;
	}
}
