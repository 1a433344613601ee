package eval

import (
	"encoding/json"
	"math"
	"testing"
	"time"

	"github.com/steady-ml/steady/eval/task"
)

// TestResultsMMLU builds the results of a synthetic MMLU run in which every
// subject has two documents, one right: each subject has acc 0.5 and
// stderr sd([1,0])/sqrt(2) = 0.5; every group has acc 0.5 and the pooled
// stderr sqrt(sum((2-1)*0.5^2*2) / (2n - n) / 2n) = sqrt(0.5 / 2n) for n subjects.
func TestResultsMMLU(t *testing.T) {
	sel, err := task.Resolve([]string{"mmlu"})
	if err != nil {
		t.Fatal(err)
	}
	var runs []*TaskResult
	for _, tk := range sel.Tasks {
		tk.Config["num_fewshot"] = 5
		runs = append(runs, &TaskResult{Task: tk, NumShot: 5, Original: 100, Effective: 2, Docs: []DocResult{
			{DocID: 0, Metrics: map[string]float64{"acc": 1}},
			{DocID: 1, Metrics: map[string]float64{"acc": 0}},
		}})
	}
	now := time.Now()
	raw, err := json.Marshal(Results(runs, sel.Groups, RunInfo{ModelName: "org/model", Limit: 2, BootstrapIters: 100, Start: now, End: now}))
	if err != nil {
		t.Fatal(err)
	}
	var r map[string]any
	if err := json.Unmarshal(raw, &r); err != nil {
		t.Fatal(err)
	}
	results := r["results"].(map[string]any)
	groups := r["groups"].(map[string]any)
	cases := []struct {
		name   string
		key    string
		alias  string
		acc    float64
		stderr float64
	}{
		{"root_group", "mmlu", "mmlu", 0.5, math.Sqrt(0.5 / 114)},
		{"category", "mmlu_humanities", " - humanities", 0.5, math.Sqrt(0.5 / 26)},
		{"category_stem", "mmlu_stem", " - stem", 0.5, math.Sqrt(0.5 / 38)},
		{"subject", "mmlu_anatomy", "  - anatomy", 0.5, 0.5},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := results[c.key].(map[string]any)
			if e["alias"] != c.alias {
				t.Errorf("alias %q, want %q", e["alias"], c.alias)
			}
			if got := e["acc,none"].(float64); math.Abs(got-c.acc) > 1e-12 {
				t.Errorf("acc %v, want %v", got, c.acc)
			}
			if got := e["acc_stderr,none"].(float64); math.Abs(got-c.stderr) > 1e-12 {
				t.Errorf("acc_stderr %v, want %v", got, c.stderr)
			}
		})
	}
	if len(groups) != 5 {
		t.Errorf("%d groups, want mmlu and its 4 categories", len(groups))
	}
	if got := r["model_name_sanitized"]; got != "org__model" {
		t.Errorf("model_name_sanitized %q", got)
	}
	if got := r["n-shot"].(map[string]any)["mmlu_anatomy"]; got != 5.0 {
		t.Errorf("n-shot %v", got)
	}
}

func TestNumWritesPythonFloats(t *testing.T) {
	b, err := json.Marshal([]any{num(0), num(1), num(0.25), num(1e-05), num(math.NaN())})
	if err != nil {
		t.Fatal(err)
	}
	if want := `[0.0,1.0,0.25,1e-05,"NaN"]`; string(b) != want {
		t.Errorf("got %s, want %s", b, want)
	}
}

func TestPyFloat(t *testing.T) {
	cases := []struct {
		in   float64
		want string
	}{
		{-85.35512876497721, "-85.35512876497721"},
		{0, "0.0"},
		{-1, "-1.0"},
		{1e-05, "1e-05"},
		{-0.000123, "-0.000123"},
		{1e16, "1e+16"},
		{math.Inf(-1), "-inf"},
	}
	for _, c := range cases {
		if got := pyFloat(c.in); got != c.want {
			t.Errorf("pyFloat(%v) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestDateIDAndSanitize(t *testing.T) {
	ts := time.Date(2024, 5, 1, 12, 34, 56, 123456000, time.UTC)
	if got := DateID(ts); got != "2024-05-01T12-34-56.123456" {
		t.Errorf("DateID = %q", got)
	}
	if got := DateID(ts.Truncate(time.Second)); got != "2024-05-01T12-34-56" {
		t.Errorf("DateID without microseconds = %q", got)
	}
	if got := SanitizeModelName("/ckpt/state-spaces/mamba-130m-hf"); got != "__ckpt__state-spaces__mamba-130m-hf" {
		t.Errorf("SanitizeModelName = %q", got)
	}
}
