package runner

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"

	"github.com/steady-ml/steady/checkpoint"
	"github.com/steady-ml/steady/dataset"
	"github.com/steady-ml/steady/tokenizer"
)

// FinetuneOptions configure Finetune.
type FinetuneOptions struct {
	Options
	// Model is the checkpoint folder to start from.
	Model string
	// ModelName is how the user named Model (a hub id, or the folder),
	// recorded as a LoRA adapter's base_model_name_or_path (default Model).
	ModelName string
	// ResponseOnly takes the loss on the responses only, masking the prompts
	// (TRL's completion-only training; the CLI's default).
	ResponseOnly bool
	// Overflow says what happens to examples longer than MaxSeqLen.
	Overflow dataset.Overflow
}

// Finetune loads the checkpoint folder Model, encodes the instruction pairs
// of TrainFiles (Alpaca JSON or JSONL, prompt/response JSONL) with the
// folder's tokenizer.json (the embedded GPT-NeoX tokenizer when it has none),
// and trains on them in Precision: every parameter (PEFT none; checkpoints
// are model folders), or a new LoRA adapter on the frozen model (PEFT lora;
// checkpoints are PEFT adapter folders, which peft.Load and `steady
// generate --adapter` read). Examples left with no target (a prompt that
// fills MaxSeqLen) are dropped.
func Finetune(ctx context.Context, o FinetuneOptions) (Result, error) {
	if err := o.Options.Check(); err != nil {
		return Result{}, fmt.Errorf("finetune: %w", err)
	}
	if o.MaxSeqLen == 0 {
		o.MaxSeqLen = DefaultFinetuneSeqLen
	}
	lm, arch, err := loadTrainable(o.Model)
	if err != nil {
		return Result{}, fmt.Errorf("finetune: %w", err)
	}
	tok, tokJSON, err := modelTokenizer(o.Model)
	if err != nil {
		return Result{}, fmt.Errorf("finetune: %w", err)
	}
	var pairs []dataset.Pair
	for _, path := range o.TrainFiles {
		p, err := dataset.ReadPairs(path)
		if err != nil {
			return Result{}, fmt.Errorf("finetune: %w", err)
		}
		pairs = append(pairs, p...)
	}
	examples, st, err := dataset.EncodePairs(tok, pairs,
		dataset.InstructOptions{MaxLen: o.MaxSeqLen, ResponseOnly: o.ResponseOnly, Overflow: o.Overflow})
	if err != nil {
		return Result{}, fmt.Errorf("finetune: %w", err)
	}
	examples = withTargets(examples)
	logger(o.Options).Info("runner: encoded", "pairs", len(pairs), "examples", len(examples),
		"truncated", st.Truncated, "skipped", st.Skipped, "fully_masked_dropped", st.FullyMasked, "targets", st.Targets)
	if len(examples) == 0 {
		return Result{}, fmt.Errorf("finetune: no example of %v has a target to train on", o.TrainFiles)
	}
	eos, ok := tok.TokenID(dataset.EOSToken)
	if !ok {
		return Result{}, fmt.Errorf("finetune: the tokenizer of %s has no %s to pad with", o.Model, dataset.EOSToken)
	}
	t, err := newTrainee(lm, arch, or(o.ModelName, o.Model), tokJSON, o.Options)
	if err != nil {
		return Result{}, fmt.Errorf("finetune: %w", err)
	}
	lo := dataset.LoaderOptions{BatchSize: or(o.Train.BatchSize, defaultBatchSize), Shuffle: true, Seed: o.Train.Seed, Pad: eos}
	res, err := run(ctx, t, examples, lo, o.Options, map[string]string{
		"model": o.Model, "response_only": strconv.FormatBool(o.ResponseOnly), "overflow": o.Overflow.String(),
	})
	if err != nil {
		return res, fmt.Errorf("finetune: %w", err)
	}
	return res, nil
}

// loadTrainable builds the model of a checkpoint folder, if its
// architecture can be trained, and returns its architecture.
func loadTrainable(dir string) (Trainable, checkpoint.Arch, error) {
	ck, err := checkpoint.Open(dir)
	if err != nil {
		return nil, "", err
	}
	defer ck.Close()
	lm, err := ck.Model()
	if err != nil {
		return nil, "", err
	}
	t, err := asTrainable(ck.Arch, lm)
	if err != nil {
		return nil, "", fmt.Errorf("%s is a %s checkpoint: %w", dir, ck.Arch, err)
	}
	return t, ck.Arch, nil
}

// modelTokenizer reads dir/tokenizer.json, or returns the embedded GPT-NeoX
// tokenizer when the folder has none.
func modelTokenizer(dir string) (*tokenizer.Tokenizer, []byte, error) {
	path := filepath.Join(dir, "tokenizer.json")
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return tokenizer.Default(), tokenizer.DefaultJSON(), nil
	}
	if err != nil {
		return nil, nil, err
	}
	tok, err := tokenizer.FromJSON(data)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	return tok, data, nil
}

// withTargets drops the examples whose targets are all IgnoreIndex: their
// mean loss is undefined.
func withTargets(examples []dataset.Example) []dataset.Example {
	kept := examples[:0]
	for _, ex := range examples {
		for _, t := range ex.Targets {
			if t != dataset.IgnoreIndex {
				kept = append(kept, ex)
				break
			}
		}
	}
	return kept
}
