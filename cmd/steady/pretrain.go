package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/steady-ml/steady/dataset"
	"github.com/steady-ml/steady/runner"
	"github.com/steady-ml/steady/train"
)

// trainFlags are the flags pretrain and finetune share, named as HF
// TrainingArguments and TRL's SFTConfig name them.
type trainFlags struct {
	opts                 runner.Options
	maxSteps             int
	schedule             string
	seed                 uint64
	resumeFromCheckpoint string
}

// addTrainFlags registers the shared flags, with maxSeqLen the default of
// --max-seq-length.
func addTrainFlags(f *pflag.FlagSet, o *trainFlags, maxSeqLen int) {
	t := &o.opts.Train
	f.StringVar(&t.OutputDir, "output-dir", "", "run folder: checkpoint-<step>/ (each a model folder), metrics.jsonl, TensorBoard events")
	f.StringArrayVar(&o.opts.TrainFiles, "train-file", nil, "training data file (repeat for several)")
	f.Float64Var(&t.Epochs, "num-train-epochs", 1, "epochs to train when --max-steps is not set")
	f.IntVar(&o.maxSteps, "max-steps", -1, "optimiser steps (overrides --num-train-epochs; -1: from the epochs)")
	f.IntVar(&t.BatchSize, "per-device-train-batch-size", 8, "sequences per micro-batch")
	f.IntVar(&t.GradAccum, "gradient-accumulation-steps", 1, "micro-batches per optimiser step")
	f.Float64Var(&t.LR, "learning-rate", 5e-5, "peak learning rate of AdamW")
	f.IntVar(&t.Warmup, "warmup-steps", 0, "linear warm-up steps")
	f.Float64Var(&t.WeightDecay, "weight-decay", 0, "AdamW decoupled weight decay (not applied to biases, norms, A_log, D)")
	f.StringVar(&o.schedule, "lr-scheduler-type", "linear", "learning-rate schedule: linear, cosine, constant or constant_with_warmup")
	f.IntVar(&o.opts.MaxSeqLen, "max-seq-length", maxSeqLen, "tokens per training sequence")
	f.Uint64Var(&o.seed, "seed", 42, "seed of the initialisation and the data order")
	f.IntVar(&t.LogEvery, "logging-steps", 10, "log the mean loss every N steps")
	f.IntVar(&t.SaveEvery, "save-steps", 500, "save a checkpoint every N steps (0: only at the end; the last step is always saved)")
	f.IntVar(&t.SaveTotalLimit, "save-total-limit", 0, "keep only the N newest checkpoints (0: all)")
	f.Float64Var(&t.MaxGradNorm, "max-grad-norm", 1, "clip the global gradient norm (0: no clipping)")
	f.StringVar(&o.resumeFromCheckpoint, "resume-from-checkpoint", "", `checkpoint folder to resume from, or "latest" for the newest in --output-dir`)
	addPrecisionFlag(f, &o.opts.Precision, trainPrecisionUsage)
}

// options turns the parsed flags into runner.Options.
func (o *trainFlags) options() (runner.Options, error) {
	opts := o.opts
	s, err := train.ParseSchedule(o.schedule)
	if err != nil {
		return opts, fmt.Errorf("--lr-scheduler-type: %w", err)
	}
	if o.maxSteps < -1 {
		return opts, fmt.Errorf("--max-steps %d: want -1 (from the epochs) or a number of steps", o.maxSteps)
	}
	opts.Train.MaxSteps = max(o.maxSteps, 0)
	opts.Train.Schedule, opts.Train.Seed, opts.Train.ResumeFrom = s, o.seed, o.resumeFromCheckpoint
	return opts, opts.Check()
}

// interruptible returns ctx cancelled by Ctrl-C: the trainer then stops
// between two steps and says which checkpoint to resume from.
func interruptible(ctx context.Context) (context.Context, context.CancelFunc) {
	if ctx == nil {
		ctx = context.Background()
	}
	return signal.NotifyContext(ctx, os.Interrupt)
}

// printResult says where the trained model, or adapter, is.
func printResult(cmd *cobra.Command, res runner.Result) {
	loss := "n/a"
	if h := res.State.LogHistory; len(h) > 0 {
		loss = fmt.Sprintf("%.4f", float64(h[len(h)-1]["loss"]))
	}
	what := "model"
	if res.Adapter != nil {
		what = "adapter"
	}
	fmt.Fprintf(cmd.OutOrStdout(), "trained %d steps (last logged loss %s); %s: %s\n", res.State.GlobalStep, loss, what, res.Checkpoint)
}

type pretrainFlags struct {
	trainFlags
	arch, size, split, textField string
}

func newPretrainCmd() *cobra.Command {
	var o pretrainFlags
	cmd := &cobra.Command{
		Use:   "pretrain --arch gpt_neox --size tiny --train-file FILE --output-dir DIR",
		Short: "Train a freshly initialised model of a size preset on plain text",
		Long: `pretrain initialises a model of --arch and --size as its reference code
does, packs the documents of the --train-file files (plain text cut by --split,
or the --text-field of JSON/JSONL records; an <|endoftext|> after each) into
sequences of --max-seq-length tokens with the GPT-NeoX tokenizer, and trains
every parameter with AdamW in --precision, shuffling the sequences each epoch.
` + precisionHelp + `

Each checkpoint-<step>/ of --output-dir is a model folder (config.json,
model.safetensors, tokenizer.json) that steady generate and eval read, plus the
optimiser and trainer state that --resume-from-checkpoint continues from.

Sizes: gpt_neox tiny (6.5M parameters), small (14.1M, Pythia-14m's shape);
mamba tiny (3.3M), small (6.9M); mamba2 tiny (3.3M), small (6.9M).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runPretrain(cmd, o) },
	}
	f := cmd.Flags()
	f.StringVar(&o.arch, "arch", "gpt_neox", "architecture: gpt_neox, mamba2 or mamba")
	f.StringVar(&o.size, "size", "tiny", "size preset: tiny or small")
	f.StringVar(&o.split, "split", "stories", "how plain text is cut into documents: lines, paragraphs, stories, wikitext, separator or none")
	f.StringVar(&o.textField, "text-field", "text", "text field of .json and .jsonl records")
	addTrainFlags(f, &o.trainFlags, runner.DefaultPretrainSeqLen)
	cmd.MarkFlagRequired("output-dir")
	cmd.MarkFlagRequired("train-file")
	return cmd
}

func runPretrain(cmd *cobra.Command, o pretrainFlags) error {
	opts, err := o.options()
	if err != nil {
		return err
	}
	split, err := dataset.ParseSplit(o.split)
	if err != nil {
		return fmt.Errorf("--split: %w", err)
	}
	ctx, stop := interruptible(cmd.Context())
	defer stop()
	res, err := runner.Pretrain(ctx, runner.PretrainOptions{Options: opts, Arch: o.arch, Size: o.size, Split: split, TextField: o.textField})
	if err != nil {
		return err
	}
	printResult(cmd, res)
	return nil
}
