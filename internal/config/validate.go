package config

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Validate checks every key and returns the first problem as an *Error:
// one line naming the key and, for a value from the file or the
// environment, the line or the variable. It also makes a relative
// server.document_root absolute (against the working directory) and
// cleans it, keeping symlinks.
func (c *Config) Validate() error {
	c.Warnings, c.MissingDefaultRoot = nil, false
	if e := c.validate(); e != nil {
		return c.locate(e)
	}
	return nil
}

var (
	phpSizeRe  = lazyRegexp(`^(-1|\d+[kKmMgG]?)$`)
	hostnameRe = lazyRegexp(`^[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?(\.[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?)*\.?$`)
	digitsRe   = lazyRegexp(`^[0-9]{1,5}$`)
)

func (c *Config) validate() *Error {
	s := &c.Server
	if msg := checkListen(s.Listen); msg != "" {
		return keyErr("server.listen", "%s", msg)
	}
	if m := s.Metrics.Listen; m != "" {
		if msg := checkListen(m); msg != "" {
			return keyErr("server.metrics.listen", "%s", msg)
		}
		if m == s.Listen && !strings.HasSuffix(m, ":0") {
			return keyErr("server.metrics.listen", "is the same address as server.listen (%s); the metrics need a port of their own", m)
		}
	}
	if s.DocumentRoot == "" {
		return keyErr("server.document_root", "must be set")
	}
	if abs, err := filepath.Abs(s.DocumentRoot); err == nil {
		s.DocumentRoot = abs
	}
	if e := checkPath("server.document_root", s.DocumentRoot, true); e != nil {
		// SPEC 3: every key has a default, so a file with only [server]
		// works. A default ./public that does not exist (yet) is then no
		// mistake in the file: the server starts and answers 404, as nginx
		// does for a missing root, and says so. A root the user named
		// that does not exist stays an error naming its line.
		if _, err := os.Stat(s.DocumentRoot); !errors.Is(err, fs.ErrNotExist) || !c.isDefault("server.document_root") {
			return e
		}
		c.Warnings = append(c.Warnings, fmt.Sprintf("server.document_root: %q (the default) does not exist: every request gets 404 until it is created", s.DocumentRoot))
		c.MissingDefaultRoot = true
	}
	if len(s.IndexFiles) == 0 {
		return keyErr("server.index_files", "must list at least one file name, e.g. [\"index.php\"]")
	}
	for i, f := range s.IndexFiles {
		if f == "" || f == "." || f == ".." || strings.ContainsAny(f, "/\\\x00") {
			return keyErr(fmt.Sprintf("server.index_files[%d]", i), "%s is not a file name (no '/' allowed)", quoteShort(f))
		}
	}
	if a := s.AdminSocket; a != "" && a != "off" {
		if strings.ContainsRune(a, 0) {
			return keyErr("server.admin_socket", "must not contain a NUL byte")
		}
		if len(a) > 107 {
			return keyErr("server.admin_socket", "%s is longer than a unix socket path may be (107 bytes)", quoteShort(a))
		}
		if e := checkPath("server.admin_socket", filepath.Dir(a), true); e != nil {
			e.Msg = "the directory of the socket: " + e.Msg
			return e
		}
	}
	if s.Request.MaxBodySize < 1 {
		return keyErr("server.request.max_body_size", "must be at least 1 (bytes), got %d", s.Request.MaxBodySize)
	}
	if s.Request.MaxHeaderSize < 1024 {
		return keyErr("server.request.max_header_size", "must be at least 1024 (bytes), got %d", s.Request.MaxHeaderSize)
	}
	for _, t := range []struct {
		key string
		v   int
	}{
		{"server.timeouts.header_read", s.Timeouts.HeaderRead},
		{"server.timeouts.idle", s.Timeouts.Idle},
		{"server.timeouts.request", s.Timeouts.Request},
	} {
		if t.v < 0 {
			return keyErr(t.key, "must be 0 (no limit) or more seconds, got %d", t.v)
		}
	}
	if e := oneOf("server.thread_policy", s.ThreadPolicy, "batch", "normal"); e != nil {
		return e
	}
	if e := oneOf("server.static.hidden_files", s.Static.HiddenFiles, "deny", "ignore", "allow"); e != nil {
		return e
	}
	if strings.ContainsAny(s.Static.CacheControl, "\r\n\x00") {
		return keyErr("server.static.cache_control", "must not contain a line break")
	}
	if e := s.Response.validate(); e != nil {
		return e
	}
	if e := oneOf("server.logging.level", s.Logging.Level, "debug", "info", "warn", "error"); e != nil {
		return e
	}
	if e := oneOf("server.logging.format", s.Logging.Format, "text", "json"); e != nil {
		return e
	}
	switch {
	case s.TLS.CertFile != "" && s.TLS.KeyFile == "":
		return keyErr("server.tls.cert_file", "is set but server.tls.key_file is not (set both for HTTPS, or neither)")
	case s.TLS.CertFile == "" && s.TLS.KeyFile != "":
		return keyErr("server.tls.key_file", "is set but server.tls.cert_file is not (set both for HTTPS, or neither)")
	}
	if e := s.TLS.validateACME(); e != nil {
		return e
	}
	if s.TLS.CertFile != "" {
		if e := checkPath("server.tls.cert_file", s.TLS.CertFile, false); e != nil {
			return e
		}
		if e := checkPath("server.tls.key_file", s.TLS.KeyFile, false); e != nil {
			return e
		}
	}

	if e := s.validateFront(); e != nil {
		return e
	}
	if e := s.Sendfile.validate(); e != nil {
		return e
	}

	p := &c.PHP
	if p.Workers < 0 {
		return keyErr("php.workers", "must be 0 (one per CPU) or more, got %d", p.Workers)
	}
	if p.QueueSize < 1 {
		return keyErr("php.queue_size", "must be at least 1, got %d", p.QueueSize)
	}
	if p.MaxExecutionTime < 0 {
		return keyErr("php.max_execution_time", "must be 0 (no limit) or more seconds, got %d", p.MaxExecutionTime)
	}
	if !phpSizeRe().MatchString(p.MemoryLimit) {
		return keyErr("php.memory_limit", "%s is not a PHP size (want digits with an optional K, M or G, e.g. \"128M\", or \"-1\" for no limit)", quoteShort(p.MemoryLimit))
	}
	if p.IniFile != "" {
		if e := checkPath("php.ini_file", p.IniFile, false); e != nil {
			return e
		}
	}
	for i, kv := range p.IniOverrides {
		key := fmt.Sprintf("php.ini_overrides[%d]", i)
		switch {
		case kv[0] == "":
			return keyErr(key, "the setting name is empty")
		case strings.ContainsAny(kv[0], "=\r\n\x00"):
			return keyErr(key, "setting name %s must not contain '=' or a line break", quoteShort(kv[0]))
		case strings.ContainsAny(kv[1], "\r\n\x00"):
			return keyErr(key, "the value of %s must not contain a line break", kv[0])
		case kv[0] == "max_input_time":
			return keyErr(key, "max_input_time cannot be set (ephpm enforces time limits itself; it stays -1)")
		}
	}
	if e := oneOf("php.mode", p.Mode, "request", "worker"); e != nil {
		return e
	}
	if p.Mode == "worker" {
		if p.WorkerScript == "" {
			return keyErr("php.worker_script", `required when php.mode = "worker"`)
		}
		ws := p.WorkerScript
		if !filepath.IsAbs(ws) {
			ws = filepath.Join(s.DocumentRoot, ws)
		}
		if e := checkPath("php.worker_script", ws, false); e != nil {
			if ws != p.WorkerScript {
				e.Msg = strings.Replace(e.Msg, strconv.Quote(ws), fmt.Sprintf("%q (%s)", p.WorkerScript, ws), 1)
			}
			return e
		}
	}
	if p.WorkerCount < 0 {
		return keyErr("php.worker_count", "must be 0 (= php.workers) or more, got %d", p.WorkerCount)
	}
	if p.WorkerMaxRequests < 0 {
		return keyErr("php.worker_max_requests", "must be 0 (never recycle) or more, got %d", p.WorkerMaxRequests)
	}
	if p.WorkerMaxRequestsJitter < -1 {
		return keyErr("php.worker_max_requests_jitter", "must be -1 (automatic: a tenth of php.worker_max_requests), 0 (none) or more, got %d", p.WorkerMaxRequestsJitter)
	}
	if p.WorkerMaxRequests > 0 && p.WorkerMaxRequestsJitter >= p.WorkerMaxRequests {
		return keyErr("php.worker_max_requests_jitter", "must be below php.worker_max_requests (%d), got %d", p.WorkerMaxRequests, p.WorkerMaxRequestsJitter)
	}
	if p.WorkerMaxMemory < 0 {
		return keyErr("php.worker_max_memory", "must be 0 (off) or more bytes, got %d", p.WorkerMaxMemory)
	}

	if c.KV.MemoryLimit < 0 {
		return keyErr("kv.memory_limit", "must be 0 (no limit) or more bytes, got %d", c.KV.MemoryLimit)
	}
	if e := oneOf("kv.eviction_policy", c.KV.EvictionPolicy, "allkeys-lru", "volatile-lru", "allkeys-random", "noeviction"); e != nil {
		return e
	}
	if e := oneOf("kv.backend", c.KV.Backend, "memory", "redis"); e != nil {
		return e
	}
	if e := c.KV.Redis.validate(); e != nil {
		return e
	}
	return c.KV.RESP.validate(s.Listen, s.Metrics.Listen)
}

// validate checks [kv.redis] whichever backend is chosen, so a typo is
// found before the day someone switches to it.
func (r *KVRedisConfig) validate() *Error {
	if len(r.Addresses) == 0 {
		return keyErr("kv.redis.addresses", "must name at least one Redis host:port")
	}
	seen := map[string]bool{}
	for _, a := range r.Addresses {
		host, port, err := net.SplitHostPort(a)
		if err != nil || host == "" || port == "" {
			return keyErr("kv.redis.addresses", "%s is not a Redis address (want host:port, e.g. \"127.0.0.1:6379\")", quoteShort(a))
		}
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return keyErr("kv.redis.addresses", "%s has no valid port (1-65535)", quoteShort(a))
		}
		if seen[a] {
			return keyErr("kv.redis.addresses", "%s is listed twice", quoteShort(a))
		}
		seen[a] = true
	}
	if r.DB < 0 {
		return keyErr("kv.redis.db", "must be 0 or more, got %d", r.DB)
	}
	if r.DB != 0 && r.Cluster() {
		return keyErr("kv.redis.db", "a Redis Cluster has only database 0 (several addresses mean a cluster), got %d", r.DB)
	}
	for _, f := range []struct{ key, v string }{{"kv.redis.username", r.Username}, {"kv.redis.password", r.Password}} {
		if strings.ContainsAny(f.v, "\r\n\x00") {
			return keyErr(f.key, "must not contain a line break or NUL byte")
		}
	}
	if r.Username != "" && r.Password == "" {
		return keyErr("kv.redis.username", "needs kv.redis.password (Redis ACL users authenticate with both)")
	}
	if r.ClientCache != 0 && r.ClientCache < 1<<20 {
		return keyErr("kv.redis.client_cache", "must be 0 (off) or at least 1MB, got %s", r.ClientCache)
	}
	if r.CommandTimeout.D() < time.Millisecond {
		return keyErr("kv.redis.command_timeout", "must be at least 1ms, got %s", r.CommandTimeout)
	}
	return nil
}

var socketModeRe = lazyRegexp(`^0?[0-7]{3}$`)

func (r *RESPConfig) validate(listen, metrics string) *Error {
	if r.Listen != "" {
		if msg := checkListen(r.Listen); msg != "" {
			return keyErr("kv.resp.listen", "%s", msg)
		}
		if (r.Listen == listen || r.Listen == metrics) && !strings.HasSuffix(r.Listen, ":0") {
			return keyErr("kv.resp.listen", "%s is already used by the HTTP or metrics listener", r.Listen)
		}
		if r.Password == "" && !isLoopback(r.Listen) {
			return keyErr("kv.resp.listen", "%s is reachable from other machines: set kv.resp.password, or listen on 127.0.0.1", r.Listen)
		}
	}
	if r.Socket != "" {
		if strings.ContainsRune(r.Socket, 0) {
			return keyErr("kv.resp.socket", "must not contain a NUL byte")
		}
		if len(r.Socket) > 107 {
			return keyErr("kv.resp.socket", "%s is longer than a unix socket path may be (107 bytes)", quoteShort(r.Socket))
		}
		if e := checkPath("kv.resp.socket", filepath.Dir(r.Socket), true); e != nil {
			e.Msg = "the directory of the socket: " + e.Msg
			return e
		}
	}
	if !socketModeRe().MatchString(r.SocketMode) {
		return keyErr("kv.resp.socket_mode", "%s is not an octal file mode (e.g. \"0660\")", quoteShort(r.SocketMode))
	}
	if strings.ContainsAny(r.Password, "\r\n\x00") {
		return keyErr("kv.resp.password", "must not contain a line break or NUL byte")
	}
	if r.MaxClients < 1 {
		return keyErr("kv.resp.max_clients", "must be at least 1, got %d", r.MaxClients)
	}
	if r.IdleTimeout < 0 {
		return keyErr("kv.resp.idle_timeout", "must be 0 (no limit) or more seconds, got %d", r.IdleTimeout)
	}
	if r.MaxBulkLen < 1 {
		return keyErr("kv.resp.max_bulk_len", "must be at least 1 byte, got %d", r.MaxBulkLen)
	}
	return nil
}

// isLoopback reports whether a valid listen address is reachable from this
// machine only: localhost or a loopback IP. An empty host is every interface.
func isLoopback(addr string) bool {
	host, _, _ := net.SplitHostPort(addr)
	if strings.EqualFold(strings.TrimSuffix(host, "."), "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func oneOf(key, v string, allowed ...string) *Error {
	for _, a := range allowed {
		if v == a {
			return nil
		}
	}
	return keyErr(key, "%s is not one of %s", quoteShort(v), strings.Join(allowed, ", "))
}

// checkPath checks that path exists and is a directory (dir) or not.
func checkPath(key, path string, dir bool) *Error {
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return keyErr(key, "%q does not exist", path)
	case err != nil:
		var perr *fs.PathError
		if errors.As(err, &perr) {
			err = perr.Err
		}
		return keyErr(key, "%q: %v", path, err)
	case dir && !fi.IsDir():
		return keyErr(key, "%q is not a directory", path)
	case !dir && fi.IsDir():
		return keyErr(key, "%q is a directory, not a file", path)
	}
	return nil
}

// checkListen returns what is wrong with a listen address, "" if nothing.
// host:port, the host empty (all interfaces), an IP ([::1] for IPv6) or a
// host name; the port a number 0-65535.
func checkListen(addr string) string {
	bad := fmt.Sprintf("%s is not a valid listen address (want host:port, e.g. 127.0.0.1:8080)", quoteShort(addr))
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return bad
	}
	if n, err := strconv.Atoi(port); err != nil || !digitsRe().MatchString(port) || n > 65535 {
		return fmt.Sprintf("%s is not a valid listen address: the port must be a number 0-65535, got %s", quoteShort(addr), quoteShort(port))
	}
	if host == "" {
		return ""
	}
	ip, _, _ := strings.Cut(host, "%") // IPv6 zone: fe80::1%eth0
	if net.ParseIP(ip) != nil || hostnameRe().MatchString(host) && len(host) <= 253 {
		return ""
	}
	return fmt.Sprintf("%s is not a valid listen address: %s is not an IP address or host name", quoteShort(addr), quoteShort(host))
}

// validate checks [server.response].
func (r *ResponseConfig) validate() *Error {
	if r.CompressionLevel < 0 || r.CompressionLevel > 9 {
		return keyErr("server.response.compression_level", "must be 0 (each codec's fast default) or 1-9, got %d", r.CompressionLevel)
	}
	if r.CompressionMinSize < 0 {
		return keyErr("server.response.compression_min_size", "must be 0 or more bytes, got %d", r.CompressionMinSize)
	}
	for i, h := range r.Headers {
		key := fmt.Sprintf("server.response.headers[%d]", i)
		name := h[0]
		switch {
		case name == "":
			return keyErr(key, "the header name is empty")
		case !headerTokenRe().MatchString(name):
			return keyErr(key, "%s is not a valid header name (letters, digits and !#$%%&'*+-.^_`|~ only)", quoteShort(name))
		case reservedResponseHeaders[strings.ToLower(name)]:
			return keyErr(key, "%s is set by the server itself and cannot be configured", name)
		case strings.ContainsAny(h[1], "\r\n\x00"):
			return keyErr(key, "the value of %s must not contain a line break or NUL byte", name)
		}
	}
	return nil
}

// headerTokenRe is RFC 9110's token, the syntax of a field name.
var headerTokenRe = lazyRegexp("^[!#$%&'*+\\-.^_`|~0-9A-Za-z]+$")

// reservedResponseHeaders frame the message or describe its encoding; a
// configured value would contradict what the server sends.
var reservedResponseHeaders = map[string]bool{
	"content-length": true, "transfer-encoding": true, "content-encoding": true,
	"connection": true, "keep-alive": true, "upgrade": true, "trailer": true,
	"te": true, "content-range": true,
}
