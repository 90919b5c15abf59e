package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/ephpm/ephpm/internal/config"
	"github.com/ephpm/ephpm/internal/kvclient"
)

// newKVCmd is `ephpm kv`: a small client of a running server's store for
// operators, over its [kv.resp] endpoint. Output is redis-cli's raw mode
// (a value as is, integers as digits, "OK"); an error reply or an
// unreachable server is a message on stderr and exit status 1.
func newKVCmd() *cobra.Command {
	var target kvTarget
	cmd := &cobra.Command{
		Use:   "kv",
		Short: "Read and change a running server's KV store",
		Long: `Read and change the KV store of a running ephpm server through its [kv.resp]
endpoint. The server is the one --config names (its unix socket, else its TCP
listener, with its password), or --url (unix:///path, tcp://host:port?password=...,
redis://[:pass@]host:port), else $EPHPM_KV_URL, else ./ephpm.toml.`,
		// Without a RunE of its own cobra answers `ephpm kv` and `ephpm kv
		// typo` with the help text and exit status 0, so a script's typo
		// looks like success: name the problem and exit 1 instead.
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return fmt.Errorf("kv: say which command: get, set, del, incr, ttl, keys or flush (ephpm kv --help)")
			}
			return fmt.Errorf("kv: unknown command %q (ephpm kv --help lists them)", args[0])
		},
	}
	cmd.PersistentFlags().StringVarP(&target.config, "config", "c", "", "the server's ephpm.toml")
	cmd.PersistentFlags().StringVar(&target.url, "url", "", "the server's KV URL (instead of --config)")

	var ttl int64
	set := &cobra.Command{
		Use:   "set KEY VALUE",
		Short: "Store VALUE under KEY (replacing its value and TTL)",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			a := []string{"SET", args[0], args[1]}
			if ttl > 0 {
				a = append(a, "EX", strconv.FormatInt(ttl, 10))
			}
			return target.run(cmd, a...)
		},
	}
	set.Flags().Int64Var(&ttl, "ttl", 0, "seconds until the key expires (0 = never)")

	var by int64
	incr := &cobra.Command{
		Use:   "incr KEY",
		Short: "Add --by (default 1) to the integer in KEY and print the result",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return target.run(cmd, "INCRBY", args[0], strconv.FormatInt(by, 10))
		},
	}
	incr.Flags().Int64Var(&by, "by", 1, "the amount to add (negative subtracts)")

	var prefix string
	var all bool
	flush := &cobra.Command{
		Use:   "flush --prefix P | --all",
		Short: "Delete every key starting with P (prints how many), or every key",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			switch {
			case all && cmd.Flags().Changed("prefix"):
				return errors.New("flush: --prefix and --all exclude each other")
			case all:
				return target.run(cmd, "FLUSHALL")
			case cmd.Flags().Changed("prefix"):
				if prefix == "" {
					return errors.New("flush: an empty --prefix would delete every key; say --all")
				}
				return target.run(cmd, "EPHPM.DELPREFIX", prefix)
			}
			return errors.New("flush: say which keys: --prefix P or --all")
		},
	}
	flush.Flags().StringVar(&prefix, "prefix", "", "delete the keys starting with this")
	flush.Flags().BoolVar(&all, "all", false, "delete every key")

	cmd.AddCommand(
		&cobra.Command{
			Use:   "get KEY",
			Short: "Print KEY's value (an empty line when it is missing, as redis-cli --raw)",
			Args:  cobra.ExactArgs(1),
			RunE:  func(cmd *cobra.Command, args []string) error { return target.run(cmd, "GET", args[0]) },
		},
		set,
		&cobra.Command{
			Use:   "del KEY...",
			Short: "Delete keys; prints how many existed",
			Args:  cobra.MinimumNArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				return target.run(cmd, append([]string{"DEL"}, args...)...)
			},
		},
		incr,
		&cobra.Command{
			Use:   "ttl KEY",
			Short: "Print KEY's seconds to live, rounded up as ephpm_kv_ttl (-1 no expiry, -2 missing)",
			Args:  cobra.ExactArgs(1),
			RunE:  func(cmd *cobra.Command, args []string) error { return target.ttl(cmd, args[0]) },
		},
		&cobra.Command{
			Use:   "keys [PATTERN]",
			Short: "List the keys matching a glob PATTERN (default *), one per line, with SCAN",
			Args:  cobra.MaximumNArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				pattern := "*"
				if len(args) == 1 {
					pattern = args[0]
				}
				return target.keys(cmd, pattern)
			},
		},
		flush,
	)
	return cmd
}

// kvTarget is the server `ephpm kv` talks to.
type kvTarget struct {
	config, url string
}

// client connects to the server named by --url, --config, $EPHPM_KV_URL or
// ./ephpm.toml, in that order.
// A config with [kv] backend = "redis" names the store itself: it is
// reached directly, whether a server runs or not. The returned func
// releases the connection.
func (t *kvTarget) client() (*kvclient.Client, func(), error) {
	if t.url != "" && t.config != "" {
		return nil, nil, errors.New("--url and --config exclude each other")
	}
	url := t.url
	if url == "" && t.config == "" {
		url = os.Getenv(kvURLEnv)
	}
	if url != "" {
		return closable(kvclient.DialURL(url, cliKVTimeout))
	}
	path := t.config
	if path == "" {
		path = "ephpm.toml"
		if _, err := os.Stat(path); err != nil {
			return nil, nil, fmt.Errorf("which server? pass --config <its ephpm.toml> or --url, or set %s (no ./ephpm.toml here)", kvURLEnv)
		}
	}
	cfg, err := config.Load(path)
	if err != nil {
		return nil, nil, err
	}
	if cfg.KV.Backend == "redis" {
		return dialRedisBridge(cfg)
	}
	if !cfg.KV.RESP.Enabled() {
		return nil, nil, fmt.Errorf("%s: [kv.resp] has neither socket nor listen set: the server does not expose its store; set one and restart it", path)
	}
	return closable(kvclient.Dial(cfg.KV.RESP, cliKVTimeout))
}

func closable(c *kvclient.Client, err error) (*kvclient.Client, func(), error) {
	if err != nil {
		return nil, nil, err
	}
	return c, func() { c.Close() }, nil
}

// run sends one command and prints its reply.
func (t *kvTarget) run(cmd *cobra.Command, args ...string) error {
	c, done, err := t.client()
	if err != nil {
		return err
	}
	defer done()
	r, err := c.Do(args...)
	if err != nil {
		return err
	}
	if err := r.Err(); err != nil {
		return err
	}
	return printRaw(cmd.OutOrStdout(), r)
}

// ttl prints what ephpm_kv_ttl would return: PTTL rounded up.
func (t *kvTarget) ttl(cmd *cobra.Command, key string) error {
	c, done, err := t.client()
	if err != nil {
		return err
	}
	defer done()
	r, err := c.Do("PTTL", key)
	if err == nil {
		err = r.Err()
	}
	if err != nil {
		return err
	}
	n := r.Int
	if n > 0 {
		n = (n + 999) / 1000
	}
	_, err = fmt.Fprintln(cmd.OutOrStdout(), n)
	return err
}

// keys walks SCAN to its end: unlike KEYS it never holds the server up.
func (t *kvTarget) keys(cmd *cobra.Command, pattern string) error {
	c, done, err := t.client()
	if err != nil {
		return err
	}
	defer done()
	out := cmd.OutOrStdout()
	cursor := "0"
	for {
		r, err := c.Do("SCAN", cursor, "MATCH", pattern, "COUNT", "1000")
		if err == nil {
			err = r.Err()
		}
		if err != nil {
			return err
		}
		if r.Kind != kvclient.KindArray || len(r.Array) != 2 || r.Array[0].Kind != kvclient.KindBulk || r.Array[1].Kind != kvclient.KindArray {
			return errors.New("SCAN: unexpected reply from the server")
		}
		for _, k := range r.Array[1].Array {
			if _, err := fmt.Fprintf(out, "%s\n", k.Str); err != nil {
				return err
			}
		}
		cursor = r.Array[0].Str
		if cursor == "0" {
			return nil
		}
	}
}

// printRaw writes a reply as redis-cli --raw does.
func printRaw(w io.Writer, r kvclient.Reply) error {
	var err error
	switch r.Kind {
	case kvclient.KindInt:
		_, err = fmt.Fprintln(w, r.Int)
	case kvclient.KindNil:
		_, err = fmt.Fprintln(w)
	case kvclient.KindArray:
		for _, e := range r.Array {
			if err = printRaw(w, e); err != nil {
				return err
			}
		}
	default:
		_, err = fmt.Fprintf(w, "%s\n", r.Str)
	}
	return err
}
