/*
 * `ephpm php`: PHP's start-up allocations (its function, class and ini
 * tables, malloc'd by pemalloc) on transparent huge pages.
 *
 * Starting PHP mallocs about 1.5 MB (php -n) to 3.3 MB (Debian's php.ini
 * and extensions), almost all of it written once: glibc's heap grows by
 * brk and each 4 KB page of it costs a page fault on first touch. On a VM
 * a fault is expensive (~30 us measured on the benchmark VM, a Firecracker
 * guest), and those faults were a third of `php -r 'echo 1;'`'s wall time,
 * php's as much as ours. glibc can put its heap on huge pages itself, but
 * only when told before the process starts (GLIBC_TUNABLES=
 * glibc.malloc.hugetlb=1), which a program cannot do for itself. This does
 * the same from inside, once, before PHP starts: grow the heap now by
 * heap_reserve bytes in one brk (malloc and free a block that size with
 * the mmap threshold lifted), advise the new range MADV_HUGEPAGE, and keep
 * glibc from trimming it back. PHP then allocates inside the advised range
 * and each 2 MB of it costs one fault. The kernel backs only what is
 * touched, one huge page at a time; without THP (or with it set to
 * "never") the advice does nothing and the heap behaves as before.
 *
 * Only `ephpm php` does this (ephpm_cli_start); the server's PHP threads
 * allocate per request through PHP's own allocator.
 */
#include <malloc.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cli.h"

/* More than PHP's start-up needs with every Debian extension (~3.3 MB):
 * what is left is address space only, never touched. */
#define HEAP_RESERVE ((size_t)16 << 20)
#define HUGE_PAGE ((uintptr_t)2 << 20)
/* glibc's defaults of M_MMAP_THRESHOLD and M_TOP_PAD (mallopt(3)), put
 * back after the growth. */
#define DEFAULT_MMAP_THRESHOLD (128 * 1024)
#define DEFAULT_TOP_PAD (128 * 1024)

void ephpm_cli_heap_hugepages(void)
{
#if defined(__GLIBC__) && defined(MADV_HUGEPAGE)
	/* Not trimmed back by a free() at the top of the heap: brk would
	 * then grow it again as a new mapping without the advice. */
	mallopt(M_TRIM_THRESHOLD, (int)(2 * HEAP_RESERVE));
	mallopt(M_TOP_PAD, 0);
	mallopt(M_MMAP_THRESHOLD, (int)(2 * HEAP_RESERVE));
	uintptr_t start = (uintptr_t)sbrk(0);
	char *grow = malloc(HEAP_RESERVE);
	mallopt(M_MMAP_THRESHOLD, DEFAULT_MMAP_THRESHOLD);
	mallopt(M_TOP_PAD, DEFAULT_TOP_PAD);
	if (grow == NULL) {
		return;
	}
	uintptr_t end = (uintptr_t)sbrk(0);
	if (start == (uintptr_t)-1 || end <= start || (uintptr_t)grow + HEAP_RESERVE > end) {
		free(grow); /* not from a brk heap that just grew */
		return;
	}
	/* PHP allocates upwards from where the block begins (glibc's top
	 * chunk), in the old heap's last partial huge page first: up to 2 MB
	 * of 4 KB faults, depending on where the randomised heap base put it.
	 * The block shrinks to end just below the first huge page boundary
	 * instead of being freed, so what is freed, and allocated from next,
	 * starts there (the rest of the partial huge page is address space
	 * left unused, never touched). A chunk is its 16-byte-aligned user
	 * size plus 8 bytes of header, so n = distance - 8 ends it exactly
	 * 16 bytes (the next chunk's header) below the boundary. */
	uintptr_t from = ((uintptr_t)grow + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
	if (from - (uintptr_t)grow >= 64) {
		char *spacer = realloc(grow, from - (uintptr_t)grow - 8);
		(void)spacer; /* shrinking a heap chunk stays in place; kept for good */
	} else {
		free(grow);
	}
	/* Whole huge pages only, and not the last one: glibc wrote the top
	 * chunk's header near the end, which put a 4 KB page there. */
	uintptr_t to = (end - 1) & ~(HUGE_PAGE - 1);
	if (to > from) {
		madvise((void *)from, to - from, MADV_HUGEPAGE);
	}
#endif
}
