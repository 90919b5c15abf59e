package phpembed

import (
	"strings"
)

// php's command line, read the way php 8.2 reads it: options until the
// first argument that is not one (the script), a `--`, or the end; short
// options may be grouped (-nr CODE) and take their value attached (-dx=1,
// -d=x=1) or as the next argument; long ones as --name VALUE or
// --name=VALUE. What follows the options is the script's, untouched.

// cliOpt is one of php's options: its letter (or a name for the long-only
// ones) and whether it takes a value.
type cliOpt struct {
	key   string
	value bool
}

var cliShortOpts = map[byte]cliOpt{
	'a': {"a", false}, 'B': {"B", true}, 'C': {"C", false}, 'c': {"c", true},
	'd': {"d", true}, 'E': {"E", true}, 'e': {"e", false}, 'F': {"F", true},
	'f': {"f", true}, 'h': {"h", false}, 'i': {"i", false}, 'l': {"l", false},
	'm': {"m", false}, 'n': {"n", false}, 'q': {"q", false}, 'R': {"R", true},
	'H': {"H", false}, 'r': {"r", true}, 's': {"s", false}, 'S': {"S", true},
	't': {"t", true}, 'w': {"w", false}, '?': {"h", false}, 'v': {"v", false},
	'z': {"z", true},
}

var cliLongOpts = map[string]cliOpt{
	"interactive": {"a", false}, "process-begin": {"B", true}, "no-chdir": {"C", false},
	"php-ini": {"c", true}, "define": {"d", true}, "process-end": {"E", true},
	"profile-info": {"e", false}, "process-file": {"F", true}, "file": {"f", true},
	"help": {"h", false}, "info": {"i", false}, "syntax-check": {"l", false},
	"modules": {"m", false}, "no-php-ini": {"n", false}, "no-header": {"q", false},
	"process-code": {"R", true}, "hide-args": {"H", false}, "run": {"r", true},
	"syntax-highlight": {"s", false}, "syntax-highlighting": {"s", false},
	"server": {"S", true}, "docroot": {"t", true}, "strip": {"w", false},
	"usage": {"h", false}, "version": {"v", false}, "zend-extension": {"z", true},
	"rf": {"rf", true}, "rfunction": {"rf", true}, "rc": {"rc", true}, "rclass": {"rc", true},
	"re": {"re", true}, "rextension": {"re", true}, "rz": {"rz", true},
	"rzendextension": {"rz", true}, "ri": {"ri", true}, "rextinfo": {"ri", true},
	"ini": {"ini", false}, "repeat": {"repeat", true},
}

// cliArg is an option as given: its key and value.
type cliArg struct {
	key, value string
}

// cliLine is a command line split up.
type cliLine struct {
	opts []cliArg
	// bad is the option that ended the options by being unknown or
	// missing its value ("" when none did); it follows opts.
	bad      string
	dashdash bool     // the options ended with `--`
	rest     []string // after the options
}

func splitCLILine(args []string) cliLine {
	var l cliLine
	i := 0
	for i < len(args) {
		a := args[i]
		if a == "--" {
			l.dashdash = true
			i++
			break
		}
		if len(a) < 2 || a[0] != '-' {
			break
		}
		i++
		if strings.HasPrefix(a, "--") {
			name, val, hasVal := strings.Cut(a[2:], "=")
			o, ok := cliLongOpts[name]
			if !ok {
				l.bad = a
				return l
			}
			if o.value && !hasVal {
				if i >= len(args) {
					l.bad = a
					return l
				}
				val, i = args[i], i+1
			}
			if !o.value {
				val = ""
			}
			l.opts = append(l.opts, cliArg{o.key, val})
			continue
		}
		for j := 1; j < len(a); j++ {
			o, ok := cliShortOpts[a[j]]
			if !ok {
				l.bad = "-" + a[j:j+1]
				return l
			}
			if !o.value {
				l.opts = append(l.opts, cliArg{o.key, ""})
				continue
			}
			val := strings.TrimPrefix(a[j+1:], "=")
			if j+1 == len(a) {
				if i >= len(args) {
					l.bad = a
					return l
				}
				val, i = args[i], i+1
			}
			l.opts = append(l.opts, cliArg{o.key, val})
			break
		}
	}
	l.rest = args[i:]
	return l
}

// What a command line asks for.
const (
	cliRunScript   = iota // a file, or the script on stdin
	cliRunCode            // -r
	cliLint               // -l
	cliLines              // -B, -R, -F, -E
	cliShell              // -a
	cliInfo               // -i
	cliVersion            // -v
	cliModules            // -m
	cliIniFiles           // --ini
	cliModuleInfo         // --ri
	cliHelp               // -h: the usage, status 0
	cliUsageError         // an unknown option: the usage, status 1
	cliServer             // -S: not here, `ephpm serve`
	cliParamError         // options that cannot go together: message, status 1
	cliUnsupported        // an option ephpm php does not have
)

// cliCommand is what runs and how PHP starts for it.
type cliCommand struct {
	action int
	msg    string // cliParamError's message, cliUnsupported's option, cliUsageError's option

	iniPath      string // -c
	noIni        bool   // -n
	defines      []string
	extendedInfo bool     // -e
	zendExts     []string // -z
	script       string   // the file run (or -F's)
	code         string   // -r, -R, --ri
	begin, end   string   // -B, -E
	scriptArgs   []string // $argv after argv[0]
}

const paramModeConflict = "Either execute direct code, process stdin or use a file.\n"

// parseCLI decides, from php's command line, what `ephpm php` does, the
// way php 8.2 decides it: -h, -S or a bad option end everything where they
// stand; otherwise the first of -i, -v, -m wins, with the ini options
// before it; otherwise the options set a mode, each checked against the
// ones before it.
func parseCLI(args []string) cliCommand {
	l := splitCLILine(args)
	var c cliCommand
	for _, o := range l.opts {
		switch o.key {
		case "c":
			c.iniPath = o.value
		case "n":
			c.noIni = true
		case "d":
			c.defines = append(c.defines, o.value)
		case "e":
			c.extendedInfo = true
		case "h":
			c.action = cliHelp
			return c
		case "S":
			c.action = cliServer
			return c
		case "i", "v", "m":
			c.action = map[string]int{"i": cliInfo, "v": cliVersion, "m": cliModules}[o.key]
			return c
		}
	}
	if l.bad != "" {
		c.action, c.msg = cliUsageError, l.bad
		return c
	}

	const (
		standard = iota
		lint
		direct
		lines
		iniFiles
		moduleInfo
	)
	mode := standard
	interactive := false
	fail := func(msg string) {
		if c.action != cliUnsupported {
			c.action, c.msg = cliParamError, msg
		}
	}
	for _, o := range l.opts {
		switch o.key {
		case "a":
			if !interactive {
				if mode != standard {
					fail(paramModeConflict)
					break
				}
				interactive = true
			}
		case "f":
			switch {
			case mode == direct || mode == lines:
				fail(paramModeConflict)
			case c.script != "":
				fail("You can use -f only once.\n")
			default:
				c.script = o.value
			}
		case "l":
			if mode == standard {
				mode = lint
			}
		case "r":
			switch {
			case mode == direct && (c.code != "" || c.script != ""):
				fail("You can use -r only once.\n")
			case mode != direct && (mode != standard || interactive):
				fail(paramModeConflict)
			default:
				mode, c.code = direct, o.value
			}
		case "R", "F":
			switch {
			case mode == lines && (c.code != "" || c.script != ""):
				fail("You can use -R or -F only once.\n")
			case mode != lines && mode != standard:
				fail(paramModeConflict)
			case o.key == "R":
				mode, c.code = lines, o.value
			default:
				mode, c.script = lines, o.value
			}
		case "B", "E":
			first := c.begin == ""
			if o.key == "E" {
				first = c.end == ""
			}
			switch {
			case mode == lines && !first:
				fail("You can use -" + o.key + " only once.\n")
			case mode != lines && (mode != standard || interactive):
				fail(paramModeConflict)
			case o.key == "B":
				mode, c.begin = lines, o.value
			default:
				mode, c.end = lines, o.value
			}
		case "z":
			c.zendExts = append(c.zendExts, o.value)
		case "ini":
			mode = iniFiles
		case "ri":
			mode, c.code = moduleInfo, o.value
		case "s", "w", "rf", "rc", "re", "rz", "repeat":
			name := "-" + o.key
			if len(o.key) > 1 {
				name = "-" + name
			}
			c.action, c.msg = cliUnsupported, name
		}
	}
	if c.action == cliParamError || c.action == cliUnsupported {
		return c
	}

	rest := l.rest
	if len(rest) > 0 && c.script == "" && mode != direct && mode != lines && !l.dashdash {
		c.script, rest = rest[0], rest[1:]
	}
	c.scriptArgs = rest
	switch {
	case mode == lint:
		c.action = cliLint
	case mode == direct:
		c.action = cliRunCode
	case mode == lines:
		c.action = cliLines
	case mode == iniFiles:
		c.action = cliIniFiles
	case mode == moduleInfo:
		c.action = cliModuleInfo
	case interactive:
		c.action = cliShell
	default:
		c.action = cliRunScript
	}
	return c
}

// cliIniEntries are the settings applied over php.ini: php-cli's fixed
// ones, then -d's, as php writes them (-d foo is foo=1; a value that does
// not start with a letter, a digit or a quote is quoted).
func cliIniEntries(defines []string) string {
	var b strings.Builder
	b.WriteString("html_errors=0\nregister_argc_argv=1\nimplicit_flush=1\n" +
		"output_buffering=0\nmax_execution_time=0\nmax_input_time=-1\n")
	for _, d := range defines {
		name, val, ok := strings.Cut(d, "=")
		switch {
		case !ok:
			b.WriteString(d + "=1\n")
		case val != "" && !isAlnum(val[0]) && val[0] != '"' && val[0] != '\'':
			b.WriteString(name + "=\"" + val + "\"\n")
		default:
			b.WriteString(name + "=" + val + "\n")
		}
	}
	return b.String()
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}
