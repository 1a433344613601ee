package main

import (
	"errors"

	"github.com/spf13/cobra"
)

func newPullCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "pull",
		Short: "pull (not yet available)",
		RunE:  func(*cobra.Command, []string) error { return errors.New("pull is not available yet") },
	}
}
