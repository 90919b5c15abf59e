/*
 * The ephpm_kv_* PHP functions: argument parsing in C (so PHP raises its
 * usual TypeError / ArgumentCountError), then at most one direct call into
 * the Go store. Semantics live in Go (internal/kv); see SPEC section 1.
 * Two answers need no call at all, because a call into Go costs more than
 * the store's own work: a miss proven by the store's presence filter, and
 * an increment of a counter the store keeps in its C-visible table. Both
 * read tables the store owns and maintains, under protocols stated in
 * internal/kv/filter.go and promote.go.
 */
#include "php.h"
#include "zend_API.h"

#include "ephpm.h"
#include "_cgo_export.h"

#include <stdint.h>
#include <string.h>
#include <time.h>

/*
 * Misses without calling into Go. A call into Go costs more than the
 * store's lookup itself, so a key that is surely absent is answered here:
 * the store keeps a presence filter (internal/kv/filter.go), one-byte
 * counters indexed by PHP's hash of the key, which count every key in
 * the store before it is inserted and until after it is removed; a zero
 * counter proves the key absent at the moment it was read. The filter is
 * the store's (Go memory, pinned by kvexports.go while installed).
 */
static const uint32_t *kv_filter; /* atomic; NULL: not installed */
static int kv_filter_bits;

void ephpm_kv_set_filter(uintptr_t table, int line_bits)
{
	__atomic_store_n(&kv_filter, (const uint32_t *)NULL, __ATOMIC_SEQ_CST);
	kv_filter_bits = line_bits;
	__atomic_store_n(&kv_filter, (const uint32_t *)table, __ATOMIC_SEQ_CST);
}

/* PHP's own hash of s, for the check against kv.FilterHash at startup. */
unsigned long long ephpm_kv_filter_hash(const char *s, size_t n)
{
	return zend_hash_func(s, n);
}

/* The filter's layout (kv.FilterLineBits and the comment above it): lines
 * of 64 bytes (16 words), the first 16 bytes of each a lookup cache entry
 * (Go pointers: never read here), then 48 one-byte counters. */
#define KV_LINE_MULTIPLIER 0x9E3779B97F4A7C15ULL   /* kv.LineMultiplier */
#define KV_FILTER_MULTIPLIER 0xD6E8FEB86659FD93ULL /* kv.FilterMultiplier */

/* The key's hash is PHP's, computed once per string and kept in it. */
static inline int kv_surely_absent(zend_string *key)
{
	const uint32_t *f = __atomic_load_n(&kv_filter, __ATOMIC_ACQUIRE);
	if (f == NULL) {
		return 0;
	}
	uint64_t h = (uint64_t)ZSTR_HASH(key);
	uint64_t line = (h * KV_LINE_MULTIPLIER) >> (64 - kv_filter_bits);
	uint64_t c = (((h * KV_FILTER_MULTIPLIER) >> 58) * 48) >> 6;
	uint32_t w = __atomic_load_n(&f[line * 16 + 4 + (c >> 2)], __ATOMIC_ACQUIRE);
	return ((w >> ((c & 3) * 8)) & 0xff) == 0;
}

/*
 * Whether a get reads the presence filter before calling into Go. When
 * reads spread over more keys than the CPU's caches hold (a million keys
 * read evenly), the filter's line is a cache miss of its own, and the
 * call into Go (whose locked instructions wait for every load before
 * them) cannot start until it is done: one more dependent miss on every
 * hit, for nothing when gets rarely miss. So each thread counts, over
 * windows of KV_FILTER_WINDOW gets that get this far (not answered from
 * the published table), those that missed: after a window with fewer
 * than one in KV_FILTER_SKIP_BELOW misses the filter is not read in the
 * next window, after any other it is. Only the cost changes: a miss the
 * filter would have answered is answered by Go, the same miss (and
 * counted so, so that the next window reads the filter again if misses
 * become common). (Go then reads the lookup cache's line, which shares
 * the filter's, itself: there the CPU overlaps that miss with the index's,
 * as no locked instruction lies between them; measured in Go, the read
 * costs the same with that line cached or not.)
 */
#define KV_FILTER_WINDOW 256
#define KV_FILTER_SKIP_BELOW 16
static __thread uint32_t kv_fw_gets, kv_fw_misses;
static __thread int kv_fw_skip;

static inline int kv_filter_skipped(void)
{
	return kv_fw_skip;
}

static inline void kv_filter_note(int miss)
{
	kv_fw_misses += (uint32_t)miss;
	if (++kv_fw_gets == KV_FILTER_WINDOW) {
		kv_fw_skip = kv_fw_misses * KV_FILTER_SKIP_BELOW < KV_FILTER_WINDOW;
		kv_fw_gets = kv_fw_misses = 0;
	}
}

/*
 * Increments without calling into Go: the store keeps counters without
 * TTL (keys up to 40 bytes) in a table of words value << 22 | generation
 * << 2 | state (internal/kv/promote.go, which states the protocol). An
 * entry is checked here like a seqlock (seq even and unchanged around the
 * reads of key and word, key bytes equal), then its word is replaced by
 * compare-and-swap, keeping generation and state: that succeeds only while
 * the same binding is live. Anything else goes to Go.
 */
struct kv_centry {
	uint64_t seq;
	int64_t word;
	uint32_t clock;
	uint32_t klen;
	char key[40];
};
struct kv_ctable {
	uint32_t tick;
	char pad[60];
	struct kv_centry e[];
};
static struct kv_ctable *kv_ctab; /* atomic; NULL: not installed */
static int kv_ctab_bits;

void ephpm_kv_set_ctable(uintptr_t table, int bits)
{
	__atomic_store_n(&kv_ctab, (struct kv_ctable *)NULL, __ATOMIC_SEQ_CST);
	kv_ctab_bits = bits;
	__atomic_store_n(&kv_ctab, (struct kv_ctable *)table, __ATOMIC_SEQ_CST);
}

#define KV_CTAB_MULTIPLIER 0xC2B2AE3D27D4EB4FULL /* kv.CtabMultiplier */
#define KV_VAL_SHIFT 22
#define KV_GEN_MASK ((1LL << 20) - 1)
#define KV_VAL_MIN (-(1LL << 41))
#define KV_VAL_MAX ((1LL << 41) - 1)

static inline int kv_incr_fast(zend_string *key, zend_long delta, zend_long *out)
{
	struct kv_ctable *t = __atomic_load_n(&kv_ctab, __ATOMIC_ACQUIRE);
	size_t n = ZSTR_LEN(key);
	if (t == NULL || n == 0 || n > sizeof(t->e[0].key) || delta < KV_VAL_MIN || delta > KV_VAL_MAX) {
		return 0;
	}
	uint64_t h = (uint64_t)ZSTR_HASH(key);
	struct kv_centry *e = &t->e[(h * KV_CTAB_MULTIPLIER) >> (64 - kv_ctab_bits)];
	uint64_t q = __atomic_load_n(&e->seq, __ATOMIC_ACQUIRE);
	int64_t w = __atomic_load_n(&e->word, __ATOMIC_ACQUIRE);
	if ((q & 1) || (w & 3) != 1 || __atomic_load_n(&e->klen, __ATOMIC_RELAXED) != n ||
	    memcmp(e->key, ZSTR_VAL(key), n) != 0) {
		return 0;
	}
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	if (__atomic_load_n(&e->seq, __ATOMIC_RELAXED) != q) {
		return 0;
	}
	int64_t gen = (w >> 2) & KV_GEN_MASK;
	for (int tries = 0; tries < 8; tries++) {
		int64_t r = (w >> KV_VAL_SHIFT) + delta;
		if (r < KV_VAL_MIN || r > KV_VAL_MAX) {
			return 0;
		}
		int64_t nw = (int64_t)((uint64_t)r << KV_VAL_SHIFT) | (w & ((1LL << KV_VAL_SHIFT) - 1));
		if (__atomic_compare_exchange_n(&e->word, &w, nw, 0, __ATOMIC_SEQ_CST, __ATOMIC_ACQUIRE)) {
			uint32_t tick = __atomic_load_n(&t->tick, __ATOMIC_RELAXED);
			if (__atomic_load_n(&e->clock, __ATOMIC_RELAXED) != tick) {
				__atomic_store_n(&e->clock, tick, __ATOMIC_RELAXED);
			}
			*out = (zend_long)r;
			return 1;
		}
		/* w is the word now: still the same live binding? */
		if ((w & 3) != 1 || ((w >> 2) & KV_GEN_MASK) != gen) {
			return 0;
		}
	}
	return 0;
}

/*
 * Hits without calling into Go: the store copies the values of keys read
 * again and again into a table outside the Go heap (internal/kv/publish.go,
 * which states the protocol): a seqlock per entry, which holds one key's
 * bytes and value. An entry is used when its seq is even and unchanged
 * around the reads of its fields and, again, after the value was copied
 * into the new PHP string: then it was live, so its value current, for the
 * whole copy. A deadline is compared with CLOCK_MONOTONIC_COARSE plus the
 * store's calibrated base, which is never behind the store's clock: near
 * the deadline Go answers. Anything else (no entry, another key, a writer
 * at work) goes to Go, as before. The table is mapped memory that is never
 * unmapped, and holds no Go pointers.
 */
#define KV_PUB_MULTIPLIER 0x9FB21C651E98DF25ULL /* kv.PubMultiplier */
#define KV_RELAXED(p) __atomic_load_n(&(p), __ATOMIC_RELAXED)
/* A buffer: key, padding to 8 bytes, zend_string (kv.bufSize). */
#define KV_ZSTR_OFF(n) (((uint64_t)(n) + 7) & ~(uint64_t)7)

uintptr_t ephpm_cur_slot(void); /* sapi.c */

struct kv_pentry {
	uint64_t seq;
	int64_t deadline;
	uint64_t off;
	uint64_t gen;
	uint64_t hash;
	uint32_t klen;
	uint32_t vlen;
	uint32_t clock;
	uint32_t live;
	uint32_t cap;
	uint32_t pad;
};
struct kv_pheader {
	uint32_t tick;
	uint32_t pad;
	int64_t cbase;
	uint32_t entries;
	uint32_t bits;
	uint64_t arena;
	uint64_t arena_size;
	uint64_t epoch;     /* reclamation epoch (Go advances it) */
	uint32_t share_min; /* values of at least this size may be shared; 0: none */
	uint32_t str_type;
	uint32_t slot_next; /* reader slots claimed (fetch-add) */
	uint32_t slots;     /* reader slots, 64 bytes each, just before the arena */
};
static char *kv_pub; /* atomic; NULL: not installed */

void ephpm_kv_set_published(uintptr_t table)
{
	__atomic_store_n(&kv_pub, (char *)table, __ATOMIC_SEQ_CST);
}

/* The zend_string header the store writes before each value (kv.zstrHeader,
 * refcount | type_info | h | len), and the type of an interned string
 * that lives as long as a request: PHP never counts references to it,
 * frees it or writes into it (every in-place change first checks
 * ZSTR_IS_INTERNED; PCRE's valid-UTF-8 flag too), and with its hash set
 * nobody computes one. Not IS_STR_PERSISTENT/PERMANENT: code that keeps a
 * string beyond the request copies such a string. */
_Static_assert(offsetof(zend_string, val) == 24, "kv.zstrHeader");
unsigned ephpm_kv_shared_str_type(void)
{
	return GC_STRING | (IS_STR_INTERNED << GC_FLAGS_SHIFT);
}

/*
 * Shared strings (publish.go, "Shared strings"): large values are handed
 * to PHP as the interned zend_string in the table, without a copy, in
 * requests that end through ephpm_request_run, which then calls
 * ephpm_kv_request_done after php_request_shutdown. This thread's reader
 * slot holds the epoch it announced at its first shared read of the
 * request (0: none), so the store reuses no buffer this request may hold.
 * Worker scripts (one request that never ends: a static variable could
 * hold a value for ever) and `ephpm php` (no slot) copy, as before.
 */
static __thread uint64_t *kv_slot;   /* this thread's slot, in kv_slot_tab */
static __thread char *kv_slot_tab;   /* the table it belongs to */
static __thread int kv_share_state;  /* 0: not asked this request, 1: share, -1: copy */

static int kv_share_allowed(void)
{
	if (EXPECTED(kv_share_state != 0)) {
		return kv_share_state > 0;
	}
	uintptr_t slot = ephpm_cur_slot();
	kv_share_state = (slot != 0 && !ephpm_go_worker_mode(slot)) ? 1 : -1;
	return kv_share_state > 0;
}

static uint64_t *kv_reader_slot(char *base, const struct kv_pheader *hd)
{
	if (EXPECTED(kv_slot_tab == base)) {
		return kv_slot;
	}
	if (kv_slot != NULL && KV_RELAXED(*kv_slot) != 0) {
		return NULL; /* still announced in another table this request */
	}
	uint32_t i = __atomic_fetch_add((uint32_t *)&hd->slot_next, 1, __ATOMIC_RELAXED);
	kv_slot_tab = base;
	kv_slot = i < hd->slots ? (uint64_t *)(base + hd->arena - (uint64_t)hd->slots * 64 + (uint64_t)i * 64) : NULL;
	return kv_slot;
}

/* After php_request_shutdown (sapi.c): nothing of the request is left, so
 * nothing it read is held. */
void ephpm_kv_request_done(void)
{
	if (kv_slot != NULL && KV_RELAXED(*kv_slot) != 0) {
		__atomic_store_n(kv_slot, 0, __ATOMIC_RELEASE);
	}
	kv_share_state = 0;
}


static zend_always_inline zend_string *kv_get_published(zend_string *key)
{
	char *base = __atomic_load_n(&kv_pub, __ATOMIC_ACQUIRE);
	if (base == NULL) {
		return NULL;
	}
	const struct kv_pheader *hd = (const struct kv_pheader *)base;
	uint64_t h = (uint64_t)ZSTR_HASH(key);
	size_t n = ZSTR_LEN(key);
	uint64_t i = (h * KV_PUB_MULTIPLIER) >> (64 - hd->bits);
	/* The hint bits (one per entry, after the header): a key never
	 * published costs a load from this small array, not a cache miss on
	 * its entry. Only a hint: the entry's own seq and fields decide. */
	const uint64_t *hints = (const uint64_t *)(base + sizeof(*hd));
	if (!(KV_RELAXED(hints[i >> 6]) & (1ULL << (i & 63)))) {
		return NULL;
	}
	struct kv_pentry *e = (struct kv_pentry *)(base + sizeof(*hd) + (hd->entries >> 3)) + i;
	uint64_t q = __atomic_load_n(&e->seq, __ATOMIC_ACQUIRE);
	if ((q & 1) || KV_RELAXED(e->live) != 1 || KV_RELAXED(e->hash) != h || KV_RELAXED(e->klen) != n) {
		return NULL;
	}
	uint64_t off = KV_RELAXED(e->off);
	uint32_t vlen = KV_RELAXED(e->vlen);
	int64_t deadline = KV_RELAXED(e->deadline);
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	if (KV_RELAXED(e->seq) != q || off > hd->arena_size ||
	    KV_ZSTR_OFF(n) + 24 + (uint64_t)vlen + 1 > hd->arena_size - off) {
		return NULL;
	}
	/* The fields are one binding's: off and vlen are real. */
	if (deadline != 0) {
		struct timespec ts;
		if (hd->cbase == 0 || clock_gettime(CLOCK_MONOTONIC_COARSE, &ts) != 0 ||
		    (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec + hd->cbase >= deadline) {
			return NULL;
		}
	}
	const char *buf = base + hd->arena + off;
	if (memcmp(buf, ZSTR_VAL(key), n) != 0) {
		return NULL;
	}
	zend_string *z = (zend_string *)(buf + KV_ZSTR_OFF(n));
	zend_string *s;
	uint32_t share_min = KV_RELAXED(hd->share_min);
	uint64_t *slot;
	if (share_min != 0 && vlen >= share_min && kv_share_allowed() && (slot = kv_reader_slot(base, hd)) != NULL) {
		/* Announce (once per request) before the last check, with a full
		 * fence between: the store's scan then sees this slot, or this
		 * check sees its claim (publish.go). */
		if (KV_RELAXED(*slot) == 0) {
			__atomic_store_n(slot, __atomic_load_n(&hd->epoch, __ATOMIC_SEQ_CST), __ATOMIC_SEQ_CST);
		}
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		if (KV_RELAXED(e->seq) != q || ZSTR_LEN(z) != vlen || ZSTR_H(z) == 0 ||
		    GC_TYPE_INFO(z) != KV_RELAXED(hd->str_type) || !ZSTR_IS_INTERNED(z)) {
			return NULL;
		}
		s = z;
	} else {
		s = zend_string_alloc(vlen, 0);
		memcpy(ZSTR_VAL(s), ZSTR_VAL(z), vlen);
		ZSTR_VAL(s)[vlen] = '\0';
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (KV_RELAXED(e->seq) != q) {
			zend_string_efree(s);
			return NULL;
		}
	}
	uint32_t tick = KV_RELAXED(hd->tick);
	if (KV_RELAXED(e->clock) != tick) {
		__atomic_store_n(&e->clock, tick, __ATOMIC_RELAXED);
	}
	return s;
}

/* get's hits and misses, for the store's counters: one cell per thread
 * (plain stores, no locked instruction), a shared one with atomic adds for
 * threads beyond KV_COUNT_CELLS. Hits answered from the published table
 * are counted apart (2), so that a backend whose other hits Go counts
 * (kvredis) can add just these; ephpm_kv_c_count(1) is all hits. */
#define KV_COUNT_CELLS 256
static struct {
	uint64_t n[3]; /* misses, hits through Go, published hits */
	char pad[40];
} kv_cells[KV_COUNT_CELLS + 1] __attribute__((aligned(64)));
static unsigned kv_cells_next;
static __thread int kv_cell = -1;

static inline void kv_count(int hit)
{
	int c = kv_cell;
	if (c < 0) {
		unsigned n = __atomic_fetch_add(&kv_cells_next, 1, __ATOMIC_RELAXED);
		c = kv_cell = n < KV_COUNT_CELLS ? (int)n : KV_COUNT_CELLS;
	}
	uint64_t *p = &kv_cells[c].n[hit];
	if (c < KV_COUNT_CELLS) {
		__atomic_store_n(p, __atomic_load_n(p, __ATOMIC_RELAXED) + 1, __ATOMIC_RELAXED);
	} else {
		__atomic_fetch_add(p, 1, __ATOMIC_RELAXED);
	}
}

/* hits: 0 misses, 1 all hits, 2 hits answered from the published table. */
long long ephpm_kv_c_count(int hits)
{
	uint64_t sum = 0;
	for (int i = 0; i <= KV_COUNT_CELLS; i++) {
		if (hits != 2) {
			sum += __atomic_load_n(&kv_cells[i].n[hits != 0], __ATOMIC_RELAXED);
		}
		if (hits != 0) {
			sum += __atomic_load_n(&kv_cells[i].n[2], __ATOMIC_RELAXED);
		}
	}
	return (long long)sum;
}

/*
 * Failures of a backend that can fail (a RESP client of a running server,
 * kvexports.go SetKVBackend): Go notes them here, on the PHP thread that
 * made the call, before the call returns its failure value; the function
 * then raises the PHP warning outside Go (a warning can run a user error
 * handler, which must not happen under a Go frame). Go decides that the
 * warning is due once per request (msg != NULL); kv_failed is set on
 * every failure, for flush_all's result. Only failure branches look.
 */
static __thread int kv_failed;
static __thread int kv_warn;
static __thread char kv_warn_msg[512];

void ephpm_kv_note_error(const char *msg, size_t len)
{
	kv_failed = 1;
	if (msg != NULL) {
		if (len >= sizeof(kv_warn_msg)) {
			len = sizeof(kv_warn_msg) - 1;
		}
		memcpy(kv_warn_msg, msg, len);
		kv_warn_msg[len] = '\0';
		kv_warn = 1;
	}
}

/* After a call returned a failure value: 1 if the backend failed (the
 * warning raised when due), 0 if the value is the store's answer. */
static int kv_check_failure(void)
{
	if (EXPECTED(!kv_failed)) {
		return 0;
	}
	kv_failed = 0;
	if (kv_warn) {
		kv_warn = 0;
		php_error_docref(NULL, E_WARNING, "%s", kv_warn_msg);
	}
	return 1;
}

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_ephpm_kv_get, 0, 1, IS_STRING, 1)
	ZEND_ARG_TYPE_INFO(0, key, IS_STRING, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_ephpm_kv_set, 0, 2, _IS_BOOL, 0)
	ZEND_ARG_TYPE_INFO(0, key, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO(0, value, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, ttl, IS_LONG, 0, "0")
ZEND_END_ARG_INFO()

#define arginfo_ephpm_kv_setnx arginfo_ephpm_kv_set

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_ephpm_kv_del, 0, 1, IS_LONG, 0)
	ZEND_ARG_TYPE_INFO(0, key, IS_STRING, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_ephpm_kv_exists, 0, 1, _IS_BOOL, 0)
	ZEND_ARG_TYPE_INFO(0, key, IS_STRING, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_MASK_EX(arginfo_ephpm_kv_incr, 0, 1, MAY_BE_LONG|MAY_BE_FALSE)
	ZEND_ARG_TYPE_INFO(0, key, IS_STRING, 0)
ZEND_END_ARG_INFO()

#define arginfo_ephpm_kv_decr arginfo_ephpm_kv_incr

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_MASK_EX(arginfo_ephpm_kv_incr_by, 0, 2, MAY_BE_LONG|MAY_BE_FALSE)
	ZEND_ARG_TYPE_INFO(0, key, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO(0, delta, IS_LONG, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_ephpm_kv_expire, 0, 2, _IS_BOOL, 0)
	ZEND_ARG_TYPE_INFO(0, key, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO(0, seconds, IS_LONG, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_ephpm_kv_ttl, 0, 1, IS_LONG, 0)
	ZEND_ARG_TYPE_INFO(0, key, IS_STRING, 0)
ZEND_END_ARG_INFO()

#define arginfo_ephpm_kv_pttl arginfo_ephpm_kv_ttl

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_ephpm_kv_flush_all, 0, 0, _IS_BOOL, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_ephpm_kv_del_prefix, 0, 1, IS_LONG, 0)
	ZEND_ARG_TYPE_INFO(0, prefix, IS_STRING, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_ephpm_kv_del_if_equals, 0, 2, _IS_BOOL, 0)
	ZEND_ARG_TYPE_INFO(0, key, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO(0, expected, IS_STRING, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_MASK_EX(arginfo_ephpm_kv_wait, 0, 3, MAY_BE_ARRAY|MAY_BE_FALSE)
	ZEND_ARG_TYPE_INFO(0, key, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO(0, last_version, IS_LONG, 0)
	ZEND_ARG_TYPE_INFO(0, timeout_ms, IS_LONG, 0)
ZEND_END_ARG_INFO()

#define KEY_ARG(k) ZSTR_VAL(k), ZSTR_LEN(k)
/* The key and PHP's hash of it (computed once per string, then cached in
 * it; interned literals have it already): the store's lookup cache is
 * indexed by it. */
#define KEY_HASH_ARG(k) ZSTR_VAL(k), ZSTR_LEN(k), (unsigned long long)ZSTR_HASH(k)

/* Values up to this size come back in one call into Go, copied into a
 * buffer on this stack; larger ones are copied by Go straight into a new
 * PHP string (a second, nested call). */
#define KV_GET_STACK_BUF 1024
/* The size of the PHP string made before the call: 24 bytes of header, 39
 * of value and the NUL make one 64-byte bin of PHP's allocator. */
#define KV_GET_SMALL 39
/* ephpm_go_kv_get: a result of KV_IN_BUF + n means n bytes in buf. */
#define KV_IN_BUF (1LL << 40)

PHP_FUNCTION(ephpm_kv_get)
{
	zend_string *key;
	char buf[KV_GET_STACK_BUF];
	ZEND_PARSE_PARAMETERS_START(1, 1)
		Z_PARAM_STR(key)
	ZEND_PARSE_PARAMETERS_END();
	zend_string *hit = kv_get_published(key);
	if (hit != NULL) {
		kv_count(2);
		RETURN_STR(hit); /* a shared string is interned: not refcounted */
	}
	if (!kv_filter_skipped() && kv_surely_absent(key)) {
		kv_count(0);
		kv_filter_note(1);
		RETURN_NULL();
	}
	/* A small value goes straight into the PHP string made here, a larger
	 * one into buf first. */
	zend_string *small = zend_string_alloc(KV_GET_SMALL, 0);
	long long n = ephpm_go_kv_get(KEY_HASH_ARG(key), ZSTR_VAL(small), KV_GET_SMALL, buf, sizeof(buf), return_value);
	kv_filter_note(n == EPHPM_KV_MISS);
	if (n >= 0 && n <= KV_GET_SMALL) {
		kv_count(1);
		ZSTR_LEN(small) = (size_t)n;
		ZSTR_VAL(small)[n] = '\0';
		RETURN_NEW_STR(small);
	}
	zend_string_efree(small);
	if (n >= KV_IN_BUF) {
		kv_count(1);
		RETURN_STRINGL(buf, (size_t)(n - KV_IN_BUF));
	}
	if (n == EPHPM_KV_MISS) {
		kv_count(0);
		kv_check_failure();
		RETURN_NULL();
	}
	kv_count(1);
	if (n == EPHPM_KV_ALLOC_FAILED) {
		/* The value did not fit in memory_limit: the fatal error was
		 * raised already, or is raised now (ephpm_raise_refused_alloc);
		 * continue its unwinding outside Go. */
		ephpm_raise_refused_alloc();
		zend_bailout();
	}
	/* EPHPM_KV_IN_RETVAL: Go filled return_value. */
}

static void kv_set(INTERNAL_FUNCTION_PARAMETERS, int nx)
{
	zend_string *key, *value;
	zend_long ttl = 0;
	ZEND_PARSE_PARAMETERS_START(2, 3)
		Z_PARAM_STR(key)
		Z_PARAM_STR(value)
		Z_PARAM_OPTIONAL
		Z_PARAM_LONG(ttl)
	ZEND_PARSE_PARAMETERS_END();
	if (ephpm_go_kv_set(KEY_HASH_ARG(key), ZSTR_VAL(value), ZSTR_LEN(value), ttl, nx)) {
		RETURN_TRUE;
	}
	kv_check_failure();
	RETURN_FALSE;
}

PHP_FUNCTION(ephpm_kv_set)
{
	kv_set(INTERNAL_FUNCTION_PARAM_PASSTHRU, 0);
}

PHP_FUNCTION(ephpm_kv_setnx)
{
	kv_set(INTERNAL_FUNCTION_PARAM_PASSTHRU, 1);
}

PHP_FUNCTION(ephpm_kv_del)
{
	zend_string *key;
	ZEND_PARSE_PARAMETERS_START(1, 1)
		Z_PARAM_STR(key)
	ZEND_PARSE_PARAMETERS_END();
	if (kv_surely_absent(key)) {
		RETURN_LONG(0);
	}
	if (ephpm_go_kv_del(KEY_ARG(key))) {
		RETURN_LONG(1);
	}
	kv_check_failure();
	RETURN_LONG(0);
}

PHP_FUNCTION(ephpm_kv_exists)
{
	zend_string *key;
	ZEND_PARSE_PARAMETERS_START(1, 1)
		Z_PARAM_STR(key)
	ZEND_PARSE_PARAMETERS_END();
	if (kv_surely_absent(key)) {
		RETURN_FALSE;
	}
	if (ephpm_go_kv_exists(KEY_ARG(key))) {
		RETURN_TRUE;
	}
	kv_check_failure();
	RETURN_FALSE;
}

static void kv_incr(INTERNAL_FUNCTION_PARAMETERS, zend_string *key, zend_long delta)
{
	zend_long r;
	if (kv_incr_fast(key, delta, &r)) {
		RETURN_LONG(r);
	}
	long long out = 0;
	if (!ephpm_go_kv_incr_by(KEY_HASH_ARG(key), delta, &out)) {
		kv_check_failure();
		RETURN_FALSE;
	}
	RETURN_LONG((zend_long)out);
}

PHP_FUNCTION(ephpm_kv_incr)
{
	zend_string *key;
	ZEND_PARSE_PARAMETERS_START(1, 1)
		Z_PARAM_STR(key)
	ZEND_PARSE_PARAMETERS_END();
	kv_incr(INTERNAL_FUNCTION_PARAM_PASSTHRU, key, 1);
}

PHP_FUNCTION(ephpm_kv_decr)
{
	zend_string *key;
	ZEND_PARSE_PARAMETERS_START(1, 1)
		Z_PARAM_STR(key)
	ZEND_PARSE_PARAMETERS_END();
	kv_incr(INTERNAL_FUNCTION_PARAM_PASSTHRU, key, -1);
}

PHP_FUNCTION(ephpm_kv_incr_by)
{
	zend_string *key;
	zend_long delta;
	ZEND_PARSE_PARAMETERS_START(2, 2)
		Z_PARAM_STR(key)
		Z_PARAM_LONG(delta)
	ZEND_PARSE_PARAMETERS_END();
	kv_incr(INTERNAL_FUNCTION_PARAM_PASSTHRU, key, delta);
}

PHP_FUNCTION(ephpm_kv_expire)
{
	zend_string *key;
	zend_long seconds;
	ZEND_PARSE_PARAMETERS_START(2, 2)
		Z_PARAM_STR(key)
		Z_PARAM_LONG(seconds)
	ZEND_PARSE_PARAMETERS_END();
	if (ephpm_go_kv_expire(KEY_ARG(key), seconds)) {
		RETURN_TRUE;
	}
	kv_check_failure();
	RETURN_FALSE;
}

/* ttl and pttl: the same lookup, in seconds (rounded up) or milliseconds. */
static void kv_ttl(INTERNAL_FUNCTION_PARAMETERS, int millis)
{
	zend_string *key;
	ZEND_PARSE_PARAMETERS_START(1, 1)
		Z_PARAM_STR(key)
	ZEND_PARSE_PARAMETERS_END();
	if (kv_surely_absent(key)) {
		RETURN_LONG(-2);
	}
	long r = ephpm_go_kv_ttl(KEY_ARG(key), millis);
	if (r == -2) {
		kv_check_failure();
	}
	RETURN_LONG(r);
}

PHP_FUNCTION(ephpm_kv_ttl)
{
	kv_ttl(INTERNAL_FUNCTION_PARAM_PASSTHRU, 0);
}

PHP_FUNCTION(ephpm_kv_pttl)
{
	kv_ttl(INTERNAL_FUNCTION_PARAM_PASSTHRU, 1);
}

PHP_FUNCTION(ephpm_kv_flush_all)
{
	ZEND_PARSE_PARAMETERS_NONE();
	ephpm_go_kv_flush_all();
	RETURN_BOOL(!kv_check_failure());
}

PHP_FUNCTION(ephpm_kv_del_prefix)
{
	zend_string *prefix;
	ZEND_PARSE_PARAMETERS_START(1, 1)
		Z_PARAM_STR(prefix)
	ZEND_PARSE_PARAMETERS_END();
	long n = ephpm_go_kv_del_prefix(KEY_ARG(prefix));
	if (n == 0) {
		kv_check_failure();
	}
	RETURN_LONG(n);
}

PHP_FUNCTION(ephpm_kv_del_if_equals)
{
	zend_string *key, *expected;
	ZEND_PARSE_PARAMETERS_START(2, 2)
		Z_PARAM_STR(key)
		Z_PARAM_STR(expected)
	ZEND_PARSE_PARAMETERS_END();
	if (ephpm_go_kv_del_if_equals(KEY_ARG(key), ZSTR_VAL(expected), ZSTR_LEN(expected))) {
		RETURN_TRUE;
	}
	kv_check_failure();
	RETURN_FALSE;
}

/* ephpm_kv_wait(string $key, int $last_version, int $timeout_ms): array|false
 * ['version' => int, 'value' => ?string] as soon as the key's version
 * differs from $last_version, false after the timeout. Go bounds the wait
 * by the request's execution-time deadline and ends it at shutdown
 * (kvwait.go). The value is copied into val by Go. */
PHP_FUNCTION(ephpm_kv_wait)
{
	zend_string *key;
	zend_long last, timeout_ms;
	ZEND_PARSE_PARAMETERS_START(3, 3)
		Z_PARAM_STR(key)
		Z_PARAM_LONG(last)
		Z_PARAM_LONG(timeout_ms)
	ZEND_PARSE_PARAMETERS_END();
	zval val;
	ZVAL_NULL(&val);
	unsigned long long version = 0;
	int r = ephpm_go_kv_wait(KEY_ARG(key), (unsigned long long)last, (long long)timeout_ms, &version, &val);
	if (r == EPHPM_KV_ALLOC_FAILED) {
		ephpm_raise_refused_alloc();
		zend_bailout(); /* memory_limit: see ephpm_kv_get */
	}
	if (r == 0) {
		kv_check_failure();
		RETURN_FALSE;
	}
	array_init_size(return_value, 2);
	add_assoc_long(return_value, "version", (zend_long)version);
	add_assoc_zval(return_value, "value", &val);
}

/* Worker mode (worker.c). */
PHP_FUNCTION(ephpm_worker_take_request);
PHP_FUNCTION(ephpm_worker_send_response);
PHP_FUNCTION(ephpm_handle_request);

ZEND_BEGIN_ARG_WITH_RETURN_OBJ_INFO_EX(arginfo_take_request, 0, 0, Ephpm\\Worker\\Envelope, 1)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_send_response, 0, 3, IS_VOID, 0)
	ZEND_ARG_TYPE_INFO(0, status, IS_LONG, 0)
	ZEND_ARG_TYPE_INFO(0, headers, IS_ARRAY, 0)
	ZEND_ARG_TYPE_INFO(0, body, IS_STRING, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_handle_request, 0, 1, _IS_BOOL, 0)
	ZEND_ARG_TYPE_INFO(0, handler, IS_CALLABLE, 0)
ZEND_END_ARG_INFO()

const zend_function_entry ephpm_functions[] = {
	ZEND_NS_NAMED_FE("Ephpm\\Worker", take_request, ZEND_FN(ephpm_worker_take_request), arginfo_take_request)
	ZEND_NS_NAMED_FE("Ephpm\\Worker", send_response, ZEND_FN(ephpm_worker_send_response), arginfo_send_response)
	PHP_FE(ephpm_handle_request, arginfo_handle_request)
	PHP_FE(ephpm_kv_get, arginfo_ephpm_kv_get)
	PHP_FE(ephpm_kv_set, arginfo_ephpm_kv_set)
	PHP_FE(ephpm_kv_setnx, arginfo_ephpm_kv_setnx)
	PHP_FE(ephpm_kv_del, arginfo_ephpm_kv_del)
	PHP_FE(ephpm_kv_exists, arginfo_ephpm_kv_exists)
	PHP_FE(ephpm_kv_incr, arginfo_ephpm_kv_incr)
	PHP_FE(ephpm_kv_decr, arginfo_ephpm_kv_decr)
	PHP_FE(ephpm_kv_incr_by, arginfo_ephpm_kv_incr_by)
	PHP_FE(ephpm_kv_expire, arginfo_ephpm_kv_expire)
	PHP_FE(ephpm_kv_ttl, arginfo_ephpm_kv_ttl)
	PHP_FE(ephpm_kv_pttl, arginfo_ephpm_kv_pttl)
	PHP_FE(ephpm_kv_flush_all, arginfo_ephpm_kv_flush_all)
	PHP_FE(ephpm_kv_del_prefix, arginfo_ephpm_kv_del_prefix)
	PHP_FE(ephpm_kv_del_if_equals, arginfo_ephpm_kv_del_if_equals)
	PHP_FE(ephpm_kv_wait, arginfo_ephpm_kv_wait)
	PHP_FE_END
};
