package runner

import (
	"context"
	"fmt"

	"github.com/steady-ml/steady/checkpoint"
	"github.com/steady-ml/steady/dataset"
	"github.com/steady-ml/steady/tokenizer"
)

// PretrainOptions configure Pretrain.
type PretrainOptions struct {
	Options
	// Arch is the architecture's model_type: mamba, mamba2 or gpt_neox.
	Arch string
	// Size is a preset of Sizes(Arch): tiny or small.
	Size string
	// Split cuts plain-text files into documents; TextField names the text
	// of .json and .jsonl records ("" means "text").
	Split     dataset.Split
	TextField string
}

// Pretrain initialises a model of Arch and Size with Train.Seed, packs the
// documents of TrainFiles (GPT-NeoX tokenizer, an EOS after each document)
// into sequences of MaxSeqLen tokens, and trains every parameter in
// Precision, shuffling the sequences each epoch. PEFT must be none.
func Pretrain(ctx context.Context, o PretrainOptions) (Result, error) {
	if err := o.Options.Check(); err != nil {
		return Result{}, fmt.Errorf("pretrain: %w", err)
	}
	if o.lora() {
		return Result{}, fmt.Errorf("pretrain: peft %q: a fresh model has nothing to adapt; train every parameter (peft none) or fine-tune a checkpoint with LoRA", o.PEFT)
	}
	if o.MaxSeqLen == 0 {
		o.MaxSeqLen = DefaultPretrainSeqLen
	}
	lm, err := newPretrainModel(o.Arch, o.Size, o.Train.Seed)
	if err != nil {
		return Result{}, fmt.Errorf("pretrain: %w", err)
	}
	examples, st, err := dataset.PackFiles(tokenizer.Default(), o.TrainFiles,
		dataset.DocumentOptions{Split: o.Split, Field: o.TextField}, dataset.PackOptions{SeqLen: o.MaxSeqLen})
	if err != nil {
		return Result{}, fmt.Errorf("pretrain: %w", err)
	}
	logger(o.Options).Info("runner: packed", "documents", st.Documents, "tokens", st.Tokens,
		"sequences", st.Examples, "seq_len", o.MaxSeqLen, "dropped_tokens", st.DroppedTokens)
	t, err := newTrainee(lm, checkpoint.Arch(o.Arch), "", tokenizer.DefaultJSON(), o.Options)
	if err != nil {
		return Result{}, fmt.Errorf("pretrain: %w", err)
	}
	lo := dataset.LoaderOptions{BatchSize: or(o.Train.BatchSize, defaultBatchSize), Shuffle: true, Seed: o.Train.Seed}
	res, err := run(ctx, t, examples, lo, o.Options, map[string]string{
		"arch": o.Arch, "size": o.Size, "split": o.Split.String(), "text_field": o.TextField,
	})
	if err != nil {
		return res, fmt.Errorf("pretrain: %w", err)
	}
	return res, nil
}

// or returns v, or def when v is its type's zero.
func or[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}
