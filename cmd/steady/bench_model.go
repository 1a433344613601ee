package main

import (
	"fmt"
	"slices"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/steady-ml/steady/perf"
)

func newBenchModelCmd() *cobra.Command {
	var names []string
	var reps int
	cmd := &cobra.Command{
		Use:   "model",
		Short: "Prefill (1×512, 4×256) and batch-1 decode tokens/s of 130M-class models with random weights",
		Long: `Builds randomly initialised models of the shapes of mamba-130m, mamba2-130m and
pythia-160m and times a prefill of 1×512 and 4×256 tokens and 64 decode steps
at batch 1 (median of the repetitions after a warm-up). GFLOP/s counts the
matmul FLOPs (2 per parameter of every 2-D weight per token); decode GB/s is
the float32 weight bytes read per second, to compare with DRAM bandwidth.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 0, 2, ' ', tabwriter.AlignRight)
			fmt.Fprintln(w, "model\tparams\tcase\ttok/s\tmatmul GFLOP/s\tweights GB/s\t")
			for _, p := range perf.Presets {
				if len(names) > 0 && !slices.Contains(names, p.Name) {
					continue
				}
				rs, err := perf.Measure(p, perf.DefaultCases, reps)
				if err != nil {
					return err
				}
				for _, r := range rs {
					gbs := "-"
					if r.WeightGBs > 0 {
						gbs = fmt.Sprintf("%.1f", r.WeightGBs)
					}
					fmt.Fprintf(w, "%s\t%.1fM\t%v\t%.1f\t%.1f\t%s\t\n", r.Preset, float64(r.Params)/1e6, r.Case, r.TokensPerSec, r.GFLOPs, gbs)
				}
				w.Flush()
			}
			return w.Flush()
		},
	}
	cmd.Flags().StringSliceVar(&names, "models", nil, "presets to measure (mamba-130m, mamba2-130m, pythia-160m; default all)")
	cmd.Flags().IntVar(&reps, "reps", 3, "timed repetitions per case (the median is reported)")
	return cmd
}
