package perf

import (
	"fmt"
	"sort"
	"syscall"
	"time"

	"github.com/steady-ml/steady/dataset"
	"github.com/steady-ml/steady/runner"
	"github.com/steady-ml/steady/train"
)

// TrainResult is the median of the timed training steps of one preset.
type TrainResult struct {
	Preset       string
	Batch, Seq   int
	Params       int64
	TokensPerSec float64
	// GFLOPs is 6·params FLOPs per token (forward 2, backward 4), the
	// roofline convention of the training issue.
	GFLOPs float64
	// PeakRSS is the process's peak resident memory in bytes so far
	// (getrusage): measure one preset per process for a clean figure.
	PeakRSS int64
}

// MeasureTrain times reps full fp32 training steps (forward, backward and an
// AdamW update) of preset p on batch×seq tokens, after a warm-up step.
func MeasureTrain(p Preset, batch, seq, reps int) (TrainResult, error) {
	lm, params, err := p.build()
	if err != nil {
		return TrainResult{}, fmt.Errorf("%s: %w", p.Name, err)
	}
	t, ok := lm.(runner.Trainable)
	if !ok {
		return TrainResult{}, fmt.Errorf("%s: the model cannot be trained", p.Name)
	}
	m, err := runner.NewModel(t)
	if err != nil {
		return TrainResult{}, err
	}
	opt, err := train.NewAdamW(m.Params(), train.DefaultAdamW)
	if err != nil {
		return TrainResult{}, err
	}
	b := dataset.Batch{Batch: batch, Seq: seq, Tokens: make([]int32, batch*seq), Targets: make([]int32, batch*seq)}
	for i := range b.Tokens {
		b.Tokens[i] = int32((i*7919 + 13) % 50000)
		b.Targets[i] = int32((i*7919 + 7932) % 50000)
	}
	times := make([]float64, 0, reps)
	for rep := range reps + 1 {
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
	sort.Float64s(times)
	var n int64
	for _, q := range params {
		n += int64(len(q.Data))
	}
	r := TrainResult{Preset: p.Name, Batch: batch, Seq: seq, Params: n, TokensPerSec: float64(batch*seq) / times[len(times)/2]}
	r.GFLOPs = 6 * float64(n) * r.TokensPerSec / 1e9
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		r.PeakRSS = ru.Maxrss * 1024 // kilobytes on Linux
	}
	return r, nil
}
