package main

import (
	"errors"

	"github.com/spf13/cobra"
)

func newDemoCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "demo",
		Short: "demo (not yet available)",
		RunE:  func(*cobra.Command, []string) error { return errors.New("demo is not available yet") },
	}
}
