package train

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/steady-ml/steady/internal/atomicfile"
	"github.com/steady-ml/steady/train/tensorboard"
)

// MetricsFile is the per-step metrics log in the output folder.
const MetricsFile = "metrics.jsonl"

// Metrics is one line of metrics.jsonl: an optimiser step's training figures, averaged over
// the steps since the previous line where they are per-step.
type Metrics struct {
	Step  int    `json:"step"`
	Epoch Number `json:"epoch"`
	// Loss is the mean training loss over the steps since the last log (HF's "loss").
	Loss Number `json:"loss"`
	// LR is the learning rate the step used (HF logs the next step's).
	LR Number `json:"lr"`
	// GradNorm is the step's global gradient norm before clipping.
	GradNorm   Number `json:"grad_norm"`
	TokensPerS Number `json:"tokens_per_s"`
	LossScale  Number `json:"loss_scale"`
	// Skipped counts the steps skipped for non-finite gradients since the run began.
	Skipped int `json:"skipped"`
}

// entry returns m as a log_history entry, under HF's key names.
func (m Metrics) entry() LogEntry {
	return LogEntry{"step": Number(m.Step), "epoch": m.Epoch, "loss": m.Loss, "learning_rate": m.LR,
		"grad_norm": m.GradNorm, "tokens_per_s": m.TokensPerS, "loss_scale": m.LossScale,
		"skipped": Number(m.Skipped)}
}

// metricsLog appends to metrics.jsonl and a TensorBoard event file.
type metricsLog struct {
	jsonl  *os.File
	tb     *tensorboard.Writer
	closed bool
}

// openMetrics opens the run's metrics, first dropping metrics.jsonl lines past fromStep (those
// a resumed run will log again).
func openMetrics(outputDir string, fromStep int, now time.Time, host string) (*metricsLog, error) {
	path := filepath.Join(outputDir, MetricsFile)
	if err := truncateMetrics(path, fromStep); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	tb, err := tensorboard.Create(outputDir, now, host)
	if err != nil {
		f.Close()
		return nil, err
	}
	return &metricsLog{jsonl: f, tb: tb}, nil
}

// truncateMetrics keeps the lines of path whose step is at most step.
func truncateMetrics(path string, step int) error {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("train: %w", err)
	}
	var kept []byte
	for line := range bytes.Lines(b) {
		var s struct{ Step int }
		if json.Unmarshal(line, &s) == nil && s.Step <= step {
			kept = append(kept, line...)
		}
	}
	if len(kept) == len(b) {
		return nil
	}
	return atomicfile.WriteFile(path, kept)
}

// train logs one training line.
func (l *metricsLog) train(m Metrics, now time.Time) error {
	err := l.line(m)
	if err == nil {
		err = l.tb.Scalars(int64(m.Step), now,
			tensorboard.Scalar{Tag: "train/loss", Value: float32(m.Loss)},
			tensorboard.Scalar{Tag: "train/learning_rate", Value: float32(m.LR)},
			tensorboard.Scalar{Tag: "train/grad_norm", Value: float32(m.GradNorm)},
			tensorboard.Scalar{Tag: "train/tokens_per_s", Value: float32(m.TokensPerS)},
			tensorboard.Scalar{Tag: "train/loss_scale", Value: float32(m.LossScale)},
			tensorboard.Scalar{Tag: "train/epoch", Value: float32(m.Epoch)})
	}
	if err == nil {
		err = l.tb.Flush()
	}
	return err
}

// eval logs one evaluation line: step, epoch and eval_<name> for each result.
func (l *metricsLog) eval(step int, epoch float64, results map[string]float64, now time.Time) error {
	line := map[string]Number{"step": Number(step), "epoch": Number(epoch)}
	var scalars []tensorboard.Scalar
	for _, k := range slices.Sorted(maps.Keys(results)) {
		line[evalKey(k)] = Number(results[k])
		scalars = append(scalars, tensorboard.Scalar{Tag: "eval/" + strings.TrimPrefix(k, "eval_"), Value: float32(results[k])})
	}
	err := l.line(line)
	if err == nil {
		err = l.tb.Scalars(int64(step), now, scalars...)
	}
	if err == nil {
		err = l.tb.Flush()
	}
	return err
}

// evalKey is HF's name for an evaluation metric: eval_<name>.
func evalKey(name string) string {
	if strings.HasPrefix(name, "eval_") {
		return name
	}
	return "eval_" + name
}

// line appends v as one JSON line.
func (l *metricsLog) line(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("train: %s: %w", l.jsonl.Name(), err)
	}
	if _, err := l.jsonl.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("train: %s: %w", l.jsonl.Name(), err)
	}
	return nil
}

// close closes both files; closing again does nothing.
func (l *metricsLog) close() error {
	if l.closed {
		return nil
	}
	l.closed = true
	return errors.Join(l.tb.Close(), l.jsonl.Close())
}
