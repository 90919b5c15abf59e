package config

import (
	"fmt"
	"path/filepath"
)

// validate checks [server.sendfile]: each root an existing directory,
// absolute (Load resolves relative ones against the config file's
// directory; a Config built by hand must give absolute paths).
func (sf *SendfileConfig) validate() *Error {
	for i, r := range sf.Roots {
		key := fmt.Sprintf("server.sendfile.roots[%d]", i)
		switch {
		case r == "":
			return keyErr(key, "is empty; name a directory whose files PHP may send with X-Sendfile")
		case !filepath.IsAbs(r):
			return keyErr(key, "%s is not an absolute path", quoteShort(r))
		}
		if e := checkPath(key, r, true); e != nil {
			return e
		}
	}
	return nil
}
