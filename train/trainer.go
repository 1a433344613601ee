package train

import (
	"context"
	"fmt"
	"math"
	"os"
	"time"

	"github.com/steady-ml/steady/internal/progress"
	"github.com/steady-ml/steady/nn"
)

// Trainer fine-tunes a Model on Data. B is the micro-batch type the two share.
type Trainer[B any] struct {
	opts    Options
	model   Model[B]
	data    Data[B]
	params  []*Param
	weights Weights
	opt     *AdamW
	scaler  *LossScaler // nil without loss scaling
	// storage is the format weights, gradients and AdamW state are stored in: AutocastOff
	// (float32), or the half format of a pure precision mode.
	storage nn.Autocast
	run     RunConfig
	state   TrainerState
	window  logWindow
	// lastCheckpoint is the newest checkpoint written or resumed from: the last good one.
	lastCheckpoint string
	bestStep       int // the step of the best evaluation, or -1
}

// logWindow sums the steps since the last log line.
type logWindow struct {
	steps  int
	loss   float64
	tokens int
	start  time.Time
}

// stepRecord is what one optimiser step produced.
type stepRecord struct {
	loss     float64 // mean over the micro-batches
	tokens   int
	lr       float64
	gradNorm float32 // before clipping
}

// NonFiniteError stops a run whose loss or gradients are NaN or infinite (without loss
// scaling, which would skip the step instead). The weights were not updated with them, and
// no checkpoint was written after them.
type NonFiniteError struct {
	Step           int    // the optimiser step (1-based) that saw the value
	What           string // "loss" or "gradient norm"
	Value          float64
	Where          string // the micro-batch, for a loss
	LastCheckpoint string // "" when none was written
}

// Error names the step, the value and the checkpoint to resume from.
func (e *NonFiniteError) Error() string {
	last := "no checkpoint was written"
	if e.LastCheckpoint != "" {
		last = "the last good checkpoint is " + e.LastCheckpoint
	}
	return fmt.Sprintf("train: step %d: %s is %v%s; stopped before updating the weights; %s",
		e.Step, e.What, e.Value, e.Where, last)
}

// OverflowError stops a loss-scaled run whose gradients overflowed (inf or NaN) on
// Options.MaxSkippedSteps optimiser steps in a row: each was skipped and the loss scale halved,
// so the weights have not moved since the streak began. Scaling cannot fix it; a format with
// fp32's range (bf16) or a lower learning rate may.
type OverflowError struct {
	Step           int     // the optimiser step (1-based) that ended the streak
	Steps          int     // the skipped steps in a row
	Scale          float32 // the loss scale the last of them ran at
	Precision      Precision
	LastCheckpoint string // "" when none was written
}

// Error names the streak, the scale, a remedy and the checkpoint to resume from.
func (e *OverflowError) Error() string {
	last := "no checkpoint was written"
	if e.LastCheckpoint != "" {
		last = "the last checkpoint is " + e.LastCheckpoint
	}
	return fmt.Sprintf("train: step %d: the %s gradients overflowed on every step for %d steps in a row (steps %d to %d), "+
		"the last at loss scale %g; each was skipped without updating the weights; stopped: train in bf16 or with a lower learning rate; %s",
		e.Step, e.Precision, e.Steps, e.Step-e.Steps+1, e.Step, e.Scale, last)
}

// New returns a trainer; Run starts it.
func New[B any](model Model[B], data Data[B], opts Options) (*Trainer[B], error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	if data.Len() < 1 {
		return nil, fmt.Errorf("train: the data has no micro-batches")
	}
	params := model.Params()
	storage := opts.Precision.storage()
	opt, err := NewAdamW(params, AdamWConfig{Beta1: opts.Beta1, Beta2: opts.Beta2, Eps: opts.Eps, WeightDecay: opts.WeightDecay, Storage: storage})
	if err != nil {
		return nil, err
	}
	t := &Trainer[B]{opts: opts, model: model, data: data, params: params, weights: opts.Weights, opt: opt, storage: storage, bestStep: -1}
	if t.weights == nil {
		t.weights = ParamWeights(params)
	}
	if opts.LossScaling {
		t.scaler = NewLossScaler()
	}
	t.run = t.runConfig()
	t.state = TrainerState{
		EvalSteps: opts.EvalEvery, IsLocalProcessZero: true, IsWorldProcessZero: true,
		LogHistory: []LogEntry{}, LoggingSteps: opts.LogEvery, MaxSteps: t.run.MaxSteps,
		NumTrainEpochs: int(math.Ceil(float64(t.run.MaxSteps*opts.GradAccum) / float64(data.Len()))),
		SaveSteps:      opts.SaveEvery, TrainBatchSize: opts.BatchSize,
	}
	return t, nil
}

// runConfig gathers the settings a resume must match.
func (t *Trainer[B]) runConfig() RunConfig {
	o := t.opts
	maxSteps := o.MaxSteps
	if maxSteps == 0 {
		maxSteps = int(math.Ceil(o.Epochs * float64(t.data.Len()) / float64(o.GradAccum)))
	}
	var params []string
	for _, p := range t.params {
		params = append(params, fmt.Sprintf("%s %v", p.Name, p.Shape))
	}
	return RunConfig{
		MaxSteps: maxSteps, BatchSize: o.BatchSize, GradAccum: o.GradAccum, BatchesPerEpoch: t.data.Len(),
		LR: o.LR, Schedule: o.Schedule, Warmup: o.Warmup, WeightDecay: o.WeightDecay,
		Beta1: o.Beta1, Beta2: o.Beta2, Eps: o.Eps, MaxGradNorm: o.MaxGradNorm, LossScaling: o.LossScaling,
		Precision: o.Precision, Seed: o.Seed, Params: params, Fingerprint: o.Fingerprint,
	}
}

// Run trains to MaxSteps, resuming first when Options.ResumeFrom says so, and returns the
// final trainer state; call it once per Trainer. When ctx is cancelled it stops between two
// steps without saving, as a killed run would, and says which checkpoint a resume would
// start from.
func (t *Trainer[B]) Run(ctx context.Context) (*TrainerState, error) {
	out := t.opts.OutputDir
	if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	if err := removeStale(out); err != nil {
		return nil, err
	}
	if t.opts.ResumeFrom != "" {
		if err := t.resume(t.opts.ResumeFrom); err != nil {
			return nil, err
		}
	}
	if t.storage != nn.AutocastOff {
		roundParams(t.params, t.storage) // a half model's weights, before the first forward
	}
	metrics, err := openMetrics(out, t.state.GlobalStep, t.opts.Now(), t.opts.Host)
	if err != nil {
		return nil, err
	}
	defer metrics.close()
	bar := progress.NewWith(int64(t.run.MaxSteps), "train", progress.Items, t.opts.Progress)
	bar.Skip(int64(t.state.GlobalStep))
	defer bar.Finish()

	t.window = logWindow{start: t.opts.Now()}
	for t.state.GlobalStep < t.run.MaxSteps {
		if err := ctx.Err(); err != nil {
			return &t.state, fmt.Errorf("train: stopped after step %d (resume from %s): %w",
				t.state.GlobalStep, or(t.lastCheckpoint, "the start"), err)
		}
		rec, err := t.step()
		if err != nil {
			return &t.state, err
		}
		bar.Add(1)
		if err := t.afterStep(ctx, metrics, rec); err != nil {
			return &t.state, err
		}
	}
	return &t.state, metrics.close()
}

// step runs one optimiser step: GradAccum forward+backward passes, unscaling or the
// non-finite guard, clipping, and the AdamW update.
func (t *Trainer[B]) step() (stepRecord, error) {
	k := t.state.GlobalStep + 1
	rec := stepRecord{lr: t.run.Schedule.LR(t.run.LR, t.opt.StepCount()+1, t.run.Warmup, t.run.MaxSteps)}
	zeroGrads(t.params)
	var err error
	if rec.loss, rec.tokens, err = t.accumulate(k); err != nil {
		return rec, err
	}
	if t.scaler != nil {
		finite := t.unscale()
		rec.gradNorm = GradNorm(t.params)
		if !finite {
			return rec, t.skip(k)
		}
	} else {
		if t.storage != nn.AutocastOff {
			roundGrads(t.params, t.storage) // the .grad of a half parameter
		}
		if rec.gradNorm = GradNorm(t.params); !isFinite(float64(rec.gradNorm)) {
			return rec, &NonFiniteError{Step: k, What: "the gradient norm", Value: float64(rec.gradNorm), LastCheckpoint: t.lastCheckpoint}
		}
	}
	if t.run.MaxGradNorm > 0 {
		scaleGrads(t.params, ClipCoef(rec.gradNorm, t.run.MaxGradNorm), t.storage)
	}
	t.opt.Step(rec.lr)
	if t.scaler != nil {
		t.scaler.Update(true)
	}
	return rec, nil
}

// unscale divides the gradients by the loss scale, in the format they are stored in, and
// reports whether all of them are finite.
func (t *Trainer[B]) unscale() bool {
	if t.storage == nn.AutocastOff {
		return t.scaler.Unscale(t.params)
	}
	return t.scaler.unscaleStored(t.params, t.storage)
}

// skip ends step k without an update, as GradScaler.step does when the gradients hold an inf
// or NaN: the scale backs off, and the schedule does not advance (HF Trainer calls
// lr_scheduler.step() only when optimizer_was_run), while the step still counts toward
// global_step and consumes its micro-batches. After MaxSkippedSteps skipped steps in a row
// the run stops.
func (t *Trainer[B]) skip(k int) error {
	scale := t.scaler.Scale
	t.scaler.Update(false)
	if n := t.scaler.ConsecutiveSkipped; n >= t.opts.MaxSkippedSteps {
		return &OverflowError{Step: k, Steps: n, Scale: scale, Precision: t.opts.Precision, LastCheckpoint: t.lastCheckpoint}
	}
	return nil
}

// accumulate runs forward and backward on the GradAccum micro-batches of step k, each
// weighted seed = (loss scale)/GradAccum, and returns their mean loss and their tokens.
func (t *Trainer[B]) accumulate(k int) (loss float64, tokens int, err error) {
	accum := t.run.GradAccum
	seed := float32(1) / float32(accum) // HF: loss / gradient_accumulation_steps
	if t.scaler != nil {
		seed = t.scaler.Scale / float32(accum) // backward of (loss/accum)·scale, in fp32
	}
	for j := range accum {
		mb := (k-1)*accum + j
		epoch, i := mb/t.run.BatchesPerEpoch, mb%t.run.BatchesPerEpoch
		batch, err := t.data.Batch(epoch, i)
		if err != nil {
			return 0, 0, fmt.Errorf("train: step %d: micro-batch %d of epoch %d: %w", k, i, epoch, err)
		}
		if s, ok := t.model.(MicroBatchSetter); ok {
			s.SetMicroBatch(mb)
		}
		st, err := t.model.Step(batch, seed)
		if err != nil {
			return 0, 0, fmt.Errorf("train: step %d: micro-batch %d of epoch %d: %w", k, i, epoch, err)
		}
		if t.scaler == nil && !isFinite(st.Loss) {
			return 0, 0, &NonFiniteError{Step: k, What: "the loss", Value: st.Loss,
				Where: fmt.Sprintf(" on micro-batch %d of epoch %d", i, epoch), LastCheckpoint: t.lastCheckpoint}
		}
		loss += st.Loss
		tokens += st.Tokens
	}
	return loss / float64(accum), tokens, nil
}

// afterStep records step k's figures and logs, evaluates and saves when due.
func (t *Trainer[B]) afterStep(ctx context.Context, metrics *metricsLog, rec stepRecord) error {
	k := t.state.GlobalStep + 1
	t.state.GlobalStep = k
	t.state.Epoch = t.epoch(k)
	t.state.NumInputTokensSeen += int64(rec.tokens)
	t.window.steps++
	t.window.loss += rec.loss
	t.window.tokens += rec.tokens
	last := k == t.run.MaxSteps
	if k%t.opts.LogEvery == 0 || last {
		if err := t.log(metrics, rec); err != nil {
			return err
		}
	}
	if t.opts.Eval != nil && (last || t.opts.EvalEvery > 0 && k%t.opts.EvalEvery == 0) {
		if err := t.evaluate(ctx, metrics); err != nil {
			return err
		}
	}
	if last || t.opts.SaveEvery > 0 && k%t.opts.SaveEvery == 0 {
		return t.save()
	}
	return nil
}

// epoch is HF's fractional epoch after step k.
func (t *Trainer[B]) epoch(k int) float64 {
	return float64(k*t.run.GradAccum) / float64(t.run.BatchesPerEpoch)
}

// log writes the metrics of the steps since the last log line.
func (t *Trainer[B]) log(metrics *metricsLog, rec stepRecord) error {
	now := t.opts.Now()
	m := Metrics{
		Step: t.state.GlobalStep, Epoch: Number(t.state.Epoch),
		Loss: Number(t.window.loss / float64(t.window.steps)), LR: Number(rec.lr),
		GradNorm: Number(rec.gradNorm), LossScale: 1,
	}
	if s := now.Sub(t.window.start).Seconds(); s > 0 {
		m.TokensPerS = Number(float64(t.window.tokens) / s)
	}
	if t.scaler != nil {
		m.LossScale, m.Skipped = Number(t.scaler.Scale), t.scaler.Skipped
	}
	t.window = logWindow{start: now}
	t.state.LogHistory = append(t.state.LogHistory, m.entry())
	t.opts.Logger.Info("train", "step", m.Step, "epoch", float64(m.Epoch), "loss", float64(m.Loss),
		"lr", float64(m.LR), "grad_norm", float64(m.GradNorm), "tokens_per_s", float64(m.TokensPerS),
		"skipped", m.Skipped)
	return metrics.train(m, now)
}

// evaluate runs Options.Eval, logs its results and tracks the best metric.
func (t *Trainer[B]) evaluate(ctx context.Context, metrics *metricsLog) error {
	raw, err := t.opts.Eval(ctx)
	if err != nil {
		return fmt.Errorf("train: evaluation at step %d: %w", t.state.GlobalStep, err)
	}
	results := make(map[string]float64, len(raw))
	entry := LogEntry{"step": Number(t.state.GlobalStep), "epoch": Number(t.state.Epoch)}
	for name, v := range raw {
		results[evalKey(name)] = v
		entry[evalKey(name)] = Number(v)
	}
	t.state.LogHistory = append(t.state.LogHistory, entry)
	if v, ok := results[evalKey(t.opts.MetricForBest)]; ok && isFinite(v) {
		best := t.state.BestMetric
		if best == nil || (t.opts.GreaterIsBetter && v > *best) || (!t.opts.GreaterIsBetter && v < *best) {
			t.state.BestMetric = &v
			t.bestStep = t.state.GlobalStep
		}
	}
	return metrics.eval(t.state.GlobalStep, t.state.Epoch, results, t.opts.Now())
}

func isFinite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }
