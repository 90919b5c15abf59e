package resp

import (
	"errors"
	"math"
	"math/big"
	"strings"
	"time"
	"unsafe"

	"github.com/ephpm/ephpm/internal/kv"
)

// Error texts of Redis 7 (server.c createSharedObjects, t_string.c).
const (
	msgNotInteger = "ERR value is not an integer or out of range"
	msgSyntax     = "ERR syntax error"
	msgNotFloat   = "ERR value is not a valid float"
	msgOverflow   = "ERR increment or decrement would overflow"
	msgOOM        = "OOM command not allowed when used memory > 'maxmemory'."
	msgTooBig     = "ERR string exceeds maximum allowed size (proto-max-bulk-len)"
)

func (c *conn) expireErr(cmd string) { c.errReply(errValue, expireMsg(cmd)) }

// expireMsg is Redis's error for an expiry out of range, built only when
// it is the answer (a SET with EX must not pay for it).
func expireMsg(cmd string) string { return "ERR invalid expire time in '" + cmd + "' command" }

func eqFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range b {
		x := b[i]
		if x >= 'A' && x <= 'Z' {
			x += 'a' - 'A'
		}
		if x != s[i] {
			return false
		}
	}
	return true
}

// nowMs is the store's clock in milliseconds (Redis's mstime).
func (c *conn) nowMs() int64 { return c.s.store.Now() / 1e6 }

// msToNs turns an absolute time in ms into the store's deadline: unix ns,
// or past the year 2262 the store's far form, exact (kv.DeadlineFromMs).
func msToNs(ms int64) int64 { return kv.DeadlineFromMs(ms) }

// maxTTLMs is the longest relative TTL in ms a time.Duration holds: a
// longer one (Redis allows any that keeps now+ttl in int64 ms) goes to
// the store as an absolute deadline instead.
const maxTTLMs = math.MaxInt64 / int64(time.Millisecond)

// expiry options of SET and GETEX, parsed as Redis's
// parseExtendedStringArgumentsOrReply does.
const (
	optNX = 1 << iota
	optXX
	optGet
	optKeepTTL
	optEX
	optPX
	optEXAT
	optPXAT
	optPersist
)

const optExpire = optEX | optPX | optEXAT | optPXAT

// parseSetOpts parses args (after key and, for SET, value). getex allows
// only the expiry options and PERSIST. It returns the flags and the
// expiry argument.
func parseSetOpts(args [][]byte, getex bool) (flags int, expArg []byte, ok bool) {
	for j := 0; j < len(args); j++ {
		a := args[j]
		next := j+1 < len(args)
		switch {
		case !getex && eqFold(a, "nx") && flags&optXX == 0:
			flags |= optNX
		case !getex && eqFold(a, "xx") && flags&optNX == 0:
			flags |= optXX
		case !getex && eqFold(a, "get"):
			flags |= optGet
		case !getex && eqFold(a, "keepttl") && flags&(optPersist|optExpire) == 0:
			flags |= optKeepTTL
		case getex && eqFold(a, "persist") && flags&(optExpire|optKeepTTL) == 0:
			flags |= optPersist
		default:
			// EX, PX, EXAT or PXAT with its argument: one kind only, which
			// may repeat (the last wins), and not with KEEPTTL or PERSIST.
			var opt int
			switch {
			case eqFold(a, "ex"):
				opt = optEX
			case eqFold(a, "px"):
				opt = optPX
			case eqFold(a, "exat"):
				opt = optEXAT
			case eqFold(a, "pxat"):
				opt = optPXAT
			}
			if opt == 0 || flags&(optKeepTTL|optPersist|optExpire&^opt) != 0 || !next {
				return 0, nil, false
			}
			flags |= opt
			j++
			expArg = args[j]
		}
	}
	return flags, expArg, true
}

// expireAtMs turns the expiry option into an absolute time in ms, with
// Redis's checks (getExpireMillisecondsOrReply), and for EX and PX also
// the relative time in ms. False: replied an error.
func (c *conn) expireAtMs(flags int, arg []byte, cmd string) (at, rel int64, ok bool) {
	at, rel, msg := c.expireAt(flags, arg, cmd)
	if msg != "" {
		c.errReply(errValue, msg)
		return 0, 0, false
	}
	return at, rel, true
}

// expireAt is expireAtMs without the reply: the error's text, or "".
func (c *conn) expireAt(flags int, arg []byte, cmd string) (at, rel int64, errMsg string) {
	n, ok := parseInt(arg)
	if !ok {
		return 0, 0, msgNotInteger
	}
	if n <= 0 || (flags&(optEX|optEXAT) != 0 && n > math.MaxInt64/1000) {
		return 0, 0, expireMsg(cmd)
	}
	if flags&(optEX|optEXAT) != 0 {
		n *= 1000
	}
	if flags&(optEX|optPX) != 0 {
		now := c.nowMs()
		if n > math.MaxInt64-now {
			return 0, 0, expireMsg(cmd)
		}
		return n + now, n, ""
	}
	return n, 0, ""
}

// msDuration is ms as a Duration, saturated.
func msDuration(ms int64) time.Duration {
	if ms > math.MaxInt64/int64(time.Millisecond) {
		return math.MaxInt64
	}
	return time.Duration(ms) * time.Millisecond
}

// oom answers a write the store refused. On the memory store that is its
// memory limit: Redis's OOM error. A store on Redis also refuses when
// Redis cannot be reached: then the client is told that, not OOM.
func (c *conn) oom() { c.refused(nil) }

// refused answers a write the store refused with err (nil when the store
// only said no): OOM for the memory limit, else the store's failure.
func (c *conn) refused(err error) {
	// On the Redis backend a key another client made a list (or any
	// non-string) under key_prefix gets Redis's own WRONGTYPE error, as
	// redis-server answers the same command: SPEC 7 promises its prefix.
	if err != nil && strings.HasPrefix(err.Error(), "WRONGTYPE ") {
		c.errReply(errOther, oneLineErr(err))
		return
	}
	if err != nil && !errors.Is(err, kv.ErrNoMemory) {
		c.errReply(errOther, "ERR the store refused the write: "+oneLineErr(err))
		return
	}
	if p, ok := c.s.store.(interface{ Ping() error }); ok {
		if perr := p.Ping(); perr != nil {
			c.errReply(errOther, "ERR the store's backend does not answer: "+oneLineErr(perr))
			return
		}
	}
	c.errReply(errOther, msgOOM)
}

// oneLineErr is err's text fit for an error reply (no line breaks).
func oneLineErr(err error) string {
	return strings.NewReplacer("\r", " ", "\n", " ").Replace(err.Error())
}

func cmdGet(c *conn, args [][]byte) {
	var (
		v        string
		ok, done bool
	)
	if ks, is := c.s.store.(kvStore); is && c.s.typed == nil {
		// The store copies a small value (kv's index.go) into getBuf
		// instead of a new string; the reply copies it out at once.
		v, ok = ks.GetInto(str(args[1]), c.getBuf[:])
	} else {
		v, ok, done = c.get(args[1])
	}
	if ok {
		c.w.bulk(v)
	} else if !done {
		c.w.null()
	}
}

// get reads key for a command that wants a string. done: the key holds
// another type (Redis backend), already answered with Redis's WRONGTYPE.
func (c *conn) get(key []byte) (v string, ok, done bool) {
	if t := c.s.typed; t != nil {
		v, ok, err := t.GetTyped(str(key))
		if err != nil {
			c.errReply(errOther, oneLineErr(err))
			return "", false, true
		}
		return v, ok, false
	}
	v, ok = c.s.store.Get(str(key))
	return v, ok, false
}

func cmdSet(c *conn, args [][]byte) {
	flags, expArg, ok := parseSetOpts(args[3:], false)
	if !ok {
		c.errReply(errSyntax, msgSyntax)
		return
	}
	key, val := str(args[1]), str(args[2])
	var at, rel int64 // expiry in ms, absolute and (EX, PX) relative; 0 = none
	if flags&optExpire != 0 {
		if at, rel, ok = c.expireAtMs(flags, expArg, "set"); !ok {
			return
		}
	}
	st := c.s.store
	// The common forms map onto the store's own calls (no read of the
	// old value); GET, XX and KEEPTTL need the old state: Update.
	if flags&(optGet|optXX|optKeepTTL) == 0 && flags&(optEXAT|optPXAT) == 0 && rel <= maxTTLMs {
		ttl := msDuration(rel)
		var stored bool
		if flags&optNX != 0 {
			stored = st.SetNX(key, val, ttl)
			if !stored {
				if st.Exists(key) {
					c.w.null()
				} else {
					c.oom()
				}
				return
			}
		} else if !st.Set(key, val, ttl) {
			c.oom()
			return
		}
		c.w.ok()
		return
	}
	var (
		old      string
		existed  bool
		finished bool
	)
	err := st.Update(key, func(o string, exp int64, exists bool) (string, int64, UpdateOp) {
		old, existed, finished = o, exists, false
		if (flags&optNX != 0 && exists) || (flags&optXX != 0 && !exists) {
			return "", 0, UpdateKeep
		}
		finished = true
		newExp := int64(0)
		switch {
		case at != 0:
			newExp = msToNs(at)
		case flags&optKeepTTL != 0 && exists:
			newExp = exp
		}
		return val, newExp, UpdateStore
	})
	if err != nil {
		c.refused(err)
		return
	}
	if flags&optGet != 0 {
		c.lookedUp(existed)
	}
	switch {
	case flags&optGet != 0 && existed:
		c.w.bulk(old)
	case flags&optGet != 0 || !finished:
		c.w.null()
	default:
		c.w.ok()
	}
}

func cmdSetNX(c *conn, args [][]byte) {
	st := c.s.store
	if st.SetNX(str(args[1]), str(args[2]), 0) {
		c.w.int(1)
	} else if st.Exists(str(args[1])) {
		c.w.int(0)
	} else {
		c.oom()
	}
}

func (c *conn) setex(args [][]byte, unit int64, name string) {
	n, ok := parseInt(args[2])
	if !ok {
		c.errReply(errValue, msgNotInteger)
		return
	}
	if n <= 0 || n > math.MaxInt64/unit {
		c.expireErr(name)
		return
	}
	ms := n * unit
	now := c.nowMs()
	if ms > math.MaxInt64-now {
		c.expireErr(name)
		return
	}
	if ms > maxTTLMs {
		// Past what a Duration holds: the absolute deadline, exact.
		val, at := str(args[3]), now+ms
		if err := c.s.store.Update(str(args[1]), func(string, int64, bool) (string, int64, UpdateOp) {
			return val, msToNs(at), UpdateStore
		}); err != nil {
			c.refused(err)
			return
		}
	} else if !c.s.store.Set(str(args[1]), str(args[3]), msDuration(ms)) {
		c.oom()
		return
	}
	c.w.ok()
}

func cmdSetEX(c *conn, args [][]byte)  { c.setex(args, 1000, "setex") }
func cmdPSetEX(c *conn, args [][]byte) { c.setex(args, 1, "psetex") }

func cmdGetSet(c *conn, args [][]byte) {
	val := str(args[2])
	var old string
	var existed bool
	err := c.s.store.Update(str(args[1]), func(o string, _ int64, exists bool) (string, int64, UpdateOp) {
		old, existed = o, exists
		return val, 0, UpdateStore
	})
	if err != nil {
		c.refused(err)
		return
	}
	c.lookedUp(existed)
	c.bulkOrNull(old, existed)
}

func (c *conn) bulkOrNull(v string, ok bool) {
	if ok {
		c.w.bulk(v)
	} else {
		c.w.null()
	}
}

func cmdGetDel(c *conn, args [][]byte) {
	var old string
	var existed bool
	err := c.s.store.Update(str(args[1]), func(o string, _ int64, exists bool) (string, int64, UpdateOp) {
		old, existed = o, exists
		if !exists {
			return "", 0, UpdateKeep
		}
		return "", 0, UpdateDelete
	})
	if err != nil {
		c.refused(err)
		return
	}
	c.lookedUp(existed)
	c.bulkOrNull(old, existed)
}

func cmdGetEx(c *conn, args [][]byte) {
	flags, expArg, ok := parseSetOpts(args[2:], true)
	if !ok {
		c.errReply(errSyntax, msgSyntax)
		return
	}
	if flags&(optExpire|optPersist) == 0 {
		cmdGet(c, args)
		return
	}
	// Redis looks the key up before it checks the expiry: a missing key
	// answers null whatever the time given ("GETEX nokey EX abc").
	var at int64
	var bad string // the expiry's error, answered only if the key exists
	if flags&optExpire != 0 {
		at, _, bad = c.expireAt(flags, expArg, "getex")
	}
	var old string
	var existed bool
	err := c.s.store.Update(str(args[1]), func(o string, exp int64, exists bool) (string, int64, UpdateOp) {
		old, existed = o, exists
		switch {
		case !exists || bad != "":
			return "", 0, UpdateKeep
		case flags&optPersist != 0:
			if exp == 0 {
				return "", 0, UpdateKeep
			}
			return o, 0, UpdateStore
		case at <= c.nowMs():
			return "", 0, UpdateDelete
		}
		return o, msToNs(at), UpdateStore
	})
	if err != nil {
		c.refused(err)
		return
	}
	c.lookedUp(existed) // Redis looks the key up before it checks the expiry
	if existed && bad != "" {
		c.errReply(errValue, bad)
		return
	}
	c.bulkOrNull(old, existed)
}

func cmdMGet(c *conn, args [][]byte) {
	c.w.array(len(args) - 1)
	for _, k := range args[1:] {
		v, ok := c.s.store.Get(str(k))
		c.bulkOrNull(v, ok)
	}
}

func cmdMSet(c *conn, args [][]byte) {
	if len(args)%2 == 0 {
		c.errReply(errArity, "ERR wrong number of arguments for 'mset' command")
		return
	}
	for i := 1; i < len(args); i += 2 {
		if !c.s.store.Set(str(args[i]), str(args[i+1]), 0) {
			c.oom()
			return
		}
	}
	c.w.ok()
}

func cmdMSetNX(c *conn, args [][]byte) {
	if len(args)%2 == 0 {
		c.errReply(errArity, "ERR wrong number of arguments for 'msetnx' command")
		return
	}
	for i := 1; i < len(args); i += 2 {
		if c.s.store.Exists(str(args[i])) {
			c.w.int(0)
			return
		}
	}
	for i := 1; i < len(args); i += 2 {
		if !c.s.store.Set(str(args[i]), str(args[i+1]), 0) {
			c.oom()
			return
		}
	}
	c.w.int(1)
}

func (c *conn) incr(key []byte, delta int64) {
	n, err := c.s.store.IncrBy(str(key), delta)
	switch {
	case err == nil:
		c.w.int(n)
	case strings.HasPrefix(err.Error(), "WRONGTYPE "):
		// The Redis backend: a key of another type, Redis's own reply.
		c.errReply(errOther, oneLineErr(err))
	case errors.Is(err, kv.ErrNotInteger):
		c.errReply(errValue, msgNotInteger)
	case errors.Is(err, kv.ErrOverflow):
		c.errReply(errValue, msgOverflow)
	default:
		c.refused(err)
	}
}

func cmdIncr(c *conn, args [][]byte) { c.incr(args[1], 1) }
func cmdDecr(c *conn, args [][]byte) { c.incr(args[1], -1) }

func cmdIncrBy(c *conn, args [][]byte) {
	n, ok := parseInt(args[2])
	if !ok {
		c.errReply(errValue, msgNotInteger)
		return
	}
	c.incr(args[1], n)
}

func cmdDecrBy(c *conn, args [][]byte) {
	n, ok := parseInt(args[2])
	if !ok {
		c.errReply(errValue, msgNotInteger)
		return
	}
	if n == math.MinInt64 {
		c.errReply(errValue, "ERR decrement would overflow")
		return
	}
	c.incr(args[1], -n)
}

// Redis computes INCRBYFLOAT in C's long double (x87: a 64-bit mantissa)
// and prints it with "%.17Lf" minus trailing zeros. big.Float at 64 bits
// of precision, rounding to nearest even, gives the same digits (0.1+0.2
// is "0.3" as in Redis, not float64's 0.30000000000000004).
const ldPrec = 64

// parseLongDouble is Redis's string2ld: the whole string a number, no
// leading space, not NaN.
func parseLongDouble(s string) (*big.Float, bool) {
	if s == "" || len(s) > 5*1024 || isSpace(s[0]) {
		return nil, false
	}
	low := strings.ToLower(strings.TrimLeft(s, "+-"))
	if strings.HasPrefix(low, "nan") || strings.Contains(s, "_") {
		return nil, false
	}
	if low == "inf" || low == "infinity" {
		return new(big.Float).SetInf(s[0] == '-'), true
	}
	// strtold reads hexadecimal floats too ("0x10" is 16, "0x1p-2" is
	// 0.25); base 0 reads them as Go does, but also 0b and 0o, which
	// strtold does not: only a 0x prefix gets base 0.
	base := 10
	if strings.HasPrefix(low, "0x") {
		base = 0
	}
	f, _, err := big.ParseFloat(s, base, ldPrec, big.ToNearestEven)
	if err != nil {
		return nil, false
	}
	// strtold's ERANGE: an overflow (HUGE_VAL) or an underflow to zero
	// is not a valid float; a denormal is.
	if exp := f.MantExp(nil); f.Sign() != 0 && (exp > ldMaxExp || exp < ldMinExp) {
		return nil, false
	}
	return f, true
}

// ldMinExp: below 2^-16445 (the smallest denormal) a long double is 0.
const ldMinExp = -16444

// formatLongDouble is ld2string's LD_STR_HUMAN.
func formatLongDouble(f *big.Float) string {
	s := f.Text('f', 17)
	if strings.IndexByte(s, '.') >= 0 {
		s = strings.TrimRight(s, "0")
		s = strings.TrimSuffix(s, ".")
	}
	if s == "-0" {
		s = "0"
	}
	return s
}

// ldMaxExp: beyond 2^16384 a long double is infinite.
const ldMaxExp = 16384

func cmdIncrByFloat(c *conn, args [][]byte) {
	incr, ok := parseLongDouble(str(args[2]))
	if !ok {
		c.errReply(errValue, msgNotFloat)
		return
	}
	var result string
	var errMsg string
	err := c.s.store.Update(str(args[1]), func(o string, exp int64, exists bool) (string, int64, UpdateOp) {
		errMsg = ""
		cur := new(big.Float).SetPrec(ldPrec)
		if exists {
			v, ok := parseLongDouble(o)
			if !ok {
				errMsg = msgNotFloat
				return "", 0, UpdateKeep
			}
			cur = v
		}
		if cur.IsInf() || incr.IsInf() {
			errMsg = "ERR increment would produce NaN or Infinity"
			return "", 0, UpdateKeep
		}
		sum := new(big.Float).SetPrec(ldPrec).SetMode(big.ToNearestEven).Add(cur, incr)
		if sum.MantExp(nil) > ldMaxExp {
			errMsg = "ERR increment would produce NaN or Infinity"
			return "", 0, UpdateKeep
		}
		result = formatLongDouble(sum)
		return result, exp, UpdateStore
	})
	switch {
	case errMsg != "":
		c.errReply(errValue, errMsg)
	case err != nil:
		c.refused(err)
	default:
		c.w.bulk(result)
	}
}

func cmdAppend(c *conn, args [][]byte) {
	add := str(args[2])
	var n int
	var tooBig, oom bool
	err := c.s.store.Update(str(args[1]), func(o string, exp int64, exists bool) (string, int64, UpdateOp) {
		tooBig, oom = false, false
		if !exists {
			n = len(add)
			return add, 0, UpdateStore
		}
		if int64(len(o))+int64(len(add)) > c.s.cfg.MaxBulkLen {
			tooBig = true
			return "", 0, UpdateKeep
		}
		if c.s.beyondStore(int64(len(o)) + int64(len(add))) {
			oom = true
			return "", 0, UpdateKeep
		}
		n = len(o) + len(add)
		return o + add, exp, UpdateStore
	})
	c.lengthReply(tooBig, oom, err, int64(n))
}

// beyondStore reports whether a value of size bytes could never be stored
// (longer than Config.MaxValueLen).
func (s *Server) beyondStore(size int64) bool {
	return s.cfg.MaxValueLen > 0 && size > s.cfg.MaxValueLen
}

// lengthReply answers APPEND and SETRANGE after their Update: the string's
// new length, or why it was not stored (oom: it could never fit the store,
// answered as the store's own refusal is).
func (c *conn) lengthReply(tooBig, oom bool, err error, n int64) {
	switch {
	case tooBig:
		c.errReply(errValue, msgTooBig)
	case oom:
		c.errReply(errOther, msgOOM)
	case err != nil:
		c.refused(err)
	default:
		c.w.int(n)
	}
}

func cmdStrlen(c *conn, args [][]byte) {
	if v, _, done := c.get(args[1]); !done {
		c.w.int(int64(len(v)))
	}
}

func cmdGetRange(c *conn, args [][]byte) {
	start, ok1 := parseInt(args[2])
	end, ok2 := parseInt(args[3])
	if !ok1 || !ok2 {
		c.errReply(errValue, msgNotInteger)
		return
	}
	v, _, done := c.get(args[1])
	if done {
		return
	}
	n := int64(len(v))
	if start < 0 && end < 0 && start > end {
		c.w.bulk("")
		return
	}
	if start < 0 {
		start += n
	}
	if end < 0 {
		end += n
	}
	start, end = max(start, 0), max(end, 0)
	if end >= n {
		end = n - 1
	}
	if start > end || n == 0 {
		c.w.bulk("")
		return
	}
	c.w.bulk(v[start : end+1])
}

func cmdSetRange(c *conn, args [][]byte) {
	off, ok := parseInt(args[2])
	if !ok {
		c.errReply(errValue, msgNotInteger)
		return
	}
	if off < 0 {
		c.errReply(errValue, "ERR offset is out of range")
		return
	}
	val := str(args[3])
	var n int64
	var tooBig, oom bool
	err := c.s.store.Update(str(args[1]), func(o string, exp int64, exists bool) (string, int64, UpdateOp) {
		tooBig, oom = false, false
		if len(val) == 0 {
			n = int64(len(o))
			return "", 0, UpdateKeep
		}
		// off is at most MaxInt64: compare without adding (the sum
		// could overflow, as 9223372036854775807 + 1 does).
		if off > c.s.cfg.MaxBulkLen-int64(len(val)) {
			tooBig = true
			return "", 0, UpdateKeep
		}
		size := max(int64(len(o)), off+int64(len(val)))
		if c.s.beyondStore(size) {
			oom = true
			return "", 0, UpdateKeep
		}
		b := make([]byte, size)
		copy(b, o)
		copy(b[off:], val)
		n = size
		if !exists {
			exp = 0
		}
		// b is not used again: the string takes its bytes without a
		// second copy of what may be hundreds of megabytes.
		return unsafe.String(&b[0], len(b)), exp, UpdateStore
	})
	c.lengthReply(tooBig, oom, err, n)
}
