package main

import (
	"fmt"
	"slices"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/steady-ml/steady/peft"
	"github.com/steady-ml/steady/perf"
	"github.com/steady-ml/steady/runner"
	"github.com/steady-ml/steady/train"
)

func newBenchTrainCmd() *cobra.Command {
	var names, precisions, pefts []string
	var batch, seq, reps int
	lora := peft.Settings{}
	cmd := &cobra.Command{
		Use:   "train",
		Short: "training-step tokens/s and memory of 130M-class models, per precision and PEFT method",
		Long: `Times training steps (forward, backward and an AdamW update of what is
trained) of randomly initialised models of the shapes of mamba-130m,
mamba2-130m and pythia-160m, for each --precision and each --peft method
(none: every parameter; lora: a LoRA adapter on the frozen model), and
prints tokens/s (median step), tokens per CPU-second of the process over the
timed steps (steadier than tokens/s on a shared machine), GFLOP/s by the
6·parameters-per-token convention, and the process's peak resident memory
and that memory per token of the step.
Peak memory only grows within a process: measure one case per run for a
clean memory figure.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var modes []train.Precision
			for _, s := range precisions {
				p, err := train.ParsePrecision(s)
				if err != nil {
					return err
				}
				modes = append(modes, p)
			}
			for _, s := range pefts {
				if s != runner.PEFTNone && s != runner.PEFTLoRA {
					return fmt.Errorf("--peft %q: want none or lora", s)
				}
			}
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 0, 2, ' ', tabwriter.AlignRight)
			fmt.Fprintln(w, "model\tprecision\tpeft\ttrained\tbatch×seq\ttok/s\ttok/CPU-s\tGFLOP/s (6·N)\tpeak RSS GB\tMB/token\t")
			for _, p := range perf.Presets {
				if len(names) > 0 && !slices.Contains(names, p.Name) {
					continue
				}
				for _, mode := range modes {
					for _, method := range pefts {
						o := perf.TrainOptions{Batch: batch, Seq: seq, Reps: reps, Precision: mode}
						if method == runner.PEFTLoRA {
							o.LoRA = &lora
						}
						r, err := perf.MeasureTrain(p, o)
						if err != nil {
							return err
						}
						fmt.Fprintf(w, "%s\t%s\t%s\t%.2fM\t%d×%d\t%.1f\t%.1f\t%.1f\t%.2f\t%.2f\t\n", r.Preset, r.Precision, r.PEFT,
							float64(r.Trainable)/1e6, r.Batch, r.Seq, r.TokensPerSec, r.TokensPerCPUSec, r.GFLOPs,
							float64(r.PeakRSS)/1e9, float64(r.PeakRSS)/1e6/float64(r.Batch*r.Seq))
						w.Flush()
					}
				}
			}
			return w.Flush()
		},
	}
	f := cmd.Flags()
	f.StringSliceVar(&names, "models", nil, "presets to measure (mamba-130m, mamba2-130m, pythia-160m; default all)")
	f.StringSliceVar(&precisions, "precision", []string{"fp32"}, "precision modes to measure: fp32, bf16, fp16, bf16-pure, fp16-pure")
	f.StringSliceVar(&pefts, "peft", []string{runner.PEFTNone}, "methods to measure: none (full fine-tuning), lora")
	f.StringSliceVar(&lora.Targets, "targets", []string{"lora-all"}, "LoRA target modules, or one preset: lora-subset or lora-all")
	f.IntVar(&lora.R, "lora-r", 8, "LoRA rank r")
	f.Float64Var(&lora.Alpha, "lora-alpha", 16, "LoRA alpha (scale alpha/r)")
	f.IntVar(&batch, "batch", 4, "sequences per step")
	f.IntVar(&seq, "seq", 256, "tokens per sequence")
	f.IntVar(&reps, "reps", 2, "timed steps (the median is reported)")
	return cmd
}
