package config

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

var sizeRe = lazyRegexp(`^(\d+)\s*(?:([kmgt])(?:i?b)?|b)?$`)

// ParseByteSize reads a size in bytes: a plain integer ("0", "1024") or an
// integer with a unit. Units are case-insensitive powers of 1024:
//
//	K, KB, KiB = 1024
//	M, MB, MiB = 1024²
//	G, GB, GiB = 1024³
//	T, TB, TiB = 1024⁴
//	B          = 1
//
// so "512k", "512KB" and "512KiB" are all 524288 and "256MB" is 268435456.
// Spaces around the number and between it and the unit are allowed.
// Negative numbers, fractions and sizes beyond int64 are errors.
func ParseByteSize(s string) (int64, error) {
	m := sizeRe().FindStringSubmatch(strings.ToLower(strings.TrimSpace(s)))
	if m == nil {
		return 0, fmt.Errorf("%s is not a size (want bytes as an integer, or a number with K, M, G or T, e.g. \"512KB\", \"256MB\", \"1GB\")", quoteShort(s))
	}
	n, err := strconv.ParseInt(m[1], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%s is too large", quoteShort(s))
	}
	shift := map[string]uint{"": 0, "k": 10, "m": 20, "g": 30, "t": 40}[m[2]]
	if n > math.MaxInt64>>shift {
		return 0, fmt.Errorf("%s is too large", quoteShort(s))
	}
	return n << shift, nil
}

// FormatByteSize renders n the way ParseByteSize reads it, with the
// largest unit that divides it exactly: 268435456 → "256MB", 2048 →
// "2KB", 1536 → "1536" (1.5 KB is not a whole number), 0 → "0".
func FormatByteSize(n int64) string {
	if n > 0 {
		for _, u := range []struct {
			shift uint
			name  string
		}{{40, "TB"}, {30, "GB"}, {20, "MB"}, {10, "KB"}} {
			if n%(1<<u.shift) == 0 {
				return strconv.FormatInt(n>>u.shift, 10) + u.name
			}
		}
	}
	return strconv.FormatInt(n, 10)
}

// String is FormatByteSize.
func (b ByteSize) String() string { return FormatByteSize(int64(b)) }

// UnmarshalTOML accepts a non-negative integer of bytes or a size string
// ("256MB", see ParseByteSize).
func (b *ByteSize) UnmarshalTOML(v any) error {
	switch x := v.(type) {
	case int64:
		if x < 0 {
			return fmt.Errorf("%d is negative (want 0 for no limit, or a number of bytes)", x)
		}
		*b = ByteSize(x)
	case string:
		n, err := ParseByteSize(x)
		if err != nil {
			return err
		}
		*b = ByteSize(n)
	default:
		return fmt.Errorf("wrong type: want %s, got %s", describeWant(byteSizeType), describeGot(v))
	}
	return nil
}

// UnmarshalText reads a size string (see ParseByteSize).
func (b *ByteSize) UnmarshalText(text []byte) error {
	n, err := ParseByteSize(string(text))
	if err != nil {
		return err
	}
	*b = ByteSize(n)
	return nil
}

// MarshalText renders the size as FormatByteSize does ("256MB", "1000").
func (b ByteSize) MarshalText() ([]byte, error) { return []byte(b.String()), nil }

// MarshalTOML renders a whole number of KB, MB, GB or TB as a string
// ("256MB") and anything else as a plain integer of bytes; both read back.
func (b ByteSize) MarshalTOML() ([]byte, error) {
	s := b.String()
	if _, err := strconv.ParseInt(s, 10, 64); err == nil {
		return []byte(s), nil
	}
	return []byte(strconv.Quote(s)), nil
}
