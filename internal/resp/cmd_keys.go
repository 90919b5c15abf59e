package resp

import (
	"container/heap"
	"hash/maphash"
	"math"
	"sort"
	"strconv"

	"github.com/ephpm/ephpm/internal/kv"
)

func cmdDel(c *conn, args [][]byte) {
	n := int64(0)
	for _, k := range args[1:] {
		if c.s.store.Del(str(k)) {
			n++
		}
	}
	c.w.int(n)
}

func cmdExists(c *conn, args [][]byte) {
	n := int64(0)
	for _, k := range args[1:] {
		found := c.s.store.Exists(str(k))
		c.lookedUp(found)
		if found {
			n++
		}
	}
	c.w.int(n)
}

// lookedUp counts a lookup of a key in INFO's keyspace_hits or
// keyspace_misses, for the commands whose store call does not count it
// and Redis does (its lookupKeyRead): EXISTS, TYPE, TTL, PTTL and the old
// value read by SET ... GET, GETSET and GETDEL.
func (c *conn) lookedUp(found bool) {
	if found {
		c.s.stats.hits.Add(1)
	} else {
		c.s.stats.misses.Add(1)
	}
}

func cmdType(c *conn, args [][]byte) {
	found := c.s.store.Exists(str(args[1]))
	c.lookedUp(found)
	if found {
		c.w.simple("string")
	} else {
		c.w.simple("none")
	}
}

// Flags of EXPIRE and friends (Redis 7).
const (
	expNX = 1 << iota
	expXX
	expGT
	expLT
)

// expire is Redis's expireGenericCommand: when is in unit ms (1) or s
// (1000), relative to now unless abs.
func (c *conn) expire(args [][]byte, unit int64, abs bool, name string) {
	flags := 0
	for _, a := range args[3:] {
		switch {
		case eqFold(a, "nx"):
			flags |= expNX
		case eqFold(a, "xx"):
			flags |= expXX
		case eqFold(a, "gt"):
			flags |= expGT
		case eqFold(a, "lt"):
			flags |= expLT
		default:
			c.errReply(errSyntax, "ERR Unsupported option "+clip(a, 1<<20))
			return
		}
	}
	if flags&expNX != 0 && flags&(expXX|expGT|expLT) != 0 {
		c.errReply(errSyntax, "ERR NX and XX, GT or LT options at the same time are not compatible")
		return
	}
	if flags&expGT != 0 && flags&expLT != 0 {
		c.errReply(errSyntax, "ERR GT and LT options at the same time are not compatible")
		return
	}
	when, ok := parseInt(args[2])
	if !ok {
		c.errReply(errValue, msgNotInteger)
		return
	}
	if unit == 1000 {
		if when > math.MaxInt64/1000 || when < math.MinInt64/1000 {
			c.expireErr(name)
			return
		}
		when *= 1000
	}
	now := c.nowMs()
	if !abs {
		if when > math.MaxInt64-now {
			c.expireErr(name)
			return
		}
		when += now
	}
	result := int64(0)
	err := c.s.store.Update(str(args[1]), func(o string, exp int64, exists bool) (string, int64, UpdateOp) {
		result = 0
		if !exists {
			return "", 0, UpdateKeep
		}
		cur := int64(-1)
		if exp != 0 {
			cur = kv.DeadlineMs(exp)
		}
		if (flags&expNX != 0 && cur != -1) || (flags&expXX != 0 && cur == -1) ||
			(flags&expGT != 0 && (when <= cur || cur == -1)) ||
			(flags&expLT != 0 && cur != -1 && when >= cur) {
			return "", 0, UpdateKeep
		}
		result = 1
		if when <= c.nowMs() {
			return "", 0, UpdateDelete
		}
		return o, msToNs(when), UpdateStore
	})
	if err != nil {
		c.refused(err)
		return
	}
	c.w.int(result)
}

func cmdExpire(c *conn, args [][]byte)    { c.expire(args, 1000, false, "expire") }
func cmdPExpire(c *conn, args [][]byte)   { c.expire(args, 1, false, "pexpire") }
func cmdExpireAt(c *conn, args [][]byte)  { c.expire(args, 1000, true, "expireat") }
func cmdPExpireAt(c *conn, args [][]byte) { c.expire(args, 1, true, "pexpireat") }

func (c *conn) expireTime(args [][]byte, ms bool) {
	_, exp, ok := c.s.store.GetWithExpiry(str(args[1]))
	switch {
	case !ok:
		c.w.int(-2)
	case exp == 0:
		c.w.int(-1)
	case ms:
		c.w.int(kv.DeadlineMs(exp))
	default:
		// Redis's (ms+500)/1000, without its overflow for a deadline
		// near the int64 limit (Redis 7.0 answers 9223372036854776 for
		// PXAT 9223372036854775807).
		ms := kv.DeadlineMs(exp)
		c.w.int(ms/1000 + (ms%1000+500)/1000)
	}
}

func cmdExpireTime(c *conn, args [][]byte)  { c.expireTime(args, false) }
func cmdPExpireTime(c *conn, args [][]byte) { c.expireTime(args, true) }

func cmdPersist(c *conn, args [][]byte) {
	result := int64(0)
	c.s.store.Update(str(args[1]), func(o string, exp int64, exists bool) (string, int64, UpdateOp) {
		result = 0
		if !exists || exp == 0 {
			return "", 0, UpdateKeep
		}
		result = 1
		return o, 0, UpdateStore
	})
	c.w.int(result)
}

// cmdTTL rounds to the nearest second, as Redis does ((ms+500)/1000).
func cmdTTL(c *conn, args [][]byte) {
	ms := c.s.store.PTTL(str(args[1]))
	c.lookedUp(ms != -2)
	if ms < 0 {
		c.w.int(ms)
		return
	}
	c.w.int((ms + 500) / 1000)
}

func cmdPTTL(c *conn, args [][]byte) {
	ms := c.s.store.PTTL(str(args[1]))
	c.lookedUp(ms != -2)
	c.w.int(ms)
}

func cmdKeys(c *conn, args [][]byte) {
	pattern := str(args[1])
	all := pattern == "*"
	var keys []string
	c.s.store.Range(func(key string, _ int64) bool {
		if all || globMatch(pattern, key) {
			keys = append(keys, key)
		}
		return true
	})
	c.w.array(len(keys))
	for _, k := range keys {
		c.w.bulk(k)
	}
}

// scanSeed fixes the hash order SCAN walks in for the life of the process
// (a cursor is only meaningful to the server that gave it).
var scanSeed = maphash.MakeSeed()

// scanHash is a key's place in SCAN's order; cursors are positions in it.
// It keeps 53 bits: clients read a cursor into a signed 64-bit integer
// (phpredis 5 with atol, so a cursor past 2^63 came back as 2^63-1 and
// its SCAN loop never ended) or even a double; Redis's own cursors are
// bounded by its table size. Keys sharing a hash are handled (a page
// never splits them).
func scanHash(key string) uint64 { return maphash.String(scanSeed, key) >> (64 - scanBits) }

const (
	scanBits    = 53
	scanHashMax = 1<<scanBits - 1
)

type scanItem struct {
	h   uint64
	key string
}

// scanHeap is a max-heap by hash: the count smallest hashes at or past
// the cursor are kept.
type scanHeap []scanItem

func (h scanHeap) Len() int           { return len(h) }
func (h scanHeap) Less(i, j int) bool { return h[i].h > h[j].h }
func (h scanHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *scanHeap) Push(x any)        { *h = append(*h, x.(scanItem)) }
func (h *scanHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// cmdScan walks the keys in the order of a 64-bit hash of each key; the
// cursor is the hash to continue from. Each call returns the COUNT keys
// with the smallest hashes at or past the cursor (and every key sharing
// the last hash), so a key that is present for the whole scan is
// returned at least once, whatever is added or removed meanwhile.
//
// SCAN 0 takes a sorted snapshot of the keys' hashes for the connection,
// and later calls read their page from it by binary search instead of
// walking the whole store each time. That keeps the guarantee: a key
// present for a whole scan was present at its SCAN 0, so it is in the
// snapshot (keys added later may be missed, keys deleted since may be
// returned: Redis allows both). A cursor this connection's snapshot
// cannot serve (another connection's) walks the store.
func cmdScan(c *conn, args [][]byte) {
	cursor, ok := parseCursor(args[1])
	if !ok {
		c.errReply(errValue, "ERR invalid cursor")
		return
	}
	count := int64(10)
	var pattern string
	hasPattern, typeOK := false, true
	for j := 2; j < len(args); j += 2 {
		if j+1 >= len(args) {
			c.errReply(errSyntax, msgSyntax)
			return
		}
		switch {
		case eqFold(args[j], "count"):
			n, ok := parseInt(args[j+1])
			if !ok {
				c.errReply(errValue, msgNotInteger)
				return
			}
			if n < 1 {
				c.errReply(errSyntax, msgSyntax)
				return
			}
			count = n
		case eqFold(args[j], "match"):
			pattern, hasPattern = string(args[j+1]), true
			if pattern == "*" {
				hasPattern = false
			}
		case eqFold(args[j], "type"):
			typeOK = eqFold(args[j+1], "string")
		default:
			c.errReply(errSyntax, msgSyntax)
			return
		}
	}
	if cursor == 0 {
		c.scanSnap = c.scanSnap[:0]
		c.s.store.Range(func(key string, _ int64) bool {
			c.scanSnap = append(c.scanSnap, scanItem{scanHash(key), key})
			return true
		})
		sort.Slice(c.scanSnap, func(i, j int) bool { return c.scanSnap[i].h < c.scanSnap[j].h })
		c.scanValid = true
	}
	var page []scanItem
	if c.scanValid {
		snap := c.scanSnap
		i := sort.Search(len(snap), func(i int) bool { return snap[i].h >= cursor })
		end := i + int(min(count, int64(len(snap)-i)))
		for end < len(snap) && end > i && snap[end].h == snap[end-1].h {
			end++ // never split the keys of one hash
		}
		page = snap[i:end]
	} else {
		page = scanWalk(c.s.store, cursor, count)
	}
	next := uint64(0)
	if int64(len(page)) >= count && len(page) > 0 {
		if last := page[len(page)-1].h; last != scanHashMax {
			next = last + 1
		}
	}
	if c.scanValid && next == 0 {
		c.scanSnap, c.scanValid = nil, false
	}
	keys := make([]string, 0, len(page))
	for _, it := range page {
		if typeOK && (!hasPattern || globMatch(pattern, it.key)) {
			keys = append(keys, it.key)
		}
	}
	c.w.array(2)
	c.w.bulk(strconv.FormatUint(next, 10))
	c.w.array(len(keys))
	for _, k := range keys {
		c.w.bulk(k)
	}
}

// scanWalk finds the page of a cursor by walking the whole store: the
// count smallest hashes at or past cursor (a max-heap of them).
func scanWalk(st Store, cursor uint64, count int64) []scanItem {
	h := make(scanHeap, 0, min(count, 1024)+1)
	var group []scanItem
	st.Range(func(key string, _ int64) bool {
		kh := scanHash(key)
		if kh < cursor {
			return true
		}
		if int64(len(h)) < count {
			heap.Push(&h, scanItem{kh, key})
		} else if kh < h[0].h {
			heap.Push(&h, scanItem{kh, key})
			// Drop the largest hash with every key sharing it, if what
			// stays still fills count (hash ties are rare: the group is
			// almost always one key).
			top := h[0].h
			group = group[:0]
			for len(h) > 0 && h[0].h == top {
				group = append(group, heap.Pop(&h).(scanItem))
			}
			if int64(len(h)) < count {
				for _, it := range group {
					heap.Push(&h, it)
				}
			}
		} else if kh == h[0].h {
			heap.Push(&h, scanItem{kh, key})
		}
		return true
	})
	sort.Slice(h, func(i, j int) bool { return h[i].h < h[j].h })
	return h
}

// parseCursor is Redis's parseScanCursorOrReply: C's strtoul over the
// whole argument, so "" is cursor 0, a sign is allowed and "-1" wraps
// to 2^64-1; a leading space, trailing bytes or an overflow are invalid.
func parseCursor(b []byte) (uint64, bool) {
	if len(b) == 0 {
		return 0, true
	}
	if isSpace(b[0]) {
		return 0, false
	}
	neg := false
	digits := b
	if b[0] == '+' || b[0] == '-' {
		neg, digits = b[0] == '-', b[1:]
	}
	if len(digits) == 0 {
		return 0, false // strtoul read nothing: the sign is left over
	}
	var n uint64
	for _, ch := range digits {
		if ch < '0' || ch > '9' {
			return 0, false
		}
		d := uint64(ch - '0')
		if n > (math.MaxUint64-d)/10 {
			return 0, false // ERANGE
		}
		n = n*10 + d
	}
	if neg {
		n = -n
	}
	return n, true
}

func cmdRandomKey(c *conn, args [][]byte) {
	k, ok := c.s.store.RandomKey()
	c.bulkOrNull(k, ok)
}

// rename moves src's value and TTL to dst. It runs under the write lock,
// so no other RESP client sees the step between.
func (c *conn) rename(args [][]byte, nx bool) {
	src, dst := str(args[1]), str(args[2])
	v, exp, ok := c.s.store.GetWithExpiry(src)
	if !ok {
		c.errReply(errOther, "ERR no such key")
		return
	}
	if src == dst {
		if nx {
			c.w.int(0)
		} else {
			c.w.ok()
		}
		return
	}
	stored := false
	err := c.s.store.Update(dst, func(_ string, _ int64, exists bool) (string, int64, UpdateOp) {
		stored = false
		if nx && exists {
			return "", 0, UpdateKeep
		}
		stored = true
		return v, exp, UpdateStore
	})
	if err != nil {
		c.refused(err)
		return
	}
	if stored {
		c.s.store.Del(src)
	}
	switch {
	case !nx:
		c.w.ok()
	case stored:
		c.w.int(1)
	default:
		c.w.int(0)
	}
}

func cmdRename(c *conn, args [][]byte)   { c.rename(args, false) }
func cmdRenameNX(c *conn, args [][]byte) { c.rename(args, true) }

// cmdDBSize counts the live keys of a small store exactly (an expired
// key the sweeper has not removed yet is not counted, as after Redis's
// active expiry); a big one answers the store's O(1) count.
func cmdDBSize(c *conn, args [][]byte) {
	n := c.s.store.Stats().Keys
	if n < 100000 {
		n = 0
		c.s.store.Range(func(string, int64) bool { n++; return true })
	}
	c.w.int(n)
}

func cmdFlush(c *conn, args [][]byte) {
	if len(args) > 2 || (len(args) == 2 && !eqFold(args[1], "async") && !eqFold(args[1], "sync")) {
		c.errReply(errSyntax, msgSyntax)
		return
	}
	c.s.store.Flush()
	c.w.ok()
}
