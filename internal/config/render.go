package config

import (
	"bytes"
	"reflect"
	"strings"

	"github.com/BurntSushi/toml"
)

// TOML renders the effective configuration as TOML with every key, in the
// order of ephpm.toml.example; LoadBytes reads it back to the same values.
// Paths are as resolved (absolute); sizes with a whole unit are written
// as strings ("256MB").
func (c *Config) TOML() string {
	cp := *c
	cp.src = nil
	fillNilSlices(reflect.ValueOf(&cp).Elem())
	var b bytes.Buffer
	enc := toml.NewEncoder(&b)
	enc.Indent = ""
	if err := enc.Encode(cp); err != nil {
		return "# cannot render the configuration: " + oneLine(err.Error()) + "\n"
	}
	// A blank line before every table header.
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	var out strings.Builder
	for i, l := range lines {
		if i > 0 && strings.HasPrefix(l, "[") && strings.TrimSpace(lines[i-1]) != "" {
			out.WriteByte('\n')
		}
		out.WriteString(l)
		out.WriteByte('\n')
	}
	return out.String()
}

// fillNilSlices replaces nil slices in the struct v (a copy) with empty
// ones, which the encoder would otherwise leave out.
func fillNilSlices(v reflect.Value) {
	for i := 0; i < v.NumField(); i++ {
		f := v.Field(i)
		if !f.CanSet() {
			continue
		}
		switch f.Kind() {
		case reflect.Struct:
			fillNilSlices(f)
		case reflect.Slice:
			if f.IsNil() {
				f.Set(reflect.MakeSlice(f.Type(), 0, 0))
			}
		}
	}
}
