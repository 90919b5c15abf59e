package config

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/BurntSushi/toml"
)

// writeRoot makes a directory with public/ in it, the default document root.
func writeRoot(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "public"), 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func load(t testing.TB, dir, body string, env ...string) (*Config, error) {
	t.Helper()
	return loadBytesEnv([]byte(body), dir, env)
}

// plain drops the record of where values came from, for comparisons.
func plain(c *Config) *Config {
	if c == nil {
		return nil
	}
	cp := *c
	cp.src = nil
	return &cp
}

func defaultsIn(dir string) *Config {
	c := Default()
	c.Server.DocumentRoot = filepath.Join(dir, "public")
	c.Server.TLS.CacheDir = filepath.Join(dir, "certs") // relative to the config file
	return c
}

func TestDefault(t *testing.T) {
	c := Default()
	if c.Server.Listen != "127.0.0.1:8080" || c.Server.DocumentRoot != "./public" ||
		!reflect.DeepEqual(c.Server.IndexFiles, []string{"index.php", "index.html"}) ||
		c.Server.Request.MaxBodySize != 10485760 || c.Server.Request.MaxHeaderSize != 8192 ||
		c.Server.Timeouts != (TimeoutsConfig{HeaderRead: 30, Idle: 60, Request: 300}) ||
		c.Server.Static != (StaticConfig{HiddenFiles: "deny", ETag: true}) ||
		c.Server.Logging != (LoggingConfig{Level: "info", Format: "text"}) || !reflect.DeepEqual(c.Server.TLS, TLSConfig{Domains: []string{}, CacheDir: "certs"}) ||
		c.PHP.Workers != 0 || c.PHP.QueueSize != 256 || c.PHP.MaxExecutionTime != 30 || c.PHP.MemoryLimit != "128M" ||
		c.PHP.IniFile != "" || !reflect.DeepEqual(c.PHP.IniOverrides, [][2]string{{"display_errors", "Off"}, {"error_reporting", "E_ALL"}}) ||
		c.PHP.Mode != "request" || c.PHP.WorkerScript != "" || c.PHP.WorkerCount != 0 || c.PHP.WorkerMaxRequests != 10000 ||
		c.KV.MemoryLimit != 256<<20 || c.KV.EvictionPolicy != "allkeys-lru" || c.File != "" {
		t.Errorf("defaults: %+v", c)
	}
	// Each call is independent: decoding over one must not change another.
	c.PHP.IniOverrides[0][1] = "On"
	if Default().PHP.IniOverrides[0][1] != "Off" {
		t.Error("Default shares its slices")
	}
}

func TestDefaultsWithOnlyServerOrNothing(t *testing.T) {
	dir := writeRoot(t)
	for _, body := range []string{"", "[server]\n", "# just a comment\n\n", "[server]\n[php]\n[kv]\n[server.tls]\n"} {
		c, err := load(t, dir, body)
		if err != nil {
			t.Fatalf("%q: %v", body, err)
		}
		if !reflect.DeepEqual(plain(c), defaultsIn(dir)) {
			t.Errorf("%q:\ngot  %+v\nwant %+v", body, plain(c), defaultsIn(dir))
		}
	}
}

// TestErrors checks the whole message of each error: one line, the file
// and line where the file has the key, the full dotted key, the problem.
func TestErrors(t *testing.T) {
	dir := writeRoot(t)
	if err := os.WriteFile(filepath.Join(dir, "public", "file.txt"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct{ body, want string }{
		// Unknown keys: top level, section, subsection, dotted, inline, case.
		{"bogus = 1\n", "ephpm.toml:1: unknown key bogus"},
		{"[server]\nlisten_adress = \"x\"\n", "ephpm.toml:2: unknown key server.listen_adress"},
		{"[php]\nworkers = 2\nworkrs = 2\n", "ephpm.toml:3: unknown key php.workrs (did you mean php.workers?)"},
		{"[server]\n\n[server.request]\nmax_body_size = 5\n\n[server.requets]\nmax_body_size = 5\n", "ephpm.toml:7: unknown key server.requets.max_body_size (did you mean server.request.max_body_size?)"},
		{"[server.requets]\n", "ephpm.toml:1: unknown key server.requets (did you mean server.request?)"},
		{"[server.request]\nmax_body_size = 5\nmax_bdy = 1\n", "ephpm.toml:3: unknown key server.request.max_bdy"},
		{"[server.static.deeper]\nx = 1\n", "ephpm.toml:2: unknown key server.static.deeper.x"},
		{"# c\nserver.request.max_body = 5\n", "ephpm.toml:2: unknown key server.request.max_body (did you mean server.request.max_body_size?)"},
		{"[server]\nrequest = { max_body_size = 5, nope = 1 }\n", "ephpm.toml:2: unknown key server.request.nope"},
		{"[server]\nListen = \"127.0.0.1:1\"\n", "ephpm.toml:2: unknown key server.Listen (did you mean server.listen?)"},
		{"[[extra]]\nx = 1\n", "ephpm.toml:2: unknown key extra.x"},
		{"[\"odd key\"]\n", "ephpm.toml:1: unknown key \"odd key\""},

		// Wrong types.
		{"[server]\n\n[server.request]\nmax_body_size = \"10M\"\n", `ephpm.toml:4: server.request.max_body_size: wrong type: want an integer, got string "10M"`},
		{"[server.request]\nmax_header_size = 1.5\n", "ephpm.toml:2: server.request.max_header_size: wrong type: want an integer, got float 1.5"},
		{"[server]\nlisten = 8080\n", "ephpm.toml:2: server.listen: wrong type: want a string, got integer 8080"},
		{"[server.static]\netag = \"yes\"\n", `ephpm.toml:2: server.static.etag: wrong type: want true or false, got string "yes"`},
		{"[server]\nindex_files = \"index.php\"\n", `ephpm.toml:2: server.index_files: wrong type: want an array of strings, got string "index.php"`},
		{"[server]\nindex_files = [\"a.php\", 1]\n", "ephpm.toml:2: server.index_files[1]: wrong type: want a string, got integer 1"},
		{"server = 1\n", "ephpm.toml:1: server: wrong type: want a table, got integer 1"},
		{"[[server]]\n", "ephpm.toml:1: server: wrong type: want a table, got array of tables"},
		{"[server]\ntimeouts = [1]\n", "ephpm.toml:2: server.timeouts: wrong type: want a table, got array [1]"},
		{"[server.timeouts]\nidle = 1979-05-27\n", "ephpm.toml:2: server.timeouts.idle: wrong type: want an integer, got datetime 1979-05-27"},
		{"[server.timeouts]\nidle = 07:32:00\n", "ephpm.toml:2: server.timeouts.idle: wrong type: want an integer, got datetime 07:32:00"},
		{"[server.timeouts]\nidle = 1979-05-27T07:32:00Z\n", "ephpm.toml:2: server.timeouts.idle: wrong type: want an integer, got datetime 1979-05-27T07:32:00Z"},
		{"[server]\nindex_files = [1979-05-27T07:32:00]\n", "ephpm.toml:2: server.index_files[0]: wrong type: want a string, got datetime 1979-05-27T07:32:00"},
		{"[php]\nini_overrides = [[\"a\", \"b\"], [\"c\"]]\n", `ephpm.toml:2: php.ini_overrides[1]: want ["name", "value"] (two strings), got array ["c"]`},
		{"[php]\nini_overrides = [[\"a\", \"b\", \"c\"]]\n", `ephpm.toml:2: php.ini_overrides[0]: want ["name", "value"] (two strings), got array ["a", "b", "c"]`},
		{"[php]\nini_overrides = [[\"precision\", 10]]\n", `ephpm.toml:2: php.ini_overrides[0]: want ["name", "value"] (two strings), got array ["precision", 10]`},
		{"[php]\nini_overrides = [\"display_errors=On\"]\n", `ephpm.toml:2: php.ini_overrides[0]: want ["name", "value"] (two strings), got string "display_errors=On"`},
		{"[php]\nini_overrides = \"x\"\n", `ephpm.toml:2: php.ini_overrides: wrong type: want an array of ["name", "value"] pairs, got string "x"`},
		{"[kv]\nmemory_limit = 1.5\n", `ephpm.toml:2: kv.memory_limit: wrong type: want an integer of bytes or a size string like "256MB", got float 1.5`},
		{"[kv]\nmemory_limit = -5\n", "ephpm.toml:2: kv.memory_limit: -5 is negative (want 0 for no limit, or a number of bytes)"},
		{"[kv]\nmemory_limit = \"lots\"\n", `ephpm.toml:2: kv.memory_limit: "lots" is not a size (want bytes as an integer, or a number with K, M, G or T, e.g. "512KB", "256MB", "1GB")`},
		{"[kv]\nmemory_limit = { a = 1 }\n", `ephpm.toml:2: kv.memory_limit: wrong type: want an integer of bytes or a size string like "256MB", got table {a = 1}`},
		{"[php]\nworkers = 99999999999999999999\n", "ephpm.toml:2: syntax error: 99999999999999999999 is out of range for int64"},

		// Syntax.
		{"[server\nx = 1\n", `ephpm.toml:2: syntax error: expected '.' or ']' to end table name, but got '\n' instead`},
		{"[server]\nlisten = \n", `ephpm.toml:2: syntax error: expected value but found '\n' instead`},
		{"[server]\nlisten = \"127.0.0.1:1\"\nlisten = \"127.0.0.1:2\"\n", "ephpm.toml:3: server.listen: set more than once"},
		{"[server]\nlisten = \"unterminated\n", "ephpm.toml:2: syntax error: strings cannot contain newlines"},

		// Validation, at the key's line.
		{"[server]\n\nlisten = \"localhost\"\n", `ephpm.toml:3: server.listen: "localhost" is not a valid listen address (want host:port, e.g. 127.0.0.1:8080)`},
		{"[server]\nlisten = \"\"\n", `ephpm.toml:2: server.listen: "" is not a valid listen address (want host:port, e.g. 127.0.0.1:8080)`},
		{"[server]\nlisten = \"127.0.0.1:99999\"\n", `ephpm.toml:2: server.listen: "127.0.0.1:99999" is not a valid listen address: the port must be a number 0-65535, got "99999"`},
		{"[server]\nlisten = \"127.0.0.1:http\"\n", `ephpm.toml:2: server.listen: "127.0.0.1:http" is not a valid listen address: the port must be a number 0-65535, got "http"`},
		{"[server]\nlisten = \"my host:80\"\n", `ephpm.toml:2: server.listen: "my host:80" is not a valid listen address: "my host" is not an IP address or host name`},
		{"[server.metrics]\nlisten = \"9090\"\n", `ephpm.toml:2: server.metrics.listen: "9090" is not a valid listen address (want host:port, e.g. 127.0.0.1:8080)`},
		{"[server]\nlisten = \"127.0.0.1:8080\"\n[server.metrics]\nlisten = \"127.0.0.1:8080\"\n", `ephpm.toml:4: server.metrics.listen: is the same address as server.listen (127.0.0.1:8080); the metrics need a port of their own`},
		{"[kv.resp]\nlisten = \"0.0.0.0:6380\"\n", `ephpm.toml:2: kv.resp.listen: 0.0.0.0:6380 is reachable from other machines: set kv.resp.password, or listen on 127.0.0.1`},
		{"[kv.resp]\nlisten = \":6380\"\n", `ephpm.toml:2: kv.resp.listen: :6380 is reachable from other machines: set kv.resp.password, or listen on 127.0.0.1`},
		{"[kv.resp]\nlisten = \"6380\"\n", `ephpm.toml:2: kv.resp.listen: "6380" is not a valid listen address (want host:port, e.g. 127.0.0.1:8080)`},
		{"[kv.resp]\nsocket = \"/nope/kv.sock\"\n", `ephpm.toml:2: kv.resp.socket: the directory of the socket: "/nope" does not exist`},
		{"[server]\nadmin_socket = \"/nope/admin.sock\"\n", `ephpm.toml:2: server.admin_socket: the directory of the socket: "/nope" does not exist`},
		{"[kv.resp]\nsocket_mode = \"rw\"\n", `ephpm.toml:2: kv.resp.socket_mode: "rw" is not an octal file mode (e.g. "0660")`},
		{"[kv.resp]\nmax_clients = 0\n", "ephpm.toml:2: kv.resp.max_clients: must be at least 1, got 0"},
		{"[kv.resp]\nidle_timeout = -1\n", "ephpm.toml:2: kv.resp.idle_timeout: must be 0 (no limit) or more seconds, got -1"},
		{"[kv.resp]\nmax_bulk_len = 0\n", "ephpm.toml:2: kv.resp.max_bulk_len: must be at least 1 byte, got 0"},
		{"[kv]\nbackend = \"memcached\"\n", `ephpm.toml:2: kv.backend: "memcached" is not one of memory, redis`},
		{"[kv.redis]\naddresses = []\n", "ephpm.toml:2: kv.redis.addresses: must name at least one Redis host:port"},
		{"[kv.redis]\naddresses = [\"redis\"]\n", `ephpm.toml:2: kv.redis.addresses: "redis" is not a Redis address (want host:port, e.g. "127.0.0.1:6379")`},
		{"[kv.redis]\naddresses = [\"r:0\"]\n", `ephpm.toml:2: kv.redis.addresses: "r:0" has no valid port (1-65535)`},
		{"[kv.redis]\naddresses = [\"a:1\", \"a:1\"]\n", `ephpm.toml:2: kv.redis.addresses: "a:1" is listed twice`},
		{"[kv.redis]\naddresses = [\"a:1\", \"b:1\"]\ndb = 2\n", "ephpm.toml:3: kv.redis.db: a Redis Cluster has only database 0 (several addresses mean a cluster), got 2"},
		{"[kv.redis]\ndb = -1\n", "ephpm.toml:2: kv.redis.db: must be 0 or more, got -1"},
		{"[kv.redis]\nusername = \"app\"\n", "ephpm.toml:2: kv.redis.username: needs kv.redis.password (Redis ACL users authenticate with both)"},
		{"[kv.redis]\nclient_cache = \"10KB\"\n", "ephpm.toml:2: kv.redis.client_cache: must be 0 (off) or at least 1MB, got 10KB"},
		{"[kv.redis]\ncommand_timeout = \"soon\"\n", `ephpm.toml:2: kv.redis.command_timeout: "soon" is not a duration (want e.g. "500ms", "1s", "2m", or an integer of seconds)`},
		{"[kv.redis]\ncommand_timeout = \"-1s\"\n", `ephpm.toml:2: kv.redis.command_timeout: "-1s" is negative`},
		{"[kv.redis]\ncommand_timeout = 0\n", "ephpm.toml:2: kv.redis.command_timeout: must be at least 1ms, got 0s"},
		{"[kv.redis]\ncommand_timeout = true\n", `ephpm.toml:2: kv.redis.command_timeout: wrong type: want a duration string like "500ms" or "1s", or an integer of seconds, got boolean true`},
		{"[server]\ndocument_root = \"/nope/public\"\n", `ephpm.toml:2: server.document_root: "/nope/public" does not exist`},
		{"[server]\ndocument_root = \"public/file.txt\"\n", `ephpm.toml:2: server.document_root: "{dir}/public/file.txt" is not a directory`},
		{"[server]\ndocument_root = \"\"\n", "ephpm.toml:2: server.document_root: must be set"},
		{"[server]\nindex_files = []\n", `ephpm.toml:2: server.index_files: must list at least one file name, e.g. ["index.php"]`},
		{"[server]\nindex_files = [\"index.php\", \"sub/index.php\"]\n", `ephpm.toml:2: server.index_files[1]: "sub/index.php" is not a file name (no '/' allowed)`},
		{"[server.request]\nmax_body_size = 0\n", "ephpm.toml:2: server.request.max_body_size: must be at least 1 (bytes), got 0"},
		{"[server.request]\nmax_header_size = 10\n", "ephpm.toml:2: server.request.max_header_size: must be at least 1024 (bytes), got 10"},
		{"[server.timeouts]\nheader_read = -1\n", "ephpm.toml:2: server.timeouts.header_read: must be 0 (no limit) or more seconds, got -1"},
		{"[server.timeouts]\nidle = -1\n", "ephpm.toml:2: server.timeouts.idle: must be 0 (no limit) or more seconds, got -1"},
		{"[server.timeouts]\nrequest = -5\n", "ephpm.toml:2: server.timeouts.request: must be 0 (no limit) or more seconds, got -5"},
		{"[server]\nthread_policy = \"fifo\"\n", `ephpm.toml:2: server.thread_policy: "fifo" is not one of batch, normal`},
		{"[server.static]\nhidden_files = \"maybe\"\n", `ephpm.toml:2: server.static.hidden_files: "maybe" is not one of deny, ignore, allow`},
		{"[server.static]\ncache_control = \"a\\nb\"\n", "ephpm.toml:2: server.static.cache_control: must not contain a line break"},
		{"[server.logging]\nlevel = \"loud\"\n", `ephpm.toml:2: server.logging.level: "loud" is not one of debug, info, warn, error`},
		{"[server.logging]\nformat = \"xml\"\n", `ephpm.toml:2: server.logging.format: "xml" is not one of text, json`},
		{"[server.tls]\ncert_file = \"c.pem\"\n", "ephpm.toml:2: server.tls.cert_file: is set but server.tls.key_file is not (set both for HTTPS, or neither)"},
		{"[server.tls]\nkey_file = \"k.pem\"\n", "ephpm.toml:2: server.tls.key_file: is set but server.tls.cert_file is not (set both for HTTPS, or neither)"},
		{"[server.tls]\ncert_file = \"c.pem\"\nkey_file = \"k.pem\"\n", `ephpm.toml:2: server.tls.cert_file: "{dir}/c.pem" does not exist`},
		{"[php]\nworkers = -1\n", "ephpm.toml:2: php.workers: must be 0 (one per CPU) or more, got -1"},
		{"[php]\nqueue_size = 0\n", "ephpm.toml:2: php.queue_size: must be at least 1, got 0"},
		{"[php]\nmax_execution_time = -1\n", "ephpm.toml:2: php.max_execution_time: must be 0 (no limit) or more seconds, got -1"},
		{"[php]\nmemory_limit = \"lots\"\n", `ephpm.toml:2: php.memory_limit: "lots" is not a PHP size (want digits with an optional K, M or G, e.g. "128M", or "-1" for no limit)`},
		{"[php]\nmemory_limit = \"128MB\"\n", `ephpm.toml:2: php.memory_limit: "128MB" is not a PHP size (want digits with an optional K, M or G, e.g. "128M", or "-1" for no limit)`},
		{"[php]\nini_file = \"missing.ini\"\n", `ephpm.toml:2: php.ini_file: "{dir}/missing.ini" does not exist`},
		{"[php]\nini_file = \"public\"\n", `ephpm.toml:2: php.ini_file: "{dir}/public" is a directory, not a file`},
		{"[php]\nini_overrides = [[\"a=b\", \"c\"]]\n", `ephpm.toml:2: php.ini_overrides[0]: setting name "a=b" must not contain '=' or a line break`},
		{"[php]\nini_overrides = [[\"a\", \"b\"], [\"\", \"c\"]]\n", "ephpm.toml:2: php.ini_overrides[1]: the setting name is empty"},
		{"[php]\nini_overrides = [[\"a\", \"b\\nc\"]]\n", "ephpm.toml:2: php.ini_overrides[0]: the value of a must not contain a line break"},
		{"[php]\nini_overrides = [[\"max_input_time\", \"5\"]]\n", "ephpm.toml:2: php.ini_overrides[0]: max_input_time cannot be set (ephpm enforces time limits itself; it stays -1)"},
		{"[php]\nmode = \"fast\"\n", `ephpm.toml:2: php.mode: "fast" is not one of request, worker`},
		{"[php]\nmode = \"worker\"\n", `php.worker_script: required when php.mode = "worker"`},
		{"[php]\nmode = \"worker\"\nworker_script = \"w.php\"\n", `ephpm.toml:3: php.worker_script: "w.php" ({dir}/public/w.php) does not exist`},
		{"[php]\nmode = \"worker\"\nworker_script = \"/nope/w.php\"\n", `ephpm.toml:3: php.worker_script: "/nope/w.php" does not exist`},
		{"[php]\nworker_count = -1\n", "ephpm.toml:2: php.worker_count: must be 0 (= php.workers) or more, got -1"},
		{"[php]\nworker_max_requests = -1\n", "ephpm.toml:2: php.worker_max_requests: must be 0 (never recycle) or more, got -1"},
		{"[kv]\neviction_policy = \"lru\"\n", `ephpm.toml:2: kv.eviction_policy: "lru" is not one of allkeys-lru, volatile-lru, allkeys-random, noeviction`},

		// Keys written other ways still get their line.
		{"# c\nserver.listen = \"nohost\"\n", `ephpm.toml:2: server.listen: "nohost" is not a valid listen address (want host:port, e.g. 127.0.0.1:8080)`},
		{"# c\n[server]\nrequest = { max_body_size = 0 }\n", "ephpm.toml:3: server.request.max_body_size: must be at least 1 (bytes), got 0"},
		{"# c\nkv = { eviction_policy = \"lru\" }\n", `ephpm.toml:2: kv.eviction_policy: "lru" is not one of allkeys-lru, volatile-lru, allkeys-random, noeviction`},
	}
	expectLoadErrors(t, dir, cases)
}

// expectLoadErrors loads each case's body in dir and wants exactly its
// error ({dir} stands for dir), as an *Error.
func expectLoadErrors(t *testing.T, dir string, cases []struct{ body, want string }) {
	t.Helper()
	for _, c := range cases {
		_, err := load(t, dir, c.body)
		want := strings.ReplaceAll(c.want, "{dir}", dir)
		if err == nil {
			t.Errorf("%q: no error, want %q", c.body, want)
			continue
		}
		if err.Error() != want {
			t.Errorf("%q:\n got %q\nwant %q", c.body, err.Error(), want)
		}
		var ce *Error
		if !errors.As(err, &ce) {
			t.Errorf("%q: %T is not *Error", c.body, err)
		}
	}
}

func TestValidListen(t *testing.T) {
	for _, ok := range []string{"127.0.0.1:8080", ":8080", "0.0.0.0:0", "localhost:80", "[::1]:443", "[::]:65535", "my-host.example.com:1", "[fe80::1%eth0]:80"} {
		if msg := checkListen(ok); msg != "" {
			t.Errorf("%q: %s", ok, msg)
		}
	}
	for _, bad := range []string{"", "localhost", "8080", "127.0.0.1:", "127.0.0.1:65536", "127.0.0.1:-1", "127.0.0.1:+80", "::1:80", "a b:80", "a/b:80", "-x:80", "x..y:80"} {
		if msg := checkListen(bad); msg == "" {
			t.Errorf("%q: accepted", bad)
		}
	}
}

// TestValidateAttribution: Validate names the file line for a value from
// the file, the variable for one from the environment, and nothing for a
// value changed afterwards (a command-line flag) or a hand-made Config.
func TestValidateAttribution(t *testing.T) {
	dir := writeRoot(t)
	c, err := parse([]byte("[server]\nlisten = \"127.0.0.1:1\"\n[php]\nqueue_size = 0\n"), dir, "ephpm.toml", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err == nil || err.Error() != "ephpm.toml:4: php.queue_size: must be at least 1, got 0" {
		t.Errorf("from file: %v", err)
	}
	c.PHP.QueueSize = 1
	c.Server.Listen = "flag"
	if err := c.Validate(); err == nil || err.Error() != `server.listen: "flag" is not a valid listen address (want host:port, e.g. 127.0.0.1:8080)` {
		t.Errorf("after a flag: %v", err)
	}
	c.Server.Listen = "127.0.0.1:1"
	c.Server.DocumentRoot = "public" // relative: made absolute against the working directory
	t.Chdir(dir)
	if err := c.Validate(); err != nil || c.Server.DocumentRoot != filepath.Join(dir, "public") {
		t.Errorf("relative document root: %v %q", err, c.Server.DocumentRoot)
	}

	_, err = load(t, dir, "[server]\nlisten = \"127.0.0.1:1\"\n", "EPHPM_SERVER__LISTEN=nope")
	if err == nil || err.Error() != `EPHPM_SERVER__LISTEN: server.listen: "nope" is not a valid listen address (want host:port, e.g. 127.0.0.1:8080)` {
		t.Errorf("from env: %v", err)
	}
	// SPEC 3: a file with only [server] works. The default ./public
	// missing is a warning naming the key (the server answers 404), not
	// an error; the same root named in the file, by a variable or by a
	// flag is an error naming where it was set.
	missing := filepath.Join(dir, "elsewhere", "public")
	c, err = load(t, filepath.Join(dir, "elsewhere"), "[server]\n")
	if err != nil || !c.MissingDefaultRoot || len(c.Warnings) != 1 || c.Warnings[0] != `server.document_root: "`+missing+`" (the default) does not exist: every request gets 404 until it is created` {
		t.Errorf("default value: %v %q", err, c.Warnings)
	}
	_, err = load(t, filepath.Join(dir, "elsewhere"), "[server]\ndocument_root = \"public\"\n")
	if err == nil || err.Error() != `ephpm.toml:2: server.document_root: "`+missing+`" does not exist` {
		t.Errorf("named in the file: %v", err)
	}
	_, err = load(t, filepath.Join(dir, "elsewhere"), "", "EPHPM_SERVER__DOCUMENT_ROOT=public")
	if err == nil || err.Error() != `EPHPM_SERVER__DOCUMENT_ROOT: server.document_root: "`+missing+`" does not exist` {
		t.Errorf("named by a variable: %v", err)
	}
	c.Server.DocumentRoot = filepath.Join(dir, "elsewhere", "flag")
	if err := c.Validate(); err == nil || len(c.Warnings) != 0 || c.MissingDefaultRoot {
		t.Errorf("named by a flag: %v %q", err, c.Warnings)
	}

	hand := Default()
	hand.PHP.Workers = -3
	if err := hand.Validate(); err == nil || err.Error() != "php.workers: must be 0 (one per CPU) or more, got -3" {
		t.Errorf("hand-made: %v", err)
	}
	if err := (&Config{}).Validate(); err == nil {
		t.Error("zero Config validated")
	}
}

func TestEnvOverrides(t *testing.T) {
	dir := writeRoot(t)
	if err := os.Mkdir(filepath.Join(dir, "other"), 0o755); err != nil {
		t.Fatal(err)
	}
	c, err := load(t, dir, "[server]\nlisten = \"127.0.0.1:1\"\n[php]\nworkers = 2\n",
		"EPHPM_SERVER__LISTEN=0.0.0.0:9000",
		"EPHPM_PHP__WORKERS=4",
		"EPHPM_SERVER__REQUEST__MAX_BODY_SIZE=1000",
		"EPHPM_KV__MEMORY_LIMIT=64MB",
		"EPHPM_SERVER__STATIC__ETAG=false",
		"ephpm_server__index_files=a.php, b.html",
		`EPHPM_PHP__INI_OVERRIDES=[["precision", "10"]]`,
		"Ephpm_Server__Document_Root=other",
		"EPHPM_SERVER__LOGGING__LEVEL=debug",
		"EPHPM_SERVER__LOGGING__FORMAT=json",
		"EPHPM_KV__BACKEND=redis",
		"EPHPM_KV__REDIS__ADDRESSES=10.0.0.1:6379, 10.0.0.2:6379",
		"EPHPM_KV__REDIS__COMMAND_TIMEOUT=250ms",
		"EPHPM_VERSION=ignored",
		"EPHPM_=ignored",
		"OTHER__X=1",
	)
	if err != nil {
		t.Fatal(err)
	}
	want := defaultsIn(dir)
	want.Server.Listen = "0.0.0.0:9000"
	want.PHP.Workers = 4
	want.Server.Request.MaxBodySize = 1000
	want.KV.MemoryLimit = 64 << 20
	want.Server.Static.ETag = false
	want.Server.IndexFiles = []string{"a.php", "b.html"}
	want.PHP.IniOverrides = [][2]string{{"precision", "10"}}
	want.Server.DocumentRoot = filepath.Join(dir, "other") // relative to the file's directory
	want.Server.Logging.Level = "debug"
	want.Server.Logging.Format = "json"
	want.KV.Backend = "redis"
	want.KV.Redis.Addresses = []string{"10.0.0.1:6379", "10.0.0.2:6379"}
	want.KV.Redis.CommandTimeout = Duration(250 * time.Millisecond)
	if !reflect.DeepEqual(plain(c), want) {
		t.Errorf("overrides:\ngot  %+v\nwant %+v", plain(c), want)
	}

	c, err = load(t, dir, "", `EPHPM_SERVER__INDEX_FILES=["x.php"]`, "EPHPM_KV__MEMORY_LIMIT=0", "EPHPM_SERVER__STATIC__ETAG=1", "EPHPM_PHP__INI_OVERRIDES=[]")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(c.Server.IndexFiles, []string{"x.php"}) || c.KV.MemoryLimit != 0 || !c.Server.Static.ETag || len(c.PHP.IniOverrides) != 0 {
		t.Errorf("overrides: %+v", c)
	}

	for _, bad := range []struct{ env, want string }{
		{"EPHPM_PHP__WORKERS=four", `EPHPM_PHP__WORKERS: "four" is not an integer`},
		{"EPHPM_PHP__WORKERS=", `EPHPM_PHP__WORKERS: "" is not an integer`},
		{"EPHPM_SERVER__NOPE=1", "EPHPM_SERVER__NOPE: unknown key server.nope"},
		{"EPHPM_SERVER__LISTN=1", "EPHPM_SERVER__LISTN: unknown key server.listn (did you mean server.listen?)"},
		{"EPHPM_SERVRE__LISTEN=1", "EPHPM_SERVRE__LISTEN: unknown key servre.listen (did you mean server.listen?)"},
		{"EPHPM_SERVER__LISTEN__PORT=1", "EPHPM_SERVER__LISTEN__PORT: server.listen is a key, not a section"},
		{"EPHPM_SERVER__STATIC=1", "EPHPM_SERVER__STATIC: server.static is a section, not a key (set one of its keys, e.g. EPHPM_SERVER__STATIC__HIDDEN_FILES)"},
		{"EPHPM_SERVER__STATIC__ETAG=maybe", `EPHPM_SERVER__STATIC__ETAG: "maybe" is not true or false`},
		{"EPHPM_KV__REDIS__COMMAND_TIMEOUT=1 sec", `EPHPM_KV__REDIS__COMMAND_TIMEOUT: "1 sec" is not a duration (want e.g. "500ms", "1s", "2m", or an integer of seconds)`},
		{"EPHPM_KV__MEMORY_LIMIT=lots", `EPHPM_KV__MEMORY_LIMIT: "lots" is not a size (want bytes as an integer, or a number with K, M, G or T, e.g. "512KB", "256MB", "1GB")`},
		{"EPHPM_SERVER__INDEX_FILES=[1]", "EPHPM_SERVER__INDEX_FILES: entry 0: wrong type: want a string, got integer 1"},
		{"EPHPM_SERVER__INDEX_FILES=[\"a\"", `EPHPM_SERVER__INDEX_FILES: "[\"a\"" is not a TOML array: expected a comma (',') or array terminator (']'), but got end of file`},
		{"EPHPM_PHP__INI_OVERRIDES=display_errors=On", `EPHPM_PHP__INI_OVERRIDES: "display_errors=On" is not a TOML array (want an array of ["name", "value"] pairs, e.g. [["display_errors", "On"]])`},
		{`EPHPM_PHP__INI_OVERRIDES=[["a"]]`, `EPHPM_PHP__INI_OVERRIDES: entry 0: want ["name", "value"] (two strings), got array ["a"]`},
		{"EPHPM_PHP__QUEUE_SIZE=0", "EPHPM_PHP__QUEUE_SIZE: php.queue_size: must be at least 1, got 0"},
	} {
		_, err := load(t, dir, "", bad.env)
		if err == nil || err.Error() != bad.want {
			t.Errorf("%s:\n got %v\nwant %s", bad.env, err, bad.want)
		}
	}
}

func TestFromEnv(t *testing.T) {
	dir := writeRoot(t)
	t.Setenv("EPHPM_PHP__WORKERS", "7")
	c, err := FromEnv(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := defaultsIn(dir)
	want.PHP.Workers = 7
	if !reflect.DeepEqual(plain(c), want) {
		t.Errorf("got %+v\nwant %+v", plain(c), want)
	}
	if err := c.Validate(); err != nil {
		t.Error(err)
	}
	t.Setenv("EPHPM_PHP__WORKERS", "-1")
	if c, err = FromEnv(dir); err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err == nil || err.Error() != "EPHPM_PHP__WORKERS: php.workers: must be 0 (one per CPU) or more, got -1" {
		t.Errorf("validate: %v", err)
	}
}

func TestLoadResolvesPathsAgainstFileDir(t *testing.T) {
	dir := writeRoot(t)
	for _, f := range []string{"php.ini", "c.pem", "k.pem", "public/worker.php"} {
		if err := os.WriteFile(filepath.Join(dir, f), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(dir, "ephpm.toml")
	body := `[server]
document_root = "public/../public/"
[server.logging]
access = "logs/access.log"
[server.tls]
cert_file = "c.pem"
key_file = "./k.pem"
[php]
ini_file = "php.ini"
mode = "worker"
worker_script = "worker.php"
`
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(t.TempDir())
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if c.Server.DocumentRoot != filepath.Join(dir, "public") || c.PHP.IniFile != filepath.Join(dir, "php.ini") ||
		c.Server.Logging.Access != filepath.Join(dir, "logs", "access.log") || c.File != path ||
		c.Server.TLS.CertFile != filepath.Join(dir, "c.pem") || c.Server.TLS.KeyFile != filepath.Join(dir, "k.pem") ||
		c.PHP.WorkerScript != "worker.php" {
		t.Errorf("paths: %+v", c)
	}
	for _, access := range []string{"stdout", "stderr", ""} {
		c, err := load(t, dir, "[server.logging]\naccess = \""+access+"\"\n")
		if err != nil || c.Server.Logging.Access != access {
			t.Errorf("access %q: %v %+v", access, err, c)
		}
	}

	// Errors from Load name the file as given.
	rel := filepath.Join(dir, "bad.toml")
	if err := os.WriteFile(rel, []byte("[server]\nlisten = 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(rel); err == nil || err.Error() != rel+":2: server.listen: wrong type: want a string, got integer 1" {
		t.Errorf("bad file: %v", err)
	}
	missing := filepath.Join(dir, "missing.toml")
	if _, err := Load(missing); err == nil || err.Error() != "config file "+missing+" does not exist" {
		t.Errorf("missing file: %v", err)
	}
	if _, err := Load(dir); err == nil || err.Error() != "config file "+dir+": is a directory" {
		t.Errorf("directory: %v", err)
	}
}

func TestTOMLRoundTrip(t *testing.T) {
	dir := writeRoot(t)
	if err := os.WriteFile(filepath.Join(dir, "public", "w.php"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	bodies := []string{
		"",
		`[server]
listen = ":9000"
index_files = ["app.php"]
[server.static]
etag = false
cache_control = "public, max-age=60"
hidden_files = "allow"
[server.logging]
access = "stdout"
[php]
workers = 3
ini_overrides = [["a", "b \"quoted\" \\ back"], ["c", ""]]
mode = "worker"
worker_script = "w.php"
[kv]
memory_limit = "1GB"
eviction_policy = "noeviction"
`,
		"[php]\nini_overrides = []\n[kv]\nmemory_limit = 1000\n",
		"[kv]\nmemory_limit = 0\n",
	}
	for _, body := range bodies {
		c, err := load(t, dir, body)
		if err != nil {
			t.Fatalf("%q: %v", body, err)
		}
		out := c.TOML()
		again, err := load(t, dir, out)
		if err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		if !reflect.DeepEqual(plain(c), plain(again)) {
			t.Errorf("round trip changed the config:\n%+v\n%+v\n%s", plain(c), plain(again), out)
		}
		assertEveryKey(t, out)
	}

	// A hand-made config with nil slices still renders every key.
	c := defaultsIn(dir)
	c.PHP.IniOverrides = nil
	out := c.TOML()
	assertEveryKey(t, out)
	again, err := load(t, dir, out)
	if err != nil || len(again.PHP.IniOverrides) != 0 {
		t.Errorf("nil ini_overrides: %v %+v\n%s", err, again, out)
	}
	if !strings.Contains(Default().TOML(), "memory_limit = \"256MB\"\n") {
		t.Errorf("kv.memory_limit not rendered with a unit:\n%s", Default().TOML())
	}
}

// assertEveryKey checks that the TOML text sets every key of Config.
func assertEveryKey(t *testing.T, text string) {
	t.Helper()
	var raw map[string]any
	if _, err := toml.Decode(text, &raw); err != nil {
		t.Fatal(err)
	}
	walkKeys(reflect.ValueOf(Default()).Elem(), "", func(key string, _ reflect.Value) {
		if _, ok := rawAt(raw, strings.Split(key, ".")); !ok {
			t.Errorf("%s missing from\n%s", key, text)
		}
	})
}

func TestExampleFile(t *testing.T) {
	data, err := os.ReadFile("../../ephpm.toml.example")
	if err != nil {
		t.Fatal(err)
	}
	// The example's document_root is ./public, relative to its directory.
	dir := writeRoot(t)
	c, err := load(t, dir, string(data))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(plain(c), defaultsIn(dir)) {
		t.Errorf("the example's values differ from the defaults:\n%+v\n%+v", plain(c), defaultsIn(dir))
	}
	assertEveryKey(t, string(data))
	// Every key line has a comment.
	keyLineRe := regexp.MustCompile(`^[a-z_]+ = `)
	for i, line := range strings.Split(string(data), "\n") {
		if keyLineRe.MatchString(line) && !strings.Contains(line, "# ") {
			t.Errorf("line %d has no comment: %s", i+1, line)
		}
	}
	// A replaced document_root points elsewhere.
	other := t.TempDir()
	patched := regexp.MustCompile(`(?m)^document_root = .*$`).ReplaceAllString(string(data), `document_root = "`+other+`"`)
	if c, err := load(t, t.TempDir(), patched); err != nil || c.Server.DocumentRoot != other {
		t.Errorf("patched example: %v", err)
	}
}

func TestKeyLine(t *testing.T) {
	cases := []struct {
		body string
		key  string
		line int
	}{
		{"[server]\nlisten = 1\n", "server.listen", 2},
		{"# c\n[server]\n  listen   =   1 # x\n", "server.listen", 3},
		{"[server]\n[server.request]\nmax_body_size = 1\n", "server.request.max_body_size", 3},
		{"[server]\n[server.request]\nmax_body_size = 1\n", "server.request", 2},
		{"a = 1\nserver.request.max_body_size = 1\n", "server.request.max_body_size", 2},
		{"[server]\nrequest.max_body_size = 1\n", "server.request.max_body_size", 2},
		{"a = 1\n[server]\nrequest = { max_body_size = 1 }\n", "server.request.max_body_size", 3},
		{"a = 1\nserver = { request = { max_body_size = 1 } }\n", "server.request.max_body_size", 2},
		{"[php]\nini_overrides = [\n  [\"a\", \"b\"],\n]\n", "php.ini_overrides", 2},
		{"[\"server\"]\n\"listen\" = 1\n", "server.listen", 2},
		{"[server]\nlisten = 1\n", "server.nope", 0},
	}
	for _, c := range cases {
		path := strings.Split(c.key, ".")
		if got := keyLine([]byte(c.body), path); got != c.line {
			t.Errorf("keyLine(%q, %s) = %d, want %d", c.body, c.key, got, c.line)
		}
		// The textual fallback finds the same lines.
		if got := scanLine([]byte(c.body), path); got != c.line {
			t.Errorf("scanLine(%q, %s) = %d, want %d", c.body, c.key, got, c.line)
		}
	}
}

func TestParseByteSize(t *testing.T) {
	cases := map[string]int64{
		"0": 0, "1024": 1024, "1b": 1, "512k": 512 << 10, "512K": 512 << 10, "512KB": 512 << 10, "512KiB": 512 << 10, "512kib": 512 << 10,
		"256MB": 256 << 20, "256m": 256 << 20, "256MiB": 256 << 20, "1G": 1 << 30, "1GiB": 1 << 30, "1gb": 1 << 30,
		"2T": 2 << 40, " 2 mb ": 2 << 20, "8388607T": 8388607 << 40, "9223372036854775807": 1<<63 - 1,
	}
	for in, want := range cases {
		got, err := ParseByteSize(in)
		if err != nil || got != want {
			t.Errorf("ParseByteSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", " ", "-1", "1.5MB", "ten", "1PB", "MB", "1ib", "1 K B", "1KBB", "8388608T", "99999999999999999999", "0x10"} {
		if _, err := ParseByteSize(bad); err == nil {
			t.Errorf("ParseByteSize(%q): no error", bad)
		}
	}
	for n, want := range map[int64]string{0: "0", 1: "1", 1000: "1000", 1024: "1KB", 1536: "1536", 256 << 20: "256MB", 1 << 30: "1GB", 3 << 40: "3TB"} {
		if got := FormatByteSize(n); got != want {
			t.Errorf("FormatByteSize(%d) = %q, want %q", n, got, want)
		}
		if back, err := ParseByteSize(FormatByteSize(n)); err != nil || back != n {
			t.Errorf("%d does not read back: %d %v", n, back, err)
		}
		b, _ := ByteSize(n).MarshalTOML()
		var got struct{ V ByteSize }
		if _, err := toml.Decode("V = "+string(b), &got); err != nil || int64(got.V) != n {
			t.Errorf("MarshalTOML(%d) = %s does not decode back: %v", n, b, err)
		}
	}
	var b ByteSize
	if err := b.UnmarshalText([]byte("2KB")); err != nil || b != 2048 {
		t.Errorf("UnmarshalText: %d %v", b, err)
	}
}

func FuzzLoadBytes(f *testing.F) {
	data, err := os.ReadFile("../../ephpm.toml.example")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(string(data))
	f.Add("[server]\nlisten = 1\n")
	f.Add("[[server]]\n")
	f.Add("[php]\nini_overrides = [[1, 2]]\n")
	f.Add("[server.requets]\nmax_body_size = 5\n")
	f.Add("a.b.c = { d = [1, { e = 2 }] }\n")
	f.Add("[kv]\nmemory_limit = \"1TB\"\n")
	dir := writeRoot(f)
	f.Fuzz(func(t *testing.T, s string) {
		c, err := loadBytesEnv([]byte(s), dir, nil)
		if err != nil {
			if strings.ContainsAny(err.Error(), "\r\n") {
				t.Errorf("error is not one line: %q", err)
			}
			return
		}
		again, err := loadBytesEnv([]byte(c.TOML()), dir, nil)
		if err != nil {
			t.Fatalf("TOML() does not load back: %v\n%s", err, c.TOML())
		}
		if !reflect.DeepEqual(plain(c), plain(again)) {
			t.Errorf("round trip changed the config:\n%+v\n%+v", plain(c), plain(again))
		}
	})
}
