package accept

import (
	"fmt"
	"strings"
	"testing"
)

func TestEach(t *testing.T) {
	cases := []struct {
		values []string
		want   string
	}{
		{nil, ""},
		{[]string{""}, ""},
		{[]string{"gzip"}, "gzip=1"},
		{[]string{" GZip ;q=0.5 , br"}, "gzip=0.5 br=1"},
		{[]string{"zstd;q=0", "*;q=0.1"}, "zstd=0 *=0.1"},
		{[]string{"gzip; Q = 0.3"}, "gzip=0.3"},
		{[]string{"gzip;level=1;q=0.2"}, "gzip=0.2"},
		{[]string{"gzip;q=abc"}, "gzip=1!"},
		{[]string{"gzip;q=abc;q=0.4"}, "gzip=0.4"},
		{[]string{"gzip;q=0.4;q=abc"}, "gzip=0.4!"},
		{[]string{"gzip;q=2"}, "gzip=2"}, // range is the caller's business
		{[]string{",,gzip,,"}, "gzip=1"},
		{[]string{";q=1, br"}, "br=1"},
	}
	for _, c := range cases {
		var got []string
		Each(c.values, func(name string, q float64, qErr bool) {
			s := fmt.Sprintf("%s=%g", name, q)
			if qErr {
				s += "!"
			}
			got = append(got, s)
		})
		if g := strings.Join(got, " "); g != c.want {
			t.Errorf("Each(%q) = %q, want %q", c.values, g, c.want)
		}
	}
}
