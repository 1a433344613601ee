package train

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/steady-ml/steady/nn"
)

func TestParsePrecision(t *testing.T) {
	cases := []struct {
		name        string
		want        Precision
		autocast    nn.Autocast
		pure, scale bool
	}{
		{"fp32", FP32, nn.AutocastOff, false, false},
		{"bf16", BF16, nn.AutocastBF16, false, false},
		{"fp16", FP16, nn.AutocastF16, false, true},
		{"bf16-pure", BF16Pure, nn.AutocastBF16, true, false},
		{"fp16-pure", FP16Pure, nn.AutocastF16, true, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := ParsePrecision(c.name)
			if err != nil || p != c.want {
				t.Fatalf("ParsePrecision(%q) = %v, %v; want %v", c.name, p, err, c.want)
			}
			if p.String() != c.name || p.Autocast() != c.autocast || p.Pure() != c.pure || p.LossScaling() != c.scale {
				t.Errorf("%v: String %q Autocast %v Pure %v LossScaling %v; want %q %v %v %v",
					p, p.String(), p.Autocast(), p.Pure(), p.LossScaling(), c.name, c.autocast, c.pure, c.scale)
			}
			b, err := json.Marshal(struct{ P Precision }{p})
			var back struct{ P Precision }
			if err != nil || json.Unmarshal(b, &back) != nil || back.P != p || !strings.Contains(string(b), `"`+c.name+`"`) {
				t.Errorf("JSON round trip: %s → %v (%v)", b, back.P, err)
			}
		})
	}
	if p, err := ParsePrecision(""); p != FP32 || err != nil {
		t.Errorf(`ParsePrecision("") = %v, %v; want fp32`, p, err)
	}
}

func TestParsePrecisionRejects(t *testing.T) {
	for _, s := range []string{"FP16", "bf16_pure", "float16", "half", "fp16-mixed", " fp32"} {
		t.Run(s, func(t *testing.T) {
			_, err := ParsePrecision(s)
			if err == nil {
				t.Fatalf("ParsePrecision(%q) accepted", s)
			}
			for _, name := range precisionNames {
				if !strings.Contains(err.Error(), name) {
					t.Errorf("error %q does not list %q", err, name)
				}
			}
		})
	}
	if _, err := Precision(len(precisionNames)).MarshalText(); err == nil {
		t.Error("an unknown precision marshals")
	}
}

// infGradients makes every Step report an infinite loss and an infinite gradient.
func infGradients(_ int, m *linearModel) (float64, bool) {
	m.w.Grad[0] = float32(math.Inf(1))
	return math.Inf(1), true
}

// poisonSteps returns a hook that puts an inf into the gradient of the first micro-batch of
// each of the given optimiser steps (GradAccum micro-batches each).
func poisonSteps(accum int, steps ...int) func(int, *linearModel) (float64, bool) {
	return func(call int, m *linearModel) (float64, bool) {
		if (call-1)%accum == 0 && slices.Contains(steps, (call-1)/accum+1) {
			m.w.Grad[1] = float32(math.Inf(1))
		}
		return 0, false
	}
}

// TestOverflowEveryStepStops runs fp16 with gradients that overflow at every scale: each step
// is skipped, and the run stops with an OverflowError after MaxSkippedSteps of them, having
// never touched the weights and written only consistent checkpoints and metrics.
func TestOverflowEveryStepStops(t *testing.T) {
	cases := []struct {
		name      string
		limit     int // Options.MaxSkippedSteps
		stopsAtK  int
		lastSaved int // SaveEvery 4
	}{
		{"default limit", 0, 50, 48},
		{"limit 5", 5, 5, 4},
		{"limit 1", 1, 1, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			opts := testOptions(t.TempDir())
			opts.Precision, opts.MaxSkippedSteps, opts.MaxSteps, opts.LogEvery = FP16, c.limit, 100, 1
			initial := newLinearModel(opts.Seed)
			model, state, err := train(t, opts, infGradients)
			var oe *OverflowError
			if !errors.As(err, &oe) {
				t.Fatalf("err %v, want an OverflowError", err)
			}
			t.Log(err)
			wantCheckpoint := ""
			if c.lastSaved > 0 {
				wantCheckpoint = CheckpointDir(opts.OutputDir, c.lastSaved)
			}
			wantScale := float32(math.Ldexp(65536, -(c.stopsAtK - 1))) // halved after each earlier step
			if oe.Step != c.stopsAtK || oe.Steps != c.stopsAtK || oe.Scale != wantScale || oe.Precision != FP16 || oe.LastCheckpoint != wantCheckpoint {
				t.Errorf("error %+v, want step %d, %d steps, scale %g, checkpoint %q", *oe, c.stopsAtK, c.stopsAtK, wantScale, wantCheckpoint)
			}
			for _, want := range []string{"fp16", fmt.Sprintf("for %d steps", c.stopsAtK), fmt.Sprintf("loss scale %g", wantScale), "bf16", "lower learning rate"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not say %q", err, want)
				}
			}
			if state.GlobalStep != c.stopsAtK-1 {
				t.Errorf("global step %d, want %d", state.GlobalStep, c.stopsAtK-1)
			}
			if !slices.Equal(model.w.Data, initial.w.Data) || !slices.Equal(model.b.Data, initial.b.Data) {
				t.Errorf("weights moved: %v %v", model.w.Data, model.b.Data)
			}
			checkSkippedRun(t, opts.OutputDir, initial, c.lastSaved, c.stopsAtK-1)
		})
	}
}

// checkSkippedRun checks the files of a run whose every step was skipped: each checkpoint
// holds the initial weights and the scaler of its step, and metrics.jsonl one line per step.
func checkSkippedRun(t *testing.T, dir string, initial *linearModel, lastSaved, steps int) {
	t.Helper()
	saved, _, err := checkpointSteps(dir)
	if err != nil {
		t.Fatal(err)
	}
	last := 0
	if len(saved) > 0 {
		last = saved[len(saved)-1]
	}
	if last != lastSaved {
		t.Errorf("checkpoints %v, want the last at %d", saved, lastSaved)
	}
	for _, k := range saved {
		if w := readWeight(t, CheckpointDir(dir, k), initial.w); !slices.Equal(w, initial.w.Data) {
			t.Errorf("checkpoint-%d weights %v, want the initial %v", k, w, initial.w.Data)
		}
		sc := readScaler(t, CheckpointDir(dir, k))
		if sc.Skipped != k || sc.ConsecutiveSkipped != k || sc.Scale != float32(math.Ldexp(65536, -k)) {
			t.Errorf("checkpoint-%d scaler %+v, want %d skipped", k, sc, k)
		}
	}
	lines := readMetrics(t, dir)
	if len(lines) != steps {
		t.Fatalf("metrics.jsonl has %d lines, want %d", len(lines), steps)
	}
	for i, m := range lines {
		if k := i + 1; m.Step != k || m.Skipped != k || float32(m.LossScale) != float32(math.Ldexp(65536, -k)) {
			t.Errorf("metrics line %d: %+v", k, m)
		}
	}
}

// TestOccasionalOverflowSkipsSteps poisons steps 3 and 7 of a 12-step fp16 run: those steps
// leave the weights and the learning-rate schedule where they were, halve the scale, and are
// counted in metrics.jsonl and the checkpoints.
func TestOccasionalOverflowSkipsSteps(t *testing.T) {
	opts := testOptions(t.TempDir())
	opts.Precision, opts.LogEvery, opts.SaveEvery = FP16, 1, 1
	skipped := []int{3, 7}
	model, _, err := train(t, opts, poisonSteps(opts.GradAccum, skipped...))
	if err != nil {
		t.Fatal(err)
	}
	lines := readMetrics(t, opts.OutputDir)
	if len(lines) != opts.MaxSteps {
		t.Fatalf("%d metrics lines, want %d", len(lines), opts.MaxSteps)
	}
	prev := readWeight(t, CheckpointDir(opts.OutputDir, 1), model.w)
	before := 0 // skipped steps before step k
	for k := 2; k <= opts.MaxSteps; k++ {
		w := readWeight(t, CheckpointDir(opts.OutputDir, k), model.w)
		skip := slices.Contains(skipped, k)
		if moved := !slices.Equal(w, prev); moved == skip {
			t.Errorf("step %d: weights moved %v, want %v", k, moved, !skip)
		}
		prev = w
		m := lines[k-1]
		// HF steps the schedule only after updates that ran: update n+1 uses λ(n).
		wantLR := opts.Schedule.LR(opts.LR, k-before, opts.Warmup, opts.MaxSteps)
		if skip {
			before++
		}
		wantScale := math.Ldexp(65536, -before)
		if m.Skipped != before || float64(m.LossScale) != wantScale || float64(m.LR) != wantLR {
			t.Errorf("step %d metrics %+v, want skipped %d loss_scale %g lr %g", k, m, before, wantScale, wantLR)
		}
	}
	last := CheckpointDir(opts.OutputDir, opts.MaxSteps)
	if sc := readScaler(t, last); sc.Scale != 16384 || sc.Skipped != 2 || sc.ConsecutiveSkipped != 0 {
		t.Errorf("final scaler %+v, want scale 2^14 and 2 skipped", sc)
	}
	var sched SchedulerState
	if err := readJSON(filepath.Join(last, SchedulerFile), &sched); err != nil || sched.LastEpoch != opts.MaxSteps-2 {
		t.Errorf("scheduler %+v (%v), want last_epoch %d: two steps did not advance it", sched, err, opts.MaxSteps-2)
	}
	var state TrainerState
	if err := readJSON(filepath.Join(last, StateFile), &state); err != nil {
		t.Fatal(err)
	}
	if e := state.LogHistory[len(state.LogHistory)-1]; e["skipped"] != 2 || e["loss_scale"] != 16384 {
		t.Errorf("trainer_state's last log entry %v, want skipped 2 and loss_scale 16384", e)
	}
}

// TestLossScaleGrowsAfter2000CleanSteps skips step 2 of an fp16 run, then checks that the
// scale doubles back to 2^16 at the 2000th clean step after it (step 2002), not before.
func TestLossScaleGrowsAfter2000CleanSteps(t *testing.T) {
	opts := testOptions(t.TempDir())
	opts.Precision, opts.MaxSteps, opts.LogEvery, opts.SaveEvery = FP16, 2003, 1000, 0
	model, _, err := train(t, opts, poisonSteps(opts.GradAccum, 2))
	if err != nil {
		t.Fatal(err)
	}
	want := map[int]Number{1000: 32768, 2000: 32768, 2003: 65536}
	for _, m := range readMetrics(t, opts.OutputDir) {
		if m.LossScale != want[m.Step] || m.Skipped != 1 {
			t.Errorf("step %d: loss_scale %v skipped %d, want %v and 1", m.Step, m.LossScale, m.Skipped, want[m.Step])
		}
	}
	// The seed of step k's micro-batches is the scale before step k over GradAccum.
	for k, scale := range map[int]float32{2: 65536, 3: 32768, 2002: 32768, 2003: 65536} {
		if got := model.seeds[(k-1)*opts.GradAccum]; got != scale/float32(opts.GradAccum) {
			t.Errorf("step %d ran with seed %v, want %v", k, got, scale/float32(opts.GradAccum))
		}
	}
	if sc := readScaler(t, CheckpointDir(opts.OutputDir, opts.MaxSteps)); sc.Scale != 65536 || sc.GrowthTracker != 1 || sc.Skipped != 1 {
		t.Errorf("final scaler %+v, want scale 2^16, tracker 1, 1 skipped", sc)
	}
}

// TestPureModesStoreHalfValues trains 12 steps in each mode and checks that in the pure modes
// every weight, gradient and AdamW moment is a value of the half format (x == round(x)), and
// that the other modes keep float32 values the half format cannot hold.
func TestPureModesStoreHalfValues(t *testing.T) {
	for _, p := range []Precision{FP32, BF16, FP16, BF16Pure, FP16Pure} {
		t.Run(p.String(), func(t *testing.T) {
			opts := testOptions(t.TempDir())
			opts.Precision = p
			model := newLinearModel(opts.Seed)
			tr, err := New[[]example](model, newLinearData(16, 2, opts.Seed), opts)
			if err != nil {
				t.Fatal(err)
			}
			state, err := tr.Run(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if (tr.scaler != nil) != p.LossScaling() {
				t.Errorf("loss scaling %v, want %v", tr.scaler != nil, p.LossScaling())
			}
			if first, final := state.LogHistory[0]["loss"], state.LogHistory[len(state.LogHistory)-1]["loss"]; !(final < first) {
				t.Errorf("loss went from %v to %v", first, final)
			}
			tensors := map[string][]float32{
				"weight": model.w.Data, "bias": model.b.Data, "weight grad": model.w.Grad, "bias grad": model.b.Grad,
				"weight exp_avg": tr.opt.m[0], "bias exp_avg": tr.opt.m[1], "weight exp_avg_sq": tr.opt.v[0], "bias exp_avg_sq": tr.opt.v[1],
			}
			format := p.Autocast()
			if p == FP32 {
				format = nn.AutocastBF16 // fp32 values are not bf16 ones either
			}
			notHalf := 0
			for name, x := range tensors {
				for i, v := range x {
					if v != format.RoundValue(v) && !math.IsNaN(float64(v)) {
						notHalf++
						if p.Pure() {
							t.Errorf("%s[%d] = %x is not a %v value", name, i, v, format)
							break
						}
					}
				}
			}
			if !p.Pure() && notHalf == 0 {
				t.Errorf("every value is a %v value: the float32 master weights and state were rounded", format)
			}
			t.Logf("%d of the values are not %v values", notHalf, format)
		})
	}
}

// constModel has one weight w, starting at 1, whose gradient is always 1: each AdamW update
// moves it down by lr·m̂/(√v̂+ε) = lr/(1+ε).
type constModel struct{ w *Param }

func (m *constModel) Params() []*Param { return []*Param{m.w} }

func (m *constModel) Step(_ []example, seed float32) (StepStats, error) {
	m.w.Grad[0] += seed // ∂loss/∂w = 1, times the seed
	return StepStats{Loss: float64(m.w.Data[0]), Tokens: 1}, nil
}

// TestSubUlpUpdateLostInBF16Pure is the hazard the Mamba authors warn about: an update of
// 1e-3 to a weight of 1 is under half a bf16 ulp (2^-9 below 1), so a bf16-pure weight never
// moves, while bf16 mixed precision accumulates the updates in its fp32 master weight.
func TestSubUlpUpdateLostInBF16Pure(t *testing.T) {
	const steps, lr = 10, 1e-3
	cases := []struct {
		p         Precision
		want, tol float64
	}{
		{FP32, 1 - steps*lr, 1e-6}, // fp32 rounding of 10 updates
		{BF16, 1 - steps*lr, 1e-6}, // the same: fp32 master weight and state
		{BF16Pure, 1, 0},           // every update rounds back to 1
		// fp16 has 3 more significant bits than bf16: 1e-3 rounds to 2 ulps of 2^-11 per
		// update; the first step overflows (2^16 > 65504) and is skipped.
		{FP16Pure, 1 - (steps-1)*2*0x1p-11, 0},
	}
	for _, c := range cases {
		t.Run(c.p.String(), func(t *testing.T) {
			opts := testOptions(t.TempDir())
			opts.Precision, opts.MaxSteps, opts.GradAccum, opts.LR, opts.Warmup = c.p, steps, 1, lr, 0
			opts.Schedule, opts.WeightDecay, opts.MaxGradNorm = ConstantWithWarmup, 0, 0
			model := &constModel{w: &Param{Name: "w", Shape: []int{1, 1}, Data: []float32{1}, Grad: []float32{0}}}
			tr, err := New[[]example](model, newLinearData(16, 2, opts.Seed), opts)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := tr.Run(context.Background()); err != nil {
				t.Fatal(err)
			}
			got := float64(model.w.Data[0])
			if d := math.Abs(got - c.want); d > c.tol {
				t.Errorf("w = %.9g after %d updates of %g, want %.9g (diff %.3g, tolerance %.3g)", got, steps, lr, c.want, d, c.tol)
			}
			t.Logf("w = %.9g", got)
		})
	}
}

// TestResumeRestoresLossScale interrupts an fp16 run whose step 3 overflowed (scale 2^15 from
// then on) after step 6 and resumes it from checkpoint-4: the resumed steps run at the
// restored scale, and every file ends as the uninterrupted run's.
func TestResumeRestoresLossScale(t *testing.T) {
	ref := testOptions(t.TempDir())
	ref.Precision = FP16
	if _, _, err := train(t, ref, poisonSteps(ref.GradAccum, 3)); err != nil {
		t.Fatal(err)
	}
	opts := testOptions(t.TempDir())
	opts.Precision = FP16
	ctx, cancel := context.WithCancel(context.Background())
	model := newLinearModel(opts.Seed)
	poison := poisonSteps(opts.GradAccum, 3)
	stop := cancelAfter(6*opts.GradAccum, cancel)
	model.hook = func(call int, m *linearModel) (float64, bool) {
		stop(call, m)
		return poison(call, m)
	}
	tr, err := New[[]example](model, newLinearData(16, 2, opts.Seed), opts)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tr.Run(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted run: %v", err)
	}
	opts.ResumeFrom = "latest"
	resumed, _, err := train(t, opts, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := float32(32768) / float32(opts.GradAccum); resumed.seeds[0] != want {
		t.Errorf("the resumed run's first seed is %v, want the restored scale 2^15 over %d", resumed.seeds[0], opts.GradAccum)
	}
	for _, f := range []string{WeightsFile, OptimizerFile, SchedulerFile, ScalerFile} {
		got := mustRead(t, filepath.Join(CheckpointDir(opts.OutputDir, 12), f))
		if want := mustRead(t, filepath.Join(CheckpointDir(ref.OutputDir, 12), f)); string(got) != string(want) {
			t.Errorf("resumed run's %s differs from the uninterrupted run's:\n%s\nvs\n%s", f, got, want)
		}
	}
}

func TestResumeRefusesAnotherPrecision(t *testing.T) {
	opts := testOptions(t.TempDir())
	opts.MaxSteps, opts.Precision = 4, BF16
	if _, _, err := train(t, opts, nil); err != nil {
		t.Fatal(err)
	}
	opts.Precision, opts.ResumeFrom = BF16Pure, "latest"
	_, _, err := train(t, opts, nil)
	if err == nil || !strings.Contains(err.Error(), `precision: checkpoint "bf16", now "bf16-pure"`) {
		t.Fatalf("err %v, want a refusal naming the precisions", err)
	}
}

// readWeight reads like's tensor from a checkpoint folder's weights.
func readWeight(t *testing.T, dir string, like *Param) []float32 {
	t.Helper()
	var w []float32
	err := readF32s(filepath.Join(dir, WeightsFile), func(get func(string, []int) ([]float32, error)) error {
		var err error
		w, err = get(like.Name, like.Shape)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// readScaler reads a checkpoint folder's scaler.json.
func readScaler(t *testing.T, dir string) LossScaler {
	t.Helper()
	var sc LossScaler
	if err := readJSON(filepath.Join(dir, ScalerFile), &sc); err != nil {
		t.Fatal(err)
	}
	return sc
}

// readMetrics returns the lines of dir/metrics.jsonl.
func readMetrics(t *testing.T, dir string) []Metrics {
	t.Helper()
	var ms []Metrics
	for line := range strings.Lines(string(mustRead(t, filepath.Join(dir, MetricsFile)))) {
		var m Metrics
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("metrics.jsonl line %q: %v", line, err)
		}
		ms = append(ms, m)
	}
	return ms
}
