package main

import (
	"errors"

	"github.com/spf13/cobra"
)

func newInspectCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "inspect",
		Short: "inspect (not yet available)",
		RunE:  func(*cobra.Command, []string) error { return errors.New("inspect is not available yet") },
	}
}
