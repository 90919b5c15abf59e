/*
 * Deep recursion through internal functions ends the request, not the
 * server.
 *
 * PHP 8.2's VM runs userland calls without recursing in C (deep userland
 * recursion reaches memory_limit: a fatal error of that request), but a
 * cycle through an internal function (array_map('f', ...) calling f,
 * usort or preg_replace_callback callbacks, call_user_func) recurses on
 * the thread's C stack, and at its end the thread hits its guard page:
 * SIGSEGV, the whole process gone with every request in it (php-fpm only
 * loses one worker). PHP 8.3 added zend.max_allowed_stack_size for this;
 * 8.2 has no check, so ephpm makes one: every internal function call goes
 * through zend_execute_internal, which throws PHP 8.3's Error
 * ("Maximum call stack size of N bytes reached. Infinite recursion?")
 * when the thread's stack has less than EPHPM_STACK_RESERVE left, before
 * the function runs. The script may catch it; uncaught, its request ends
 * with a fatal error (500) and the server keeps serving.
 *
 * Only the thread's own stack is checked: a Fiber's stack (mmap'ed by
 * PHP, its bounds private to zend_fibers.c) lies outside it and is left
 * unchecked. Cost: one indirect call, two thread-local loads and a
 * compare per internal function call.
 */
#include "php.h"
#include "ephpm_internal.h"

#include <pthread.h>
#include <stdint.h>

/* Left for what runs between two internal calls (a VM frame, a callback's
 * setup, an internal function's own recursion such as var_dump's of a
 * nested array, PCRE) and for the error's own throw and unwinding. */
#define EPHPM_STACK_RESERVE (256 * 1024)

static void (*prev_execute_internal)(zend_execute_data *execute_data, zval *return_value);

/* This thread's own stack as pthread reports it (shared with
 * fiberstack_linux.c): hi == 0 until first learnt, lo == hi == 1 when it
 * cannot be known (then nothing is compared against it). */
__thread uintptr_t ephpm_stack_lo, ephpm_stack_hi;

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
	}
	return ok;
}

static ZEND_COLD void throw_overflow(zval *return_value)
{
	zend_throw_error(NULL, "Maximum call stack size of %zu bytes reached. Infinite recursion?",
		(size_t)(ephpm_stack_hi - ephpm_stack_lo));
	ZVAL_NULL(return_value);
}

static void ephpm_execute_internal(zend_execute_data *execute_data, zval *return_value)
{
	uintptr_t sp = (uintptr_t)__builtin_frame_address(0);
	if (UNEXPECTED(ephpm_stack_hi == 0)) {
		ephpm_learn_thread_stack();
	}
	/* In the bottom EPHPM_STACK_RESERVE of this thread's stack (unsigned:
	 * a Fiber's stack elsewhere, or an unknown stack, never is), and the
	 * stack large enough for the reserve to leave room above it. */
	if (UNEXPECTED(sp - ephpm_stack_lo < EPHPM_STACK_RESERVE) &&
	    ephpm_stack_hi - ephpm_stack_lo > 2 * EPHPM_STACK_RESERVE) {
		throw_overflow(return_value);
		return;
	}
	if (prev_execute_internal) {
		prev_execute_internal(execute_data, return_value);
	} else {
		execute_data->func->internal_function.handler(execute_data, return_value);
	}
}

void ephpm_stack_guard_minit(void)
{
	if (zend_execute_internal != ephpm_execute_internal) {
		prev_execute_internal = zend_execute_internal;
		zend_execute_internal = ephpm_execute_internal;
	}
}
