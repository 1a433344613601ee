package main

import (
	"errors"

	"github.com/spf13/cobra"
)

func newConvertCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "convert",
		Short: "convert (not yet available)",
		RunE:  func(*cobra.Command, []string) error { return errors.New("convert is not available yet") },
	}
}
