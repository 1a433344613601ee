package train

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// RunConfig is run_config.json: every setting that decides the weights a run produces, so
// every one must match for a checkpoint to be resumed. Cadences (logging, saving,
// evaluation, rotation) and the output folder may change between the two runs.
type RunConfig struct {
	MaxSteps        int      `json:"max_steps"`
	BatchSize       int      `json:"batch_size"`
	GradAccum       int      `json:"gradient_accumulation_steps"`
	BatchesPerEpoch int      `json:"batches_per_epoch"`
	LR              float64  `json:"learning_rate"`
	Schedule        Schedule `json:"lr_scheduler_type"`
	Warmup          int      `json:"warmup_steps"`
	WeightDecay     float64  `json:"weight_decay"`
	Beta1           float64  `json:"adam_beta1"`
	Beta2           float64  `json:"adam_beta2"`
	Eps             float64  `json:"adam_epsilon"`
	MaxGradNorm     float64  `json:"max_grad_norm"`
	LossScaling     bool     `json:"loss_scaling"`
	// Precision is the run's precision mode; a checkpoint written before the field existed
	// reads as fp32.
	Precision Precision `json:"precision"`
	Seed      uint64    `json:"seed"`
	// Params lists "name shape" of every parameter, in order.
	Params []string `json:"params"`
	// Fingerprint is the caller's part: model config, data, PEFT settings.
	Fingerprint map[string]string `json:"fingerprint"`
}

// Diff lists the fields of r that differ from want, as "field: checkpoint X, now Y", in field
// order. Fingerprint entries are compared one by one.
func (r RunConfig) Diff(want RunConfig) []string {
	got, now := flatten(r), flatten(want)
	var keys []string
	for k := range got {
		keys = append(keys, k)
	}
	for k := range now {
		if _, ok := got[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	var diffs []string
	for _, k := range keys {
		g, gok := got[k]
		n, nok := now[k]
		switch {
		case !gok:
			diffs = append(diffs, fmt.Sprintf("%s: absent from the checkpoint, now %s", k, n))
		case !nok:
			diffs = append(diffs, fmt.Sprintf("%s: checkpoint %s, absent now", k, g))
		case g != n:
			diffs = append(diffs, fmt.Sprintf("%s: checkpoint %s, now %s", k, g, n))
		}
	}
	return diffs
}

// flatten maps each JSON field of r to its JSON text, with fingerprint.<key> for each
// Fingerprint entry.
func flatten(r RunConfig) map[string]string {
	fp := r.Fingerprint
	r.Fingerprint = nil
	b, err := json.Marshal(r)
	if err != nil {
		panic(err) // RunConfig holds only JSON-encodable values
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(b, &fields); err != nil {
		panic(err)
	}
	out := make(map[string]string, len(fields)+len(fp))
	for k, v := range fields {
		if k != "fingerprint" {
			out[k] = string(v)
		}
	}
	for k, v := range fp {
		out["fingerprint."+k] = fmt.Sprintf("%q", v)
	}
	return out
}

// checkResume compares a checkpoint's run config with this run's.
func checkResume(dir string, saved, now RunConfig) error {
	d := saved.Diff(now)
	if len(d) == 0 {
		return nil
	}
	return fmt.Errorf("train: cannot resume from %s: %d run settings differ:\n  %s",
		dir, len(d), strings.Join(d, "\n  "))
}
