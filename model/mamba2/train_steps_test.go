package mamba2

import (
	"math"
	"strings"
	"testing"

	"github.com/steady-ml/steady/internal/fixture"
	"github.com/steady-ml/steady/train"
)

// TestAdamWStepsMatchTorch runs the fixture's 10 AdamW steps on the same
// batch (lr 1e-3, betas 0.9/0.999, eps 1e-8, weight decay 0.1 except for
// A_log, D, dt_bias and 1-D tensors), with and without
// clip_grad_norm_(1.0), and compares losses, grad norms, the final loss and
// the final parameters with torch's (train_steps.safetensors). Tolerances
// from the fixtures README: losses 1e-5, grad norms rel 1e-5, params atol 5e-5.
func TestAdamWStepsMatchTorch(t *testing.T) {
	ref := fixture.Open(t, "mamba2", "train_steps.safetensors")
	for _, variant := range []struct {
		prefix string
		clip   bool
	}{{"", false}, {"clip1.", true}} {
		t.Run("variant="+variant.prefix, func(t *testing.T) {
			m := fixtureModel(t, "", nil)
			grads := m.NewGrads()
			params := make([]*train.Param, len(grads))
			for i, w := range m.Params()[:len(grads)] {
				noDecay := strings.HasSuffix(w.Name, ".A_log") || strings.HasSuffix(w.Name, ".D") || strings.HasSuffix(w.Name, ".dt_bias")
				params[i] = &train.Param{Name: w.Name, Shape: w.Shape, Data: w.Data, Grad: grads[i].Data, NoDecay: noDecay}
			}
			opt, err := train.NewAdamW(params, train.AdamWConfig{Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 0.1})
			if err != nil {
				t.Fatal(err)
			}
			tokens, batch, seq := fixture.Tokens(t, "mamba2")
			wantLoss := fixture.F32(t, ref, variant.prefix+"losses")
			wantNorm := fixture.F32(t, ref, variant.prefix+"grad_norms")
			for step := range 10 {
				for _, p := range params {
					clear(p.Grad)
				}
				loss, err := m.LossAndGrad(tokens, batch, seq, grads)
				if err != nil {
					t.Fatal(err)
				}
				norm := train.GradNorm(params)
				if variant.clip {
					train.ClipGradNorm(params, 1)
				}
				opt.Step(1e-3)
				if d := math.Abs(loss - float64(wantLoss[step])); d > 1e-5 {
					t.Errorf("step %d: loss %.7f, torch %.7f", step, loss, wantLoss[step])
				}
				if rel := math.Abs(float64(norm-wantNorm[step])) / float64(wantNorm[step]); rel > 1e-5 {
					t.Errorf("step %d: grad norm %.7g, torch %.7g (rel %.2g)", step, norm, wantNorm[step], rel)
				}
			}
			final, err := m.LossAndGrad(tokens, batch, seq, grads)
			if err != nil {
				t.Fatal(err)
			}
			if want := float64(fixture.F32(t, ref, variant.prefix+"final_loss")[0]); math.Abs(final-want) > 1e-5 {
				t.Errorf("final loss %.7f, torch %.7f", final, want)
			}
			worst, worstName := 0.0, ""
			for _, p := range params {
				want := fixture.F32(t, ref, variant.prefix+mambaSSMName(p.Name))
				fixture.RequireClose(t, p.Name, p.Data, want, 5e-5, 0)
				if d := fixture.Compare(p.Data, want, 0, 0).MaxAbs; d > worst {
					worst, worstName = d, p.Name
				}
			}
			t.Logf("final loss %.7f; worst parameter after 10 steps: %s, max abs diff %.3g", final, worstName, worst)
		})
	}
}
