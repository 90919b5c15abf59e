package phpembed

/*
#include "ephpm.h"
#include <stdint.h>
void ephpm_kv_set_filter(uintptr_t table, int line_bits);
void ephpm_kv_set_ctable(uintptr_t table, int bits);
void ephpm_kv_set_published(uintptr_t table);
unsigned long long ephpm_kv_filter_hash(const char *s, size_t n);
unsigned ephpm_kv_shared_str_type(void);
long long ephpm_kv_c_count(int hits);
*/
import "C"

import (
	"errors"
	"math"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/ephpm/ephpm/internal/kv"
)

// The store the ephpm_kv_* PHP functions use: one per process, shared by
// every PHP thread. Either an in-process *kv.Store (kvStore, with the C
// fast paths) or any other kv.Backend (kvBackend, e.g. a RESP client of a
// running server): each export loads kvStore first and looks at kvBackend
// only when it is nil, so the in-process path costs what it did.
var (
	kvStore   atomic.Pointer[kv.Store]
	kvBackend atomic.Pointer[backendBox]
)

type backendBox struct{ b kv.Backend }

// backend returns the installed non-store backend, or nil.
func backend() kv.Backend {
	if bb := kvBackend.Load(); bb != nil {
		return bb.b
	}
	return nil
}

var (
	kvFilterMu  sync.Mutex
	kvFilterPin runtime.Pinner
)

// SetKVStore installs the store behind the ephpm_kv_* functions. Without
// one they behave as an empty store that refuses writes.
//
// It also hands the store's presence filter to the C side, which then
// answers a miss of get/exists/ttl/pttl/del itself, without a call into Go
// (kvfuncs.c), and the store's table of promoted counters, which C
// increments itself. The C side counts get's hits and misses (per thread,
// with no locked instruction) for the store's Stats. Call it before PHP
// serves requests: a C call that read the old store's tables just before
// a swap may still be using them (nothing breaks unless the old store is
// also dropped and collected meanwhile).
func SetKVStore(s *kv.Store) {
	kvFilterMu.Lock()
	defer kvFilterMu.Unlock()
	C.ephpm_kv_set_filter(0, 0)
	C.ephpm_kv_set_ctable(0, 0)
	C.ephpm_kv_set_published(0)
	kvFilterPin.Unpin()
	kvBackend.Store(nil)
	kvStore.Store(s)
	if s == nil {
		return
	}
	// The promoted counters' table (no Go pointers in it), which C
	// increments in place (kvfuncs.c).
	ct := s.CounterTable()
	kvFilterPin.Pin(ct)
	C.ephpm_kv_set_ctable(C.uintptr_t(uintptr(ct)), C.int(kv.CtabBits))
	baseHits, baseMisses := int64(C.ephpm_kv_c_count(1)), int64(C.ephpm_kv_c_count(0))
	s.SetExternalCounts(func() (int64, int64) {
		return int64(C.ephpm_kv_c_count(1)) - baseHits, int64(C.ephpm_kv_c_count(0)) - baseMisses
	})
	if !filterHashAgrees() {
		return
	}
	// Passed as an integer: the table also holds Go pointers, which C
	// never reads (and which cgo's pointer check would refuse).
	f := s.PresenceFilter()
	kvFilterPin.Pin(f)
	C.ephpm_kv_set_filter(C.uintptr_t(uintptr(f)), C.int(kv.FilterLineBits))
	// Hot keys' values, copied by the store into mapped memory (not the
	// Go heap, never unmapped), which C reads for a hit (kvfuncs.c). Also
	// indexed by PHP's hash, hence after the check above.
	if pt := s.EnablePublishing(); pt != nil {
		installPublished(s, pt)
	}
}

// installPublished hands C the published table pt of store s, whose
// values of sharedStringMin bytes and more PHP gets without a copy.
func installPublished(s *kv.Store, pt unsafe.Pointer) {
	s.SetSharedStrings(uint32(C.ephpm_kv_shared_str_type()), sharedStringMin)
	C.ephpm_kv_set_published(C.uintptr_t(uintptr(pt)))
}

// sharedStringMin: the smallest value kvfuncs.c hands to PHP uncopied, in
// request mode (kvfuncs.c, kv.Store.SetSharedStrings): a copy of a value
// this large costs more than the call. Smaller ones are copied (cheap, and
// their buffers are reused at once, not after every request ended).
const sharedStringMin = 4096

// SetKVBackend installs b behind the ephpm_kv_* functions instead of an
// in-process store: every call then goes to Go and to b (the C fast paths
// read tables only an in-process store has, so they are switched off),
// except a hit on a hot key of a backend's client cache that publishes it
// (nearPublisher, below).
// A backend that can fail (it has OnError, as *kvclient.Client does) has
// its failures turned into a PHP warning, once per request (or script):
// "KV server unreachable: ..." instead of a silent miss. nil uninstalls.
// Call it before PHP runs, as SetKVStore. Keys and values reach b as
// strings viewing PHP's memory, valid for the call only: b copies what it
// keeps (as *kv.Store does; a client writes them to its socket).
func SetKVBackend(b kv.Backend) {
	kvFilterMu.Lock()
	defer kvFilterMu.Unlock()
	C.ephpm_kv_set_filter(0, 0)
	C.ephpm_kv_set_ctable(0, 0)
	C.ephpm_kv_set_published(0)
	kvFilterPin.Unpin()
	kvStore.Store(nil)
	if b == nil {
		kvBackend.Store(nil)
		return
	}
	if r, ok := b.(interface{ OnError(func(error)) }); ok {
		r.OnError(warnKVFailure)
	}
	kvBackend.Store(&backendBox{b})
	if nb, ok := b.(nearPublisher); ok && filterHashAgrees() {
		installNearTable(nb)
	}
}

// nearPublisher is a backend with a client cache whose hot entries it
// publishes (kvredis: near_pub.go): a store of exact copies of what its
// cache would answer, removed before the cache drops them.
type nearPublisher interface {
	PublishNearCache() unsafe.Pointer
	NearMirror() *kv.Store
	SetExternalHits(func() int64)
}

// installNearTable hands C the near cache's published table, and only
// it: C answers a hit from it as for the memory store, but never a miss
// (the presence filter would be the mirror's, and a key absent from the
// client cache is not absent from Redis) nor an increment (counters never
// trust the client cache). Under kvFilterMu.
func installNearTable(nb nearPublisher) {
	pt := nb.PublishNearCache()
	if pt == nil {
		return
	}
	base := int64(C.ephpm_kv_c_count(2))
	nb.SetExternalHits(func() int64 { return int64(C.ephpm_kv_c_count(2)) - base })
	installPublished(nb.NearMirror(), pt)
}

// filterHashAgrees checks kv.FilterHash against PHP's own string hash, which
// indexes the filter from C; without agreement the filter is not used (a
// wrong miss is not an option).
func filterHashAgrees() bool {
	probe := "\x00\xff\x80key:0123456789abcdef\xfe-" + strings.Repeat("x", 40)
	for n := 0; n <= len(probe); n++ {
		k := probe[:n]
		var p *C.char
		if n > 0 {
			p = (*C.char)(unsafe.Pointer(unsafe.StringData(k)))
		}
		if uint64(C.ephpm_kv_filter_hash(p, C.size_t(n))) != kv.FilterHash(k) {
			return false
		}
	}
	return true
}

// The hot functions (get, set, incr_by) also pass PHP's hash of the key,
// which PHP keeps in the string once computed: the store uses it to pick
// an entry of its lookup cache, so a cached key is found without hashing.

// cstr views C memory as a Go string without copying. The store never
// keeps such a string: it copies keys and values it stores.
func cstr(p *C.char, n C.size_t) string {
	if n == 0 {
		return ""
	}
	return unsafe.String((*byte)(unsafe.Pointer(p)), int(n))
}

// ttlDuration turns PHP's TTL in seconds into a Duration, saturating where
// seconds*1e9 would overflow (PHP code passes e.g. 9999999999 for "long").
func ttlDuration(seconds C.long) time.Duration {
	if seconds <= 0 {
		return 0
	}
	if int64(seconds) > int64(math.MaxInt64/time.Second) {
		return time.Duration(math.MaxInt64)
	}
	return time.Duration(seconds) * time.Second
}

// ephpm_go_kv_get copies a hit into small when it fits (returning its
// length), else into buf when it fits (returning kvInBuf + length), else
// into a new PHP string in rv; or reports a miss. buf must hold at least
// 20 bytes (a counter's text).
//
//export ephpm_go_kv_get
func ephpm_go_kv_get(key *C.char, klen C.size_t, hash C.ulonglong, small *C.char, smallLen C.size_t, buf *C.char, bufLen C.size_t, rv unsafe.Pointer) C.longlong {
	s := kvStore.Load()
	if s == nil {
		return backendGet(key, klen, small, smallLen, buf, bufLen, rv)
	}
	dst := unsafe.Slice((*byte)(unsafe.Pointer(buf)), int(bufLen))
	// A counter's decimal text is written straight into dst.
	v, ok := s.Peek(cstr(key, klen), uint64(hash), dst) // kvfuncs.c counts
	if !ok {
		return C.EPHPM_KV_MISS
	}
	if len(v) <= int(smallLen) {
		copy(unsafe.Slice((*byte)(unsafe.Pointer(small)), len(v)), v)
		return C.longlong(len(v))
	}
	if len(v) <= len(dst) {
		if unsafe.StringData(v) != &dst[0] {
			copy(dst, v)
		}
		return C.longlong(kvInBuf + len(v))
	}
	if C.ephpm_zval_set_stringl(rv, (*C.char)(unsafe.Pointer(unsafe.StringData(v))), C.size_t(len(v))) != 0 {
		return C.EPHPM_KV_ALLOC_FAILED
	}
	return C.EPHPM_KV_IN_RETVAL
}

const kvInBuf = 1 << 40 // KV_IN_BUF in kvfuncs.c

// backendGet is ephpm_go_kv_get through a backend: the same answers,
// copied the same way.
func backendGet(key *C.char, klen C.size_t, small *C.char, smallLen C.size_t, buf *C.char, bufLen C.size_t, rv unsafe.Pointer) C.longlong {
	b := backend()
	if b == nil {
		return C.EPHPM_KV_MISS
	}
	v, ok := b.Get(cstr(key, klen))
	if !ok {
		return C.EPHPM_KV_MISS
	}
	if len(v) <= int(smallLen) {
		copy(unsafe.Slice((*byte)(unsafe.Pointer(small)), len(v)), v)
		return C.longlong(len(v))
	}
	if len(v) <= int(bufLen) {
		copy(unsafe.Slice((*byte)(unsafe.Pointer(buf)), len(v)), v)
		return C.longlong(kvInBuf + len(v))
	}
	if C.ephpm_zval_set_stringl(rv, (*C.char)(unsafe.Pointer(unsafe.StringData(v))), C.size_t(len(v))) != 0 {
		return C.EPHPM_KV_ALLOC_FAILED
	}
	return C.EPHPM_KV_IN_RETVAL
}

//export ephpm_go_kv_set
func ephpm_go_kv_set(key *C.char, klen C.size_t, hash C.ulonglong, val *C.char, vlen C.size_t, ttl C.long, nx C.int) C.int {
	s := kvStore.Load()
	if s == nil {
		return backendSet(key, klen, val, vlen, ttl, nx)
	}
	var ok bool
	switch {
	case int64(ttl) > maxDurationSec:
		ok = s.SetSeconds(cstr(key, klen), uint64(hash), cstr(val, vlen), int64(ttl), nx != 0)
	case nx != 0:
		ok = s.SetNX(cstr(key, klen), cstr(val, vlen), ttlDuration(ttl))
	default:
		ok = s.SetHashed(cstr(key, klen), uint64(hash), cstr(val, vlen), ttlDuration(ttl))
	}
	if ok {
		return 1
	}
	return 0
}

// maxDurationSec is the longest TTL in seconds a time.Duration holds
// (about 292 years); PHP code may ask more (e.g. 9999999999 for "long").
const maxDurationSec = int64(math.MaxInt64 / time.Second)

// secondsTTL is what a store offers for TTLs longer than a Duration holds
// (kv.Store, kvredis.Store): kept exactly instead of cut to 292 years.
type secondsTTL interface {
	SetSeconds(key string, hash uint64, value string, sec int64, nx bool) bool
	ExpireSeconds(key string, sec int64) bool
}

func backendSet(key *C.char, klen C.size_t, val *C.char, vlen C.size_t, ttl C.long, nx C.int) C.int {
	b := backend()
	if b == nil {
		return 0
	}
	var ok bool
	if f, far := b.(secondsTTL); far && int64(ttl) > maxDurationSec {
		ok = f.SetSeconds(cstr(key, klen), 0, cstr(val, vlen), int64(ttl), nx != 0)
	} else if nx != 0 {
		ok = b.SetNX(cstr(key, klen), cstr(val, vlen), ttlDuration(ttl))
	} else {
		ok = b.Set(cstr(key, klen), cstr(val, vlen), ttlDuration(ttl))
	}
	return cbool(ok)
}

func cbool(ok bool) C.int {
	if ok {
		return 1
	}
	return 0
}

//export ephpm_go_kv_del
func ephpm_go_kv_del(key *C.char, klen C.size_t) C.long {
	s := kvStore.Load()
	if s == nil {
		if b := backend(); b != nil && b.Del(cstr(key, klen)) {
			return 1
		}
		return 0
	}
	if s.Del(cstr(key, klen)) {
		return 1
	}
	return 0
}

//export ephpm_go_kv_exists
func ephpm_go_kv_exists(key *C.char, klen C.size_t) C.int {
	s := kvStore.Load()
	if s == nil {
		b := backend()
		return cbool(b != nil && b.Exists(cstr(key, klen)))
	}
	if s.Exists(cstr(key, klen)) {
		return 1
	}
	return 0
}

//export ephpm_go_kv_incr_by
func ephpm_go_kv_incr_by(key *C.char, klen C.size_t, hash C.ulonglong, delta C.long, out *C.longlong) C.int {
	s := kvStore.Load()
	if s == nil {
		b := backend()
		if b == nil {
			return 0
		}
		n, err := b.IncrBy(cstr(key, klen), int64(delta))
		if err != nil {
			return 0
		}
		*out = C.longlong(n)
		return 1
	}
	n, err := s.IncrByHashed(cstr(key, klen), uint64(hash), int64(delta))
	if err != nil {
		return 0
	}
	*out = C.longlong(n)
	return 1
}

//export ephpm_go_kv_expire
func ephpm_go_kv_expire(key *C.char, klen C.size_t, seconds C.long) C.int {
	if seconds <= 0 {
		return 0
	}
	s := kvStore.Load()
	if s == nil {
		b := backend()
		if f, far := b.(secondsTTL); far && int64(seconds) > maxDurationSec {
			return cbool(f.ExpireSeconds(cstr(key, klen), int64(seconds)))
		}
		return cbool(b != nil && b.Expire(cstr(key, klen), ttlDuration(seconds)))
	}
	if s.ExpireSeconds(cstr(key, klen), int64(seconds)) {
		return 1
	}
	return 0
}

//export ephpm_go_kv_ttl
func ephpm_go_kv_ttl(key *C.char, klen C.size_t, millis C.int) C.long {
	s := kvStore.Load()
	if s == nil {
		b := backend()
		switch {
		case b == nil:
			return -2
		case millis != 0:
			return C.long(b.PTTL(cstr(key, klen)))
		}
		return C.long(b.TTL(cstr(key, klen)))
	}
	if millis != 0 {
		return C.long(s.PTTL(cstr(key, klen)))
	}
	return C.long(s.TTL(cstr(key, klen)))
}

// The functions below are not hot: they go through kvOps, the store or
// the backend behind one interface.
func kvOps() kv.Backend {
	if s := kvStore.Load(); s != nil {
		return s
	}
	return backend()
}

// errFlushFailed is what a failed ephpm_kv_flush_all notes (the cause
// itself is in the backend's log).
var errFlushFailed = errors.New("KV backend: flush_all failed, the store did not answer (see the log)")

// ephpm_kv_flush_all's result depends on the failures noted during the
// call (warnKVFailure). A backend whose Flush can fail without calling
// its OnError (the Redis store: its other calls return their failure
// values) says so through FlushOK.
//
//export ephpm_go_kv_flush_all
func ephpm_go_kv_flush_all() {
	b := kvOps()
	if b == nil {
		return
	}
	if f, ok := b.(interface{ FlushOK() bool }); ok {
		if !f.FlushOK() {
			warnKVFailure(errFlushFailed)
		}
		return
	}
	b.Flush()
}

//export ephpm_go_kv_del_prefix
func ephpm_go_kv_del_prefix(prefix *C.char, plen C.size_t) C.long {
	if b := kvOps(); b != nil {
		return C.long(b.DelPrefix(cstr(prefix, plen)))
	}
	return 0
}

//export ephpm_go_kv_del_if_equals
func ephpm_go_kv_del_if_equals(key *C.char, klen C.size_t, val *C.char, vlen C.size_t) C.int {
	b := kvOps()
	return cbool(b != nil && b.DelIfEquals(cstr(key, klen), cstr(val, vlen)))
}
