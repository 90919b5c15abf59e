package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func writeRoot(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "public"), 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func load(t *testing.T, dir, body string, env ...string) (*Config, error) {
	t.Helper()
	return loadBytesEnv([]byte(body), dir, env)
}

func TestDefaultsWithOnlyServer(t *testing.T) {
	dir := writeRoot(t)
	c, err := load(t, dir, "[server]\n")
	if err != nil {
		t.Fatal(err)
	}
	want := Default()
	want.Server.DocumentRoot = filepath.Join(dir, "public")
	if !reflect.DeepEqual(c, want) {
		t.Errorf("got %+v\nwant %+v", c, want)
	}
	if c.KV.MemoryLimit != 256<<20 || c.Server.Listen != "127.0.0.1:8080" || c.PHP.MemoryLimit != "128M" {
		t.Errorf("defaults: %+v", c)
	}
}

func TestEmptyFile(t *testing.T) {
	if _, err := load(t, writeRoot(t), ""); err != nil {
		t.Fatal(err)
	}
}

func TestErrorsNameKeyAndLine(t *testing.T) {
	dir := writeRoot(t)
	cases := []struct{ body, want string }{
		{"[server]\nlisten_adress = \"x\"\n", "ephpm.toml:2: unknown key server.listen_adress"},
		{"bogus = 1\n", "ephpm.toml:1: unknown key bogus"},
		{"[server]\n[server.requets]\nmax_body_size = 5\n", "unknown key server.requets"},
		{"[php]\nworkrs = 2\n", "ephpm.toml:2: unknown key php.workrs"},
		{"[server.request]\nmax_body_size = \"10M\"\n", "ephpm.toml:2: server.request.max_body_size: wrong type"},
		{"[server]\nlisten = \"localhost\"\n", `server.listen: "localhost" is not a valid listen address`},
		{"[server]\nlisten = \"127.0.0.1:99999\"\n", "server.listen"},
		{"[server]\ndocument_root = \"/nope/public\"\n", `server.document_root: "/nope/public" does not exist`},
		{"[server]\nindex_files = []\n", "server.index_files"},
		{"[server.request]\nmax_body_size = 0\n", "server.request.max_body_size"},
		{"[server.request]\nmax_header_size = 10\n", "server.request.max_header_size"},
		{"[server.timeouts]\nidle = -1\n", "server.timeouts.idle"},
		{"[server.static]\nhidden_files = \"maybe\"\n", `server.static.hidden_files: "maybe" is not one of deny, ignore, allow`},
		{"[server.logging]\nlevel = \"loud\"\n", "server.logging.level"},
		{"[server.tls]\ncert_file = \"c.pem\"\n", "server.tls"},
		{"[php]\nworkers = -1\n", "php.workers"},
		{"[php]\nqueue_size = 0\n", "php.queue_size"},
		{"[php]\nmemory_limit = \"lots\"\n", "php.memory_limit"},
		{"[php]\nini_file = \"missing.ini\"\n", "php.ini_file"},
		{"[php]\nini_overrides = [[\"a=b\", \"c\"]]\n", "php.ini_overrides[0]"},
		{"[php]\nini_overrides = [[\"max_input_time\", \"5\"]]\n", "max_input_time"},
		{"[php]\nini_overrides = [[\"a\", \"b\", \"c\"]]\n", "php.ini_overrides"},
		{"[php]\nmode = \"fast\"\n", "php.mode"},
		{"[php]\nmode = \"worker\"\n", "php.worker_script: required"},
		{"[php]\nmode = \"worker\"\nworker_script = \"w.php\"\n", "php.worker_script"},
		{"[kv]\nmemory_limit = \"lots\"\n", "ephpm.toml:2: kv.memory_limit"},
		{"[kv]\neviction_policy = \"lru\"\n", "kv.eviction_policy"},
		{"[server\nx = 1\n", "ephpm.toml:2: expected"},
	}
	for _, c := range cases {
		_, err := load(t, dir, c.body)
		if err == nil {
			t.Errorf("%q: no error", c.body)
			continue
		}
		msg := err.Error()
		if !strings.Contains(msg, c.want) {
			t.Errorf("%q: error %q lacks %q", c.body, msg, c.want)
		}
		if strings.Contains(msg, "\n") {
			t.Errorf("%q: error is not one line: %q", c.body, msg)
		}
	}
}

func TestEnvOverrides(t *testing.T) {
	dir := writeRoot(t)
	c, err := load(t, dir, "[server]\nlisten = \"127.0.0.1:1\"\n",
		"EPHPM_SERVER__LISTEN=0.0.0.0:9000",
		"EPHPM_PHP__WORKERS=4",
		"EPHPM_SERVER__REQUEST__MAX_BODY_SIZE=1000",
		"EPHPM_KV__MEMORY_LIMIT=64MB",
		"EPHPM_SERVER__STATIC__ETAG=false",
		"ephpm_server__index_files=a.php, b.html",
		`EPHPM_PHP__INI_OVERRIDES=[["precision", "10"]]`,
		"EPHPM_VERSION=ignored",
		"OTHER=1",
	)
	if err != nil {
		t.Fatal(err)
	}
	if c.Server.Listen != "0.0.0.0:9000" || c.PHP.Workers != 4 || c.Server.Request.MaxBodySize != 1000 ||
		c.KV.MemoryLimit != 64<<20 || c.Server.Static.ETag || !reflect.DeepEqual(c.Server.IndexFiles, []string{"a.php", "b.html"}) ||
		!reflect.DeepEqual(c.PHP.IniOverrides, [][2]string{{"precision", "10"}}) {
		t.Errorf("overrides not applied: %+v", c)
	}
	for _, bad := range []struct{ env, want string }{
		{"EPHPM_PHP__WORKERS=four", `EPHPM_PHP__WORKERS: "four" is not an integer`},
		{"EPHPM_SERVER__NOPE=1", "EPHPM_SERVER__NOPE"},
		{"EPHPM_SERVER__STATIC=1", "EPHPM_SERVER__STATIC"},
		{"EPHPM_SERVER__STATIC__ETAG=maybe", "EPHPM_SERVER__STATIC__ETAG"},
	} {
		if _, err := load(t, dir, "", bad.env); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%s: error %v, want %q", bad.env, err, bad.want)
		}
	}
}

func TestRelativePathsAgainstFileDir(t *testing.T) {
	dir := writeRoot(t)
	os.WriteFile(filepath.Join(dir, "php.ini"), []byte(""), 0o644)
	path := filepath.Join(dir, "ephpm.toml")
	os.WriteFile(path, []byte("[server]\ndocument_root = \"public\"\n[server.logging]\naccess = \"logs/access.log\"\n[php]\nini_file = \"php.ini\"\n"), 0o644)
	wd, _ := os.Getwd()
	defer os.Chdir(wd)
	os.Chdir(t.TempDir())
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if c.Server.DocumentRoot != filepath.Join(dir, "public") || c.PHP.IniFile != filepath.Join(dir, "php.ini") ||
		c.Server.Logging.Access != filepath.Join(dir, "logs/access.log") || c.File != path {
		t.Errorf("paths: %+v", c)
	}
	if _, err := Load(filepath.Join(dir, "missing.toml")); err == nil || !strings.Contains(err.Error(), "missing.toml does not exist") {
		t.Errorf("missing file: %v", err)
	}
}

func TestTOMLRoundTrip(t *testing.T) {
	dir := writeRoot(t)
	c, err := load(t, dir, "[php]\nworkers = 3\nini_overrides = [[\"a\", \"b\"]]\n[kv]\nmemory_limit = \"1GB\"\n")
	if err != nil {
		t.Fatal(err)
	}
	again, err := load(t, dir, c.TOML())
	if err != nil {
		t.Fatalf("%v\n%s", err, c.TOML())
	}
	if !reflect.DeepEqual(c, again) {
		t.Errorf("round trip changed the config:\n%+v\n%+v", c, again)
	}
}

func TestExampleFileLoads(t *testing.T) {
	data, err := os.ReadFile("../../ephpm.toml.example")
	if err != nil {
		t.Fatal(err)
	}
	dir := writeRoot(t)
	c, err := load(t, dir, string(data))
	if err != nil {
		t.Fatal(err)
	}
	want := Default()
	want.Server.DocumentRoot = filepath.Join(dir, "public")
	if !reflect.DeepEqual(c, want) {
		t.Errorf("the example's values differ from the defaults:\n%+v\n%+v", c, want)
	}
}

func TestParseByteSize(t *testing.T) {
	cases := map[string]int64{"0": 0, "1024": 1024, "512k": 512 << 10, "512KB": 512 << 10, "512KiB": 512 << 10,
		"256MB": 256 << 20, "1G": 1 << 30, "1GiB": 1 << 30, " 2 mb ": 2 << 20}
	for in, want := range cases {
		got, err := ParseByteSize(in)
		if err != nil || got != want {
			t.Errorf("ParseByteSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "-1", "1.5MB", "ten", "1PB", "99999999999999999999"} {
		if _, err := ParseByteSize(bad); err == nil {
			t.Errorf("ParseByteSize(%q): no error", bad)
		}
	}
}

func FuzzLoadBytes(f *testing.F) {
	data, _ := os.ReadFile("../../ephpm.toml.example")
	f.Add(string(data))
	f.Add("[server]\nlisten = 1\n")
	f.Add("[[server]]\n")
	f.Add("[php]\nini_overrides = [[1, 2]]\n")
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, s string) {
		loadBytesEnv([]byte(s), dir, nil) // must not panic
	})
}
