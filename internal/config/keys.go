package config

import (
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

var (
	configType   = reflect.TypeOf(Config{})
	byteSizeType = reflect.TypeOf(ByteSize(0))
	pairsType    = reflect.TypeOf([][2]string(nil))
)

// tomlName is the key a struct field is read from, "" if none.
func tomlName(f reflect.StructField) string {
	if !f.IsExported() {
		return ""
	}
	name, _, _ := strings.Cut(f.Tag.Get("toml"), ",")
	if name == "-" {
		return ""
	}
	return name
}

// isSection reports whether t is a table of keys rather than a value.
func isSection(t reflect.Type) bool {
	return t.Kind() == reflect.Struct
}

// eachField calls fn for every key and section directly under t, with its
// dotted name below prefix and its index in t.
func eachField(t reflect.Type, prefix string, fn func(key string, i int)) {
	for i := 0; i < t.NumField(); i++ {
		name := tomlName(t.Field(i))
		if name == "" {
			continue
		}
		if prefix != "" {
			name = prefix + "." + name
		}
		fn(name, i)
	}
}

// walkKeys calls fn for every key (leaf) under v, in declaration order,
// with its dotted name.
func walkKeys(v reflect.Value, prefix string, fn func(key string, field reflect.Value)) {
	eachField(v.Type(), prefix, func(key string, i int) {
		if isSection(v.Type().Field(i).Type) {
			walkKeys(v.Field(i), key, fn)
			return
		}
		fn(key, v.Field(i))
	})
}

// knownKeys lists every dotted key and section of Config.
func knownKeys() map[string]reflect.Type {
	known := map[string]reflect.Type{}
	var walk func(t reflect.Type, prefix string)
	walk = func(t reflect.Type, prefix string) {
		eachField(t, prefix, func(key string, i int) {
			known[key] = t.Field(i).Type
			if isSection(t.Field(i).Type) {
				walk(t.Field(i).Type, key)
			}
		})
	}
	walk(configType, "")
	return known
}

// fieldAt finds the key at path (matched case-insensitively when fold is
// set) below v. It returns the field and its canonical dotted name, or an
// error saying how far the path matched.
func fieldAt(v reflect.Value, path []string, fold bool) (reflect.Value, string, error) {
	var canon []string
	for _, part := range path {
		if v.Kind() != reflect.Struct {
			return reflect.Value{}, "", fmt.Errorf("%s is a key, not a section", strings.Join(canon, "."))
		}
		t := v.Type()
		found := false
		for j := 0; j < t.NumField(); j++ {
			name := tomlName(t.Field(j))
			if name != "" && (name == part || fold && strings.EqualFold(name, part)) {
				v, canon, found = v.Field(j), append(canon, name), true
				break
			}
		}
		if !found {
			return reflect.Value{}, "", fmt.Errorf("unknown key %s", withSuggestion(append(canon, path[len(canon):]...)))
		}
	}
	return v, strings.Join(canon, "."), nil
}

// typeAt is the Go type of the dotted key, nil if there is no such key.
func typeAt(key string) reflect.Type {
	return knownKeys()[key]
}

// withSuggestion renders an unknown key and, when one segment is a near
// miss of a real key, "(did you mean ...?)".
func withSuggestion(path []string) string {
	s := dotted(path)
	known := knownKeys()
	fixed := append([]string(nil), path...)
	changed := false
	for i := range fixed {
		prefix := strings.Join(fixed[:i+1], ".")
		if _, ok := known[prefix]; ok {
			continue
		}
		best, bestDist := "", 3
		parent := strings.Join(fixed[:i], ".")
		for k := range known {
			dir, name := "", k
			if j := strings.LastIndexByte(k, '.'); j >= 0 {
				dir, name = k[:j], k[j+1:]
			}
			if dir != parent {
				continue
			}
			seg := strings.ToLower(fixed[i])
			d := editDistance(seg, name)
			if len(seg) >= 3 && (strings.HasPrefix(name, seg) || strings.HasSuffix(name, seg)) {
				d = 1 // a shortened name: max_body for max_body_size
			}
			if d < bestDist || d == bestDist && name < best {
				best, bestDist = name, d
			}
		}
		if best == "" || bestDist > len(best)/3+1 && bestDist > 1 {
			break
		}
		fixed[i], changed = best, true
	}
	if changed {
		if _, ok := known[strings.Join(fixed, ".")]; ok {
			return s + " (did you mean " + strings.Join(fixed, ".") + "?)"
		}
	}
	return s
}

// dotted joins key segments as TOML writes them, quoting odd ones.
func dotted(path []string) string {
	parts := make([]string, len(path))
	for i, p := range path {
		parts[i] = p
		if p == "" || strings.IndexFunc(p, func(r rune) bool {
			return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-')
		}) >= 0 {
			parts[i] = strconv.Quote(p)
		}
	}
	return strings.Join(parts, ".")
}

func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	if len(ra) > 64 || len(rb) > 64 {
		return 1 << 20
	}
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// describeWant says in words what a key of Go type t accepts.
func describeWant(t reflect.Type) string {
	switch {
	case t == byteSizeType:
		return `an integer of bytes or a size string like "256MB"`
	case t == pairsType:
		return `an array of ["name", "value"] pairs`
	case t == durationType:
		return `a duration string like "500ms" or "1s", or an integer of seconds`
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.String {
			return "an array of strings"
		}
		return "an array"
	case reflect.Struct:
		return "a table"
	}
	return t.String()
}

// describeGot names a decoded TOML value with its type: `string "10M"`,
// `integer 5`, `array ["a", 1]`, `table`.
func describeGot(v any) string {
	switch x := v.(type) {
	case string:
		return "string " + quoteShort(x)
	case int64:
		return "integer " + strconv.FormatInt(x, 10)
	case float64:
		return "float " + strconv.FormatFloat(x, 'g', -1, 64)
	case bool:
		return "boolean " + strconv.FormatBool(x)
	case time.Time:
		return "datetime " + renderValue(x)
	case []any:
		return "array " + short(renderValue(x))
	case map[string]any:
		return "table " + short(renderValue(x))
	case []map[string]any:
		return "array of tables"
	case nil:
		return "nothing"
	}
	return fmt.Sprintf("%T", v)
}

// renderValue writes a decoded TOML value back as compact TOML.
func renderValue(v any) string {
	switch x := v.(type) {
	case string:
		return strconv.Quote(x)
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = renderValue(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case []map[string]any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = renderValue(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = dotted([]string{k}) + " = " + renderValue(x[k])
		}
		return "{" + strings.Join(parts, ", ") + "}"
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case time.Time:
		// The TOML library marks local dates and times by their location.
		switch x.Location().String() {
		case "date-local":
			return x.Format("2006-01-02")
		case "time-local":
			return x.Format("15:04:05.999999999")
		case "datetime-local":
			return x.Format("2006-01-02T15:04:05.999999999")
		}
		return x.Format(time.RFC3339Nano)
	}
	return fmt.Sprint(v)
}

const maxShown = 60

// short cuts s to about maxShown bytes at a rune boundary.
func short(s string) string {
	if len(s) <= maxShown {
		return s
	}
	cut := maxShown
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}

// quoteShort quotes s for a message, cutting a long value.
func quoteShort(s string) string {
	q := strconv.Quote(s)
	if len(q) <= maxShown {
		return q
	}
	r := []rune(s)
	if len(r) > maxShown-10 {
		r = r[:maxShown-10]
	}
	return strconv.Quote(string(r)) + "..."
}
