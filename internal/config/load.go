package config

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"github.com/BurntSushi/toml"
)

// Default returns the configuration with every key at its default.
func Default() *Config {
	c := &Config{}
	c.Server.Listen = "127.0.0.1:8080"
	c.Server.DocumentRoot = "./public"
	c.Server.IndexFiles = []string{"index.php", "index.html"}
	c.Server.Request.MaxBodySize = 10485760
	c.Server.Request.MaxHeaderSize = 8192
	c.Server.Timeouts.HeaderRead = 30
	c.Server.Timeouts.Idle = 60
	c.Server.Timeouts.Request = 300
	c.Server.Static.HiddenFiles = "deny"
	c.Server.Static.ETag = true
	c.Server.Logging.Level = "info"
	c.PHP.QueueSize = 256
	c.PHP.MaxExecutionTime = 30
	c.PHP.MemoryLimit = "128M"
	c.PHP.IniOverrides = [][2]string{{"display_errors", "Off"}, {"error_reporting", "E_ALL"}}
	c.PHP.Mode = "request"
	c.PHP.WorkerMaxRequests = 10000
	c.KV.MemoryLimit = 256 << 20
	c.KV.EvictionPolicy = "allkeys-lru"
	return c
}

// Load reads path over the defaults, applies EPHPM_* environment
// overrides, resolves relative paths against the file's directory and
// validates. Errors are one line naming the file, line and key.
func Load(path string) (*Config, error) {
	c, err := Parse(path)
	if err != nil {
		return nil, err
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

// Parse is Load without validation, for callers that still apply their
// own overrides (command-line flags) and then call Validate.
func Parse(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("config file %s does not exist", path)
		}
		return nil, fmt.Errorf("config file %s: %w", path, err)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	c, err := parse(data, filepath.Dir(abs), filepath.Base(path), os.Environ())
	if err != nil {
		return nil, err
	}
	c.File = abs
	return c, nil
}

// LoadBytes is Load for TOML already in memory; dir is the base for
// relative paths.
func LoadBytes(data []byte, dir string) (*Config, error) {
	return loadBytesEnv(data, dir, os.Environ())
}

func loadBytesEnv(data []byte, dir string, environ []string) (*Config, error) {
	c, err := parse(data, dir, "ephpm.toml", environ)
	if err != nil {
		return nil, err
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

// FromEnv is the defaults plus EPHPM_* overrides, with relative paths
// resolved against dir, not yet validated (for running without a file).
func FromEnv(dir string) (*Config, error) {
	return parse(nil, dir, "", os.Environ())
}

func parse(data []byte, dir, name string, environ []string) (*Config, error) {
	c := Default()
	// The default list is replaced, not merged, by a file's list.
	if bytes.Contains(data, []byte("ini_overrides")) {
		c.PHP.IniOverrides = nil
	}
	if len(data) > 0 {
		md, err := toml.NewDecoder(bytes.NewReader(data)).Decode(c)
		if err != nil {
			return nil, decodeError(name, data, err)
		}
		if undecoded := md.Undecoded(); len(undecoded) > 0 {
			key := undecoded[0]
			return nil, fmt.Errorf("%sunknown key %s", where(name, lineOf(data, key)), key.String())
		}
	}
	if err := applyEnv(c, environ); err != nil {
		return nil, err
	}
	c.resolvePaths(dir)
	return c, nil
}

func where(name string, line int) string {
	switch {
	case name == "":
		return ""
	case line > 0:
		return fmt.Sprintf("%s:%d: ", name, line)
	default:
		return name + ": "
	}
}

var (
	lastKeyRe   = regexp.MustCompile(`last key "([^"]+)"`)
	innerLineRe = regexp.MustCompile(`line \d+ \(last key "[^"]*"\): `)
	typeMismRe  = regexp.MustCompile(`incompatible types: TOML value has type ([^;]+); destination has type (.+)$`)
)

// decodeError turns the TOML library's errors into one line: file, line,
// key, what is wrong.
func decodeError(name string, data []byte, err error) error {
	var perr toml.ParseError
	if errors.As(err, &perr) {
		msg := perr.Message
		if msg == "" {
			msg = perr.Error()
		}
		key := perr.LastKey
		if m := typeMismRe.FindStringSubmatch(msg); m != nil {
			msg = fmt.Sprintf("wrong type: want %s, got %s", friendlyType(m[2]), m[1])
		} else if strings.Contains(msg, "cannot be decoded") || strings.Contains(msg, "cannot decode") {
			msg = "wrong type: " + msg
		}
		msg = strings.TrimPrefix(msg, "toml: ")
		msg = innerLineRe.ReplaceAllString(msg, "")
		if key != "" && !strings.Contains(msg, key) {
			return fmt.Errorf("%s%s: %s", where(name, perr.Position.Line), key, msg)
		}
		return fmt.Errorf("%s%s", where(name, perr.Position.Line), msg)
	}
	msg := strings.ReplaceAll(err.Error(), "\n", " ")
	msg = strings.TrimPrefix(msg, "toml: ")
	if m := lastKeyRe.FindStringSubmatch(msg); m != nil {
		msg = innerLineRe.ReplaceAllString(msg, "")
		line := lineOf(data, strings.Split(m[1], "."))
		if tm := typeMismRe.FindStringSubmatch(msg); tm != nil {
			return fmt.Errorf("%s%s: wrong type: want %s, got %s", where(name, line), m[1], friendlyType(tm[2]), tm[1])
		}
		return fmt.Errorf("%s%s: %s", where(name, line), m[1], msg)
	}
	return fmt.Errorf("%s%s", where(name, 0), msg)
}

func friendlyType(goType string) string {
	switch {
	case strings.HasPrefix(goType, "int"), strings.HasPrefix(goType, "uint"), goType == "config.ByteSize":
		return "an integer"
	case goType == "string":
		return "a string"
	case goType == "bool":
		return "true or false"
	case strings.HasPrefix(goType, "[]"), strings.HasPrefix(goType, "["):
		return "an array"
	case strings.Contains(goType, "Config"):
		return "a table"
	}
	return goType
}

// lineOf finds the line where key is set: `name = ` inside its table
// header, or a dotted `a.b = `. Best effort: 0 when not found.
func lineOf(data []byte, key toml.Key) int {
	if len(key) == 0 {
		return 0
	}
	lines := strings.Split(string(data), "\n")
	table := ""
	for i, raw := range lines {
		line := strings.TrimSpace(raw)
		if strings.HasPrefix(line, "[") {
			t := strings.Trim(line, "[] \t")
			if j := strings.IndexByte(t, ']'); j >= 0 {
				t = t[:j]
			}
			table = strings.ReplaceAll(t, " ", "")
			// The key may be a table itself: [server.requets]
			if table == strings.Join(key, ".") {
				return i + 1
			}
			continue
		}
		eq := strings.IndexByte(line, '=')
		if eq < 0 {
			continue
		}
		name := strings.Trim(strings.ReplaceAll(strings.TrimSpace(line[:eq]), " ", ""), `"'`)
		full := name
		if table != "" {
			full = table + "." + name
		}
		want := strings.Join(key, ".")
		if full == want || strings.HasPrefix(want, full+".") {
			return i + 1
		}
	}
	return 0
}

// resolvePaths makes file paths absolute, relative to dir.
func (c *Config) resolvePaths(dir string) {
	abs := func(p string) string {
		if p == "" || filepath.IsAbs(p) {
			return p
		}
		return filepath.Clean(filepath.Join(dir, p))
	}
	c.Server.DocumentRoot = abs(c.Server.DocumentRoot)
	c.PHP.IniFile = abs(c.PHP.IniFile)
	c.Server.TLS.CertFile = abs(c.Server.TLS.CertFile)
	c.Server.TLS.KeyFile = abs(c.Server.TLS.KeyFile)
	switch c.Server.Logging.Access {
	case "", "stdout", "stderr":
	default:
		c.Server.Logging.Access = abs(c.Server.Logging.Access)
	}
	// worker_script stays relative: it is relative to the document root.
}

// ---- environment overrides ----

// applyEnv applies EPHPM_<SECTION>__<KEY> variables, sections joined by
// "__", matched against the toml tags case-insensitively.
func applyEnv(c *Config, environ []string) error {
	for _, kv := range environ {
		name, value, ok := strings.Cut(kv, "=")
		if !ok || !strings.HasPrefix(strings.ToUpper(name), "EPHPM_") || !strings.Contains(name, "__") {
			continue
		}
		path := strings.Split(strings.ToLower(name[len("EPHPM_"):]), "__")
		field, err := findField(reflect.ValueOf(c).Elem(), path)
		if err != nil {
			return fmt.Errorf("%s: names no configuration key (%s)", name, err)
		}
		if err := setFromString(field, value); err != nil {
			return fmt.Errorf("%s: %v", name, err)
		}
	}
	return nil
}

func findField(v reflect.Value, path []string) (reflect.Value, error) {
	for i, part := range path {
		if v.Kind() != reflect.Struct {
			return reflect.Value{}, fmt.Errorf("%s is not a section", strings.Join(path[:i], "."))
		}
		found := false
		t := v.Type()
		for j := 0; j < t.NumField(); j++ {
			tag := strings.Split(t.Field(j).Tag.Get("toml"), ",")[0]
			if tag != "" && tag != "-" && strings.EqualFold(tag, part) {
				v = v.Field(j)
				found = true
				break
			}
		}
		if !found {
			return reflect.Value{}, fmt.Errorf("no key %s", strings.Join(path[:i+1], "."))
		}
	}
	if v.Kind() == reflect.Struct {
		return reflect.Value{}, fmt.Errorf("%s is a section, not a key", strings.Join(path, "."))
	}
	return v, nil
}

func setFromString(v reflect.Value, s string) error {
	if v.Type() == reflect.TypeOf(ByteSize(0)) {
		n, err := ParseByteSize(s)
		if err != nil {
			return err
		}
		v.SetInt(n)
		return nil
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(s)
	case reflect.Int, reflect.Int64, reflect.Int32:
		n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		if err != nil {
			return fmt.Errorf("%q is not an integer", s)
		}
		v.SetInt(n)
	case reflect.Bool:
		b, err := strconv.ParseBool(strings.TrimSpace(s))
		if err != nil {
			return fmt.Errorf("%q is not true or false", s)
		}
		v.SetBool(b)
	case reflect.Slice:
		t := strings.TrimSpace(s)
		if strings.HasPrefix(t, "[") {
			// A TOML inline array: decode it through a one-key document.
			holder := reflect.New(reflect.StructOf([]reflect.StructField{{
				Name: "V", Type: v.Type(), Tag: `toml:"v"`,
			}}))
			if _, err := toml.Decode("v = "+t, holder.Interface()); err != nil {
				return fmt.Errorf("%q is not a valid TOML array: %v", s, err)
			}
			v.Set(holder.Elem().Field(0))
			return nil
		}
		if v.Type().Elem().Kind() != reflect.String {
			return fmt.Errorf("%q: give a TOML array, e.g. [[\"display_errors\", \"On\"]]", s)
		}
		var items []string
		for _, it := range strings.Split(t, ",") {
			if it = strings.TrimSpace(it); it != "" {
				items = append(items, it)
			}
		}
		v.Set(reflect.ValueOf(items))
	default:
		return fmt.Errorf("cannot be set from the environment")
	}
	return nil
}

// ---- sizes ----

var sizeRe = regexp.MustCompile(`^\s*(\d+)\s*([kmgt]?)(i?b)?\s*$`)

// ParseByteSize reads "0", "1024", "512k", "512KB", "512KiB", "256MB",
// "1G", "1GiB"... Units are powers of 1024, case-insensitive.
func ParseByteSize(s string) (int64, error) {
	m := sizeRe.FindStringSubmatch(strings.ToLower(s))
	if m == nil {
		return 0, fmt.Errorf("%q is not a size (e.g. 1048576, \"512KB\", \"256MB\", \"1GB\")", s)
	}
	n, err := strconv.ParseInt(m[1], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%q is too large", s)
	}
	shift := map[string]uint{"": 0, "k": 10, "m": 20, "g": 30, "t": 40}[m[2]]
	if shift > 0 && n > (1<<62)>>shift {
		return 0, fmt.Errorf("%q is too large", s)
	}
	return n << shift, nil
}

// UnmarshalTOML accepts an integer or a size string.
func (b *ByteSize) UnmarshalTOML(v any) error {
	switch x := v.(type) {
	case int64:
		if x < 0 {
			return fmt.Errorf("size %d is negative", x)
		}
		*b = ByteSize(x)
	case string:
		n, err := ParseByteSize(x)
		if err != nil {
			return err
		}
		*b = ByteSize(n)
	default:
		return fmt.Errorf("wrong type: want an integer or a size string like \"256MB\", got %T", v)
	}
	return nil
}

// MarshalTOML renders the size as a plain integer of bytes.
func (b ByteSize) MarshalTOML() ([]byte, error) {
	return []byte(strconv.FormatInt(int64(b), 10)), nil
}

// ---- validation ----

var phpSizeRe = regexp.MustCompile(`^(-1|\d+[kKmMgG]?)$`)

// Validate checks every key; the first problem is returned as one line
// naming the key.
func (c *Config) Validate() error {
	s := c.Server
	if err := validListen(s.Listen); err != nil {
		return fmt.Errorf("server.listen: %q is not a valid listen address (want host:port, e.g. 127.0.0.1:8080): %v", s.Listen, err)
	}
	fi, err := os.Stat(s.DocumentRoot)
	switch {
	case err != nil && errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("server.document_root: %q does not exist", s.DocumentRoot)
	case err != nil:
		return fmt.Errorf("server.document_root: %v", err)
	case !fi.IsDir():
		return fmt.Errorf("server.document_root: %q is not a directory", s.DocumentRoot)
	}
	if len(s.IndexFiles) == 0 {
		return errors.New("server.index_files: must name at least one file")
	}
	for _, f := range s.IndexFiles {
		if f == "" || strings.ContainsAny(f, "/\\") {
			return fmt.Errorf("server.index_files: %q must be a plain file name", f)
		}
	}
	if s.Request.MaxBodySize < 1 {
		return fmt.Errorf("server.request.max_body_size: %d must be at least 1", s.Request.MaxBodySize)
	}
	if s.Request.MaxHeaderSize < 1024 {
		return fmt.Errorf("server.request.max_header_size: %d must be at least 1024", s.Request.MaxHeaderSize)
	}
	for name, v := range map[string]int{"header_read": s.Timeouts.HeaderRead, "idle": s.Timeouts.Idle, "request": s.Timeouts.Request} {
		if v < 0 {
			return fmt.Errorf("server.timeouts.%s: %d must be 0 (off) or more seconds", name, v)
		}
	}
	if err := oneOf("server.static.hidden_files", s.Static.HiddenFiles, "deny", "ignore", "allow"); err != nil {
		return err
	}
	if err := oneOf("server.logging.level", s.Logging.Level, "debug", "info", "warn", "error"); err != nil {
		return err
	}
	if (s.TLS.CertFile == "") != (s.TLS.KeyFile == "") {
		return errors.New("server.tls: set both cert_file and key_file, or neither")
	}
	for key, f := range map[string]string{"server.tls.cert_file": s.TLS.CertFile, "server.tls.key_file": s.TLS.KeyFile, "php.ini_file": c.PHP.IniFile} {
		if f == "" {
			continue
		}
		if _, err := os.Stat(f); err != nil {
			return fmt.Errorf("%s: %q does not exist", key, f)
		}
	}
	p := c.PHP
	if p.Workers < 0 {
		return fmt.Errorf("php.workers: %d must be 0 (one per CPU) or more", p.Workers)
	}
	if p.QueueSize < 1 {
		return fmt.Errorf("php.queue_size: %d must be at least 1", p.QueueSize)
	}
	if p.MaxExecutionTime < 0 {
		return fmt.Errorf("php.max_execution_time: %d must be 0 (unlimited) or more seconds", p.MaxExecutionTime)
	}
	if !phpSizeRe.MatchString(p.MemoryLimit) {
		return fmt.Errorf("php.memory_limit: %q is not a PHP size (e.g. \"128M\", \"1G\", \"-1\")", p.MemoryLimit)
	}
	for i, kv := range p.IniOverrides {
		if kv[0] == "" || strings.ContainsAny(kv[0], "=\n\r") {
			return fmt.Errorf("php.ini_overrides[%d]: %q is not a php.ini setting name", i, kv[0])
		}
		if strings.ContainsAny(kv[1], "\n\r") {
			return fmt.Errorf("php.ini_overrides[%d]: the value of %s has a line break", i, kv[0])
		}
		if kv[0] == "max_input_time" {
			return fmt.Errorf("php.ini_overrides[%d]: max_input_time cannot be set (ephpm enforces time limits itself; it stays -1)", i)
		}
	}
	if err := oneOf("php.mode", p.Mode, "request", "worker"); err != nil {
		return err
	}
	if p.Mode == "worker" {
		if p.WorkerScript == "" {
			return errors.New(`php.worker_script: required when php.mode = "worker"`)
		}
		ws := p.WorkerScript
		if !filepath.IsAbs(ws) {
			ws = filepath.Join(s.DocumentRoot, ws)
		}
		if fi, err := os.Stat(ws); err != nil || fi.IsDir() {
			return fmt.Errorf("php.worker_script: %q does not exist", ws)
		}
	}
	if p.WorkerCount < 0 {
		return fmt.Errorf("php.worker_count: %d must be 0 (= workers) or more", p.WorkerCount)
	}
	if p.WorkerMaxRequests < 0 {
		return fmt.Errorf("php.worker_max_requests: %d must be 0 (never recycle) or more", p.WorkerMaxRequests)
	}
	if c.KV.MemoryLimit < 0 {
		return fmt.Errorf("kv.memory_limit: %d must be 0 (no limit) or more bytes", c.KV.MemoryLimit)
	}
	return oneOf("kv.eviction_policy", c.KV.EvictionPolicy, "allkeys-lru", "volatile-lru", "allkeys-random", "noeviction")
}

func oneOf(key, v string, allowed ...string) error {
	for _, a := range allowed {
		if v == a {
			return nil
		}
	}
	return fmt.Errorf("%s: %q is not one of %s", key, v, strings.Join(allowed, ", "))
}

func validListen(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return errors.New("missing port")
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("port %q is not 0-65535", port)
	}
	if strings.ContainsAny(host, " /") {
		return fmt.Errorf("bad host %q", host)
	}
	return nil
}

// TOML renders the effective configuration with every key.
func (c *Config) TOML() string {
	var b bytes.Buffer
	enc := toml.NewEncoder(&b)
	enc.Indent = ""
	if err := enc.Encode(c); err != nil {
		return "# cannot render: " + err.Error() + "\n"
	}
	return b.String()
}
