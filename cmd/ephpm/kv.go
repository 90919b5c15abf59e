package main

import (
	"errors"

	"github.com/spf13/cobra"
)

// newKVCmd is `ephpm kv`: a small client of a running server's store for
// operators. Placeholder until the RESP client lands.
func newKVCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "kv",
		Short: "Read and change a running server's KV store",
		RunE: func(cmd *cobra.Command, args []string) error {
			return errors.New("ephpm kv: not built yet")
		},
	}
}
