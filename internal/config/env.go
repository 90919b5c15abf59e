package config

import (
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"github.com/BurntSushi/toml"
)

const envPrefix = "EPHPM_"

// applyEnv applies the EPHPM_<SECTION>__<KEY> variables of environ (see
// FromEnv), in name order, recording in src which key each one set.
func applyEnv(c *Config, environ []string, src *source) error {
	vars := make([]string, 0, len(environ))
	for _, kv := range environ {
		if len(kv) > len(envPrefix) && strings.EqualFold(kv[:len(envPrefix)], envPrefix) {
			vars = append(vars, kv)
		}
	}
	sort.Strings(vars)
	for _, kv := range vars {
		name, value, ok := strings.Cut(kv, "=")
		if !ok || !strings.Contains(name, "__") {
			continue // EPHPM_VERSION and the like are not configuration
		}
		path := strings.Split(strings.ToLower(name[len(envPrefix):]), "__")
		field, key, err := fieldAt(reflect.ValueOf(c).Elem(), path, true)
		if err != nil {
			return &Error{Env: name, Msg: err.Error()}
		}
		if isSection(field.Type()) {
			return &Error{Env: name, Msg: key + " is a section, not a key (set one of its keys, e.g. " + name + "__" + strings.ToUpper(firstKey(field.Type())) + ")"}
		}
		if err := setFromString(field, value); err != nil {
			return &Error{Env: name, Msg: err.Error()}
		}
		src.env[key] = name
	}
	return nil
}

func firstKey(t reflect.Type) string {
	for i := 0; i < t.NumField(); i++ {
		if name := tomlName(t.Field(i)); name != "" {
			return name
		}
	}
	return ""
}

// setFromString parses s as the type of v and stores it.
func setFromString(v reflect.Value, s string) error {
	if v.Type() == durationType {
		d, err := ParseDuration(s)
		if err != nil {
			return err
		}
		v.SetInt(int64(d))
		return nil
	}
	if v.Type() == byteSizeType {
		n, err := ParseByteSize(s)
		if err != nil {
			return err
		}
		v.SetInt(n)
		return nil
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(s)
	case reflect.Int, reflect.Int64, reflect.Int32, reflect.Int16, reflect.Int8:
		n, err := strconv.ParseInt(strings.TrimSpace(s), 10, v.Type().Bits())
		if err != nil {
			return fmt.Errorf("%s is not an integer", quoteShort(s))
		}
		v.SetInt(n)
	case reflect.Bool:
		b, err := strconv.ParseBool(strings.TrimSpace(s))
		if err != nil {
			return fmt.Errorf("%s is not true or false", quoteShort(s))
		}
		v.SetBool(b)
	case reflect.Slice:
		t := strings.TrimSpace(s)
		if strings.HasPrefix(t, "[") {
			return setFromTOMLArray(v, t)
		}
		if v.Type().Elem().Kind() != reflect.String {
			return fmt.Errorf("%s is not a TOML array (want %s, e.g. [[\"display_errors\", \"On\"]])", quoteShort(s), describeWant(v.Type()))
		}
		items := []string{}
		for _, it := range strings.Split(t, ",") {
			if it = strings.TrimSpace(it); it != "" {
				items = append(items, it)
			}
		}
		v.Set(reflect.ValueOf(items))
	default:
		return fmt.Errorf("%s cannot be set from the environment", v.Type())
	}
	return nil
}

// setFromTOMLArray reads an inline TOML array into the slice v.
func setFromTOMLArray(v reflect.Value, s string) error {
	doc := "v = " + s
	var raw map[string]any
	if _, err := toml.Decode(doc, &raw); err != nil {
		msg := err.Error()
		if perr, ok := err.(toml.ParseError); ok {
			msg = perr.Message
		}
		return fmt.Errorf("%s is not a TOML array: %s", quoteShort(s), strings.TrimSuffix(msg, "."))
	}
	holder := reflect.New(reflect.StructOf([]reflect.StructField{{
		Name: "V", Type: v.Type(), Tag: `toml:"v"`,
	}}))
	if _, err := toml.Decode(doc, holder.Interface()); err != nil {
		arr, _ := raw["v"].([]any)
		for i, el := range arr {
			if msg := badElement(v.Type().Elem(), el); msg != "" {
				return fmt.Errorf("entry %d: %s", i, msg)
			}
		}
		return fmt.Errorf("wrong type: want %s, got %s", describeWant(v.Type()), describeGot(raw["v"]))
	}
	v.Set(holder.Elem().Field(0))
	return nil
}
