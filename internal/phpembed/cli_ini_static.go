//go:build ephpm_static

package phpembed

import "os"

// cliIniChoice: the single binary carries its PHP and no php.ini. The
// path compiled into its libphp is a directory of the build machine, so it
// is never searched: PHP's defaults (with php-cli's), plus -c FILE|DIR or
// PHPRC when given. (PHP_INI_SCAN_DIR is read only along with one of them.)
func cliIniChoice() cliIni {
	if rc := os.Getenv("PHPRC"); rc != "" {
		return cliIni{path: rc}
	}
	return cliIni{ignore: true}
}
