package train

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/steady-ml/steady/internal/progress"
)

// testOptions is a 12-step run with accumulation, clipping, warm-up and a checkpoint every 4.
func testOptions(dir string) Options {
	quiet := false
	return Options{
		OutputDir: dir, MaxSteps: 12, BatchSize: 2, GradAccum: 2, LR: 0.05, Warmup: 2,
		WeightDecay: 0.01, Schedule: Cosine, Seed: 5, LogEvery: 2, SaveEvery: 4, MaxGradNorm: 1,
		Fingerprint: map[string]string{"precision": "fp32"},
		Progress:    progress.Options{Out: io.Discard, Terminal: &quiet},
		Logger:      slog.New(slog.NewTextHandler(io.Discard, nil)),
		Host:        "testhost",
	}
}

// train runs a fresh model on the test data with opts and returns the model.
func train(t *testing.T, opts Options, hook func(int, *linearModel) (float64, bool)) (*linearModel, *TrainerState, error) {
	t.Helper()
	model := newLinearModel(opts.Seed)
	model.hook = hook
	tr, err := New[[]example](model, newLinearData(16, 2, opts.Seed), opts)
	if err != nil {
		t.Fatal(err)
	}
	state, err := tr.Run(context.Background())
	return model, state, err
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestTrainIsDeterministic(t *testing.T) {
	var weights, optim [2][]byte
	for i := range 2 {
		opts := testOptions(t.TempDir())
		_, state, err := train(t, opts, nil)
		if err != nil {
			t.Fatal(err)
		}
		last := CheckpointDir(opts.OutputDir, 12)
		weights[i] = mustRead(t, filepath.Join(last, WeightsFile))
		optim[i] = mustRead(t, filepath.Join(last, OptimizerFile))
		first, final := state.LogHistory[0]["loss"], state.LogHistory[len(state.LogHistory)-1]["loss"]
		if !(final < first) {
			t.Errorf("loss went from %v to %v", first, final)
		}
	}
	if !bytes.Equal(weights[0], weights[1]) || !bytes.Equal(optim[0], optim[1]) {
		t.Fatal("two runs with the same seed and data wrote different weights or optimiser state")
	}
}

// TestKillAndResume interrupts a run after step 6 (checkpoint-4 is the last one saved), leaves
// a half-written checkpoint folder behind as a crash during a save would, resumes, and checks
// that the weights end bit-identical to an uninterrupted run's.
func TestKillAndResume(t *testing.T) {
	for _, c := range []struct {
		name, from  string
		lossScaling bool
	}{{"latest", "latest", false}, {"explicit path", "explicit", false}, {"loss scaling", "latest", true}} {
		t.Run(c.name, func(t *testing.T) {
			ref := testOptions(t.TempDir())
			ref.LossScaling = c.lossScaling
			if _, _, err := train(t, ref, nil); err != nil {
				t.Fatal(err)
			}

			opts := testOptions(t.TempDir())
			opts.LossScaling = c.lossScaling
			ctx, cancel := context.WithCancel(context.Background())
			model := newLinearModel(opts.Seed)
			model.hook = cancelAfter(6*opts.GradAccum, cancel) // the last micro-batch of step 6
			tr, err := New[[]example](model, newLinearData(16, 2, opts.Seed), opts)
			if err != nil {
				t.Fatal(err)
			}
			state, err := tr.Run(ctx)
			if !errors.Is(err, context.Canceled) || state.GlobalStep != 6 {
				t.Fatalf("interrupted run: step %d, err %v", state.GlobalStep, err)
			}
			t.Log(err)
			tmp := CheckpointDir(opts.OutputDir, 8) + tmpSuffix
			if err := os.MkdirAll(tmp, 0o755); err != nil {
				t.Fatal(err)
			}
			os.WriteFile(filepath.Join(tmp, WeightsFile), []byte("half"), 0o644)

			opts.ResumeFrom = "latest"
			if c.from == "explicit" {
				opts.ResumeFrom = CheckpointDir(opts.OutputDir, 4)
			}
			if _, _, err := train(t, opts, nil); err != nil {
				t.Fatal(err)
			}
			files := []string{WeightsFile, OptimizerFile, SchedulerFile, RNGStateFile}
			if c.lossScaling {
				files = append(files, ScalerFile)
			}
			for _, f := range files {
				got := mustRead(t, filepath.Join(CheckpointDir(opts.OutputDir, 12), f))
				if want := mustRead(t, filepath.Join(CheckpointDir(ref.OutputDir, 12), f)); !bytes.Equal(got, want) {
					t.Errorf("resumed run's %s differs from the uninterrupted run's", f)
				}
			}
			if _, err := os.Stat(tmp); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("the interrupted save %s was not cleaned up", tmp)
			}
			steps := metricSteps(t, opts.OutputDir)
			if !slices.Equal(steps, []int{2, 4, 6, 8, 10, 12}) {
				t.Errorf("metrics.jsonl steps %v, want each logged step once", steps)
			}
		})
	}
}

// metricSteps returns the step of each metrics.jsonl line.
func metricSteps(t *testing.T, dir string) []int {
	t.Helper()
	var steps []int
	for line := range strings.Lines(string(mustRead(t, filepath.Join(dir, MetricsFile)))) {
		var m Metrics
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("metrics.jsonl line %q: %v", line, err)
		}
		steps = append(steps, m.Step)
	}
	return steps
}

func TestResumeRefusesAnotherConfig(t *testing.T) {
	opts := testOptions(t.TempDir())
	opts.MaxSteps = 4
	if _, _, err := train(t, opts, nil); err != nil {
		t.Fatal(err)
	}
	opts.LR = 0.01
	opts.Fingerprint = map[string]string{"precision": "bf16"}
	opts.ResumeFrom = "latest"
	opts.LogEvery = 1 // a cadence: allowed to differ
	model := newLinearModel(opts.Seed)
	tr, err := New[[]example](model, newLinearData(16, 2, opts.Seed), opts)
	if err != nil {
		t.Fatal(err)
	}
	_, err = tr.Run(context.Background())
	if err == nil {
		t.Fatal("resumed with another learning rate and precision")
	}
	for _, want := range []string{"learning_rate: checkpoint 0.05, now 0.01", `fingerprint.precision: checkpoint "fp32", now "bf16"`, "2 run settings differ"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "logging") {
		t.Errorf("error %q names a cadence", err)
	}
}

func TestResumeLatestWithoutCheckpoint(t *testing.T) {
	opts := testOptions(t.TempDir())
	opts.ResumeFrom = "latest"
	_, _, err := train(t, opts, nil)
	if err == nil || !strings.Contains(err.Error(), opts.OutputDir) {
		t.Fatalf("err %v, want one naming %s", err, opts.OutputDir)
	}
}

func TestSaveTotalLimitKeepsNewestAndBest(t *testing.T) {
	opts := testOptions(t.TempDir())
	opts.SaveEvery, opts.SaveTotalLimit, opts.EvalEvery = 2, 3, 2
	evals := 0
	opts.Eval = func(context.Context) (map[string]float64, error) {
		evals++
		return map[string]float64{"loss": float64(abs(evals - 2))}, nil // best at step 4
	}
	_, state, err := train(t, opts, nil)
	if err != nil {
		t.Fatal(err)
	}
	steps, _, err := checkpointSteps(opts.OutputDir)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(steps, []int{4, 10, 12}) {
		t.Errorf("checkpoints %v, want 3: the best (4) and the newest two (10, 12)", steps)
	}
	if state.BestMetric == nil || *state.BestMetric != 0 || state.BestModelCheckpoint == nil || *state.BestModelCheckpoint != CheckpointDir(opts.OutputDir, 4) {
		t.Errorf("best metric %v at %v, want 0 at checkpoint-4", state.BestMetric, state.BestModelCheckpoint)
	}
}

func abs(x int) int { return max(x, -x) }

// TestRunFolderLayout checks the files of a checkpoint and the HF keys of trainer_state.json.
func TestRunFolderLayout(t *testing.T) {
	opts := testOptions(t.TempDir())
	if _, _, err := train(t, opts, nil); err != nil {
		t.Fatal(err)
	}
	dir := CheckpointDir(opts.OutputDir, 12)
	for _, f := range []string{WeightsFile, OptimizerFile, SchedulerFile, RNGStateFile, RunConfigFile, StateFile} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
	var state map[string]any
	if err := json.Unmarshal(mustRead(t, filepath.Join(dir, StateFile)), &state); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"best_metric", "best_model_checkpoint", "epoch", "global_step", "log_history", "logging_steps", "max_steps", "num_train_epochs", "save_steps", "train_batch_size"} {
		if _, ok := state[k]; !ok {
			t.Errorf("trainer_state.json lacks %q", k)
		}
	}
	if state["global_step"] != 12.0 || state["epoch"] != 3.0 {
		t.Errorf("global_step %v epoch %v, want 12 and 3 (24 micro-batches of 8 per epoch)", state["global_step"], state["epoch"])
	}
	entry := state["log_history"].([]any)[0].(map[string]any)
	for _, k := range []string{"step", "epoch", "loss", "learning_rate", "grad_norm"} {
		if _, ok := entry[k]; !ok {
			t.Errorf("log_history entry %v lacks %q", entry, k)
		}
	}
	// Update 2 ran at λ(1) = 1/2 of the peak: LR 0.025.
	if entry["learning_rate"] != 0.025 {
		t.Errorf("learning_rate logged at step 2: %v, want 0.025", entry["learning_rate"])
	}
	var rng RNGState
	if err := readJSON(filepath.Join(dir, RNGStateFile), &rng); err != nil || rng.MicroBatch != 24 || rng.Epoch != 3 || rng.Index != 0 {
		t.Errorf("rng_state %+v (%v)", rng, err)
	}
	events, _ := filepath.Glob(filepath.Join(opts.OutputDir, "events.out.tfevents.*.testhost.*"))
	if len(events) != 1 {
		t.Errorf("event files %v, want one", events)
	}
}

func TestNonFiniteLossStopsAndKeepsLastCheckpoint(t *testing.T) {
	opts := testOptions(t.TempDir())
	nanAtStep6 := func(call int, _ *linearModel) (float64, bool) { return nan, call == 6*opts.GradAccum }
	_, state, err := train(t, opts, nanAtStep6)
	var nf *NonFiniteError
	if !errors.As(err, &nf) || nf.Step != 6 || nf.LastCheckpoint != CheckpointDir(opts.OutputDir, 4) {
		t.Fatalf("err %v, want a NonFiniteError at step 6 naming checkpoint-4", err)
	}
	t.Log(err)
	if state.GlobalStep != 5 {
		t.Errorf("global step %d, want 5", state.GlobalStep)
	}
	if latest, _ := LatestCheckpoint(opts.OutputDir); latest != CheckpointDir(opts.OutputDir, 4) {
		t.Errorf("latest checkpoint %s, want checkpoint-4", latest)
	}
}

func TestNonFiniteGradientStops(t *testing.T) {
	opts := testOptions(t.TempDir())
	poison := func(call int, m *linearModel) (float64, bool) {
		if call == 3 {
			m.w.Grad[0] = float32(nan)
		}
		return 0, false
	}
	_, _, err := train(t, opts, poison)
	var nf *NonFiniteError
	if !errors.As(err, &nf) || nf.Step != 2 || nf.LastCheckpoint != "" {
		t.Fatalf("err %v, want a NonFiniteError at step 2 with no checkpoint", err)
	}
}

// TestLossScalingSkipsOverflowingStep poisons one micro-batch's gradients under loss scaling:
// that step is skipped (the weights do not move), the scale halves, and training goes on.
func TestLossScalingSkipsOverflowingStep(t *testing.T) {
	opts := testOptions(t.TempDir())
	opts.LossScaling, opts.MaxSteps, opts.LogEvery, opts.SaveEvery = true, 4, 1, 1
	var before []float32
	poison := func(call int, m *linearModel) (float64, bool) {
		if call == 5 { // first micro-batch of step 3
			before = slices.Clone(m.w.Data)
			m.w.Grad[1] = float32(math.Inf(1))
		}
		return 0, false
	}
	model, _, err := train(t, opts, poison)
	if err != nil {
		t.Fatal(err)
	}
	var s3, s2 []float32
	readW := func(step int) []float32 {
		var w []float32
		err := readF32s(filepath.Join(CheckpointDir(opts.OutputDir, step), WeightsFile), func(get func(string, []int) ([]float32, error)) error {
			var err error
			w, err = get("linear.weight", model.w.Shape)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return w
	}
	s2, s3 = readW(2), readW(3)
	if !slices.Equal(s2, s3) || !slices.Equal(s2, before) {
		t.Errorf("weights moved on the skipped step: %v → %v", s2, s3)
	}
	var sc LossScaler
	if err := readJSON(filepath.Join(CheckpointDir(opts.OutputDir, 4), ScalerFile), &sc); err != nil {
		t.Fatal(err)
	}
	if sc.Scale != 32768 || sc.Skipped != 1 {
		t.Errorf("scaler %+v, want scale 2^15 and one skipped step", sc)
	}
	var last Metrics
	lines := strings.Split(strings.TrimSpace(string(mustRead(t, filepath.Join(opts.OutputDir, MetricsFile)))), "\n")
	json.Unmarshal([]byte(lines[len(lines)-1]), &last)
	if last.Skipped != 1 || last.LossScale != 32768 {
		t.Errorf("last metrics %+v", last)
	}
}

// TestGradAccumAveragesMicroBatches compares two micro-batches of one example accumulated
// with one micro-batch of both: the same mean gradient, up to fp32 rounding.
func TestGradAccumAveragesMicroBatches(t *testing.T) {
	run := func(size, accum int) []float32 {
		opts := testOptions(t.TempDir())
		opts.GradAccum, opts.MaxSteps, opts.MaxGradNorm = accum, 1, 0
		model := newLinearModel(opts.Seed)
		data := newLinearData(16, size, opts.Seed)
		data.seed = 0
		tr, err := New[[]example](model, &unshuffled{data}, opts)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tr.Run(context.Background()); err != nil {
			t.Fatal(err)
		}
		return tr.opt.m[0] // the first moment: (1−β1)·g
	}
	a, b := run(1, 2), run(2, 1)
	for i := range a {
		if d := a[i] - b[i]; d > 1e-7 || d < -1e-7 {
			t.Fatalf("exp_avg %v with accumulation, %v without", a, b)
		}
	}
}

// unshuffled serves micro-batches in order, so that batch sizes 1 and 2 see the same examples.
type unshuffled struct{ d *linearData }

func (u *unshuffled) Len() int { return u.d.Len() }
func (u *unshuffled) Batch(_, i int) ([]example, error) {
	return u.d.examples[i*u.d.size : (i+1)*u.d.size], nil
}

func TestOptionsRejected(t *testing.T) {
	for name, mutate := range map[string]func(*Options){
		"no output dir":          func(o *Options) { o.OutputDir = "" },
		"negative accum":         func(o *Options) { o.GradAccum = -1 },
		"bad schedule":           func(o *Options) { o.Schedule = "triangle" },
		"negative clip":          func(o *Options) { o.MaxGradNorm = -1 },
		"unknown precision":      func(o *Options) { o.Precision = FP16Pure + 1 },
		"negative skipped steps": func(o *Options) { o.MaxSkippedSteps = -1 },
	} {
		opts := testOptions(t.TempDir())
		mutate(&opts)
		if _, err := New[[]example](newLinearModel(1), newLinearData(4, 2, 1), opts); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
