package main

import (
	"fmt"
	"slices"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/steady-ml/steady/perf"
)

func newBenchTrainCmd() *cobra.Command {
	var names []string
	var batch, seq, reps int
	cmd := &cobra.Command{
		Use:   "train",
		Short: "fp32 full training-step tokens/s (forward, backward, AdamW) of 130M-class models",
		Long: `Times full fp32 training steps (forward, backward and an AdamW update) of
randomly initialised models of the shapes of mamba-130m, mamba2-130m and
pythia-160m, and prints tokens/s, GFLOP/s by the 6·parameters-per-token
convention, and the process's peak resident memory (measure one model per
run for a clean memory figure).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 0, 2, ' ', tabwriter.AlignRight)
			fmt.Fprintln(w, "model\tparams\tbatch×seq\ttok/s\tGFLOP/s (6·N)\tpeak RSS GB\t")
			for _, p := range perf.Presets {
				if len(names) > 0 && !slices.Contains(names, p.Name) {
					continue
				}
				r, err := perf.MeasureTrain(p, batch, seq, reps)
				if err != nil {
					return err
				}
				fmt.Fprintf(w, "%s\t%.1fM\t%d×%d\t%.1f\t%.1f\t%.2f\t\n", r.Preset, float64(r.Params)/1e6, r.Batch, r.Seq, r.TokensPerSec, r.GFLOPs, float64(r.PeakRSS)/1e9)
				w.Flush()
			}
			return w.Flush()
		},
	}
	f := cmd.Flags()
	f.StringSliceVar(&names, "models", nil, "presets to measure (mamba-130m, mamba2-130m, pythia-160m; default all)")
	f.IntVar(&batch, "batch", 4, "sequences per step")
	f.IntVar(&seq, "seq", 256, "tokens per sequence")
	f.IntVar(&reps, "reps", 2, "timed steps (the median is reported)")
	return cmd
}
