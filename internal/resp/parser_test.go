package resp

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// feed parses input given in pieces of step bytes and returns the
// commands (joined by spaces) and the protocol error, if any.
func feed(t *testing.T, input string, step int, maxBulk int64, authed bool) ([]string, string) {
	t.Helper()
	p := newParser(maxBulk)
	var out []string
	for i := 0; i < len(input); i += step {
		end := min(i+step, len(input))
		p.makeRoom()
		for len(p.buf)-p.w < end-i {
			p.buf = append(p.buf, make([]byte, len(p.buf))...)
		}
		p.w += copy(p.buf[p.w:], input[i:end])
		for {
			args, perr := p.next(authed)
			if perr != "" {
				return out, string(perr)
			}
			if args == nil {
				break
			}
			parts := make([]string, len(args))
			for j, a := range args {
				parts[j] = string(a)
			}
			out = append(out, strings.Join(parts, " "))
		}
	}
	return out, ""
}

func TestParserFrames(t *testing.T) {
	cases := []struct {
		in   string
		want []string
		err  string
	}{
		{"*1\r\n$4\r\nPING\r\n", []string{"PING"}, ""},
		{"*2\r\n$3\r\nGET\r\n$0\r\n\r\n*0\r\n*-1\r\n*1\r\n$4\r\nPING\r\n", []string{"GET ", "PING"}, ""},
		{"PING\r\nset a \"b c\"\r\n\r\n  \r\nget 'x\\'y'\n", []string{"PING", "set a b c", "get x'y"}, ""},
		{"set k \"\\x41\\n\\tz\"\r\n", []string{"set k A\n\tz"}, ""},
		{"set k \"abc\r\n", nil, "Protocol error: unbalanced quotes in request"},
		{"set k \"abc\"x\r\n", nil, "Protocol error: unbalanced quotes in request"},
		{"*x\r\n", nil, "Protocol error: invalid multibulk length"},
		{"*3000000000\r\n", nil, "Protocol error: invalid multibulk length"},
		{"*1\r\n:4\r\n", nil, "Protocol error: expected '$', got ':'"},
		{"*1\r\n$-1\r\n", nil, "Protocol error: invalid bulk length"},
		{"*1\r\n$abc\r\n", nil, "Protocol error: invalid bulk length"},
		{"*1\r\n$101\r\n", nil, "Protocol error: invalid bulk length"}, // over maxBulk (100)
		{"*1\r\n$100\r\n" + strings.Repeat("x", 100) + "\r\n", []string{strings.Repeat("x", 100)}, ""},
		{strings.Repeat("x", 70000), nil, "Protocol error: too big inline request"},
		{"*1\r\n" + strings.Repeat("1", 70000), nil, "Protocol error: too big bulk count string"},
		{"*" + strings.Repeat("1", 70000), nil, "Protocol error: too big mbulk count string"},
	}
	for _, tc := range cases {
		for _, step := range []int{1, 3, len(tc.in)} {
			got, err := feed(t, tc.in, step, 100, true)
			if err != tc.err || strings.Join(got, "|") != strings.Join(tc.want, "|") {
				t.Errorf("%.40q step %d: got %q, %q; want %q, %q", tc.in, step, got, err, tc.want, tc.err)
			}
		}
	}
}

func TestParserUnauthenticatedLimits(t *testing.T) {
	if _, err := feed(t, "*11\r\n", 100, 1<<20, false); err != "Protocol error: unauthenticated multibulk length" {
		t.Errorf("11 args before AUTH: %q", err)
	}
	if _, err := feed(t, "*1\r\n$16385\r\n", 100, 1<<20, false); err != "Protocol error: unauthenticated bulk length" {
		t.Errorf("16385-byte bulk before AUTH: %q", err)
	}
	if got, err := feed(t, "*11\r\n"+strings.Repeat("$1\r\na\r\n", 11), 100, 1<<20, true); err != "" || len(got) != 1 {
		t.Errorf("after AUTH: %q %q", got, err)
	}
}

// A pipeline of commands parses with no allocation once the parser's
// slices have grown.
func TestParserAllocs(t *testing.T) {
	in := strings.Repeat(encode("SET", "key:000001", "value"), 16) + strings.Repeat("GET key\r\n", 4)
	p := newParser(1 << 20)
	run := func() {
		p.r, p.w = 0, copy(p.buf, in)
		for {
			args, _ := p.next(true)
			if args == nil {
				break
			}
		}
	}
	run()
	if n := testing.AllocsPerRun(100, run); n != 0 {
		t.Errorf("%v allocations per pipeline", n)
	}
}

func TestParseInt(t *testing.T) {
	for in, want := range map[string]bool{"0": true, "-1": true, "9223372036854775807": true, "-9223372036854775808": true,
		"9223372036854775808": false, "-0": false, "01": false, "+1": false, "": false, " 1": false, "1a": false, "-": false} {
		if _, ok := parseInt([]byte(in)); ok != want {
			t.Errorf("parseInt(%q) ok=%v", in, ok)
		}
	}
}

func TestGlob(t *testing.T) {
	cases := []struct {
		p, s string
		want bool
	}{
		{"*", "", false}, {"*", "abc", true}, {"a*", "abc", true}, {"a*c", "abc", true}, {"a*d", "abc", false},
		{"h?llo", "hello", true}, {"h?llo", "hllo", false}, {"h[ae]llo", "hallo", true}, {"h[ae]llo", "hillo", false},
		{"h[^e]llo", "hallo", true}, {"h[^e]llo", "hello", false}, {"h[a-b]llo", "hbllo", true}, {"h[b-a]llo", "hallo", true},
		{"h[a-b]llo", "hcllo", false}, {"h\\*llo", "h*llo", true}, {"h\\*llo", "hello", false}, {"[\\]]", "]", true},
		{"[abc", "a", true}, {"[abc", "d", false}, {"a**b", "axxb", true}, {"*a*a*a*a*a*a*a*a*b", strings.Repeat("a", 60), false},
		{"user:[0-9]*", "user:42", true}, {"user:[0-9]*", "user:x", false}, {"\\", "\\", true},
	}
	for _, tc := range cases {
		if got := globMatch(tc.p, tc.s); got != tc.want {
			t.Errorf("globMatch(%q, %q) = %v", tc.p, tc.s, got)
		}
	}
}

func TestLongDouble(t *testing.T) {
	for _, tc := range [][3]string{{"10.50", "0.1", "10.6"}, {"0.1", "0.2", "0.3"}, {"5.0e3", "2.0e2", "5200"}, {"1", "-1", "0"}, {"3", "-3.5", "-0.5"}} {
		a, _ := parseLongDouble(tc[0])
		b, _ := parseLongDouble(tc[1])
		sum := a.Add(a, b)
		if got := formatLongDouble(sum); got != tc[2] {
			t.Errorf("%s + %s = %s, want %s", tc[0], tc[1], got, tc[2])
		}
	}
	for _, bad := range []string{"", " 1", "1 ", "nan", "abc", "1_0"} {
		if _, ok := parseLongDouble(bad); ok {
			t.Errorf("parseLongDouble(%q) accepted", bad)
		}
	}
}

// The whole input at once takes multibulkFast wherever it can; one byte
// at a time takes multibulk's general path (a command is never complete
// when first seen). Both must give the same commands and the same error,
// on valid frames and on frames mutated at random.
func TestParserFastPathAgrees(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	frames := []string{
		encode("SET", "key:__rand_int__", "xxx"), encode("GET", "k"), encode("PING"),
		encode("MSET", "a", "1", "b", "2", "c", "3", "d", "4", "e", "5", "f", "6"),
		encode("SET", "k", ""), "*0\r\n", "*-1\r\n", "PING\r\n", "*1\r\n$01\r\nx\r\n",
		"*1\r\n$4\r\nPINGxx", "*2\r\n$3\r\nGET\r\n$-3\r\n", "*1\r\n$+4\r\nPING\r\n",
		"*12\r\n" + strings.Repeat("$1\r\na\r\n", 12), "*1\r\n$16385\r\n" + strings.Repeat("z", 16385) + "\r\n",
	}
	const alphabet = "*$\r\n0123456789-+ax"
	for i := 0; i < 3000; i++ {
		var b strings.Builder
		for n := rng.IntN(4) + 1; n > 0; n-- {
			b.WriteString(frames[rng.IntN(len(frames))])
		}
		in := []byte(b.String())
		for m := rng.IntN(3); m > 0 && len(in) > 0; m-- {
			in[rng.IntN(len(in))] = alphabet[rng.IntN(len(alphabet))]
		}
		for _, authed := range []bool{true, false} {
			whole, werr := feed(t, string(in), len(in), 100000, authed)
			bytewise, berr := feed(t, string(in), 1, 100000, authed)
			if werr != berr || strings.Join(whole, "|") != strings.Join(bytewise, "|") {
				t.Fatalf("%q authed=%v: whole %q %q, byte by byte %q %q", in, authed, whole, werr, bytewise, berr)
			}
		}
	}
}
