package main

import (
	"errors"

	"github.com/spf13/cobra"
)

// newPHPCmd is `ephpm php`: the embedded PHP as a command-line interpreter
// (SPEC section 8). Placeholder until the CLI SAPI lands.
func newPHPCmd() *cobra.Command {
	return &cobra.Command{
		Use:                "php [options] [-r code | file] [--] [args...]",
		Short:              "Run PHP on the command line with the embedded PHP",
		DisableFlagParsing: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			return errors.New("ephpm php: not built yet")
		},
	}
}
