//go:build !ephpm_static

package phpembed

import (
	"os"
	"path/filepath"
	"strings"
)

// cliIniChoice: the quick build links Debian's libphp, whose own php.ini is
// the embed SAPI's (/etc/php/8.2/embed, memory_limit=128M). `ephpm php`
// stands in for Debian's `php`, so it reads what `php` reads on that
// machine: /etc/php/<major.minor>/cli/php.ini and cli/conf.d (memory_limit
// -1, expose_php On; the same extensions, Debian enables them per SAPI
// alike). Without php8.2-cli installed that directory is absent and the
// library's own search applies. PHPRC, like for php, replaces the file
// (PHP's own search reads it); PHP_INI_SCAN_DIR replaces the directory.
func cliIniChoice() cliIni {
	v := PHPVersion()
	if i := strings.IndexByte(v, '.'); i >= 0 {
		if j := strings.IndexByte(v[i+1:], '.'); j >= 0 {
			v = v[:i+1+j]
		}
	}
	dir := filepath.Join("/etc/php", v, "cli")
	if _, err := os.Stat(filepath.Join(dir, "php.ini")); err != nil {
		return cliIni{}
	}
	ini := cliIni{path: dir, scanDir: filepath.Join(dir, "conf.d")}
	if os.Getenv("PHPRC") != "" {
		ini.path = ""
	}
	return ini
}
