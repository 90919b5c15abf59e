package config

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"
)

var durationType = reflect.TypeOf(Duration(0))

// Duration is a span of time that TOML gives as a string with a unit
// ("1s", "250ms", "1m30s", as Go's time.ParseDuration reads it) or as an
// integer of seconds.
type Duration time.Duration

// ParseDuration reads a Duration: "250ms", "1s", "2m", or a bare integer
// of seconds ("3"). Negative spans are errors.
func ParseDuration(s string) (Duration, error) {
	t := strings.TrimSpace(s)
	if n, err := strconv.ParseInt(t, 10, 64); err == nil {
		if n < 0 {
			return 0, fmt.Errorf("%s is negative", quoteShort(s))
		}
		if n > int64(time.Duration(1<<62)/time.Second) {
			return 0, fmt.Errorf("%s is too large", quoteShort(s))
		}
		return Duration(time.Duration(n) * time.Second), nil
	}
	d, err := time.ParseDuration(t)
	if err != nil {
		return 0, fmt.Errorf("%s is not a duration (want e.g. \"500ms\", \"1s\", \"2m\", or an integer of seconds)", quoteShort(s))
	}
	if d < 0 {
		return 0, fmt.Errorf("%s is negative", quoteShort(s))
	}
	return Duration(d), nil
}

// D is the value as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// String renders the duration as time.Duration does ("1s", "250ms").
func (d Duration) String() string { return time.Duration(d).String() }

// UnmarshalTOML accepts a duration string or an integer of seconds.
func (d *Duration) UnmarshalTOML(v any) error {
	switch x := v.(type) {
	case int64:
		p, err := ParseDuration(strconv.FormatInt(x, 10))
		if err != nil {
			return err
		}
		*d = p
	case string:
		p, err := ParseDuration(x)
		if err != nil {
			return err
		}
		*d = p
	default:
		return fmt.Errorf("wrong type: want %s, got %s", describeWant(durationType), describeGot(v))
	}
	return nil
}

// UnmarshalText reads a duration string (see ParseDuration).
func (d *Duration) UnmarshalText(text []byte) error {
	p, err := ParseDuration(string(text))
	if err != nil {
		return err
	}
	*d = p
	return nil
}

// MarshalText renders the duration as String does; it reads back.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }
