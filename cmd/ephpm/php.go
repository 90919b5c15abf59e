package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ephpm/ephpm/internal/phpembed"
)

// newPHPCmd is `ephpm php`: the embedded PHP as a command-line interpreter
// (SPEC section 8), taking php's own options. cobra parses none of them:
// everything after `php` goes to PHP as it is, but for --config (ours).
// -h/--help print php's usage, with --config in it.
func newPHPCmd() *cobra.Command {
	return &cobra.Command{
		Use:                "php [--config FILE] [options] [-r code | [-f] file] [--] [args...]",
		Short:              "Run PHP on the command line with the embedded PHP (as the php CLI; -h for its options)",
		DisableFlagParsing: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			os.Exit(runPHP(args))
			return nil
		},
	}
}

// runPHP runs the php command line args (after `php`) and returns the
// process's exit status.
func runPHP(args []string) int {
	rest, configPath, configGiven, err := splitConfigArg(args)
	if err != nil {
		fmt.Fprintln(os.Stderr, "ephpm php:", err)
		return 1
	}
	// A PHP process this one starts through PHP_BINARY (schedule:run's
	// commands, queue:listen's workers, composer's @php) gets no --config
	// on its command line: the environment carries it, so that it reaches
	// the same store.
	if !configGiven {
		configPath = os.Getenv(phpConfigEnv)
		configGiven = configPath != ""
	}
	if configGiven {
		if abs, err := filepath.Abs(configPath); err == nil {
			configPath = abs
		}
		if err := os.Setenv(phpConfigEnv, configPath); err != nil {
			fmt.Fprintln(os.Stderr, "ephpm php:", err)
			return 1
		}
	}
	release, err := setupCLIStore(configPath, configGiven)
	if err != nil {
		fmt.Fprintln(os.Stderr, "ephpm php:", err)
		return 1
	}
	defer release()
	// PHP_BINARY: a script that starts PHP_BINARY (composer's @php,
	// Laravel's schedule:run and queue:listen) starts this binary with
	// php's arguments, which phpInvocation recognises.
	exe, err := os.Executable()
	if err != nil {
		exe = ""
	}
	status, err := phpembed.RunCLI(phpembed.CLIOptions{
		Args:       rest,
		Executable: exe,
		UsageName:  "ephpm php",
		Version:    version,
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "ephpm php:", err)
		return 1
	}
	return status
}

// phpConfigEnv is --config for `ephpm php` processes started by another
// one (the environment of a PHP process is its children's).
const phpConfigEnv = "EPHPM_PHP_CONFIG"

// php's options that take their value as the next argument (a value can
// also be attached: -dfoo=1, --define=foo=1).
const phpShortWithValue = "cdBEFfRrStz"

var phpLongWithValue = map[string]bool{
	"php-ini": true, "define": true, "process-begin": true, "process-end": true,
	"process-file": true, "file": true, "process-code": true, "run": true,
	"server": true, "docroot": true, "zend-extension": true, "rf": true,
	"rfunction": true, "rc": true, "rclass": true, "re": true, "rextension": true,
	"rz": true, "rzendextension": true, "ri": true, "rextinfo": true, "repeat": true,
}

// splitConfigArg takes --config FILE (or --config=FILE) out of php's
// options, which end at the script name, at `--` or at the first argument
// that is not an option (as php's own option parser sees it). What follows
// is the script's and stays untouched.
func splitConfigArg(args []string) (rest []string, path string, given bool, err error) {
	rest = make([]string, 0, len(args))
	i := 0
	for i < len(args) {
		a := args[i]
		if a == "--" || len(a) < 2 || a[0] != '-' {
			break
		}
		if a == "--config" {
			if i+1 >= len(args) {
				return nil, "", false, errors.New("--config needs a file")
			}
			path, given = args[i+1], true
			i += 2
			continue
		}
		if v, ok := strings.CutPrefix(a, "--config="); ok {
			path, given = v, true
			i++
			continue
		}
		n := 1
		if strings.HasPrefix(a, "--") {
			if !strings.Contains(a, "=") && phpLongWithValue[a[2:]] {
				n = 2
			}
		} else if len(a) == 2 && strings.IndexByte(phpShortWithValue, a[1]) >= 0 {
			n = 2
		}
		n = min(n, len(args)-i)
		rest = append(rest, args[i:i+n]...)
		i += n
	}
	if given && path == "" {
		return nil, "", false, errors.New("--config needs a file")
	}
	return append(rest, args[i:]...), path, given, nil
}

// isPHPProgramName tells whether a program name says "php" (php, php8.2):
// this binary installed as php through a link, busybox-style. (No regexp:
// compiling one at init costs every start of the binary.)
func isPHPProgramName(name string) bool {
	v, ok := strings.CutPrefix(name, "php")
	return ok && strings.Trim(v, "0123456789.") == ""
}

// phpInvocation tells whether this process is PHP's command line rather
// than an ephpm command, and with which arguments: when run through a link
// named php, or as `ephpm <php arguments>`, which is how PHP_BINARY is
// started by scripts (`ephpm -d memory_limit=1G composer.phar ...`,
// `ephpm artisan schedule:...`). The latter applies only when the first
// argument is no ephpm command and is a php option or an existing file,
// so every ephpm command line keeps its meaning (-h and --help stay
// ephpm's).
func phpInvocation(osArgs []string, root *cobra.Command) ([]string, bool) {
	if len(osArgs) == 0 {
		return nil, false
	}
	if isPHPProgramName(filepath.Base(osArgs[0])) {
		return osArgs[1:], true
	}
	if len(osArgs) < 2 {
		return nil, false
	}
	first := osArgs[1]
	switch first {
	case "-h", "--help", "help", "completion", "__complete", "__completeNoDesc":
		return nil, false
	}
	for _, c := range root.Commands() {
		if c.Name() == first || c.HasAlias(first) {
			return nil, false
		}
	}
	if strings.HasPrefix(first, "-") {
		return osArgs[1:], true
	}
	if st, err := os.Stat(first); err == nil && st.Mode().IsRegular() {
		return osArgs[1:], true
	}
	return nil, false
}
