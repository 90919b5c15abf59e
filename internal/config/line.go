package config

import (
	"errors"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/BurntSushi/toml"
)

// The TOML library knows where every key is but does not export it; it
// does report the line when a value fails to decode. keyLine decodes the
// file once more into a struct that has only the wanted key, of a type
// that always fails, and reads the line (and the value) from that error.

var errProbe = errors.New("probe")

type probe struct {
	value any
	seen  bool
}

func (p *probe) UnmarshalTOML(v any) error {
	p.value, p.seen = v, true
	return errProbe
}

var (
	probeType = reflect.TypeOf(probe{})
	lineInMsg = lazyRegexp(`^toml: line (\d+) `)
)

// taggable reports whether a struct tag can name key k exactly.
func taggable(k string) bool {
	return k != "" && k != "-" && strings.IndexFunc(k, func(r rune) bool {
		return r < 0x20 || r == 0x7f || r == '"' || r == '\\' || r == ',' || r == utf8.RuneError
	}) < 0
}

// lookup finds key in the TOML data: the line where it is set (0 if not
// known) and its decoded value. ok is false if the key is not in data.
func lookup(data []byte, key []string) (line int, value any, ok bool) {
	if len(key) == 0 || len(key) > 32 {
		return 0, nil, false
	}
	t := probeType
	for i := len(key) - 1; i >= 0; i-- {
		if !taggable(key[i]) {
			// The field tag could not name this key exactly.
			return scanLine(data, key), nil, false
		}
		t = reflect.StructOf([]reflect.StructField{{
			Name: "F", Type: t, Tag: reflect.StructTag(`toml:"` + key[i] + `"`),
		}})
	}
	v := reflect.New(t)
	_, err := toml.NewDecoder(strings.NewReader(string(data))).Decode(v.Interface())
	if err == nil {
		return 0, nil, false
	}
	leaf := v.Elem()
	for range key {
		leaf = leaf.Field(0)
	}
	p := leaf.Addr().Interface().(*probe)
	var perr toml.ParseError
	switch {
	case errors.As(err, &perr):
		line = perr.Position.Line
	default:
		if m := lineInMsg().FindStringSubmatch(err.Error()); m != nil {
			line, _ = strconv.Atoi(m[1])
		}
	}
	if !p.seen {
		// A table on the way is something else (an array of tables, a
		// value): the line found is that of the outer key.
		if l := scanLine(data, key); l > 0 {
			line = l
		}
		return line, nil, false
	}
	if line == 0 {
		line = scanLine(data, key)
	}
	return line, p.value, true
}

// keyLine is the line where key is set, 0 if it cannot be found.
func keyLine(data []byte, key []string) int {
	line, _, _ := lookup(data, key)
	if line == 0 {
		line = scanLine(data, key)
	}
	return line
}

// scanLine is a textual, best-effort search for key: a `[table]` or
// `[[table]]` header, `name = ` below the header of its table, a dotted
// `a.b = ` or an inline table `a = { b = ... }` on one line. It does not
// understand multi-line strings. 0 when not found.
func scanLine(data []byte, key []string) int {
	want := strings.Join(key, ".")
	table := ""
	for i, raw := range strings.Split(string(data), "\n") {
		line := strings.TrimSpace(raw)
		if strings.HasPrefix(line, "[") {
			h := strings.TrimLeft(line, "[")
			if j := strings.IndexByte(h, ']'); j >= 0 {
				h = h[:j]
			}
			table = normKey(h)
			if table == want {
				return i + 1
			}
			continue
		}
		eq := strings.IndexByte(line, '=')
		if eq <= 0 || strings.HasPrefix(line, "#") {
			continue
		}
		full := normKey(line[:eq])
		if table != "" {
			full = table + "." + full
		}
		if full == want || strings.HasPrefix(want, full+".") {
			return i + 1
		}
	}
	return 0
}

// normKey turns ` a . "b" ` into a.b.
func normKey(s string) string {
	parts := strings.Split(s, ".")
	for i, p := range parts {
		p = strings.TrimSpace(p)
		if len(p) >= 2 && (p[0] == '"' && p[len(p)-1] == '"' || p[0] == '\'' && p[len(p)-1] == '\'') {
			p = p[1 : len(p)-1]
		}
		parts[i] = p
	}
	return strings.Join(parts, ".")
}
