/*
 * Calls from C into Go made while PHP runs a Fiber.
 *
 * PHP 8.1's Fibers run PHP code on C stacks of their own (mmap'ed by
 * zend_fibers.c, switched to by boost.context's jump_fcontext). Every call
 * from our C code into Go (output, flush, headers, logging, the ephpm_kv_*
 * slow paths: all exported functions) goes through cgo's crosscall2, which
 * enters Go on the thread's g0 with the current stack pointer. On a thread
 * Go created (every PHP thread, and the CLI's main thread) Go trusts the
 * g0 stack bounds it recorded for the thread, so with the stack pointer on
 * a Fiber's stack the first stack check on g0 fails and the whole process
 * dies: "fatal error: morestack on g0" (echo of more than the output
 * buffer, flush(), a logged warning, error_log() or an ephpm_kv_* call made
 * inside a Fiber ended the server). Go adjusts the bounds only for threads
 * C created (callbackUpdateSystemStack), not for its own.
 *
 * So every call into Go is routed through __wrap_crosscall2 (the linker's
 * --wrap, fiberstack_linux.go): on the thread's own stack (always, unless a
 * Fiber runs) it calls crosscall2 at once; on another stack it runs
 * crosscall2 on the thread's stack instead, just below the point where the
 * thread's main context was suspended when the first Fiber was entered
 * (EG(main_fiber_context)->handle: boost saves the suspended context's
 * registers at its stack pointer, and nothing below that is in use while
 * any Fiber runs, the main context being suspended). That address lies
 * within the g0 bounds Go knows, so Go runs as it does outside Fibers.
 * Arguments and results are passed through memory (crosscall2's argument
 * frame stays where the caller put it), so nothing else changes.
 */
#include "php.h"
#include "zend_fibers.h"
#include "ephpm_internal.h"

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

void __real_crosscall2(void (*fn)(void *), void *a, int c, size_t ctxt);
void __wrap_crosscall2(void (*fn)(void *), void *a, int c, size_t ctxt);

/* ephpm_fiber_call_on_stack(fn, arg, top) calls fn(arg) with the stack
 * pointer at top (16-byte aligned), then returns on the caller's stack. */
void ephpm_fiber_call_on_stack(void (*fn)(void *), void *arg, void *top) __attribute__((visibility("hidden")));

#if defined(__x86_64__)
__asm__(
	".text\n"
	".p2align 4\n"
	".globl ephpm_fiber_call_on_stack\n"
	".hidden ephpm_fiber_call_on_stack\n"
	".type ephpm_fiber_call_on_stack,@function\n"
	"ephpm_fiber_call_on_stack:\n"
	"	pushq %rbp\n"           /* rbp is callee-saved: it keeps our stack */
	"	movq %rsp, %rbp\n"
	"	movq %rdx, %rsp\n"      /* aligned: the call below pushes the return address as the ABI wants */
	"	movq %rdi, %rax\n"
	"	movq %rsi, %rdi\n"
	"	callq *%rax\n"
	"	movq %rbp, %rsp\n"
	"	popq %rbp\n"
	"	retq\n"
	".size ephpm_fiber_call_on_stack, .-ephpm_fiber_call_on_stack\n");
#define EPHPM_FIBER_SWITCH 1
#elif defined(__aarch64__)
__asm__(
	".text\n"
	".p2align 2\n"
	".globl ephpm_fiber_call_on_stack\n"
	".hidden ephpm_fiber_call_on_stack\n"
	".type ephpm_fiber_call_on_stack,%function\n"
	"ephpm_fiber_call_on_stack:\n"
	"	stp x29, x30, [sp, #-16]!\n" /* x29 is callee-saved: it keeps our stack */
	"	mov x29, sp\n"
	"	mov sp, x2\n"
	"	mov x9, x0\n"
	"	mov x0, x1\n"
	"	blr x9\n"
	"	mov sp, x29\n"
	"	ldp x29, x30, [sp], #16\n"
	"	ret\n"
	".size ephpm_fiber_call_on_stack, .-ephpm_fiber_call_on_stack\n");
#define EPHPM_FIBER_SWITCH 1
#endif

static inline int on_thread_stack(uintptr_t sp)
{
	return sp > ephpm_stack_lo && sp <= ephpm_stack_hi;
}

#ifdef EPHPM_FIBER_SWITCH
/* Room the call into Go needs on the thread's stack below the suspended
 * main context: Go's g0 frames for the callback (cgocallback, exitsyscall,
 * the allocator's system-stack work) take a few KB; Go's own guard is
 * below that. */
#define EPHPM_FIBER_MIN_ROOM (256 * 1024)

struct go_call {
	void (*fn)(void *);
	void *a;
	int c;
	size_t ctxt;
};

static void go_call_run(void *p)
{
	struct go_call *k = p;
	__real_crosscall2(k->fn, k->a, k->c, k->ctxt);
}

/* The stack pointer to call Go with while a Fiber runs, or 0 when there is
 * no suspended main context on this thread's stack (then nothing changes). */
static uintptr_t main_context_top(void)
{
	zend_fiber_context *main_ctx = EG(main_fiber_context);
	if (main_ctx == NULL || EG(current_fiber_context) == main_ctx || main_ctx->handle == NULL) {
		return 0;
	}
	/* boost's jump_fcontext left the main context's registers at handle
	 * and upwards; keep well clear of them (and of any red zone). */
	uintptr_t h = (uintptr_t)main_ctx->handle;
	if (h > ephpm_stack_hi || h < ephpm_stack_lo + EPHPM_FIBER_MIN_ROOM) {
		return 0;
	}
	return (h - 512) & ~(uintptr_t)15;
}
#endif

void __wrap_crosscall2(void (*fn)(void *), void *a, int c, size_t ctxt)
{
	uintptr_t sp = (uintptr_t)__builtin_frame_address(0);
	if (EXPECTED(on_thread_stack(sp)) || (ephpm_stack_hi == 0 && ephpm_learn_thread_stack() && on_thread_stack(sp))) {
		__real_crosscall2(fn, a, c, ctxt);
		return;
	}
#ifdef EPHPM_FIBER_SWITCH
	uintptr_t top = main_context_top();
	if (top != 0) {
		struct go_call k = {fn, a, c, ctxt};
		ephpm_fiber_call_on_stack(go_call_run, &k, (void *)top);
		return;
	}
#endif
	__real_crosscall2(fn, a, c, ctxt);
}
