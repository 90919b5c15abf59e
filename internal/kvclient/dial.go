package kvclient

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/ephpm/ephpm/internal/config"
)

// FromConfig says how to reach the server a config's [kv.resp] describes:
// its unix socket when it has one (no TCP stack, and file permissions
// instead of a password), else its TCP listener, with the password.
func FromConfig(cfg config.RESPConfig, timeout time.Duration) (Options, error) {
	o := Options{Password: cfg.Password, Timeout: timeout}
	switch {
	case cfg.Socket != "":
		o.Network, o.Addr = "unix", cfg.Socket
	case cfg.Listen != "":
		o.Network, o.Addr = "tcp", connectAddr(cfg.Listen)
	default:
		return Options{}, errors.New("[kv.resp] has neither socket nor listen set: the server does not expose its store")
	}
	return o, nil
}

// connectAddr turns a listen address into one to connect to: a wildcard
// host ("", 0.0.0.0, ::) means this machine.
func connectAddr(listen string) string {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return listen
	}
	switch host {
	case "", "0.0.0.0":
		host = "127.0.0.1"
	case "::":
		host = "::1"
	}
	return net.JoinHostPort(host, port)
}

// Dial connects to the server of cfg ([kv.resp]) and checks that it
// answers.
func Dial(cfg config.RESPConfig, timeout time.Duration) (*Client, error) {
	o, err := FromConfig(cfg, timeout)
	if err != nil {
		return nil, err
	}
	return dialChecked(o)
}

// DialURL connects to the server named by rawURL (see ParseURL) and checks
// that it answers.
func DialURL(rawURL string, timeout time.Duration) (*Client, error) {
	o, err := ParseURL(rawURL, timeout)
	if err != nil {
		return nil, err
	}
	return dialChecked(o)
}

func dialChecked(o Options) (*Client, error) {
	c := New(o)
	if err := c.Ping(); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// ParseURL reads the connection URLs the Laravel package takes too
// (EPHPM_KV_URL): unix:///run/ephpm/kv.sock, tcp://127.0.0.1:6380?password=...,
// redis://[user:pass@]host:port (a bare :pass@ or a password query
// parameter also work; redis://host without a port means 6379).
func ParseURL(rawURL string, timeout time.Duration) (Options, error) {
	if !strings.Contains(rawURL, "://") {
		return Options{}, fmt.Errorf("KV URL %q: scheme must be unix://, tcp:// or redis://", rawURL)
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return Options{}, fmt.Errorf("KV URL %q: %v", rawURL, err)
	}
	o := Options{Timeout: timeout, Password: u.Query().Get("password")}
	if u.User != nil {
		if p, ok := u.User.Password(); ok {
			o.Password = p
			o.Username = u.User.Username()
		} else if u.Scheme != "unix" {
			// redis://secret@host: Redis clients read a lone userinfo
			// as the password.
			o.Password = u.User.Username()
		}
	}
	switch strings.ToLower(u.Scheme) {
	case "unix":
		path := u.Path
		if u.Host != "" {
			return Options{}, fmt.Errorf("KV URL %q: a unix URL is unix:///absolute/path (three slashes)", rawURL)
		}
		if path == "" {
			return Options{}, fmt.Errorf("KV URL %q: no socket path", rawURL)
		}
		o.Network, o.Addr = "unix", path
	case "tcp", "redis":
		if u.Host == "" {
			return Options{}, fmt.Errorf("KV URL %q: no host:port", rawURL)
		}
		host := u.Host
		if u.Port() == "" {
			if strings.ToLower(u.Scheme) == "tcp" {
				return Options{}, fmt.Errorf("KV URL %q: no port", rawURL)
			}
			host = net.JoinHostPort(u.Hostname(), "6379")
		}
		if u.Path != "" && u.Path != "/" && u.Path != "/0" {
			return Options{}, fmt.Errorf("KV URL %q: ephpm's store has one database (0), not %s", rawURL, strings.TrimPrefix(u.Path, "/"))
		}
		o.Network, o.Addr = "tcp", host
	case "rediss":
		return Options{}, fmt.Errorf("KV URL %q: TLS is not supported; use unix:// or tcp:// on a trusted network", rawURL)
	default:
		return Options{}, fmt.Errorf("KV URL %q: scheme must be unix://, tcp:// or redis://", rawURL)
	}
	return o, nil
}
