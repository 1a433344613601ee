package runner

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/steady-ml/steady/dataset"
	"github.com/steady-ml/steady/peft"
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
	// Precision is the numeric precision of the run (the zero value is
	// fp32); see train.Precision for what each mode rounds. The model is set
	// up with ApplyPrecision and the trainer gets it as Train.Precision.
	Precision train.Precision
	// PEFT is the fine-tuning method: "none" ("" means none) trains every
	// parameter; "lora" (Finetune only) freezes the model and trains a new
	// LoRA adapter configured by LoRA.
	PEFT string
	// LoRA are the adapter's settings when PEFT is "lora": targets (module
	// names or one preset name), r, alpha, dropout and rsLoRA.
	LoRA peft.Settings
	// Train configures the trainer. BatchSize defaults to 8 (HF's
	// per_device_train_batch_size); Seed also seeds the initialisation, the
	// adapter, its dropout masks and the data order. Weights and Precision
	// are set here; Fingerprint is extended with the model, data, precision
	// and PEFT settings.
	Train train.Options
}

// PEFT methods of Options.PEFT.
const (
	PEFTNone = "none"
	PEFTLoRA = "lora"
)

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
	// Checkpoint is the last checkpoint folder: a model folder, or with
	// LoRA a PEFT adapter folder (adapter_config.json,
	// adapter_model.safetensors).
	Checkpoint string
	// Examples is the number of training sequences; Params the number of
	// trained parameters (the adapter's alone with LoRA).
	Examples, Params int
	// Model is the trained model, with the adapter attached in a LoRA run.
	Model Trainable
	// Adapter is the trained adapter of a LoRA run, still in training mode
	// (call Eval before inference); nil otherwise. Adapter.Match lists the
	// adapted modules and the targets that matched none.
	Adapter *peft.Adapter
}

// Check refuses unknown precisions and PEFT methods, bad LoRA settings and
// a run without training files. Pretrain and Finetune call it first; a CLI
// calls it before loading anything.
func (o Options) Check() error {
	if _, err := train.ParsePrecision(o.Precision.String()); err != nil {
		return err
	}
	switch o.PEFT {
	case "", PEFTNone:
	case PEFTLoRA:
		if err := o.LoRA.Check(); err != nil {
			return fmt.Errorf("peft lora: %w", err)
		}
	default:
		return fmt.Errorf("peft %q: want none (full-parameter training) or lora", o.PEFT)
	}
	if len(o.TrainFiles) == 0 {
		return fmt.Errorf("no training files")
	}
	return nil
}

// lora reports whether the run trains a LoRA adapter.
func (o Options) lora() bool { return o.PEFT == PEFTLoRA }

// run trains t on examples with the trainer, saving checkpoints as t's
// weights save them (Hugging Face model folders with tokJSON as their
// tokenizer.json, or PEFT adapter folders).
func run(ctx context.Context, t trainee, examples []dataset.Example, lo dataset.LoaderOptions, o Options, fingerprint map[string]string) (Result, error) {
	res := Result{Model: t.lm, Adapter: t.adapter}
	if err := checkVocab(examples, t.lm.VocabSize()); err != nil {
		return res, err
	}
	loader, err := dataset.NewLoader(examples, lo)
	if err != nil {
		return res, err
	}
	to := o.Train
	to.BatchSize, to.Weights, to.Precision = lo.BatchSize, t.weights, o.Precision
	if to.Fingerprint, err = t.fingerprint(o, fingerprint); err != nil {
		return res, err
	}
	tr, err := train.New[dataset.Batch](t.model, NewData(loader), to)
	if err != nil {
		return res, err
	}
	res.Examples = len(examples)
	for _, p := range t.model.Params() {
		res.Params += len(p.Data)
	}
	logger(o).Info("runner: training", "params", res.Params, "examples", res.Examples, "precision", o.Precision.String(),
		"peft", or(o.PEFT, PEFTNone), "batches_per_epoch", loader.Steps(), "output_dir", to.OutputDir)
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
