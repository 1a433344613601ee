package train

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"os"
	"time"

	"github.com/steady-ml/steady/internal/progress"
)

// Options configure a training run, with HF TrainingArguments' meanings. A zero field takes
// the default in its comment.
type Options struct {
	// OutputDir receives the checkpoints, metrics.jsonl and the TensorBoard events (required).
	OutputDir string
	// MaxSteps is the number of optimiser steps (HF max_steps); 0: Epochs × steps per epoch.
	MaxSteps int
	// Epochs is used when MaxSteps is 0 (HF num_train_epochs; default 1).
	Epochs float64
	// BatchSize is the sequences per micro-batch (HF per_device_train_batch_size). The Data
	// makes the batches; the trainer records it so that a resume with another size is refused.
	BatchSize int
	// GradAccum is the micro-batches per optimiser step (HF gradient_accumulation_steps;
	// default 1). Each micro-batch's gradient is weighted 1/GradAccum, as HF divides the loss.
	GradAccum int
	// LR is the peak learning rate (HF learning_rate; default 5e-5).
	LR float64
	// Warmup is the warm-up steps of the schedule (HF warmup_steps).
	Warmup int
	// WeightDecay is AdamW's decoupled weight decay for the parameters that decay (see
	// Param.Decays).
	WeightDecay float64
	// Beta1, Beta2, Eps are AdamW's (defaults 0.9, 0.999, 1e-8; a zero means the default).
	Beta1, Beta2, Eps float64
	// Schedule is the learning-rate schedule (default Linear, as HF's lr_scheduler_type).
	Schedule Schedule
	// Seed is recorded so that a resume with another seed is refused; the caller seeds the
	// model's initialisation and the Data's shuffling with it (see Permutation).
	Seed uint64
	// LogEvery, SaveEvery, EvalEvery are in optimiser steps (HF logging_steps, save_steps,
	// eval_steps). LogEvery defaults to 10; SaveEvery 0 saves only at the end; EvalEvery 0
	// evaluates only at the end (when Eval is set). The last step is always logged and saved.
	LogEvery, SaveEvery, EvalEvery int
	// SaveTotalLimit keeps at most this many checkpoints, deleting the oldest; as in HF, the best
	// model's checkpoint is never deleted and counts toward the limit. 0 keeps all.
	SaveTotalLimit int
	// MaxGradNorm clips the global gradient norm (HF max_grad_norm); 0: no clipping.
	MaxGradNorm float64
	// Precision is the run's precision mode (default FP32). The trainer stores the weights,
	// gradients and AdamW state as it says and turns loss scaling on for fp16 and fp16-pure;
	// the caller sets the model's autocast format to Precision.Autocast().
	Precision Precision
	// LossScaling turns on dynamic loss scaling with GradScaler's defaults; it is forced on
	// when Precision.LossScaling() holds.
	LossScaling bool
	// MaxSkippedSteps stops the run, with an *OverflowError, once this many optimiser steps in
	// a row have been skipped by the loss scaler for overflowing gradients (default 50): a
	// run whose every step overflows never updates its weights, so it must not go on.
	MaxSkippedSteps int
	// ResumeFrom is a checkpoint folder to resume from, or "latest" for the newest one in
	// OutputDir (HF resume_from_checkpoint); "" starts afresh.
	ResumeFrom string
	// Fingerprint holds the caller's settings that must also match to resume (model config,
	// data, PEFT); it is stored in run_config.json next to the trainer's own (Precision among
	// them).
	Fingerprint map[string]string
	// Weights saves and loads the weights in checkpoints (default: ParamWeights of the model's
	// parameters).
	Weights Weights
	// Eval, when set, evaluates the model; its results are logged as eval_<name>.
	Eval func(ctx context.Context) (map[string]float64, error)
	// MetricForBest names the Eval result that decides the best checkpoint (default
	// "eval_loss"); GreaterIsBetter says which way.
	MetricForBest   string
	GreaterIsBetter bool
	// Progress configures the progress bar; Logger receives a line per logged step (default
	// slog.Default()).
	Progress progress.Options
	Logger   *slog.Logger
	// Now is the clock (default time.Now); Host names the TensorBoard file (default the
	// host name).
	Now  func() time.Time
	Host string
}

// defaultMaxSkippedSteps is Options.MaxSkippedSteps' default: from GradScaler's initial 2^16,
// 50 halvings end at 2^-34, a scale no healthy fp16 run needs.
const defaultMaxSkippedSteps = 50

// withDefaults fills the zero fields and checks the others.
func (o Options) withDefaults() (Options, error) {
	if o.OutputDir == "" {
		return o, fmt.Errorf("train: Options.OutputDir is empty")
	}
	o.Epochs = or(o.Epochs, 1)
	o.GradAccum = or(o.GradAccum, 1)
	o.LR = or(o.LR, 5e-5)
	o.Beta1 = or(o.Beta1, DefaultAdamW.Beta1)
	o.Beta2 = or(o.Beta2, DefaultAdamW.Beta2)
	o.Eps = or(o.Eps, DefaultAdamW.Eps)
	o.Schedule = or(o.Schedule, Linear)
	o.LogEvery = or(o.LogEvery, 10)
	o.MetricForBest = or(o.MetricForBest, "eval_loss")
	o.MaxSkippedSteps = or(o.MaxSkippedSteps, defaultMaxSkippedSteps)
	o.LossScaling = o.LossScaling || o.Precision.LossScaling()
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Host == "" {
		o.Host, _ = os.Hostname()
		o.Host = or(o.Host, "localhost")
	}
	for _, c := range []struct {
		name  string
		value any
		bad   bool
		want  string
	}{
		{"MaxSteps", o.MaxSteps, o.MaxSteps < 0, ">= 0"},
		{"Epochs", o.Epochs, !(o.Epochs > 0) || math.IsInf(o.Epochs, 0), "> 0 and finite"},
		{"BatchSize", o.BatchSize, o.BatchSize < 0, ">= 0"},
		{"GradAccum", o.GradAccum, o.GradAccum < 1, ">= 1"},
		{"LR", o.LR, !(o.LR > 0) || math.IsInf(o.LR, 0), "> 0 and finite"},
		{"Warmup", o.Warmup, o.Warmup < 0, ">= 0"},
		{"WeightDecay", o.WeightDecay, !(o.WeightDecay >= 0), ">= 0"},
		{"LogEvery", o.LogEvery, o.LogEvery < 1, ">= 1"},
		{"SaveEvery", o.SaveEvery, o.SaveEvery < 0, ">= 0"},
		{"EvalEvery", o.EvalEvery, o.EvalEvery < 0, ">= 0"},
		{"SaveTotalLimit", o.SaveTotalLimit, o.SaveTotalLimit < 0, ">= 0"},
		{"MaxGradNorm", o.MaxGradNorm, !(o.MaxGradNorm >= 0), ">= 0"},
		{"Precision", o.Precision, !o.Precision.valid(), "one of fp32, bf16, fp16, bf16-pure, fp16-pure"},
		{"MaxSkippedSteps", o.MaxSkippedSteps, o.MaxSkippedSteps < 1, ">= 1"},
	} {
		if c.bad {
			return o, fmt.Errorf("train: Options.%s is %v; want %s", c.name, c.value, c.want)
		}
	}
	if _, err := ParseSchedule(string(o.Schedule)); err != nil {
		return o, err
	}
	return o, nil
}

// or returns v, or def when v is its type's zero.
func or[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}
