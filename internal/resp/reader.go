package resp

import "bytes"

// Limits of the request parser, as Redis has them (networking.c).
const (
	inlineMax      = 64 * 1024 // PROTO_INLINE_MAX_SIZE: a line without its newline
	unauthMaxArgs  = 10        // before AUTH: longest multibulk
	unauthMaxBulk  = 16384     // before AUTH: longest bulk string
	readBufMin     = 16 * 1024 // initial and resting size of a connection's input buffer
	readBufRelease = 1 << 20   // an idle buffer grown past this is given back
)

// parser turns a connection's input buffer into commands. It parses in
// place: each argument is a slice of buf (inline commands: of inl), valid
// until the next read into buf. A multibulk command that is not complete
// yet keeps its progress (pos, offs), so a large command that arrives in
// many reads is scanned once. Offsets are relative to r, which stays
// valid when the buffer is compacted or grown.
type parser struct {
	buf  []byte
	r, w int // unparsed input is buf[r:w]

	mb      int   // arguments still expected of the current multibulk; 0 = none started
	pos     int   // bytes of the current command consumed so far, from r
	bulkLen int   // length of the bulk being read; -1 = its header not read yet
	offs    []int // start, end of each argument read so far, from r
	args    [][]byte
	inl     []byte // inline arguments, unescaped
	maxBulk int64
}

func newParser(maxBulk int64) *parser {
	return &parser{buf: make([]byte, readBufMin), bulkLen: -1, maxBulk: maxBulk}
}

// protoError is a malformed request: the reply text (without "-ERR ")
// is sent and the connection closed, as Redis does.
type protoError string

// next returns the next complete command, nil when more input is needed
// (an empty command, such as a blank inline line, is skipped), or a
// protocol error.
func (p *parser) next(authed bool) ([][]byte, protoError) {
	for p.r < p.w {
		if p.mb == 0 && p.buf[p.r] != '*' {
			args, done, perr := p.inline()
			if perr != "" || !done {
				return nil, perr
			}
			if len(args) == 0 {
				continue
			}
			return args, ""
		}
		args, done, perr := p.multibulk(authed)
		if perr != "" || !done {
			return nil, perr
		}
		if len(args) == 0 {
			continue
		}
		return args, ""
	}
	return nil, ""
}

// parseInt is Redis's string2ll: an optional '-', digits, no leading
// zeros, no '+' or spaces, within int64.
func parseInt(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 20 {
		return 0, false
	}
	if len(b) == 1 && b[0] == '0' {
		return 0, true
	}
	neg := b[0] == '-'
	if neg {
		b = b[1:]
	}
	if len(b) == 0 || b[0] < '1' || b[0] > '9' {
		return 0, false
	}
	var n uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		d := uint64(c - '0')
		if n > (1<<64-1-d)/10 {
			return 0, false
		}
		n = n*10 + d
	}
	if neg {
		if n > 1<<63 {
			return 0, false
		}
		return -int64(n), true
	}
	if n > 1<<63-1 {
		return 0, false
	}
	return int64(n), true
}

func (p *parser) multibulk(authed bool) ([][]byte, bool, protoError) {
	if p.mb == 0 {
		if args, ok := p.multibulkFast(authed); ok {
			return args, true, ""
		}
	}
	data := p.buf[p.r:p.w]
	if p.mb == 0 {
		nl := bytes.IndexByte(data, '\r')
		if nl < 0 {
			if len(data) > inlineMax {
				return nil, false, "Protocol error: too big mbulk count string"
			}
			return nil, false, ""
		}
		if nl > len(data)-2 {
			return nil, false, ""
		}
		n, ok := parseInt(data[1:nl])
		if !ok || n > 1<<31-1 {
			return nil, false, "Protocol error: invalid multibulk length"
		}
		if n > unauthMaxArgs && !authed {
			return nil, false, "Protocol error: unauthenticated multibulk length"
		}
		p.pos = nl + 2
		if n <= 0 {
			p.r += p.pos
			p.pos = 0
			return nil, true, ""
		}
		p.mb = int(n)
		p.offs = p.offs[:0]
		p.bulkLen = -1
	}
	for p.mb > 0 {
		rest := data[p.pos:]
		if p.bulkLen < 0 {
			nl := bytes.IndexByte(rest, '\r')
			if nl < 0 {
				if len(rest) > inlineMax {
					return nil, false, "Protocol error: too big bulk count string"
				}
				return nil, false, ""
			}
			if nl > len(rest)-2 {
				return nil, false, ""
			}
			if rest[0] != '$' {
				return nil, false, protoError("Protocol error: expected '$', got '" + string(rest[0]) + "'")
			}
			n, ok := parseInt(rest[1:nl])
			if !ok || n < 0 || n > p.maxBulk {
				return nil, false, "Protocol error: invalid bulk length"
			}
			if n > unauthMaxBulk && !authed {
				return nil, false, "Protocol error: unauthenticated bulk length"
			}
			p.pos += nl + 2
			p.bulkLen = int(n)
			rest = data[p.pos:]
		}
		if len(rest) < p.bulkLen+2 {
			return nil, false, ""
		}
		p.offs = append(p.offs, p.pos, p.pos+p.bulkLen)
		p.pos += p.bulkLen + 2
		p.bulkLen = -1
		p.mb--
	}
	p.args = p.args[:0]
	for i := 0; i < len(p.offs); i += 2 {
		p.args = append(p.args, data[p.offs[i]:p.offs[i+1]:p.offs[i+1]])
	}
	p.r += p.pos
	p.pos = 0
	return p.args, true, ""
}

// multibulkFast parses a multibulk command that is complete in the
// buffer and well formed, in one pass with the lengths read inline; for
// anything else (incomplete, malformed, over a limit, empty) it returns
// false having consumed nothing, and multibulk's general path takes
// over, with its progress keeping and its exact errors. A pipelined
// client's commands nearly all take this path.
func (p *parser) multibulkFast(authed bool) ([][]byte, bool) {
	data := p.buf[p.r:p.w]
	n, i, ok := fastLen(data, 1) // data[0] is '*'
	if !ok || n == 0 || n > 1<<31-1 || (n > unauthMaxArgs && !authed) {
		return nil, false
	}
	maxBulk := p.maxBulk
	if !authed && maxBulk > unauthMaxBulk {
		maxBulk = unauthMaxBulk
	}
	args := p.args[:0]
	for ; n > 0; n-- {
		if i >= len(data) || data[i] != '$' {
			return nil, false
		}
		l, j, ok := fastLen(data, i+1)
		if !ok || l > maxBulk || int64(len(data)-j) < l+2 {
			return nil, false
		}
		end := j + int(l)
		args = append(args, data[j:end:end])
		i = end + 2 // the two bytes after a bulk are not checked, as in Redis
	}
	p.args = args
	p.r += i
	return args, true
}

// fastLen reads the decimal after a '*' or '$' at data[i:] up to its
// CRLF, as parseInt accepts it but without a sign (a negative length is
// left to the general path): the value, the index after the CRLF, and
// false if it is not that.
func fastLen(data []byte, i int) (int64, int, bool) {
	start := i
	var n int64
	for ; i < len(data) && i-start <= 18; i++ {
		c := data[i]
		if c == '\r' {
			if i == start || i+1 >= len(data) || data[i+1] != '\n' || (data[start] == '0' && i-start > 1) {
				return 0, 0, false
			}
			return n, i + 2, true
		}
		if c < '0' || c > '9' {
			return 0, 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return 0, 0, false
}

// need is how many unparsed bytes the current command needs at least:
// the buffer must be able to hold them.
func (p *parser) need() int {
	if p.mb > 0 && p.bulkLen >= 0 {
		return p.pos + p.bulkLen + 2
	}
	return p.w - p.r + 1
}

func (p *parser) inline() ([][]byte, bool, protoError) {
	data := p.buf[p.r:p.w]
	nl := bytes.IndexByte(data, '\n')
	if nl < 0 {
		if len(data) > inlineMax {
			return nil, false, "Protocol error: too big inline request"
		}
		return nil, false, ""
	}
	line := data[:nl]
	if len(line) > 0 && line[len(line)-1] == '\r' {
		line = line[:len(line)-1]
	}
	args, ok := p.splitArgs(line)
	if !ok {
		return nil, false, "Protocol error: unbalanced quotes in request"
	}
	p.r += nl + 1
	return args, true, ""
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\v' || c == '\f'
}

func hexVal(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// splitArgs is Redis's sdssplitargs: blank-separated words, "double
// quoted" with \n \r \t \b \a \xHH escapes, 'single quoted' with \'. A
// closing quote must be followed by a blank or the end. The line is
// treated as a C string (it ends at a NUL byte), as in Redis.
func (p *parser) splitArgs(line []byte) ([][]byte, bool) {
	if i := bytes.IndexByte(line, 0); i >= 0 {
		line = line[:i]
	}
	p.inl = p.inl[:0]
	var bounds [64]int
	offs := bounds[:0]
	i := 0
	at := func(j int) byte {
		if j < len(line) {
			return line[j]
		}
		return 0
	}
	for {
		for i < len(line) && isSpace(line[i]) {
			i++
		}
		if i >= len(line) {
			break
		}
		start := len(p.inl)
		inq, insq, done := false, false, false
		for !done {
			c := at(i)
			switch {
			case inq:
				if c == '\\' && at(i+1) == 'x' {
					hi, ok1 := hexVal(at(i + 2))
					lo, ok2 := hexVal(at(i + 3))
					if ok1 && ok2 {
						p.inl = append(p.inl, hi<<4|lo)
						i += 3
						break
					}
				}
				if c == '\\' && at(i+1) != 0 {
					i++
					e := at(i)
					switch e {
					case 'n':
						e = '\n'
					case 'r':
						e = '\r'
					case 't':
						e = '\t'
					case 'b':
						e = '\b'
					case 'a':
						e = '\a'
					}
					p.inl = append(p.inl, e)
				} else if c == '"' {
					if n := at(i + 1); n != 0 && !isSpace(n) {
						return nil, false
					}
					done = true
				} else if c == 0 {
					return nil, false
				} else {
					p.inl = append(p.inl, c)
				}
			case insq:
				if c == '\\' && at(i+1) == '\'' {
					i++
					p.inl = append(p.inl, '\'')
				} else if c == '\'' {
					if n := at(i + 1); n != 0 && !isSpace(n) {
						return nil, false
					}
					done = true
				} else if c == 0 {
					return nil, false
				} else {
					p.inl = append(p.inl, c)
				}
			default:
				switch c {
				case ' ', '\n', '\r', '\t', 0:
					done = true
				case '"':
					inq = true
				case '\'':
					insq = true
				default:
					p.inl = append(p.inl, c)
				}
			}
			if i < len(line) {
				i++
			}
		}
		offs = append(offs, start, len(p.inl))
	}
	p.args = p.args[:0]
	for j := 0; j < len(offs); j += 2 {
		p.args = append(p.args, p.inl[offs[j]:offs[j+1]:offs[j+1]])
	}
	return p.args, true
}
