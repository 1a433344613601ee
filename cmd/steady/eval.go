package main

import (
	"errors"

	"github.com/spf13/cobra"
)

func newEvalCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "eval",
		Short: "eval (not yet available)",
		RunE:  func(*cobra.Command, []string) error { return errors.New("eval is not available yet") },
	}
}
