package e2e

// `ephpm php` (SPEC section 8): the embedded PHP as php's command line,
// run as a user runs it (the real binary, real files, pipes), with what
// Debian's php does as the reference.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// cliRun is one `ephpm php` run.
type cliRun struct {
	dir   string // working directory ("" = the test's temp dir)
	stdin string
	env   []string // added to the environment
}

// php runs `ephpm php ARGS` and returns its exit status, stdout and stderr.
func (c cliRun) php(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	return c.run(t, append([]string{"php"}, args...)...)
}

// run runs the binary with ARGS as given.
func (c cliRun) run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binPath, args...)
	cmd.Dir = c.dir
	// No EPHPM_KV_URL from the caller's environment: the local store.
	for _, e := range os.Environ() {
		if !strings.HasPrefix(e, "EPHPM_KV_URL=") {
			cmd.Env = append(cmd.Env, e)
		}
	}
	cmd.Env = append(cmd.Env, c.env...)
	cmd.Stdin = strings.NewReader(c.stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0, out.String(), errb.String()
	case errors.As(err, &ee) && ee.ExitCode() >= 0:
		return ee.ExitCode(), out.String(), errb.String()
	default:
		t.Fatalf("ephpm %s: %v\nstdout: %s\nstderr: %s", strings.Join(args, " "), err, out.String(), errb.String())
		return 0, "", ""
	}
}

// cliDir writes files (path -> content) into a new directory.
func cliDir(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		p := filepath.Join(dir, name)
		must(t, os.MkdirAll(filepath.Dir(p), 0o755))
		must(t, os.WriteFile(p, []byte(body), 0o644))
	}
	return dir
}

func mustJSON(t *testing.T, s string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(s), v); err != nil {
		t.Fatalf("not JSON (%v): %q", err, s)
	}
}

const cliArgvScript = `<?php
echo json_encode(['argv' => $argv, 'argc' => $argc, 'server_argv' => $_SERVER['argv'],
	'server_argc' => $_SERVER['argc'], 'sapi' => PHP_SAPI, 'sapi_name' => php_sapi_name(),
	'is_cli' => PHP_SAPI === 'cli', 'self' => $_SERVER['PHP_SELF'], 'file' => $_SERVER['SCRIPT_FILENAME']]);
`

type cliArgv struct {
	Argv       []string `json:"argv"`
	Argc       int      `json:"argc"`
	ServerArgv []string `json:"server_argv"`
	ServerArgc int      `json:"server_argc"`
	SAPI       string   `json:"sapi"`
	SAPIName   string   `json:"sapi_name"`
	IsCLI      bool     `json:"is_cli"`
	Self       string   `json:"self"`
	File       string   `json:"file"`
}

func checkArgv(t *testing.T, what, out string, want []string) {
	t.Helper()
	var got cliArgv
	mustJSON(t, out, &got)
	if strings.Join(got.Argv, "\x00") != strings.Join(want, "\x00") || got.Argc != len(want) {
		t.Errorf("%s: $argv = %q ($argc %d), want %q", what, got.Argv, got.Argc, want)
	}
	if strings.Join(got.ServerArgv, "\x00") != strings.Join(want, "\x00") || got.ServerArgc != len(want) {
		t.Errorf("%s: $_SERVER['argv'] = %q ($_SERVER['argc'] %d), want %q", what, got.ServerArgv, got.ServerArgc, want)
	}
	if got.SAPI != "cli" || got.SAPIName != "cli" || !got.IsCLI {
		t.Errorf("%s: PHP_SAPI %q, php_sapi_name() %q, want cli", what, got.SAPI, got.SAPIName)
	}
}

func TestPHPCLIArgv(t *testing.T) {
	dir := cliDir(t, map[string]string{"argv.php": cliArgvScript})
	c := cliRun{dir: dir}

	// Everything after the script name is the script's, options included.
	code, out, errOut := c.php(t, "argv.php", "a", "-b", "--c", "--", "d", "--config", "x")
	if code != 0 {
		t.Fatalf("exit %d, stderr %s", code, errOut)
	}
	checkArgv(t, "file", out, []string{"argv.php", "a", "-b", "--c", "--", "d", "--config", "x"})
	var got cliArgv
	mustJSON(t, out, &got)
	if got.Self != "argv.php" || got.File != "argv.php" {
		t.Errorf("PHP_SELF %q, SCRIPT_FILENAME %q, want the path as given (php does)", got.Self, got.File)
	}

	// -f FILE, and `--` before the script's own options.
	_, out, _ = c.php(t, "-f", "argv.php", "--", "-x", "y")
	checkArgv(t, "-f", out, []string{"argv.php", "-x", "y"})

	// -r: argv[0] is "Standard input code", as php says.
	code, out, errOut = c.php(t, "-r", strings.TrimPrefix(cliArgvScript, "<?php\n"), "--", "one", "-two")
	if code != 0 {
		t.Fatalf("-r: exit %d, stderr %s", code, errOut)
	}
	checkArgv(t, "-r", out, []string{"Standard input code", "one", "-two"})

	// --config (ours) before the script is taken out; php never sees it.
	code, out, errOut = c.php(t, "--config", filepath.Join(dir, "nonexistent.toml"), "argv.php", "z")
	if code == 0 || !strings.Contains(errOut, "nonexistent.toml") {
		t.Errorf("--config with a missing file: exit %d, stderr %q; want an error naming the file", code, errOut)
	}
}

func TestPHPCLIExitCodes(t *testing.T) {
	dir := cliDir(t, map[string]string{
		"exit3.php":    "<?php echo 'before'; exit(3);",
		"exitstr.php":  "<?php exit('bye');",
		"fatal.php":    "<?php undefined_function_xyz();",
		"throw.php":    "<?php throw new RuntimeException('boom-123');",
		"parse.php":    "<?php echo 'x' 'y';",
		"oom.php":      "<?php $a = str_repeat('x', 64 * 1024 * 1024);",
		"shutdown.php": "<?php register_shutdown_function(function () { echo 'shutdown ran'; exit(7); }); echo 'main ';",
		"ok.php":       "<?php echo 'fine';",
	})
	c := cliRun{dir: dir}
	cases := []struct {
		args []string
		code int
		out  string // in stdout or stderr, where the php.ini sends it
	}{
		{[]string{"ok.php"}, 0, "fine"},
		{[]string{"exit3.php"}, 3, "before"},
		{[]string{"exitstr.php"}, 0, "bye"},
		{[]string{"fatal.php"}, 255, "Call to undefined function undefined_function_xyz()"},
		{[]string{"throw.php"}, 255, "Uncaught RuntimeException: boom-123"},
		{[]string{"parse.php"}, 255, "syntax error"},
		{[]string{"-d", "memory_limit=16M", "oom.php"}, 255, "Allowed memory size of 16777216 bytes exhausted"},
		{[]string{"shutdown.php"}, 7, "main shutdown ran"},
		{[]string{"-r", "exit(42);"}, 42, ""},
		{[]string{"-r", "throw new LogicException('from -r');"}, 255, "Uncaught LogicException: from -r"},
		{[]string{"nonexistent.php"}, 1, "Could not open input file: nonexistent.php"},
	}
	for _, tc := range cases {
		code, out, errOut := c.php(t, tc.args...)
		if code != tc.code || !strings.Contains(out+errOut, tc.out) {
			t.Errorf("ephpm php %s: exit %d, stdout %q, stderr %q; want exit %d and %q", strings.Join(tc.args, " "), code, out, errOut, tc.code, tc.out)
		}
	}
	// With php's built-in defaults (-n) a fatal error is displayed on
	// STDOUT, as php-cli shows it.
	code, out, _ := c.php(t, "-n", "fatal.php")
	if code != 255 || !strings.Contains(out, "Fatal error: Uncaught Error: Call to undefined function undefined_function_xyz()") {
		t.Errorf("-n fatal.php: exit %d, stdout %q; want 255 and PHP's fatal error on stdout", code, out)
	}
}

func TestPHPCLIStdin(t *testing.T) {
	dir := cliDir(t, map[string]string{
		"read.php": `<?php
$first = fgets(STDIN);
$rest = stream_get_contents(STDIN);
echo json_encode(['first' => $first, 'rest' => $rest]);`,
		"wrapper.php": `<?php echo strtoupper(file_get_contents('php://stdin'));`,
	})
	c := cliRun{dir: dir, stdin: "line one\nline two\nline three\n"}
	code, out, errOut := c.php(t, "read.php")
	if code != 0 {
		t.Fatalf("exit %d, stderr %s", code, errOut)
	}
	var got struct{ First, Rest string }
	mustJSON(t, out, &got)
	if got.First != "line one\n" || got.Rest != "line two\nline three\n" {
		t.Errorf("STDIN read %q + %q", got.First, got.Rest)
	}
	code, out, _ = c.php(t, "wrapper.php")
	if code != 0 || out != "LINE ONE\nLINE TWO\nLINE THREE\n" {
		t.Errorf("php://stdin: exit %d, stdout %q", code, out)
	}

	// No file: the script itself comes from stdin, as with php.
	c = cliRun{dir: dir, stdin: "<?php echo 'from stdin:', $argc, ':', $argv[0], ':', $argv[1] ?? '-';"}
	code, out, errOut = c.php(t)
	if code != 0 || out != "from stdin:1:Standard input code:-" {
		t.Errorf("script on stdin: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	code, out, _ = c.php(t, "--", "arg1")
	if code != 0 || out != "from stdin:2:Standard input code:arg1" {
		t.Errorf("script on stdin with -- arg1: exit %d, stdout %q", code, out)
	}

	// -R runs code for every line of stdin.
	c = cliRun{dir: dir, stdin: "a\nbb\n"}
	_, out, _ = c.php(t, "-B", "echo 'begin,';", "-R", "echo $argi, '=', strlen($argn), ',';", "-E", "echo 'end';")
	if out != "begin,1=1,2=2,end" {
		t.Errorf("-B/-R/-E: stdout %q", out)
	}
}

func TestPHPCLIRunCodeAndIni(t *testing.T) {
	c := cliRun{dir: t.TempDir()}
	code, out, errOut := c.php(t, "-d", "memory_limit=7M", "-d", "precision=5", "-r", `echo ini_get("memory_limit"), " ", 1/3;`)
	if code != 0 || out != "7M 0.33333" {
		t.Errorf("-d: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	// php-cli's fixed settings, whatever php.ini says.
	_, out, _ = c.php(t, "-r", `echo json_encode([ini_get("max_execution_time"), ini_get("html_errors"),
		ini_get("implicit_flush"), ini_get("register_argc_argv"), ini_get("output_buffering")]);`)
	if out != `["0","0","1","1","0"]` {
		t.Errorf("max_execution_time, html_errors, implicit_flush, register_argc_argv, output_buffering = %s, want [\"0\",\"0\",\"1\",\"1\",\"0\"]", out)
	}
	// -n: no php.ini at all.
	_, out, _ = c.php(t, "-n", "-r", `var_export(php_ini_loaded_file());`)
	if out != "false" {
		t.Errorf("-n: php_ini_loaded_file() = %s, want false", out)
	}
	// -c FILE: that php.ini.
	ini := filepath.Join(t.TempDir(), "custom.ini")
	must(t, os.WriteFile(ini, []byte("memory_limit = 33M\nprecision = 4\n"), 0o644))
	_, out, _ = c.php(t, "-c", ini, "-r", `echo php_ini_loaded_file(), " ", ini_get("memory_limit"), " ", ini_get("precision");`)
	if out != ini+" 33M 4" {
		t.Errorf("-c %s: %q", ini, out)
	}
	// -d beats -c.
	_, out, _ = c.php(t, "-c", ini, "-d", "memory_limit=44M", "-r", `echo ini_get("memory_limit");`)
	if out != "44M" {
		t.Errorf("-c then -d memory_limit=44M: %q", out)
	}
}

func TestPHPCLILint(t *testing.T) {
	dir := cliDir(t, map[string]string{
		"good.php": "<?php function f(int $a): int { return $a * 2; }\n",
		"bad.php":  "<?php function f( { }\n",
	})
	c := cliRun{dir: dir}
	code, out, _ := c.php(t, "-l", "good.php")
	if code != 0 || !strings.Contains(out, "No syntax errors detected in good.php") {
		t.Errorf("-l good.php: exit %d, stdout %q", code, out)
	}
	code, out, errOut := c.php(t, "-l", "bad.php")
	if code != 255 || !strings.Contains(out, "Errors parsing bad.php") || !strings.Contains(out+errOut, "syntax error") {
		t.Errorf("-l bad.php: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	// Lint never runs the file.
	dir = cliDir(t, map[string]string{"side.php": "<?php file_put_contents(__DIR__ . '/ran', 'x');"})
	c = cliRun{dir: dir}
	if code, _, _ := c.php(t, "-l", "side.php"); code != 0 {
		t.Errorf("-l side.php: exit %d", code)
	}
	if _, err := os.Stat(filepath.Join(dir, "ran")); err == nil {
		t.Errorf("-l executed the script")
	}
}

func TestPHPCLIInfoOptions(t *testing.T) {
	c := cliRun{dir: t.TempDir()}
	code, out, _ := c.php(t, "-v")
	if code != 0 || !regexp.MustCompile(`^PHP 8\.\d+\.\d+ \(cli\) \(built: [^)]*\) \((NTS|ZTS)\)\nCopyright \(c\) The PHP Group\nZend Engine v`).MatchString(out) || !strings.Contains(out, "ephpm") {
		t.Errorf("-v: exit %d, %q", code, out)
	}
	code, out, _ = c.php(t, "-m")
	for _, m := range []string{"[PHP Modules]", "\nCore\n", "\nstandard\n", "\nephpm\n", "\nReflection\n", "\nSPL\n", "[Zend Modules]"} {
		if code != 0 || !strings.Contains(out, m) {
			t.Errorf("-m: exit %d, no %q in %q", code, m, out)
		}
	}
	code, out, _ = c.php(t, "-i")
	if code != 0 || !strings.Contains(out, "PHP Version => 8.") || !strings.Contains(out, "Server API => Command Line Interface") || strings.Contains(out, "<html") {
		t.Errorf("-i: exit %d, text phpinfo expected, got %.300q", code, out)
	}
	code, out, _ = c.php(t, "-h")
	if code != 0 || !strings.Contains(out, "Usage: ephpm php") || !strings.Contains(out, "--config") || !strings.Contains(out, "-r <code>") {
		t.Errorf("-h: exit %d, %q", code, out)
	}
	code, out, _ = c.php(t, "--help")
	if code != 0 || !strings.Contains(out, "Usage: ephpm php") {
		t.Errorf("--help: exit %d, %q", code, out)
	}
	code, out, _ = c.php(t, "-x")
	if code != 1 || !strings.Contains(out, "Usage: ephpm php") {
		t.Errorf("-x (unknown): exit %d, %q; want 1 and the usage", code, out)
	}
	code, _, errOut := c.php(t, "-S", "127.0.0.1:0")
	if code != 1 || !strings.Contains(errOut, "ephpm serve") {
		t.Errorf("-S: exit %d, stderr %q; want 1 and a pointer to ephpm serve", code, errOut)
	}
	code, out, _ = c.php(t, "--ri", "ephpm")
	if code != 0 || !strings.Contains(out, "ephpm => enabled") {
		t.Errorf("--ri ephpm: exit %d, %q", code, out)
	}
}

func TestPHPCLIScriptDirectory(t *testing.T) {
	dir := cliDir(t, map[string]string{
		"app/bin/tool.php": `#!/usr/bin/env php
<?php
require 'lib.php';                  // include_path ".", then the script's directory
require __DIR__ . '/../src/util.php';
echo json_encode(['lib' => lib(), 'util' => util(), 'dir' => __DIR__, 'file' => __FILE__, 'cwd' => getcwd()]);`,
		"app/bin/lib.php":  "<?php function lib() { return 'lib'; }",
		"app/src/util.php": "<?php function util() { return 'util'; }",
	})
	caller := filepath.Join(dir, "elsewhere")
	must(t, os.MkdirAll(caller, 0o755))
	c := cliRun{dir: caller}
	code, out, errOut := c.php(t, "../app/bin/tool.php")
	if code != 0 {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	if strings.HasPrefix(out, "#!") {
		t.Errorf("the shebang line was printed: %q", out)
	}
	var got struct{ Lib, Util, Dir, File, Cwd string }
	mustJSON(t, out, &got)
	real := func(p string) string {
		r, err := filepath.EvalSymlinks(p)
		must(t, err)
		return r
	}
	if got.Lib != "lib" || got.Util != "util" {
		t.Errorf("includes: %+v", got)
	}
	if got.Dir != real(filepath.Join(dir, "app/bin")) || got.File != real(filepath.Join(dir, "app/bin/tool.php")) {
		t.Errorf("__DIR__ %q, __FILE__ %q", got.Dir, got.File)
	}
	if got.Cwd != real(caller) {
		t.Errorf("getcwd() = %q, want the caller's %q (php-cli does not chdir)", got.Cwd, real(caller))
	}
}

func TestPHPCLIStreams(t *testing.T) {
	dir := cliDir(t, map[string]string{
		"streams.php": `<?php
echo "out1\n";
fwrite(STDERR, "err1\n");
fwrite(STDOUT, "out2\n");
file_put_contents('php://stderr', "err2\n");
file_put_contents('php://stdout', "out3\n");
error_log("logged");
var_dump(is_resource(STDIN), defined('STDOUT'));`,
	})
	c := cliRun{dir: dir, env: []string{}}
	code, out, errOut := c.php(t, "-d", "error_log=", "streams.php")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	if out != "out1\nout2\nout3\nbool(true)\nbool(true)\n" {
		t.Errorf("stdout %q", out)
	}
	if errOut != "err1\nerr2\nlogged\n" {
		t.Errorf("stderr %q", errOut)
	}
}

// Output goes to fd 1 as the script writes it: several MB arrive whole,
// in order, from many small writes and from one large one.
func TestPHPCLILargeOutput(t *testing.T) {
	c := cliRun{dir: t.TempDir()}
	code, out, errOut := c.php(t, "-r", `
for ($i = 0; $i < 200000; $i++) { echo sprintf("%07d\n", $i); }
echo str_repeat("0123456789abcdef", 256 * 1024);
echo "END";`)
	if code != 0 {
		t.Fatalf("exit %d, stderr %s", code, errOut)
	}
	var want strings.Builder
	for i := 0; i < 200000; i++ {
		fmt.Fprintf(&want, "%07d\n", i)
	}
	want.WriteString(strings.Repeat("0123456789abcdef", 256*1024))
	want.WriteString("END")
	if len(out) != want.Len() || sha(out) != sha(want.String()) {
		t.Errorf("output: %d bytes (sha %s), want %d (sha %s)", len(out), sha(out), want.Len(), sha(want.String()))
	}
}

func sha(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:8])
}

// The ephpm_kv_* functions exist in CLI mode; without --config or
// EPHPM_KV_URL they use a store local to the process, and say so once.
func TestPHPCLIKVLocal(t *testing.T) {
	c := cliRun{dir: t.TempDir()}
	code, out, errOut := c.php(t, "-r", `
var_dump(function_exists('ephpm_kv_get'));
var_dump(ephpm_kv_set('k', 'v1'), ephpm_kv_get('k'), ephpm_kv_incr('n'), ephpm_kv_incr_by('n', 5),
	ephpm_kv_setnx('k', 'v2'), ephpm_kv_get('k'), ephpm_kv_del('k'), ephpm_kv_get('k'));`)
	want := "bool(true)\nbool(true)\nstring(2) \"v1\"\nint(1)\nint(6)\nbool(false)\nstring(2) \"v1\"\nint(1)\nNULL\n"
	if code != 0 || out != want {
		t.Errorf("exit %d, stdout %q, want %q; stderr %q", code, out, want, errOut)
	}
	if n := strings.Count(errOut, "local to this process"); n != 1 {
		t.Errorf("stderr says the store is local %d times, want once: %q", n, errOut)
	}
}

// A script that runs PHP_BINARY with php's arguments (composer's @php,
// Laravel's schedule:run) gets this interpreter again.
func TestPHPCLIBinaryRunsAgain(t *testing.T) {
	dir := cliDir(t, map[string]string{"child.php": "<?php echo PHP_SAPI, ' ', ini_get('memory_limit'), ' ', $argv[1]; exit(4);"})
	c := cliRun{dir: dir}
	code, out, errOut := c.php(t, "-r", `
passthru(escapeshellarg(PHP_BINARY) . ' -d memory_limit=9M child.php arg', $rc);
echo " rc=$rc";`)
	if code != 0 || out != "cli 9M arg rc=4" {
		t.Errorf("PHP_BINARY %s: exit %d, stdout %q, stderr %q", binPath, code, out, errOut)
	}
	// The ephpm commands keep their meaning.
	if code, out, _ := c.run(t, "version"); code != 0 || !strings.Contains(out, "ephpm") {
		t.Errorf("ephpm version: exit %d, %q", code, out)
	}
}

// max_execution_time is 0 in CLI mode; one set by -d or set_time_limit()
// ends the script with PHP's fatal error (exit 255), in CPU time as in php.
func TestPHPCLITimeLimit(t *testing.T) {
	c := cliRun{dir: t.TempDir()}
	for _, args := range [][]string{
		{"-d", "max_execution_time=1", "-r", "while (true) {}"},
		{"-r", "set_time_limit(1); while (true) {}"},
	} {
		code, out, errOut := c.php(t, args...)
		if code != 255 || !strings.Contains(out+errOut, "Maximum execution time of 1 second exceeded") {
			t.Errorf("%q: exit %d, stdout %q, stderr %q", args, code, out, errOut)
		}
	}
}

// A real tool: Laravel's artisan, from the repository root.
func TestPHPCLIArtisan(t *testing.T) {
	c := cliRun{dir: repoRoot}
	code, out, errOut := c.php(t, "testdata/laravel-app/artisan", "--version")
	if code != 0 || !regexp.MustCompile(`Laravel Framework \d+\.\d+`).MatchString(out) {
		t.Errorf("artisan --version: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	t.Run("list", func(t *testing.T) {
		// Debian's Symfony (which the test app loads) needs intl's
		// Normalizer; an app installed by composer gets a polyfill.
		if _, mods, _ := c.php(t, "-m"); !strings.Contains(mods, "\nintl\n") {
			t.Skip("this PHP has no intl extension, which the system's Symfony String needs for `artisan list`")
		}
		code, out, errOut := c.php(t, "testdata/laravel-app/artisan", "list", "--raw")
		if code != 0 || !strings.Contains(out, "cache:clear") {
			t.Errorf("artisan list: exit %d, stdout %.400q, stderr %.400q", code, out, errOut)
		}
	})
}

// -a: PHP's interactive shell where the readline extension is loaded
// (Debian's, in the quick build), php's own message where it is not.
func TestPHPCLIInteractive(t *testing.T) {
	c := cliRun{dir: t.TempDir()}
	_, mods, _ := c.php(t, "-m")
	c.stdin = "$x = 6;\necho $x * 7, \"\\n\";\n"
	code, out, errOut := c.php(t, "-a")
	if !strings.Contains(mods, "\nreadline\n") {
		if code != 1 || !strings.Contains(out, "Interactive shell (-a) requires the readline extension.") {
			t.Errorf("-a without readline: exit %d, stdout %q", code, out)
		}
		return
	}
	if code != 0 || !strings.HasPrefix(out, "Interactive shell\n") || !strings.Contains(out, "42\n") {
		t.Errorf("-a: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}

// Composer (Debian's package, /usr/bin/composer) runs under `ephpm php`,
// and the scripts of composer.json reach this interpreter again through
// @php (PHP_BINARY with php's -d options).
func TestPHPCLIComposer(t *testing.T) {
	const composer = "/usr/bin/composer"
	if _, err := os.Stat(composer); err != nil {
		t.Skip("Debian's composer package is not installed (apt-get install composer)")
	}
	dir := cliDir(t, map[string]string{
		"composer.json": `{
	"name": "ephpm/cli-test",
	"autoload": {"psr-4": {"App\\": "src/"}},
	"scripts": {"post-autoload-dump": ["@php -r \"echo 'script:', PHP_SAPI, ':', PHP_BINARY, PHP_EOL;\""]},
	"config": {"platform-check": false}
}`,
		"src/Hello.php": `<?php namespace App; class Hello { public static function hi() { return "hi from autoload"; } }`,
	})
	c := cliRun{dir: dir, env: []string{"COMPOSER_HOME=" + filepath.Join(dir, ".composer"), "COMPOSER_NO_INTERACTION=1"}}
	code, out, errOut := c.php(t, composer, "install")
	self, err := filepath.EvalSymlinks(binPath)
	must(t, err)
	if code != 0 || !strings.Contains(out+errOut, "script:cli:"+self) {
		t.Fatalf("composer install: exit %d, stdout %q, stderr %q; want exit 0 and the @php script run by %s", code, out, errOut, self)
	}
	code, out, errOut = c.php(t, "-r", `require "vendor/autoload.php"; echo App\Hello::hi();`)
	if code != 0 || out != "hi from autoload" {
		t.Errorf("autoload: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}

// A .phar runs as with php (composer.phar is one): this needs PHP's phar
// extension in the binary.
func TestPHPCLIPhar(t *testing.T) {
	dir := cliDir(t, map[string]string{
		"src/main.php":     "<?php require __DIR__ . '/lib.php'; echo lib(), ' ', $argv[1] ?? '', ' ', Phar::running(false) !== '' ? 'in-phar' : 'no-phar';",
		"src/lib.php":      "<?php function lib() { return 'lib'; }",
		"build.php":        `<?php $p = new Phar(__DIR__ . '/tool.phar'); $p->buildFromDirectory(__DIR__ . '/src'); $p->setStub("#!/usr/bin/env php\n<?php Phar::mapPhar('tool.phar'); require 'phar://tool.phar/main.php'; __HALT_COMPILER();");`,
		"nophar-check.php": "<?php echo extension_loaded('phar') ? 'yes' : 'no';",
	})
	c := cliRun{dir: dir}
	if _, has, _ := c.php(t, "nophar-check.php"); has != "yes" {
		t.Fatalf("this PHP has no phar extension: composer.phar and other .phar tools cannot run (for the single binary: --enable-phar in scripts/build-php-zts.sh)")
	}
	if code, out, errOut := c.php(t, "-d", "phar.readonly=0", "build.php"); code != 0 {
		t.Fatalf("building the phar: exit %d, %s %s", code, out, errOut)
	}
	code, out, errOut := c.php(t, "tool.phar", "arg")
	if code != 0 || out != "lib arg in-phar" {
		t.Errorf("tool.phar: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}

// A PHP process that `ephpm php --config` starts through PHP_BINARY (as
// schedule:run and queue:listen start theirs) uses the same store: the
// config travels in the environment.
func TestPHPCLIConfigReachesChildren(t *testing.T) {
	k := kvcStartSocket(t, "")
	c := cliRun{dir: t.TempDir()}
	child := `var_dump(ephpm_kv_set("cli:child", "from the child"));`
	code, out, errOut := c.php(t, "--config", k.Config, "-r", `
passthru(escapeshellarg(PHP_BINARY) . ' -r ' . escapeshellarg($argv[1]), $rc);
echo "rc=$rc ", ephpm_kv_get("cli:child");`, "--", child)
	if code != 0 || out != "bool(true)\nrc=0 from the child" {
		t.Errorf("exit %d, stdout %q, stderr %q; want the child's write read back by the parent", code, out, errOut)
	}
	if strings.Contains(errOut, "local to this process") {
		t.Errorf("a process used a local store: %q", errOut)
	}
}

// Signals are php-cli's: a child process ending does not cut sleep()
// short, and SIGINT, SIGTERM, SIGUSR1 end the process by that signal.
func TestPHPCLISignals(t *testing.T) {
	c := cliRun{dir: t.TempDir()}
	code, out, errOut := c.php(t, "-r", `
$p = proc_open("sleep 0.2", [], $pipes);
$t = microtime(true);
$left = sleep(2);
echo $left, " ", microtime(true) - $t >= 1.9 ? "slept" : "cut short";
proc_close($p);`)
	if code != 0 || out != "0 slept" {
		t.Errorf("sleep(2) while a child exits: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGUSR1} {
		cmd := exec.Command(binPath, "php", "-r", `echo "ready\n"; sleep(30); echo "not killed";`)
		stdout, err := cmd.StdoutPipe()
		must(t, err)
		must(t, cmd.Start())
		buf := make([]byte, 6)
		if _, err := io.ReadFull(stdout, buf); err != nil || string(buf) != "ready\n" {
			cmd.Process.Kill()
			t.Fatalf("%v: script did not start: %q %v", sig, buf, err)
		}
		must(t, cmd.Process.Signal(sig))
		rest, _ := io.ReadAll(stdout)
		err = cmd.Wait()
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			t.Errorf("%v: wait: %v, output %q", sig, err, rest)
			continue
		}
		ws := ee.Sys().(syscall.WaitStatus)
		if !ws.Signaled() || ws.Signal() != sig || len(rest) != 0 {
			t.Errorf("%v: exit status %v, output %q; want killed by %v, as php is", sig, ws, rest, sig)
		}
	}
}
