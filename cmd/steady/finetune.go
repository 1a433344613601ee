package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/steady-ml/steady/dataset"
	"github.com/steady-ml/steady/runner"
)

type finetuneFlags struct {
	trainFlags
	model        string
	responseOnly bool
	overflow     string
}

func newFinetuneCmd() *cobra.Command {
	var o finetuneFlags
	cmd := &cobra.Command{
		Use:   "finetune --model DIR --train-file FILE --output-dir DIR",
		Short: "Fine-tune every parameter of a model on instruction data",
		Long: `finetune loads --model and trains every parameter with AdamW in fp32 on the
instruction pairs of the --train-file files: Alpaca records (instruction,
input, output) in JSON or JSONL, rendered with stanford_alpaca's prompt, or
prompt/response JSONL records. Each example is the prompt, the response and
<|endoftext|>; with --response-only (the default) the loss is taken on the
response only. Examples are batched to the longest in each batch, padded
with <|endoftext|>.

Each checkpoint-<step>/ of --output-dir is a model folder (config.json,
model.safetensors, tokenizer.json) that steady generate and eval read, plus the
optimiser and trainer state that --resume-from-checkpoint continues from.
Mamba and Mamba-2 checkpoints are refused until their backward pass exists.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runFinetune(cmd, o) },
	}
	f := cmd.Flags()
	f.StringVar(&o.model, "model", "", "checkpoint folder or hub id ORG/NAME[@REV] to start from")
	f.BoolVar(&o.responseOnly, "response-only", true, "take the loss on the response only (false: on the prompt too)")
	f.StringVar(&o.overflow, "overflow", "truncate", "examples longer than --max-seq-length: truncate, skip or error")
	addTrainFlags(f, &o.trainFlags, runner.DefaultFinetuneSeqLen)
	cmd.MarkFlagRequired("model")
	cmd.MarkFlagRequired("output-dir")
	cmd.MarkFlagRequired("train-file")
	return cmd
}

func runFinetune(cmd *cobra.Command, o finetuneFlags) error {
	opts, err := o.options()
	if err != nil {
		return err
	}
	overflow, err := dataset.ParseOverflow(o.overflow)
	if err != nil {
		return fmt.Errorf("--overflow: %w", err)
	}
	ctx, stop := interruptible(cmd.Context())
	defer stop()
	dir, err := resolveModel(ctx, o.model)
	if err != nil {
		return err
	}
	res, err := runner.Finetune(ctx, runner.FinetuneOptions{Options: opts, Model: dir, ResponseOnly: o.responseOnly, Overflow: overflow})
	if err != nil {
		return err
	}
	printResult(cmd, res)
	return nil
}
