package perf

import (
	"fmt"
	"sort"
	"syscall"
	"time"

	"github.com/steady-ml/steady/dataset"
	"github.com/steady-ml/steady/peft"
	"github.com/steady-ml/steady/runner"
	"github.com/steady-ml/steady/train"
)

// TrainOptions say what MeasureTrain times.
type TrainOptions struct {
	Batch, Seq int // tokens per step: Batch sequences of Seq
	Reps       int // timed steps after one warm-up step; the median is reported
	// Precision is the run's precision mode (train.Precision): the model's
	// autocast, half weights and AdamW state in the pure modes.
	Precision train.Precision
	// LoRA, when non-nil, trains a LoRA adapter with these settings on the
	// frozen model (peft.NewConfig); nil trains every parameter.
	LoRA *peft.Settings
}

// TrainResult is the median of the timed training steps of one preset.
type TrainResult struct {
	Preset     string
	Precision  train.Precision
	PEFT       string // "none", or "lora" and its targets
	Batch, Seq int
	Params     int64 // the model's parameters
	Trainable  int64 // the parameters the optimiser updates
	// TokensPerSec is batch·seq over the median step time.
	TokensPerSec float64
	// GFLOPs is 6·params FLOPs per token (forward 2, backward 4), the
	// roofline convention of the training issue, whatever is trained.
	GFLOPs float64
	// TokensPerCPUSec is the timed steps' tokens over the process's CPU time
	// (user + system) during them: steadier than TokensPerSec on a shared
	// machine, where other jobs take wall time but not this process's CPU.
	TokensPerCPUSec float64
	// PeakRSS is the process's peak resident memory in bytes so far
	// (getrusage): measure one case per process for a clean figure.
	PeakRSS int64
}

// MeasureTrain times o.Reps training steps (forward, backward and an AdamW
// update of what is trained) of preset p on o.Batch×o.Seq tokens, after a
// warm-up step.
func MeasureTrain(p Preset, o TrainOptions) (TrainResult, error) {
	lm, params, err := p.build()
	if err != nil {
		return TrainResult{}, fmt.Errorf("%s: %w", p.Name, err)
	}
	t, ok := lm.(runner.Trainable)
	if !ok {
		return TrainResult{}, fmt.Errorf("%s: the model cannot be trained", p.Name)
	}
	if err := runner.ApplyPrecision(t, o.Precision); err != nil {
		return TrainResult{}, fmt.Errorf("%s: %w", p.Name, err)
	}
	r := TrainResult{Preset: p.Name, Precision: o.Precision, PEFT: runner.PEFTNone, Batch: o.Batch, Seq: o.Seq}
	var m *runner.Model
	if o.LoRA == nil {
		m, err = runner.NewModel(t)
	} else {
		m, r.PEFT, err = adapterModel(p, t, *o.LoRA)
	}
	if err != nil {
		return TrainResult{}, fmt.Errorf("%s: %w", p.Name, err)
	}
	storage := o.Precision.Autocast()
	if !o.Precision.Pure() {
		storage = 0
	}
	cfg := train.DefaultAdamW
	cfg.Storage = storage
	opt, err := train.NewAdamW(m.Params(), cfg)
	if err != nil {
		return TrainResult{}, err
	}
	b := dataset.Batch{Batch: o.Batch, Seq: o.Seq, Tokens: make([]int32, o.Batch*o.Seq), Targets: make([]int32, o.Batch*o.Seq)}
	for i := range b.Tokens {
		b.Tokens[i] = int32((i*7919 + 13) % 50000)
		b.Targets[i] = int32((i*7919 + 7932) % 50000)
	}
	times := make([]float64, 0, o.Reps)
	var cpu0 time.Duration
	for rep := range o.Reps + 1 {
		if rep == 1 {
			cpu0 = processCPU()
		}
		start := time.Now()
		for _, q := range m.Params() {
			clear(q.Grad)
		}
		if _, err := m.Step(b, 1); err != nil {
			return TrainResult{}, err
		}
		opt.Step(1e-4)
		if rep > 0 {
			times = append(times, time.Since(start).Seconds())
		}
	}
	if cpu := (processCPU() - cpu0).Seconds(); cpu > 0 {
		r.TokensPerCPUSec = float64(o.Reps*o.Batch*o.Seq) / cpu
	}
	sort.Float64s(times)
	for _, q := range params {
		r.Params += int64(len(q.Data))
	}
	for _, q := range m.Params() {
		r.Trainable += int64(len(q.Data))
	}
	r.TokensPerSec = float64(o.Batch*o.Seq) / times[len(times)/2]
	r.GFLOPs = 6 * float64(r.Params) * r.TokensPerSec / 1e9
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		r.PeakRSS = ru.Maxrss * 1024 // kilobytes on Linux
	}
	return r, nil
}

// processCPU is the user and system CPU time the process has used (0 where
// getrusage fails).
func processCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// adapterModel attaches a new LoRA adapter with settings s to t, in
// training mode, and returns the train.Model over its tensors and a label
// naming its targets.
func adapterModel(p Preset, t runner.Trainable, s peft.Settings) (*runner.Model, string, error) {
	a, ok := t.(peft.Adaptable)
	if !ok {
		return nil, "", fmt.Errorf("the model takes no adapters")
	}
	cfg, err := peft.NewConfig(s, p.Arch, p.Name)
	if err != nil {
		return nil, "", err
	}
	ad, err := peft.New(cfg, a, 0)
	if err != nil {
		return nil, "", err
	}
	ad.Train(0)
	m, err := runner.NewAdapterModel(t, ad)
	return m, runner.PEFTLoRA + " " + cfg.Targets(), err
}
