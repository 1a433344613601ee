package main

import (
	"github.com/spf13/cobra"

	"github.com/steady-ml/steady/demo"
)

func newDemoCmd() *cobra.Command {
	o := demo.Defaults
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "End-to-end run on the embedded defaults: init, save, reload, check, generate, time each architecture",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := demo.Run(o, cmd.OutOrStdout())
			return err
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.OutDir, "out", o.OutDir, "folder for the checkpoints it writes")
	f.Uint64Var(&o.Seed, "seed", o.Seed, "initialisation seed")
	f.IntVar(&o.PrefillTokens, "prefill-tokens", o.PrefillTokens, "sequence length timed for prefill")
	f.IntVar(&o.DecodeTokens, "decode-tokens", o.DecodeTokens, "tokens timed for decoding")
	return cmd
}
