package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
)

// Default returns the configuration with every key at its default, as
// listed in ephpm.toml.example. document_root is "./public", relative to
// the config file's directory once loaded.
func Default() *Config {
	c := &Config{}
	c.Server.Listen = "127.0.0.1:8080"
	c.Server.DocumentRoot = "./public"
	c.Server.IndexFiles = []string{"index.php", "index.html"}
	c.Server.ThreadPolicy = "batch"
	c.Server.Request.MaxBodySize = 10485760
	c.Server.Request.MaxHeaderSize = 8192
	c.Server.Timeouts.HeaderRead = 30
	c.Server.Timeouts.Idle = 60
	c.Server.Timeouts.Request = 300
	c.Server.Static.HiddenFiles = "deny"
	c.Server.Static.ETag = true
	c.Server.Response.Compression = true
	c.Server.Response.CompressionMinSize = 1024
	c.Server.Response.Headers = [][2]string{}     // not nil: equal to the example's "headers = []"
	c.Server.Security.TrustedProxies = []string{} // not nil, as headers above
	c.Server.Sendfile.Roots = []string{}
	c.Server.TLS.Domains = []string{} // not nil, as headers above
	c.Server.TLS.CacheDir = "certs"
	c.Server.Logging.Level = "info"
	c.Server.Logging.Format = "text"
	c.PHP.QueueSize = 256
	c.PHP.MaxExecutionTime = 30
	c.PHP.MemoryLimit = "128M"
	c.PHP.IniOverrides = [][2]string{{"display_errors", "Off"}, {"error_reporting", "E_ALL"}}
	c.PHP.Mode = "request"
	c.PHP.WorkerMaxRequests = 10000
	c.PHP.WorkerMaxRequestsJitter = -1 // automatic: max/10
	c.KV.MemoryLimit = 256 << 20
	c.KV.Backend = "memory"
	c.KV.EvictionPolicy = "allkeys-lru"
	c.KV.Redis.Addresses = []string{"127.0.0.1:6379"}
	c.KV.Redis.KeyPrefix = "ephpm:"
	c.KV.Redis.ClientCache = 64 << 20
	c.KV.Redis.CommandTimeout = Duration(time.Second)
	c.KV.RESP.SocketMode = "0660"
	c.KV.RESP.MaxClients = 10000
	c.KV.RESP.IdleTimeout = 300
	c.KV.RESP.MaxBulkLen = 512 << 20
	return c
}

// Load reads the TOML file at path over the defaults, applies EPHPM_*
// environment overrides (see FromEnv), resolves relative paths against
// the file's directory and validates. Every error is an *Error, one line
// naming the file, the line and the key.
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

// Parse is Load without Validate, for a caller that applies its own
// overrides (command-line flags) and then calls Validate.
func Parse(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, &Error{Msg: fmt.Sprintf("config file %s does not exist", path)}
		}
		var perr *fs.PathError
		if errors.As(err, &perr) {
			err = perr.Err
		}
		return nil, &Error{Msg: fmt.Sprintf("config file %s: %v", path, err)}
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, &Error{Msg: fmt.Sprintf("config file %s: %v", path, err)}
	}
	c, err := parse(data, filepath.Dir(abs), path, os.Environ())
	if err != nil {
		return nil, err
	}
	c.File = abs
	return c, nil
}

// LoadBytes is Load for TOML already in memory; dir is the base for
// relative paths. Errors name the file "ephpm.toml".
func LoadBytes(data []byte, dir string) (*Config, error) {
	return loadBytesEnv(data, dir, os.Environ())
}

// loadBytesEnv is LoadBytes with the environment given ("NAME=value").
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

// FromEnv is the defaults plus environment overrides, for running without
// a file; relative paths are resolved against dir. It does not validate:
// call Validate after any further overrides.
//
// Any key can be set by EPHPM_<SECTION>__<KEY>, the path of the key with
// "__" between its parts, case-insensitive: EPHPM_SERVER__LISTEN,
// EPHPM_SERVER__REQUEST__MAX_BODY_SIZE, EPHPM_KV__MEMORY_LIMIT=64MB.
// Integers, booleans (true/false/1/0) and strings are read as such; an
// array is a TOML inline array (["index.php"], [["display_errors", "On"]]),
// and server.index_files also takes a comma-separated list. A variable with
// "__" that names no key is an error; EPHPM_ variables without "__" are not
// configuration and are ignored.
func FromEnv(dir string) (*Config, error) {
	return parse(nil, dir, "", os.Environ())
}

// source remembers where the values of a loaded Config came from.
type source struct {
	file   string            // name in messages; "" without a file
	data   []byte            // the file's text
	inFile map[string]bool   // dotted keys set in the file
	env    map[string]string // dotted key -> EPHPM_ variable that set it
	loaded map[string]any    // dotted key -> value once loaded
}

func parse(data []byte, dir, name string, environ []string) (*Config, error) {
	c := Default()
	src := &source{file: name, data: data, inFile: map[string]bool{}, env: map[string]string{}}
	if err := decodeFile(c, src); err != nil {
		return nil, err
	}
	if err := applyEnv(c, environ, src); err != nil {
		return nil, err
	}
	c.resolvePaths(dir)
	src.loaded = map[string]any{}
	walkKeys(reflect.ValueOf(c).Elem(), "", func(key string, f reflect.Value) {
		src.loaded[key] = snapshot(f)
	})
	c.src = src
	return c, nil
}

// snapshot copies a field's value so that later changes to a slice's
// elements are seen as changes.
func snapshot(f reflect.Value) any {
	if f.Kind() == reflect.Slice && !f.IsNil() {
		cp := reflect.MakeSlice(f.Type(), f.Len(), f.Len())
		reflect.Copy(cp, f)
		return cp.Interface()
	}
	return f.Interface()
}

// decodeFile decodes src.data over c.
func decodeFile(c *Config, src *source) error {
	data := src.data
	// First the syntax alone, which also gives the raw values.
	var raw map[string]any
	if _, err := toml.NewDecoder(strings.NewReader(string(data))).Decode(&raw); err != nil {
		return syntaxError(src.file, err)
	}
	md, err := toml.NewDecoder(strings.NewReader(string(data))).Decode(c)
	if err != nil {
		return decodeError(src.file, data, raw, err)
	}
	// Unknown keys: those the decoder did not use, and those it matched to
	// a field only case-insensitively (TOML keys are case-sensitive).
	known := knownKeys()
	undecoded := map[string]bool{}
	for _, k := range md.Undecoded() {
		undecoded[k.String()] = true
	}
	var unknown []toml.Key
	for _, k := range md.Keys() {
		if _, ok := known[strings.Join(k, ".")]; !ok || undecoded[k.String()] {
			unknown = append(unknown, k)
		}
	}
	if k := deepest(unknown); k != nil {
		return &Error{File: src.file, Line: keyLine(data, k), Msg: "unknown key " + withSuggestion(k)}
	}
	for _, k := range md.Keys() {
		src.inFile[strings.Join(k, ".")] = true
	}
	return nil
}

// deepest picks the first unknown key that has no unknown key below it,
// so that [server.requets] with max_body_size under it is reported as
// server.requets.max_body_size, at the line of max_body_size.
func deepest(keys []toml.Key) toml.Key {
	parents := map[string]bool{}
	for _, k := range keys {
		for i := 1; i < len(k); i++ {
			parents[k[:i].String()] = true
		}
	}
	for _, k := range keys {
		if !parents[k.String()] {
			return k
		}
	}
	return nil
}

var duplicateRe = lazyRegexp(`^Key '(.*)' has already been defined\.?$`)

// syntaxError shapes an error of the TOML parser: "FILE:LINE: problem".
func syntaxError(file string, err error) error {
	var perr toml.ParseError
	if !errors.As(err, &perr) {
		return &Error{File: file, Msg: strings.TrimPrefix(err.Error(), "toml: ")}
	}
	msg := strings.TrimSuffix(perr.Message, ".")
	if m := duplicateRe().FindStringSubmatch(perr.Message); m != nil {
		return &Error{File: file, Line: perr.Position.Line, Key: m[1], Msg: "set more than once"}
	}
	return &Error{File: file, Line: perr.Position.Line, Msg: "syntax error: " + msg}
}

var decodeMsgRe = lazyRegexp(`^toml: (?:line (\d+) )?\(last key (".*")\): (.*)$`)

// decodeError shapes an error from decoding into Config (the syntax is
// fine): "FILE:LINE: KEY: wrong type: want an integer, got string "10M"".
func decodeError(file string, data []byte, raw map[string]any, err error) error {
	var (
		key  string
		line int
		msg  = err.Error()
		ours bool // the message is ours (from an UnmarshalTOML) or the range check's
	)
	var perr toml.ParseError
	if errors.As(err, &perr) {
		key, line, msg, ours = perr.LastKey, perr.Position.Line, perr.Message, true
	} else if m := decodeMsgRe().FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
		if k, err := strconv.Unquote(m[2]); err == nil {
			key = k
		}
		msg = m[3]
	}
	if key == "" {
		return &Error{File: file, Line: line, Msg: strings.TrimPrefix(msg, "toml: ")}
	}
	path := strings.Split(key, ".")
	if line == 0 {
		line = keyLine(data, path)
	}
	e := &Error{File: file, Line: line, Key: key, Msg: msg}
	if ours {
		return e
	}
	want := typeAt(key)
	value, found := rawAt(raw, path)
	if want == nil || !found {
		return e
	}
	e.Msg = "wrong type: want " + describeWant(want) + ", got " + describeGot(value)
	// Arrays: name the entry that is wrong.
	if arr, ok := value.([]any); ok && (want.Kind() == reflect.Slice || want.Kind() == reflect.Array) {
		for i, el := range arr {
			if msg := badElement(want.Elem(), el); msg != "" {
				e.Key, e.Msg = fmt.Sprintf("%s[%d]", key, i), msg
				break
			}
		}
	}
	return e
}

// badElement says what is wrong with el as an element of Go type t ("" if
// nothing).
func badElement(t reflect.Type, el any) string {
	switch t.Kind() {
	case reflect.String:
		if _, ok := el.(string); !ok {
			return "wrong type: want a string, got " + describeGot(el)
		}
	case reflect.Array:
		arr, ok := el.([]any)
		good := ok && len(arr) == t.Len()
		for _, x := range arr {
			if _, ok := x.(string); !ok {
				good = false
			}
		}
		if !good && t.Elem().Kind() == reflect.String && t.Len() == 2 {
			return `want ["name", "value"] (two strings), got ` + describeGot(el)
		}
		if !good {
			return "wrong type: want " + describeWant(t) + ", got " + describeGot(el)
		}
	}
	return ""
}

// rawAt finds the decoded value at path.
func rawAt(raw map[string]any, path []string) (any, bool) {
	var cur any = raw
	for _, p := range path {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[p]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// resolvePaths makes file paths absolute and clean, relative ones against
// dir. worker_script stays as given: relative, it is under document_root.
func (c *Config) resolvePaths(dir string) {
	abs := func(p string) string {
		if p == "" {
			return p
		}
		if !filepath.IsAbs(p) {
			p = filepath.Join(dir, p)
		}
		if a, err := filepath.Abs(p); err == nil {
			return a
		}
		return filepath.Clean(p)
	}
	c.Server.DocumentRoot = abs(c.Server.DocumentRoot)
	c.PHP.IniFile = abs(c.PHP.IniFile)
	c.Server.TLS.CertFile = abs(c.Server.TLS.CertFile)
	c.Server.TLS.KeyFile = abs(c.Server.TLS.KeyFile)
	c.Server.TLS.CacheDir = abs(c.Server.TLS.CacheDir)
	c.Server.TLS.ACMECARoot = abs(c.Server.TLS.ACMECARoot)
	c.KV.RESP.Socket = abs(c.KV.RESP.Socket)
	if c.Server.AdminSocket != "off" {
		c.Server.AdminSocket = abs(c.Server.AdminSocket)
	}
	for i, r := range c.Server.Sendfile.Roots {
		c.Server.Sendfile.Roots[i] = abs(r)
	}
	switch c.Server.Logging.Access {
	case "", "stdout", "stderr":
	default:
		c.Server.Logging.Access = abs(c.Server.Logging.Access)
	}
}

// locate adds to a problem with a key where its value came from: the line
// of the file or the environment variable. A value changed since loading
// (by a command-line flag) is not attributed to either.
// isDefault reports whether the value of key (dotted, no index) was set
// by nobody: not in the file, not by an EPHPM_ variable, and not changed
// since loading (a command-line flag). A Config built by hand has no
// record, so nothing in it counts as a default.
func (c *Config) isDefault(key string) bool {
	if c.src == nil || c.src.inFile[key] || c.src.env[key] != "" {
		return false
	}
	f, _, err := fieldAt(reflect.ValueOf(c).Elem(), strings.Split(key, "."), false)
	if err != nil || !f.IsValid() {
		return false
	}
	loaded, ok := c.src.loaded[key]
	return ok && reflect.DeepEqual(snapshot(f), loaded)
}

func (c *Config) locate(e *Error) *Error {
	if c.src == nil || e.Key == "" {
		return e
	}
	base, _, _ := strings.Cut(e.Key, "[")
	f, _, err := fieldAt(reflect.ValueOf(c).Elem(), strings.Split(base, "."), false)
	if err != nil || !f.IsValid() {
		return e
	}
	if loaded, ok := c.src.loaded[base]; !ok || !reflect.DeepEqual(snapshot(f), loaded) {
		return e
	}
	switch {
	case c.src.env[base] != "":
		e.Env = c.src.env[base]
	case c.src.inFile[base] && c.src.file != "":
		e.File, e.Line = c.src.file, keyLine(c.src.data, strings.Split(base, "."))
	}
	return e
}
