package eval

import (
	"math"

	"github.com/steady-ml/steady/eval/metric"
	"github.com/steady-ml/steady/eval/task"
)

// NA is what lm-eval writes for a standard error it cannot compute.
const NA = "N/A"

// Aggregate is a task's aggregated metrics: value and standard error per
// metric name (the standard error is a float64 or NA).
type Aggregate struct {
	Value  map[string]float64
	Stderr map[string]any
	Size   int
}

// AggregateTask aggregates the per-document metrics of a task as lm-eval's
// TaskOutput.calculate_aggregate_metric does: mean (perplexity: exp(-mean))
// and mean_stderr (perplexity: bootstrap with bootstrapIters resamples;
// NA when bootstrapIters <= 0 or there is a single document).
func AggregateTask(t *task.Task, docs []DocResult, bootstrapIters int) Aggregate {
	a := Aggregate{Value: map[string]float64{}, Stderr: map[string]any{}, Size: len(docs)}
	for _, name := range t.Metrics {
		xs := make([]float64, len(docs))
		for i, d := range docs {
			xs[i] = d.Metrics[name]
		}
		agg := metric.Mean
		if name == "perplexity" {
			agg = metric.Perplexity
		}
		a.Value[name] = agg(xs)
		switch {
		case bootstrapIters <= 0 || len(xs) < 2:
			a.Stderr[name] = NA
		case name == "perplexity":
			a.Stderr[name] = metric.BootstrapStderr(agg, xs, bootstrapIters)
		default:
			a.Stderr[name] = metric.MeanStderr(xs)
		}
	}
	return a
}

// AggregateGroup is lm-eval's consolidate_group_results for a group with
// aggregate_metric_list [acc, weight_by_size]: the size-weighted mean over
// all leaf tasks and the pooled standard error. ok is false when a leaf
// task has no aggregate.
func AggregateGroup(g task.Group, tasks map[string]Aggregate) (Aggregate, bool) {
	out := Aggregate{Value: map[string]float64{}, Stderr: map[string]any{}}
	var vals, ses []float64
	var sizes []int
	na := false
	for _, name := range g.Tasks {
		a, ok := tasks[name]
		if !ok {
			return Aggregate{}, false
		}
		vals = append(vals, a.Value["acc"])
		sizes = append(sizes, a.Size)
		if se, ok := a.Stderr["acc"].(float64); ok {
			ses = append(ses, se)
		} else {
			na = true
		}
		out.Size += a.Size
	}
	out.Value["acc"] = metric.WeightedMean(vals, sizes)
	if na {
		out.Stderr["acc"] = NA
	} else {
		out.Stderr["acc"] = metric.PooledStderr(ses, sizes)
	}
	return out, true
}

// num makes a float writable as JSON the way Python's json module writes
// it (0.0, not 0; 1e-05): a pyNumber. NaN and infinities, which Python
// writes as the bare tokens NaN and Infinity that encoding/json rejects,
// become those words as strings.
func num(x float64) any {
	switch {
	case math.IsNaN(x):
		return "NaN"
	case math.IsInf(x, 1):
		return "Infinity"
	case math.IsInf(x, -1):
		return "-Infinity"
	}
	return pyNumber(x)
}

// pyNumber is a finite float64 that marshals as Python's repr.
type pyNumber float64

// MarshalJSON writes the number as Python's json.dumps does.
func (p pyNumber) MarshalJSON() ([]byte, error) { return []byte(pyFloat(float64(p))), nil }
