package e2e

// `ephpm php` in the quick build loads the extensions Debian's php.ini and
// conf.d name ahead, while Go starts (internal/phpembed/cli_preload.c).
// What a script sees must stay php's: the same extensions, and no more
// shared objects of the extension directory in the process than php maps
// (none at all with -n), whatever the command line.

import (
	"os/exec"
	"strings"
	"testing"
)

// cliMapsScript prints the extension directory's shared objects mapped
// into the process, then the loaded extensions, sorted.
const cliMapsScript = `$dir = ini_get('extension_dir'); $so = [];
foreach (file('/proc/self/maps') as $l) {
	$f = preg_split('/\s+/', trim($l), 6)[5] ?? '';
	if ($f !== '' && str_starts_with($f, $dir . '/')) { $so[basename($f)] = 1; }
}
ksort($so);
$ext = array_values(array_diff(get_loaded_extensions(), ['ephpm'])); sort($ext);
echo implode(' ', array_keys($so)), "\n", implode(' ', $ext), "\n";`

func TestPHPCLIPreloadLoadsWhatPHPLoads(t *testing.T) {
	php, err := exec.LookPath("php")
	if err != nil {
		t.Skip("Debian's php (php8.2-cli) is not installed: nothing to compare with")
	}
	c := cliRun{dir: t.TempDir()}
	if code, out, _ := c.php(t, "-r", "echo PHP_ZTS;"); code != 0 || out != "0" {
		t.Skip("the single binary reads no php.ini and preloads nothing")
	}
	for _, tc := range []struct {
		name string
		args []string // php's options before -r
	}{
		{"plain", nil},
		{"-n", []string{"-n"}},
		{"-n grouped", []string{"-nd", "memory_limit=1G"}},
		{"-d", []string{"-d", "memory_limit=1G"}},
		{"-n after -r", nil}, // -r CODE -n below
	} {
		args := append(append([]string{}, tc.args...), "-r", cliMapsScript)
		if tc.name == "-n after -r" {
			args = append(args, "-n")
		}
		want, err := exec.Command(php, args...).Output()
		if err != nil {
			t.Fatalf("%s: php %v", tc.name, err)
		}
		for _, form := range []string{"ephpm php", "ephpm (PHP_BINARY)"} {
			var code int
			var out, errOut string
			if form == "ephpm php" {
				code, out, errOut = c.php(t, args...)
			} else {
				code, out, errOut = c.run(t, args...)
			}
			if code != 0 || out != string(want) {
				t.Errorf("%s, %s: exit %d, stderr %q\ngot  %q\nwant %q (php)", tc.name, form, code, errOut, out, want)
			}
		}
		if strings.HasPrefix(tc.name, "-n") && strings.TrimSpace(strings.SplitN(string(want), "\n", 2)[0]) != "" {
			t.Errorf("%s: php itself mapped extension objects: %q", tc.name, want)
		}
	}
}
