package neox

import (
	"math"
	"slices"
	"testing"
)

// TestLossAndGradMatchesFixture checks the loss and every parameter gradient
// against grads.safetensors (HF v4.40.2 fp32 autograd), with the README's
// tolerance of 1e-4 of each tensor's absmax.
func TestLossAndGradMatchesFixture(t *testing.T) {
	m := fixtureModel(t, nil)
	tokens, batch, seq := fixtureInputs(t)
	ref := openFixture(t, "grads.safetensors")
	grads := m.NewGrads()
	loss, err := m.LossAndGrad(tokens, batch, seq, grads)
	if err != nil {
		t.Fatal(err)
	}
	wantLoss, _ := fixtureF32(t, ref, "loss")
	if math.Abs(loss-float64(wantLoss[0])) > 1e-5 {
		t.Errorf("loss %.7f, want %.7f", loss, wantLoss[0])
	} else {
		t.Logf("loss %.7f, want %.7f", loss, wantLoss[0])
	}
	for _, g := range grads {
		want, shape := fixtureF32(t, ref, g.Name)
		if !slices.Equal(g.Shape, shape) {
			t.Errorf("%s: shape %v, want %v", g.Name, g.Shape, shape)
			continue
		}
		var absmax float64
		for _, x := range want {
			absmax = max(absmax, math.Abs(float64(x)))
		}
		requireClose(t, g.Name, g.Data, want, 1e-4*absmax)
	}
}

// TestLossAndGradMatchesFiniteDifferences checks a few entries of every
// gradient of small random models, covering the config switches the fixture
// does not, against central differences of the float64 twin's loss.
func TestLossAndGradMatchesFiniteDifferences(t *testing.T) {
	cases := []struct {
		name string
		edit func(*Config)
	}{
		{"parallel_gelu", func(*Config) {}},
		{"sequential_residual", func(c *Config) { c.UseParallelResidual = false }},
		{"gelu_new_no_bias_tied", func(c *Config) { c.HiddenAct = "gelu_new"; c.AttentionBias = false; c.TieWordEmbeddings = true }},
	}
	tokens := []int32{3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8}
	const batch, seq = 2, 6
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := tinyConfig()
			c.edit(&cfg)
			m := newRandomModel(t, cfg)
			grads := m.NewGrads()
			loss, err := m.LossAndGrad(tokens, batch, seq, grads)
			if err != nil {
				t.Fatal(err)
			}
			refLoss := func() float64 { return referenceLoss(m, tokens, batch, seq) }
			if want := refLoss(); math.Abs(loss-want) > 1e-5 {
				t.Errorf("loss %.7f, float64 twin %.7f", loss, want)
			}
			for pi, p := range m.Params() {
				var absmax float64
				for _, x := range grads[pi].Data {
					absmax = max(absmax, math.Abs(float64(x)))
				}
				for _, j := range []int{0, len(p.Data) / 3, len(p.Data) - 1} {
					orig := p.Data[j]
					const eps = 1e-3
					p.Data[j] = orig + eps
					hi, lp := p.Data[j], refLoss()
					p.Data[j] = orig - eps
					lo, lm := p.Data[j], refLoss()
					p.Data[j] = orig
					fd := (lp - lm) / (float64(hi) - float64(lo))
					if got := float64(grads[pi].Data[j]); math.Abs(got-fd) > 1e-3*absmax+1e-6 {
						t.Errorf("%s[%d]: grad %.6g, finite difference %.6g (tensor absmax %.3g)", p.Name, j, got, fd, absmax)
					}
				}
			}
		})
	}
}

func TestLossAndGradRejectsBadInput(t *testing.T) {
	m := newRandomModel(t, tinyConfig())
	grads := m.NewGrads()
	if _, err := m.LossAndGrad([]int32{1}, 1, 1, grads); err == nil {
		t.Error("seq 1: no error")
	}
	if _, err := m.LossAndGrad([]int32{1, 99}, 1, 2, grads); err == nil {
		t.Error("token out of range: no error")
	}
	if _, err := m.LossAndGrad([]int32{1, 2}, 1, 2, grads[1:]); err == nil {
		t.Error("missing gradient tensor: no error")
	}
}
