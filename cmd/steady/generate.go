package main

import (
	"errors"

	"github.com/spf13/cobra"
)

func newGenerateCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "generate",
		Short: "generate (not yet available)",
		RunE:  func(*cobra.Command, []string) error { return errors.New("generate is not available yet") },
	}
}
