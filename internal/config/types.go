// Package config loads ephpm.toml into typed structs with defaults,
// environment overrides (EPHPM_SECTION__KEY) and validation.
package config

import "strconv"

// Config is the whole effective configuration of one ephpm process.
type Config struct {
	Server ServerConfig `toml:"server"`
	PHP    PHPConfig    `toml:"php"`
	KV     KVConfig     `toml:"kv"`

	// Path of the file the config was read from ("" when built from defaults only).
	// Relative paths in the file (document_root, ini_file, logging.access,
	// tls files) are resolved against that file's directory; a relative
	// worker_script is kept as given and is relative to document_root.
	File string `toml:"-"`

	// Where each value came from, so that Validate can name the line or
	// the environment variable. nil for a Config built by hand.
	src *source

	// Warnings are what Validate let pass but a user should hear of (one
	// line each, naming the key): the commands print or log them.
	Warnings []string `toml:"-"`
	// MissingDefaultRoot: server.document_root is the default and does
	// not exist; Validate let it pass (SPEC 3: a file with only [server]
	// works), so the server serves 404 until it exists. A root anyone
	// named that is missing stays an error, at start and at a reload.
	MissingDefaultRoot bool `toml:"-"`
}

type ServerConfig struct {
	Listen       string   `toml:"listen"`        // host:port; default 127.0.0.1:8080
	DocumentRoot string   `toml:"document_root"` // absolute after Load
	IndexFiles   []string `toml:"index_files"`
	// H2C serves cleartext HTTP/2 (prior knowledge) on the plain listener
	// as well as HTTP/1.1, for a proxy in front that speaks h2c.
	H2C bool `toml:"h2c"`
	// AdminSocket is the unix socket `ephpm reload` talks to: "" = a path
	// derived from the config file (or, without one, the document root)
	// under $XDG_RUNTIME_DIR or the temp dir; "off" = none; else a path,
	// absolute after Load.
	AdminSocket string `toml:"admin_socket"`
	// ThreadPolicy is the Linux scheduling policy of all the server's
	// threads: "batch" (SCHED_BATCH, the default: a thread that wakes
	// does not preempt the running one) or "normal" (left as started:
	// the kernel's default). internal/threadpolicy says why.
	ThreadPolicy string `toml:"thread_policy"`

	Request  RequestConfig  `toml:"request"`
	Timeouts TimeoutsConfig `toml:"timeouts"`
	Static   StaticConfig   `toml:"static"`
	Response ResponseConfig `toml:"response"`
	Logging  LoggingConfig  `toml:"logging"`
	TLS      TLSConfig      `toml:"tls"`
	HTTP3    HTTP3Config    `toml:"http3"`
	Security SecurityConfig `toml:"security"`
	Sendfile SendfileConfig `toml:"sendfile"`
	Limits   LimitsConfig   `toml:"limits"`
	Metrics  MetricsConfig  `toml:"metrics"`
}

type RequestConfig struct {
	MaxBodySize   int64 `toml:"max_body_size"`   // bytes; 413 above it
	MaxHeaderSize int   `toml:"max_header_size"` // bytes; 431 above it
}

// TimeoutsConfig holds whole seconds; 0 disables that timeout.
type TimeoutsConfig struct {
	HeaderRead int `toml:"header_read"`
	Idle       int `toml:"idle"`
	Request    int `toml:"request"`
}

type StaticConfig struct {
	HiddenFiles  string `toml:"hidden_files"` // deny | ignore | allow
	ETag         bool   `toml:"etag"`
	CacheControl string `toml:"cache_control"`
}

// ResponseConfig shapes every response: compression of PHP and static
// bodies, and headers added from the config.
type ResponseConfig struct {
	Compression        bool        `toml:"compression"`          // zstd, br, gzip negotiated from Accept-Encoding
	CompressionLevel   int         `toml:"compression_level"`    // 0 = each codec's fast default; 1-9
	CompressionMinSize int         `toml:"compression_min_size"` // bytes; smaller bodies go out as they are
	Headers            [][2]string `toml:"headers"`              // [name, value] added to every response
}

type LoggingConfig struct {
	Access string `toml:"access"` // file path, "stdout", "stderr" or "" (off)
	Level  string `toml:"level"`  // debug | info | warn | error
	// Format of the server log and the access log: "text" (slog's
	// key=value lines; the access log in combined format) or "json" (one
	// object per line, for log shippers).
	Format string `toml:"format"`
}

// TLSConfig enables HTTPS when both files are set, or when Domains names
// certificates to obtain by ACME.
type TLSConfig struct {
	CertFile string `toml:"cert_file"`
	KeyFile  string `toml:"key_file"`
	// Domains are the names to obtain (and renew) certificates for by
	// ACME; not empty = automatic HTTPS instead of cert_file/key_file.
	Domains []string `toml:"domains"`
	Email   string   `toml:"email"` // ACME account contact ("" = none)
	// CacheDir holds the ACME account, certificates and keys (relative
	// to the config file), so a restart reuses them.
	CacheDir string `toml:"cache_dir"`
	// ACMECA is the ACME directory URL; "" = Let's Encrypt production.
	ACMECA string `toml:"acme_ca"`
	// ACMECARoot is a PEM file of CA certificates to trust when talking
	// to ACMECA (a test CA such as Pebble); "" = the system roots.
	ACMECARoot string `toml:"acme_ca_root"`
	// Listen is a separate HTTPS listener; server.listen then stays plain
	// HTTP. "" = HTTPS on server.listen itself.
	Listen string `toml:"listen"`
	// RedirectHTTP makes the plain listener answer every request with a
	// redirect to HTTPS (ACME HTTP-01 challenge paths excepted).
	RedirectHTTP bool `toml:"redirect_http"`
}

// Enabled reports whether HTTPS is served.
func (t TLSConfig) Enabled() bool { return t.CertFile != "" || t.ACME() }

// ACME reports whether certificates are obtained automatically.
func (t TLSConfig) ACME() bool { return len(t.Domains) > 0 }

// HTTP3Config serves HTTP/3 over QUIC on the HTTPS address (UDP).
type HTTP3Config struct {
	Enabled bool `toml:"enabled"` // needs TLS; HTTPS responses announce it with Alt-Svc
}

// SecurityConfig says whom the server believes.
type SecurityConfig struct {
	// TrustedProxies are the peers (IPs or CIDRs) whose X-Forwarded-* and
	// Forwarded headers set the client address, scheme, host and port.
	TrustedProxies []string `toml:"trusted_proxies"`
}

// SendfileConfig lets PHP hand a file to the server with X-Sendfile or
// X-Accel-Redirect: the server sends it (Range, ETag, compression) and
// drops the script's body.
type SendfileConfig struct {
	// Roots are the directories whose files may be named (absolute after
	// Load); empty = off, the headers pass through untouched.
	Roots []string `toml:"roots"`
}

// LimitsConfig bounds what one client may take.
type LimitsConfig struct {
	PerIPMaxConnections int `toml:"per_ip_max_connections"` // 0 = no limit
}

// MetricsConfig enables the Prometheus endpoint (GET /metrics) on a
// listener of its own, so it is never reachable through the site.
type MetricsConfig struct {
	Listen string `toml:"listen"` // host:port; "" = off
}

type PHPConfig struct {
	Workers          int         `toml:"workers"` // 0 = number of CPUs (1 with non-thread-safe libphp)
	QueueSize        int         `toml:"queue_size"`
	MaxExecutionTime int         `toml:"max_execution_time"` // seconds, 0 = unlimited
	MemoryLimit      string      `toml:"memory_limit"`       // PHP size string: "128M", "-1"
	IniFile          string      `toml:"ini_file"`
	IniOverrides     [][2]string `toml:"ini_overrides"`

	// Worker mode (see issue "worker mode").
	Mode              string `toml:"mode"` // request | worker
	WorkerScript      string `toml:"worker_script"`
	WorkerCount       int    `toml:"worker_count"`
	WorkerMaxRequests int    `toml:"worker_max_requests"`

	// Worker hygiene (README "Worker hygiene"): recycle a worker after a
	// request that left its PHP heap above WorkerMaxMemory (0 = off), once
	// its run is WorkerTTL old or idled WorkerIdleTTL (0 = off); spread
	// worker_max_requests over [max - jitter, max] (-1 = max/10, 0 = none).
	WorkerMaxRequestsJitter int      `toml:"worker_max_requests_jitter"`
	WorkerMaxMemory         ByteSize `toml:"worker_max_memory"`
	WorkerTTL               Duration `toml:"worker_ttl"`
	WorkerIdleTTL           Duration `toml:"worker_idle_ttl"`
}

type KVConfig struct {
	// Backend is where the store lives: "memory" (in this process, the
	// default) or "redis" (a Redis/Valkey shared by many nodes, [kv.redis]).
	Backend        string   `toml:"backend"`
	MemoryLimit    ByteSize `toml:"memory_limit"` // bytes; "256MB" or an integer; 0 = no limit
	EvictionPolicy string   `toml:"eviction_policy"`

	RESP  RESPConfig    `toml:"resp"`
	Redis KVRedisConfig `toml:"redis"`
}

// KVRedisConfig is the Redis-backed store (SPEC section 9), used when
// [kv] backend = "redis". memory_limit and eviction_policy do not apply to
// it: Redis's maxmemory and policy decide.
type KVRedisConfig struct {
	Addresses      []string `toml:"addresses"`       // host:port; one = standalone, several = cluster seeds
	Username       string   `toml:"username"`        // ACL user; "" = default
	Password       string   `toml:"password"`        // "" = none
	DB             int      `toml:"db"`              // standalone only
	TLS            bool     `toml:"tls"`             // TLS to Redis, verified against the system roots
	KeyPrefix      string   `toml:"key_prefix"`      // every key lives under it
	ClientCache    ByteSize `toml:"client_cache"`    // per-node client-side cache (RESP3 tracking); 0 = off
	CommandTimeout Duration `toml:"command_timeout"` // a call gives its failure value after this
}

// Cluster reports whether the addresses are seeds of a Redis Cluster.
func (r KVRedisConfig) Cluster() bool { return len(r.Addresses) > 1 }

// RESPConfig exposes the store over the Redis protocol (SPEC section 7) to
// other processes: `ephpm php`, artisan, redis-cli. Off while both Listen
// and Socket are empty.
type RESPConfig struct {
	Listen      string   `toml:"listen"`       // TCP host:port; "" = off
	Socket      string   `toml:"socket"`       // unix socket path, absolute after Load; "" = off
	SocketMode  string   `toml:"socket_mode"`  // octal file mode of the socket, e.g. "0660"
	Password    string   `toml:"password"`     // AUTH / HELLO AUTH; "" = none (loopback and socket only)
	MaxClients  int      `toml:"max_clients"`  // connections at once; more are refused
	IdleTimeout int      `toml:"idle_timeout"` // seconds; 0 = none
	MaxBulkLen  ByteSize `toml:"max_bulk_len"` // largest bulk string a client may send
}

// Enabled reports whether a RESP listener or socket is configured.
func (r RESPConfig) Enabled() bool { return r.Listen != "" || r.Socket != "" }

// FileMode is SocketMode as a number (validated by Load).
func (r RESPConfig) FileMode() uint32 {
	n, _ := strconv.ParseUint(r.SocketMode, 8, 32)
	return uint32(n)
}

// ByteSize is a size in bytes that TOML may give as an integer or as a
// string with a unit ("256MB", "1GiB", "512k").
type ByteSize int64
