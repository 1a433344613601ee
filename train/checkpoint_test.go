package train

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestCheckpointStepsSkipsIncompleteFolders(t *testing.T) {
	dir := t.TempDir()
	for name, complete := range map[string]bool{
		"checkpoint-2": true, "checkpoint-10": true, "checkpoint-7": false,
		"checkpoint-12.tmp": false, "checkpoint-x": true, "runs": true,
	} {
		os.MkdirAll(filepath.Join(dir, name), 0o755)
		if complete {
			os.WriteFile(filepath.Join(dir, name, StateFile), []byte("{}"), 0o644)
		}
	}
	steps, stale, err := checkpointSteps(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(steps, []int{2, 10}) || !slices.Equal(stale, []string{filepath.Join(dir, "checkpoint-12.tmp")}) {
		t.Errorf("steps %v stale %v, want [2 10] and the .tmp folder", steps, stale)
	}
	if latest, err := LatestCheckpoint(dir); err != nil || latest != filepath.Join(dir, "checkpoint-10") {
		t.Errorf("latest %s (%v), want checkpoint-10 (numeric, not lexical, order)", latest, err)
	}
}

func TestTruncateMetrics(t *testing.T) {
	path := filepath.Join(t.TempDir(), MetricsFile)
	os.WriteFile(path, []byte(`{"step":2,"loss":1}
{"step":4,"loss":0.5}
{"step":4,"eval_loss":0.7}
{"step":6,"loss":0.25}
`), 0o644)
	if err := truncateMetrics(path, 4); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(path)
	if want := "{\"step\":2,\"loss\":1}\n{\"step\":4,\"loss\":0.5}\n{\"step\":4,\"eval_loss\":0.7}\n"; string(got) != want {
		t.Errorf("after truncation:\n%s\nwant\n%s", got, want)
	}
	if err := truncateMetrics(filepath.Join(t.TempDir(), "absent.jsonl"), 4); err != nil {
		t.Errorf("absent file: %v", err)
	}
}

// TestRunConfigWithoutPrecision reads a run_config.json written before the precision field
// existed: it is an fp32 run, and resumes as one.
func TestRunConfigWithoutPrecision(t *testing.T) {
	var old RunConfig
	if err := json.Unmarshal([]byte(`{"max_steps": 10, "lr_scheduler_type": "linear"}`), &old); err != nil {
		t.Fatal(err)
	}
	if d := old.Diff(RunConfig{MaxSteps: 10, Schedule: Linear, Precision: FP32}); d != nil {
		t.Errorf("Diff = %q, want none", d)
	}
}

func TestRunConfigDiff(t *testing.T) {
	base := RunConfig{MaxSteps: 10, LR: 1e-3, Schedule: Linear, Fingerprint: map[string]string{"model": "mamba-130m"}}
	cases := []struct {
		name   string
		change func(*RunConfig)
		want   []string
	}{
		{"same", func(*RunConfig) {}, nil},
		{"lr", func(r *RunConfig) { r.LR = 2e-3 }, []string{"learning_rate: checkpoint 0.001, now 0.002"}},
		{"precision", func(r *RunConfig) { r.Precision = FP16Pure }, []string{`precision: checkpoint "fp32", now "fp16-pure"`}},
		{"fingerprint value", func(r *RunConfig) { r.Fingerprint = map[string]string{"model": "pythia"} },
			[]string{`fingerprint.model: checkpoint "mamba-130m", now "pythia"`}},
		{"fingerprint key added", func(r *RunConfig) { r.Fingerprint = map[string]string{"model": "mamba-130m", "peft": "lora"} },
			[]string{`fingerprint.peft: absent from the checkpoint, now "lora"`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			now := base
			c.change(&now)
			if got := base.Diff(now); !slices.Equal(got, c.want) {
				t.Errorf("Diff = %q, want %q", got, c.want)
			}
		})
	}
}
