package eval

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"

	"github.com/steady-ml/steady/eval/task"
)

// writeSamples writes one lm-eval sample record per document.
func writeSamples(path string, r *TaskResult) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for _, d := range r.Docs {
		if err := enc.Encode(sampleRecord(r.Task, d)); err != nil {
			f.Close()
			return fmt.Errorf("%s: %w", path, err)
		}
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("%s: %w", path, err)
	}
	return f.Close()
}

// sampleRecord is lm-eval's logged sample after EvaluationTracker's
// sanitising: arguments as gen_args_i/arg_j, responses as strings.
func sampleRecord(t *task.Task, d DocResult) map[string]any {
	args := map[string]any{}
	var resps, filtered []any
	for i, r := range d.Requests {
		args["gen_args_"+strconv.Itoa(i)] = map[string]any{"arg_0": r.Context, "arg_1": r.Continuation}
		pair := []any{pyFloat(d.Scores[i].LL), pyBool(d.Scores[i].Greedy)}
		resps = append(resps, []any{pair})
		filtered = append(filtered, pair)
	}
	target := sampleTarget(t, d.Doc)
	docJSON, _ := json.MarshalIndent(d.Doc.Fields, "", "  ")
	rec := map[string]any{
		"doc_id":         d.DocID,
		"doc":            d.Doc.Fields,
		"target":         target,
		"arguments":      args,
		"resps":          resps,
		"filtered_resps": filtered,
		"filter":         "none",
		"metrics":        anyStrings(t.Metrics),
		"doc_hash":       hashString(string(docJSON)),
		"prompt_hash":    hashString(d.Requests[0].Context),
		"target_hash":    hashString(target),
	}
	for name, v := range d.Metrics {
		rec[name] = num(v)
	}
	return rec
}

// sampleTarget is str(doc_to_target(doc)): the gold index for tasks whose
// target template yields an index, the target text otherwise.
func sampleTarget(t *task.Task, d *task.Doc) string {
	if t.Kind == task.MultipleChoice && !t.TargetIsText {
		return strconv.Itoa(d.Gold)
	}
	return d.Target
}

func hashString(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// pyFloat is Python's str(float).
func pyFloat(x float64) string {
	switch {
	case math.IsNaN(x):
		return "nan"
	case math.IsInf(x, 1):
		return "inf"
	case math.IsInf(x, -1):
		return "-inf"
	}
	s := strconv.FormatFloat(x, 'g', -1, 64)
	if ax := math.Abs(x); ax >= 1e16 || (ax < 1e-4 && ax != 0) {
		return s
	}
	s = strconv.FormatFloat(x, 'f', -1, 64)
	if !strings.ContainsAny(s, ".") {
		s += ".0"
	}
	return s
}

func pyBool(b bool) string {
	if b {
		return "True"
	}
	return "False"
}
