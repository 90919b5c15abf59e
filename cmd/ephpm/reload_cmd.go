package main

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/ephpm/ephpm/internal/config"
)

// newReloadCmd is `ephpm reload`: asks the server started with the same
// --config (or --document-root without a file) to reload, through its
// admin socket, and waits for the outcome: exit 0 once the reload is
// done, 1 with the server's reason when it was refused.
func newReloadCmd() *cobra.Command {
	var flags configFlags
	var socket string
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "reload",
		Short: "Reload the running server: configuration, document root and worker script re-resolved, workers replaced",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if socket == "" {
				socket = flags.adminSocket(cmd)
			}
			if socket == "" {
				return errors.New("server.admin_socket is \"off\" in this configuration: send SIGHUP to the server instead")
			}
			return requestReload(cmd, socket, timeout)
		},
	}
	flags.register(cmd, true)
	// --document-root finds a server started without a file; --listen
	// plays no part in finding it.
	_ = cmd.Flags().MarkHidden("listen")
	cmd.Flags().StringVar(&socket, "admin-socket", "", "admin socket path (default: the one of the configuration)")
	cmd.Flags().DurationVar(&timeout, "timeout", 10*time.Minute, "how long to wait for the reload to finish")
	return cmd
}

// adminSocket finds the admin socket of the server running with these
// flags. The file is read but need not be valid: a reload of a broken
// file must still reach the server, which says what is wrong with it.
func (f *configFlags) adminSocket(cmd *cobra.Command) string {
	if cfg, err := f.load(cmd); err == nil {
		return adminSocketPath(cfg)
	}
	cfg, err := config.Parse(f.path)
	if err != nil {
		cfg = config.Default()
		if abs, err := filepath.Abs(f.path); err == nil {
			cfg.File = abs
		}
	}
	return adminSocketPath(cfg)
}

func requestReload(cmd *cobra.Command, socket string, timeout time.Duration) error {
	c, err := net.DialTimeout("unix", socket, 5*time.Second)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ECONNREFUSED) {
			return fmt.Errorf("no ephpm server is running with this configuration (nothing listens on its admin socket %s)", socket)
		}
		return fmt.Errorf("admin socket %s: %w", socket, err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(timeout))
	if _, err := fmt.Fprint(c, "reload\n"); err != nil {
		return fmt.Errorf("admin socket %s: %w", socket, err)
	}
	sc := bufio.NewScanner(c)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "warning: "):
			fmt.Fprintln(cmd.ErrOrStderr(), line)
		case strings.HasPrefix(line, "ok: "):
			fmt.Fprintln(cmd.OutOrStdout(), strings.TrimPrefix(line, "ok: "))
			return nil
		case strings.HasPrefix(line, "error: "):
			return errors.New(strings.TrimPrefix(line, "error: "))
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("waiting for the reload: %w", err)
	}
	return errors.New("the server closed the admin socket before saying how the reload went (did it stop?)")
}
