package main

import (
	"errors"

	"github.com/spf13/cobra"
)

func newForwardCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "forward",
		Short: "forward (not yet available)",
		RunE:  func(*cobra.Command, []string) error { return errors.New("forward is not available yet") },
	}
}
