package main

import (
	"fmt"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/steady-ml/steady/dataset"
	"github.com/steady-ml/steady/runner"
)

type finetuneFlags struct {
	trainFlags
	model        string
	responseOnly bool
	overflow     string
}

// loraFlagNames are the flags that configure the adapter of --peft lora.
var loraFlagNames = []string{"targets", "lora-r", "lora-alpha", "lora-dropout", "use-rslora"}

func newFinetuneCmd() *cobra.Command {
	var o finetuneFlags
	cmd := &cobra.Command{
		Use:   "finetune --model DIR --train-file FILE --output-dir DIR [--peft lora] [--precision bf16]",
		Short: "Fine-tune a model, or a LoRA adapter on it, on instruction data",
		Long: `finetune loads --model and trains it with AdamW in --precision on the
instruction pairs of the --train-file files: Alpaca records (instruction,
input, output) in JSON or JSONL, rendered with stanford_alpaca's prompt, or
prompt/response JSONL records. Each example is the prompt, the response and
<|endoftext|>; with --response-only (the default) the loss is taken on the
response only. Examples are batched to the longest in each batch, padded
with <|endoftext|>.

--peft none trains every parameter; each checkpoint-<step>/ of --output-dir
is then a model folder (config.json, model.safetensors, tokenizer.json) that
steady generate and eval read. --peft lora freezes the model and trains a
new LoRA adapter (Hu et al. 2021, PEFT's LoraConfig) on the --targets
modules: module names (x_proj, in_proj, out_proj, embeddings for Mamba;
query_key_value, dense, dense_h_to_4h, dense_4h_to_h for GPT-NeoX) or one
preset, lora-subset (Mamba x_proj, Mamba-2 in_proj, GPT-NeoX
query_key_value) or lora-all. Each checkpoint-<step>/ is then a PEFT adapter
folder (adapter_config.json, adapter_model.safetensors) that --adapter of
generate, eval and forward, and PEFT's PeftModel.from_pretrained, read.
Either way a checkpoint also holds the optimiser and trainer state that
--resume-from-checkpoint continues from.
` + precisionHelp,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runFinetune(cmd, o) },
	}
	f := cmd.Flags()
	f.StringVar(&o.model, "model", "", "checkpoint folder or hub id ORG/NAME[@REV] to start from")
	f.BoolVar(&o.responseOnly, "response-only", true, "take the loss on the response only (false: on the prompt too)")
	f.StringVar(&o.overflow, "overflow", "truncate", "examples longer than --max-seq-length: truncate, skip or error")
	addTrainFlags(f, &o.trainFlags, runner.DefaultFinetuneSeqLen)
	addLoRAFlags(f, &o.opts)
	cmd.MarkFlagRequired("model")
	cmd.MarkFlagRequired("output-dir")
	cmd.MarkFlagRequired("train-file")
	return cmd
}

// addLoRAFlags registers --peft and the adapter's settings, named after
// PEFT's LoraConfig fields.
func addLoRAFlags(f *pflag.FlagSet, o *runner.Options) {
	f.StringVar(&o.PEFT, "peft", runner.PEFTNone, "none: train every parameter; lora: train a LoRA adapter on the frozen model")
	f.StringSliceVar(&o.LoRA.Targets, "targets", []string{"lora-subset"}, "LoRA target modules (e.g. x_proj,in_proj) or one preset: lora-subset or lora-all")
	f.IntVar(&o.LoRA.R, "lora-r", 8, "LoRA rank r")
	f.Float64Var(&o.LoRA.Alpha, "lora-alpha", 16, "LoRA alpha: the update is scaled by alpha/r")
	f.Float64Var(&o.LoRA.Dropout, "lora-dropout", 0.05, "dropout probability on the inputs of the adapted Linear layers")
	f.BoolVar(&o.LoRA.RSLoRA, "use-rslora", false, "rank-stabilised LoRA: scale by alpha/sqrt(r) instead of alpha/r")
}

func runFinetune(cmd *cobra.Command, o finetuneFlags) error {
	if o.opts.PEFT != runner.PEFTLoRA {
		for _, name := range loraFlagNames {
			if cmd.Flags().Changed(name) {
				return fmt.Errorf("--%s configures a LoRA adapter: it needs --peft lora", name)
			}
		}
	}
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
	res, err := runner.Finetune(ctx, runner.FinetuneOptions{Options: opts, Model: dir, ModelName: o.model, ResponseOnly: o.responseOnly, Overflow: overflow})
	if err != nil {
		return err
	}
	if res.Adapter != nil {
		fmt.Fprintf(cmd.ErrOrStderr(), "LoRA r %d, scale %g on %v\n", res.Adapter.Config.R, res.Adapter.Config.Scale(), res.Adapter.Match)
	}
	printResult(cmd, res)
	return nil
}
