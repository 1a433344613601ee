package mamba

import (
	"math"
	"strings"
	"testing"

	"github.com/steady-ml/steady/internal/fixture"
	"github.com/steady-ml/steady/nn"
	"github.com/steady-ml/steady/train"
)

// TestAdamWStepsMatchTorch runs the fixture's 10 AdamW steps on the same
// batch (Mamba-1 forward and backward, AdamW lr 1e-3, wd 0.1 on the decay
// group; A_log and D are mamba_ssm's _no_weight_decay, the 3-D conv weight
// and the embedding decay), with and without clip_grad_norm_(1.0), and
// compares losses, grad norms, the loss after the last step and the final
// parameters with torch's (train_steps.safetensors). Tolerances from the
// fixtures README: losses 1e-5, grad norms rel 1e-5, params atol 5e-5.
func TestAdamWStepsMatchTorch(t *testing.T) {
	ref := fixture.Open(t, "mamba1", "train_steps.safetensors")
	for _, variant := range []struct {
		prefix string
		clip   bool
	}{{"", false}, {"clip1.", true}} {
		t.Run("variant="+variant.prefix, func(t *testing.T) {
			m := fixtureModel(t, fixture.Path(t, "mamba1"), false)
			weights, grads := m.Params(), m.NewGrads()
			params := make([]*train.Param, len(weights))
			for i, w := range weights {
				leaf := w.Name[strings.LastIndex(w.Name, ".")+1:]
				params[i] = &train.Param{Name: w.Name, Shape: w.Shape, Data: w.Data, Grad: grads[i].Data,
					NoDecay: leaf == "A_log" || leaf == "D"}
			}
			opt, err := train.NewAdamW(params, train.AdamWConfig{Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 0.1})
			if err != nil {
				t.Fatal(err)
			}
			tokens, batch, seq := fixture.Tokens(t, "mamba1")
			wantLoss := fixture.F32(t, ref, variant.prefix+"losses")
			wantNorm := fixture.F32(t, ref, variant.prefix+"grad_norms")
			worstLoss := 0.0
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
				d := math.Abs(loss - float64(wantLoss[step]))
				worstLoss = max(worstLoss, d)
				if d > 1e-5 {
					t.Errorf("step %d: loss %.7f, torch %.7f", step, loss, wantLoss[step])
				}
				if rel := math.Abs(float64(norm-wantNorm[step])) / float64(wantNorm[step]); rel > 1e-5 {
					t.Errorf("step %d: grad norm %.7g, torch %.7g (rel %.2g)", step, norm, wantNorm[step], rel)
				}
			}
			m.Refresh()
			logits, err := m.Forward(tokens, batch, seq, nil)
			if err != nil {
				t.Fatal(err)
			}
			final, _, err := nn.CrossEntropy(nil, logits, shiftedTargets(tokens, seq), m.VocabSize())
			if err != nil {
				t.Fatal(err)
			}
			if want := float64(fixture.F32(t, ref, variant.prefix+"final_loss")[0]); math.Abs(final-want) > 1e-5 {
				t.Errorf("final loss %.7f, torch %.7f", final, want)
			}
			var worst float64
			worstName := ""
			for _, p := range params {
				want := fixture.F32(t, ref, variant.prefix+mambaSSMName(p.Name))
				fixture.RequireClose(t, p.Name, p.Data, want, 5e-5, 0)
				if d := fixture.Compare(p.Data, want, 0, 0); d.MaxAbs > worst {
					worst, worstName = d.MaxAbs, p.Name
				}
			}
			t.Logf("losses max abs diff %.3g; final loss %.7f; worst parameter after 10 steps: %s, max abs diff %.3g",
				worstLoss, final, worstName, worst)
		})
	}
}
