package runner

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"

	"github.com/steady-ml/steady/dataset"
	"github.com/steady-ml/steady/train"
)

// Options are the settings Pretrain and Finetune share.
type Options struct {
	// TrainFiles are the training data files, read in order.
	TrainFiles []string
	// MaxSeqLen is the length of the packed sequences (Pretrain; default
	// DefaultPretrainSeqLen) or the most tokens of an instruction example
	// (Finetune; default DefaultFinetuneSeqLen): HF's max_seq_length.
	MaxSeqLen int
	// Precision must be "fp32" ("" means fp32); PEFT must be "none" ("" means none).
	Precision, PEFT string
	// Train configures the trainer. BatchSize defaults to 8 (HF's
	// per_device_train_batch_size); Seed also seeds the initialisation and
	// the data order. Weights is set here; Fingerprint is extended with the
	// model and data settings.
	Train train.Options
}

// Default sequence lengths of Options.MaxSeqLen.
const (
	DefaultPretrainSeqLen = 256
	DefaultFinetuneSeqLen = 512
)

// defaultBatchSize is HF TrainingArguments' per_device_train_batch_size.
const defaultBatchSize = 8

// Result is what a run produced.
type Result struct {
	// State is the final trainer state (trainer_state.json).
	State *train.TrainerState
	// Checkpoint is the last checkpoint folder, a model folder too.
	Checkpoint string
	// Examples is the number of training sequences; Params the number of
	// trained parameters.
	Examples, Params int
}

// Check refuses the precisions and PEFT methods that do not exist yet, and
// a run without training files. Pretrain and Finetune call it first; a CLI
// calls it before loading anything.
func (o Options) Check() error {
	if p := o.Precision; p != "" && p != "fp32" {
		return fmt.Errorf("precision %q is not available yet: only fp32 (mixed precision and pure half precision come later)", p)
	}
	if p := o.PEFT; p != "" && p != "none" {
		return fmt.Errorf("peft %q is not available yet: only none (full-parameter training)", p)
	}
	if len(o.TrainFiles) == 0 {
		return fmt.Errorf("no training files")
	}
	return nil
}

// run trains lm on examples with the trainer, saving checkpoints in Hugging
// Face layout with tokJSON as their tokenizer.json.
func run(ctx context.Context, lm Trainable, tokJSON []byte, examples []dataset.Example, lo dataset.LoaderOptions, o Options, fingerprint map[string]string) (Result, error) {
	var res Result
	if err := checkVocab(examples, lm.VocabSize()); err != nil {
		return res, err
	}
	m, err := NewModel(lm)
	if err != nil {
		return res, err
	}
	loader, err := dataset.NewLoader(examples, lo)
	if err != nil {
		return res, err
	}
	cfg, err := lm.HFConfig()
	if err != nil {
		return res, err
	}
	to := o.Train
	to.BatchSize = lo.BatchSize
	to.Weights = Weights{Model: lm, TokenizerJSON: tokJSON}
	to.Fingerprint = map[string]string{
		"model_config":   string(cfg),
		"precision":      "fp32",
		"peft":           "none",
		"train_files":    strings.Join(o.TrainFiles, "\n"),
		"max_seq_length": strconv.Itoa(o.MaxSeqLen),
	}
	for k, v := range o.Train.Fingerprint {
		to.Fingerprint[k] = v
	}
	for k, v := range fingerprint {
		to.Fingerprint[k] = v
	}
	tr, err := train.New[dataset.Batch](m, NewData(loader), to)
	if err != nil {
		return res, err
	}
	res.Examples = len(examples)
	for _, p := range m.Params() {
		res.Params += len(p.Data)
	}
	logger(o).Info("runner: training", "params", res.Params, "examples", res.Examples,
		"batches_per_epoch", loader.Steps(), "output_dir", to.OutputDir)
	res.State, err = tr.Run(ctx)
	if err != nil {
		return res, err
	}
	res.Checkpoint = train.CheckpointDir(to.OutputDir, res.State.GlobalStep)
	return res, nil
}

// checkVocab fails on the first token or target id the model has no row for.
func checkVocab(examples []dataset.Example, vocab int) error {
	for i, ex := range examples {
		for _, ids := range [][]int32{ex.Tokens, ex.Targets} {
			for _, id := range ids {
				if id != dataset.IgnoreIndex && (id < 0 || int(id) >= vocab) {
					return fmt.Errorf("example %d holds token id %d, outside the model's vocabulary of %d: the tokenizer does not match the model", i, id, vocab)
				}
			}
		}
	}
	return nil
}

func logger(o Options) *slog.Logger {
	if o.Train.Logger != nil {
		return o.Train.Logger
	}
	return slog.Default()
}
