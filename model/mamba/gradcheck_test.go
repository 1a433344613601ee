package mamba

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/steady-ml/steady/nn"
)

// tinyConfig is a two-layer model small enough for finite differences, with
// a padded vocabulary (50 → 56) and the optional biases switched by bias.
func tinyConfig(bias, tied bool) Config {
	return Config{DModel: 8, NLayer: 2, VocabSize: 50, PadVocabSizeMultiple: 8, DState: 4, DConv: 3, Expand: 2,
		DInner: 16, DtRank: 2, Bias: bias, ConvBias: true, NormEps: 1e-5, ResidualInFP32: true, TieEmbeddings: tied}
}

// perturbedModel is Init(c, seed) with the fixtures' symmetry-breaking
// perturbation (embedding and head ×10, norm weights and D 1 + 0.2·N,
// A_log + 0.2·N), non-zero in/out_proj biases (0.05·N), dt_proj.bias 0.5·N
// and x_proj, dt_proj weights ×4, so that Δ = softplus(δ + δ_bias) is of
// order 1 and the scan's recurrence, not only its skip, carries gradients
// (A_log's and dt_proj's reach a few 1e-3, well above the differences' noise).
func perturbedModel(t testing.TB, c Config, seed uint64) *Model {
	t.Helper()
	m, err := Init(c, seed)
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(seed, 3))
	for _, p := range m.Params() {
		for i := range p.Data {
			switch name := p.Name; {
			case name == nameEmbedding[1] || name == nameLMHead[0]:
				p.Data[i] *= 10
			case strings.HasSuffix(name, "norm.weight"), strings.HasSuffix(name, "norm_f.weight"), strings.HasSuffix(name, "mixer.D"):
				p.Data[i] = 1 + 0.2*float32(r.NormFloat64())
			case strings.HasSuffix(name, "A_log"):
				p.Data[i] += 0.2 * float32(r.NormFloat64())
			case strings.HasSuffix(name, "dt_proj.bias"):
				p.Data[i] = 0.5 * float32(r.NormFloat64())
			case strings.HasSuffix(name, "x_proj.weight"), strings.HasSuffix(name, "dt_proj.weight"):
				p.Data[i] *= 4
			case strings.HasSuffix(name, "proj.bias"):
				p.Data[i] = 0.05 * float32(r.NormFloat64())
			}
		}
	}
	m.Refresh()
	return m
}

// randomTokens returns n token ids in [0, vocab) drawn from seed.
func randomTokens(n, vocab int, seed uint64) []int32 {
	r := rand.New(rand.NewPCG(seed, 2))
	out := make([]int32, n)
	for i := range out {
		out[i] = int32(r.IntN(vocab))
	}
	return out
}

// TestLossAndGradMatchesFiniteDifferences checks LossAndGradTargets against
// float32 central differences of Forward's loss (eps 1e-2 and 5e-3,
// Richardson-extrapolated), on the entry of largest |g| of every parameter
// tensor and on two random entries of each, A_log's differences taken after
// Refresh. The tiny models reach what the fixture model lacks: biases, an
// untied head, vocabulary padding, a conv width other than 4, ignored
// targets and a seed. The float32 rounding of the loss makes the
// differences good to about 1e-5 absolute (measured: ≤ 7.3e-6), hence atol
// 2e-5; with rtol 1e-3 this catches a 1% error in any single chain-rule
// step (tried on dA_log and on dt_proj's input gradient).
func TestLossAndGradMatchesFiniteDifferences(t *testing.T) {
	for _, c := range []struct {
		name       string
		cfg        Config
		batch, seq int
		ignore     int // every ignore-th target is nn.IgnoreIndex (0: shifted tokens as LossAndGrad)
		seed       float32
	}{
		{"tied_no_bias", tinyConfig(false, true), 2, 11, 0, 1},
		{"untied_bias_ignored_seed0.5", tinyConfig(true, false), 2, 11, 3, 0.5},
		{"tied_bias_batch3_seq5", tinyConfig(true, true), 3, 5, 0, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			m := perturbedModel(t, c.cfg, 11)
			tokens := randomTokens(c.batch*c.seq, c.cfg.VocabSize, 5)
			targets := shiftedTargets(tokens, c.seq)
			if c.ignore > 0 {
				targets = randomTokens(len(tokens), c.cfg.VocabSize, 6)
				for r := 0; r < len(targets); r += c.ignore {
					targets[r] = nn.IgnoreIndex
				}
			}
			grads := m.NewGrads()
			if _, err := m.LossAndGradTargets(tokens, targets, c.batch, c.seq, c.seed, grads); err != nil {
				t.Fatal(err)
			}
			lossAt := func() float64 {
				m.Refresh()
				logits, err := m.Forward(tokens, c.batch, c.seq, nil)
				if err != nil {
					t.Fatal(err)
				}
				loss, _, err := nn.CrossEntropy(nil, logits, targets, m.VocabSize())
				if err != nil {
					t.Fatal(err)
				}
				return float64(c.seed) * loss
			}
			// fd(h) = (loss(p+h) − loss(p−h)) / 2h; Richardson's (4·fd(h/2) − fd(h))/3
			// cancels the h² term, which dominates for the larger gradients.
			fd := func(p []float32, j int, h float32) float64 {
				orig := p[j]
				p[j] = orig + h
				up := lossAt()
				p[j] = orig - h
				down := lossAt()
				p[j] = orig
				return (up - down) / (2 * float64(h))
			}
			r := rand.New(rand.NewPCG(9, 9))
			const eps = 1e-2
			worst := 0.0
			for i, p := range m.Params() {
				g := grads[i].Data
				if absMax(g) == 0 {
					t.Errorf("%s: zero gradient", p.Name)
				}
				for _, j := range []int{argAbsMax(g), r.IntN(len(g)), r.IntN(len(g))} {
					want := (4*fd(p.Data, j, eps/2) - fd(p.Data, j, eps)) / 3
					d := math.Abs(want - float64(g[j]))
					worst = max(worst, d)
					if d > 2e-5+1e-3*math.Abs(want) {
						t.Errorf("%s[%d]: autograd %.6g, finite difference %.6g (abs %.3g, rel %.3g)",
							p.Name, j, g[j], want, d, d/math.Abs(want))
					}
				}
			}
			m.Refresh()
			t.Logf("worst |autograd − fd|: %.3g", worst)
		})
	}
}

// argAbsMax returns the index of the largest |x|.
func argAbsMax(x []float32) int {
	best := 0
	for i, v := range x {
		if math.Abs(float64(v)) > math.Abs(float64(x[best])) {
			best = i
		}
	}
	return best
}
