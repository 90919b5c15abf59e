package resp

// globMatch is Redis's stringmatchlen (util.c): '*', '?', '[abc]',
// '[^abc]', '[a-z]' (ends swapped when reversed), '\x' escapes (also
// inside brackets); an unclosed '[' matches up to the pattern's end.
// A failed '*' stops longer tries at once (skipLonger), which keeps
// patterns like "a*a*a*a*b" linear, as in Redis.
func globMatch(pattern, s string) bool {
	skip := false
	return globImpl(pattern, s, &skip, 0)
}

func globImpl(p, s string, skipLonger *bool, nesting int) bool {
	// Redis gives up on very deep nesting of '*' (a pathological pattern).
	if nesting > 1000 {
		return false
	}
	at := func(i int) byte {
		if i < len(p) {
			return p[i]
		}
		return 0
	}
	for len(p) > 0 && len(s) > 0 {
		switch p[0] {
		case '*':
			for len(p) > 1 && p[1] == '*' {
				p = p[1:]
			}
			if len(p) == 1 {
				return true
			}
			for len(s) > 0 {
				if globImpl(p[1:], s, skipLonger, nesting+1) {
					return true
				}
				if *skipLonger {
					return false
				}
				s = s[1:]
			}
			*skipLonger = true
			return false
		case '?':
			s = s[1:]
		case '[':
			p = p[1:]
			not := at(0) == '^'
			if not {
				p = p[1:]
			}
			match := false
			for {
				if at(0) == '\\' && len(p) >= 2 {
					p = p[1:]
					if p[0] == s[0] {
						match = true
					}
				} else if len(p) == 0 {
					// Unclosed: step back so the p = p[1:] below ends it.
					p = "x"
					break
				} else if p[0] == ']' {
					break
				} else if len(p) >= 3 && p[1] == '-' {
					// Redis compares C chars, signed on x86-64: a range
					// such as [\x00-\xff] matches only \x00 and \xff
					// there (-1..0), and so it does here.
					start, end, c := int8(p[0]), int8(p[2]), int8(s[0])
					if start > end {
						start, end = end, start
					}
					p = p[2:]
					if c >= start && c <= end {
						match = true
					}
				} else if p[0] == s[0] {
					match = true
				}
				p = p[1:]
			}
			if not {
				match = !match
			}
			if !match {
				return false
			}
			s = s[1:]
		case '\\':
			if len(p) >= 2 {
				p = p[1:]
			}
			fallthrough
		default:
			if p[0] != s[0] {
				return false
			}
			s = s[1:]
		}
		p = p[1:]
		if len(s) == 0 {
			for len(p) > 0 && p[0] == '*' {
				p = p[1:]
			}
			break
		}
	}
	return len(p) == 0 && len(s) == 0
}
