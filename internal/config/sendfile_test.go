package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestSendfileRoots: relative roots are resolved against the config
// file's directory, absolute ones kept; [] is off.
func TestSendfileRoots(t *testing.T) {
	dir := writeRoot(t)
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(dir, "storage", "private"), 0o755))
	other := t.TempDir()
	c, err := load(t, dir, "[server.sendfile]\nroots = [\"storage/private\", \""+other+"\"]\n")
	must(err)
	want := []string{filepath.Join(dir, "storage", "private"), other}
	if !reflect.DeepEqual(c.Server.Sendfile.Roots, want) {
		t.Errorf("roots = %q, want %q", c.Server.Sendfile.Roots, want)
	}
	c, err = load(t, dir, "")
	must(err)
	if c.Server.Sendfile.Roots == nil || len(c.Server.Sendfile.Roots) != 0 {
		t.Errorf("default roots = %#v, want []", c.Server.Sendfile.Roots)
	}
	c, err = load(t, dir, "", "EPHPM_SERVER__SENDFILE__ROOTS=storage/private")
	must(err)
	if !reflect.DeepEqual(c.Server.Sendfile.Roots, want[:1]) {
		t.Errorf("roots from the environment = %q, want %q", c.Server.Sendfile.Roots, want[:1])
	}
}

// TestSendfileErrors: a root that is missing, a file or empty is refused
// with one line naming the key and its line.
func TestSendfileErrors(t *testing.T) {
	dir := writeRoot(t)
	if err := os.WriteFile(filepath.Join(dir, "afile"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct{ body, want string }{
		{"[server.sendfile]\nroots = [\"nowhere\"]\n", `ephpm.toml:2: server.sendfile.roots[0]: "` + filepath.Join(dir, "nowhere") + `" does not exist`},
		{"[server.sendfile]\nroots = [\"public\", \"afile\"]\n", `ephpm.toml:2: server.sendfile.roots[1]: "` + filepath.Join(dir, "afile") + `" is not a directory`},
		{"[server.sendfile]\nroots = [\"\"]\n", "ephpm.toml:2: server.sendfile.roots[0]: is empty; name a directory whose files PHP may send with X-Sendfile"},
		{"[server.sendfile]\nroots = \"public\"\n", "server.sendfile.roots"},
	}
	for _, c := range cases {
		_, err := load(t, dir, c.body)
		if err == nil {
			t.Errorf("%q: no error, want %q", c.body, c.want)
			continue
		}
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q:\n got %q\nwant %q", c.body, err.Error(), c.want)
		}
	}
	// A Config built by hand must give absolute roots.
	c := Default()
	c.Server.DocumentRoot = filepath.Join(dir, "public")
	c.Server.Sendfile.Roots = []string{"relative"}
	if err := c.Validate(); err == nil || err.Error() != `server.sendfile.roots[0]: "relative" is not an absolute path` {
		t.Errorf("relative root by hand: %v", err)
	}
}
